//! The command line, as clap sees it. Common flags are global: they may come before or
//! after the subcommand.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "A terminal operations console for multi-region deployments.";

const AFTER_HELP: &str = "\
With no command, meridian opens the dashboard on the configured fleet, or on the
simulated demo fleet when none is configured.

Fleet file: -c FILE, else $MERIDIAN_CONFIG, else $XDG_CONFIG_HOME/meridian/fleet.toml,
else the embedded demo fleet. `meridian paths` shows what is in use.

Actions print their plan, check guards and ask for confirmation. In scripts pass --yes
(and --reason for anything touching production); without a terminal and without --yes
a change is refused, never assumed.

Exit codes:
  0  done
  1  failed (the change did not happen, or could not be verified); `wait` timed
     out; `status --check` found problems
  2  usage or config error
  3  refused (a guard blocked it, read-only mode, or not confirmed)
  4  the fleet lock is held by someone else

Examples:
  meridian status
  meridian drain eu-west-1 --reason INC-4711 --yes
  meridian weights us-east-1=90 eu-west-1=10 --dry-run
  meridian promote eu-west-1 --reason INC-4711
  meridian wait healthy eu-west-1 --for 15m --timeout 30m
  meridian status --check
  meridian rollback payments-prd --region eu-west-1 --to 7 --reason CHG-102 --yes
  meridian phase run ap-south-1 infrastructure --yes     (resumes a failed run)
  meridian evidence ap-south-1 infrastructure            (its latest run's output)
  meridian sync payments-prd --region eu-west-1 --reason CHG-103
  meridian resume-auto-sync payments-prd --region eu-west-1 --reason CHG-103
  meridian signups close eu-west-1 --reason CHG-104   (new tenants go elsewhere)
  meridian tenant move acme --to us-east-1 --reason CS-88
  meridian discover > fleet.toml";

#[derive(Debug, Parser)]
#[command(name = "meridian", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags accepted by every command, before or after it.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Fleet file to use
    #[arg(
        short = 'c',
        long,
        global = true,
        env = "MERIDIAN_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Use the embedded, simulated demo fleet whatever is configured
    #[arg(long, global = true)]
    pub demo: bool,
    /// Show plans but change nothing (enforced by the action library)
    #[arg(
        long,
        global = true,
        env = "MERIDIAN_READ_ONLY",
        value_parser = parse_switch
    )]
    pub read_only: bool,
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// Print the plan and stop (exit 3 if it would be refused)
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Confirm without asking (for scripts and runbooks)
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,
    /// Why: an incident or change id; required for anything touching production
    #[arg(long, global = true, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Override a blocking guard by name (needs --reason); may be repeated
    #[arg(long = "override", global = true, value_name = "GUARD")]
    pub overrides: Vec<String>,
    /// Simulated seconds per real second for simulated fleets (0 freezes the world)
    #[arg(
        long,
        global = true,
        env = "MERIDIAN_SIM_SPEED",
        value_name = "FACTOR",
        default_value_t = 1.0,
        value_parser = parse_sim_speed,
        hide_short_help = true
    )]
    pub sim_speed: f64,
    /// Seed for a simulated world created or reset now
    #[arg(
        long,
        global = true,
        env = "MERIDIAN_SEED",
        value_name = "N",
        hide_short_help = true
    )]
    pub seed: Option<u64>,
    /// Dashboard colour theme: dark, light, high-contrast, colour-blind, or a user theme
    #[arg(
        long,
        global = true,
        env = "MERIDIAN_THEME",
        value_name = "NAME",
        default_value = "dark"
    )]
    pub theme: String,
    /// Dashboard keymap: default or vim (user overrides in keymap.toml merge over it)
    #[arg(
        long,
        global = true,
        env = "MERIDIAN_KEYMAP",
        value_name = "NAME",
        default_value = "default"
    )]
    pub keymap: String,
    /// Act on the practice copy of the fleet (made by `rollout start ID --practice`): a
    /// simulated copy of the live fleet in a state directory of its own; marked PRACTICE
    #[arg(long, global = true)]
    pub practice: bool,
}

impl GlobalArgs {
    /// What the session needs of these flags.
    pub fn session(&self) -> crate::session::Options {
        crate::session::Options {
            config: self.config.clone(),
            demo: self.demo,
            read_only: self.read_only,
            sim_speed: self.sim_speed,
            seed: self.seed,
            practice: self.practice,
        }
    }
}

/// A yes/no environment switch in any of the usual spellings; set but empty means no.
fn parse_switch(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "y" | "yes" | "t" | "true" | "on" => Ok(true),
        "" | "0" | "n" | "no" | "f" | "false" | "off" => Ok(false),
        _ => Err(format!(
            "\"{text}\" is neither yes nor no: use 1, yes, true or on (or 0, no, false, off)"
        )),
    }
}

/// `--sim-speed`: a number, 0 or within the simulator's range.
fn parse_sim_speed(text: &str) -> Result<f64, String> {
    let speed: f64 = text.trim().parse().map_err(|_| {
        format!("\"{text}\" is not a number; use 0 (a frozen world) or a factor such as 10")
    })?;
    crate::providers::sim::check_speed(speed).map_err(|e| format!("{} is {e}", text.trim()))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every region, tenant and phase (a table, or --json)
    Status {
        /// Exit 1, with the reasons on stderr, when a region is down, a value is stale, lag
        /// is over the RPO budget, a phase failed or an app is not Synced and Healthy
        #[arg(long)]
        check: bool,
        /// With --json, each cell's Argo CD and Helm history too (up to ten entries each;
        /// left out by default because it makes a big fleet's document three times larger)
        #[arg(long)]
        history: bool,
    },
    /// Set a region's weight to 0, moving its traffic to the others
    Drain {
        /// Region id, e.g. eu-west-1
        region: String,
    },
    /// Put regions back to their steady-state weights (all regions when none are named)
    Restore {
        /// Region ids; none means every region
        regions: Vec<String>,
    },
    /// Set explicit weights in one change, e.g. us-east-1=90 eu-west-1=10 or eastus=90%
    Weights {
        /// REGION=WEIGHT pairs: the traffic provider's units (Route 53 0..=255, Azure
        /// 1..=1000, Cloudflare 0..1) or a share such as 25%; 0 drains; unnamed regions keep
        /// theirs
        #[arg(required = true, value_name = "REGION=WEIGHT")]
        weights: Vec<String>,
        /// Temporary: record an expiry (e.g. 2h) that the board and `status --check` raise
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
        for_: Option<Duration>,
    },
    /// Make a secondary region's database the primary
    Promote {
        /// Region id of the secondary to promote
        region: String,
        /// Promote even if replication lag is over the RPO budget or unknown (loses data)
        #[arg(long)]
        accept_data_loss: bool,
        /// Drain the old writer once the promotion is done, so no traffic is left on a
        /// database that takes no writes (the default when it cannot be reached)
        #[arg(long, conflicts_with = "no_drain_old")]
        drain_old: bool,
        /// Leave the old writer's traffic where it is (the plan warns, the audit keeps it)
        #[arg(long)]
        no_drain_old: bool,
    },
    /// Make a fenced old primary (or an orphaned replica) a replica of the primary again
    Rejoin {
        /// Region id whose database becomes a replica of the current primary
        region: String,
    },
    /// Return a tenant in one region to an earlier revision
    Rollback {
        /// Tenant id, e.g. payments-prd
        tenant: String,
        /// Region the tenant runs in
        #[arg(long)]
        region: String,
        /// History id or revision prefix (default: the previous revision); a Helm
        /// revision number for Helm releases
        #[arg(long, value_name = "REVISION")]
        to: Option<String>,
        /// Roll back through argocd or helm (default: helm for tenants with a Helm
        /// release, else argocd)
        #[arg(long, value_name = "BACKEND")]
        via: Option<ViaArg>,
    },
    /// Ask Argo CD to sync a tenant's app to its target (or to a revision)
    Sync {
        /// Tenant id
        tenant: String,
        /// Region the tenant runs in
        #[arg(long)]
        region: String,
        /// A revision (commit SHA, tag, or history id) instead of the app's target
        #[arg(long, value_name = "REV")]
        revision: Option<String>,
    },
    /// Put back the auto-sync that a rollback paused (Argo CD then deploys the branch head)
    ResumeAutoSync {
        /// Tenant id
        tenant: String,
        /// Region the tenant runs in
        #[arg(long)]
        region: String,
    },
    /// Print a fleet file for the Argo CD apps of your kubeconfig's contexts
    Discover {
        /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
        #[arg(long, value_name = "FILE")]
        kubeconfig: Option<PathBuf>,
        /// Only these contexts (repeatable; default: every context)
        #[arg(long = "context", value_name = "CONTEXT")]
        contexts: Vec<String>,
        /// Namespace of the Argo CD Applications
        #[arg(long, default_value = "argocd")]
        namespace: String,
    },
    /// Phases of standing a region up
    Phase {
        #[command(subcommand)]
        command: PhaseCommand,
    },
    /// List phase runs and their evidence, or print one run (outputs, exit codes)
    Evidence {
        /// Only runs in this region
        region: Option<String>,
        /// Only runs of this phase (with a region: print its latest run)
        phase: Option<String>,
        /// Print this run (its id, as listed)
        #[arg(long, value_name = "RUN")]
        run: Option<String>,
    },
    /// Approve, as a second person, a plan someone else asked to run (two-person policy);
    /// with no hash, list the requests waiting
    Approve {
        /// The plan hash the requester was shown (its first 6 or more hex digits)
        hash: Option<String>,
        /// Approve an artifact a rollout wrote (a Terraform plan) by its sha256 (first 6 or
        /// more hex digits); with no HASH, list the artifacts waiting with their text
        #[arg(long, value_name = "HASH", num_args = 0..=1, default_missing_value = "", conflicts_with = "hash")]
        artifact: Option<String>,
    },
    /// List the audit log (every action, refused and declined ones too)
    Audit {
        /// Show only the newest N actions
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Check a fleet file
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Show which files and directories meridian uses
    Paths,
    /// Write a starter fleet file to the default location (or -c FILE), then check it
    Init {
        /// Where the starting point comes from
        #[arg(long, value_enum, default_value_t = InitFrom::Example)]
        from: InitFrom,
        /// For --from kube: the kubeconfig to read (default: $KUBECONFIG, else ~/.kube/config)
        #[arg(long, value_name = "FILE")]
        kubeconfig: Option<PathBuf>,
        /// For --from route53: the hosted zone id
        #[arg(long, value_name = "ZONE_ID")]
        zone: Option<String>,
        /// For --from route53: the weighted record's name (default: the first weighted record)
        #[arg(long, value_name = "NAME")]
        record: Option<String>,
        /// For --from route53: an endpoint URL for the AWS API (e.g. a local test server)
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell, e.g. bash
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory
    Man {
        /// Write meridian.1 and meridian-COMMAND.1 pages into this directory
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Block until a condition holds (exit 0), or time out (exit 1): a rollout gate for
    /// runbooks, with progress on stderr
    Wait {
        #[command(subcommand)]
        condition: WaitCondition,
    },
    /// Step through a rollout template (`[[rollouts]]` in the fleet file): each action step
    /// is planned, confirmed and audited like any action; gates wait (exit 3 until met)
    Rollout {
        #[command(subcommand)]
        command: RolloutCommand,
    },
    /// Drive the simulated fleet: reset it or inject faults for drills
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Record what the fleet does without a screen (health, lag, traffic, apps, findings)
    /// for `meridian report` and `meridian replay`; runs until SIGINT or SIGTERM
    Watch {
        /// How often to read the fleet
        #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = humantime::parse_duration)]
        every: Duration,
        /// Print nothing but errors (the changes are printed one a line by default)
        #[arg(long)]
        quiet: bool,
    },
    /// The incident report from the recording and the audit log: first sign, detection,
    /// every action, traffic moved, data promoted, recovery, durations, RTO and RPO
    Report {
        /// The window ends now and starts this long ago (default 2h)
        #[arg(long, value_name = "DURATION", conflicts_with = "from")]
        since: Option<String>,
        /// The window's start: 03:12 (UTC), RFC 3339 or -30m
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        from: Option<String>,
        /// The window's end (default now)
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        to: Option<String>,
        /// md for the postmortem, json for tools, html for one page with charts
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
    },
    /// The dashboard, read-only, on the recording: ←/→ step 10 s, [ and ] jump to the
    /// previous/next change, the moment shown in the header
    Replay {
        /// Open at this moment (an hour either side is loaded): 03:12 (UTC), RFC 3339, -30m
        #[arg(
            long,
            value_name = "TIME",
            allow_hyphen_values = true,
            conflicts_with = "from"
        )]
        at: Option<String>,
        /// The window's start (opened there)
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        from: Option<String>,
        /// The window's end (default now)
        #[arg(
            long,
            value_name = "TIME",
            allow_hyphen_values = true,
            requires = "from"
        )]
        to: Option<String>,
    },
    /// Stop every change (needs --reason): while frozen, every action and rollout step is
    /// refused by the freeze guard, naming who froze, why and until when; all operators
    /// see it at once (it lives in the fleet's shared store)
    Freeze {
        /// When it ends by itself (UTC), e.g. 2026-12-24T18:00:00Z
        #[arg(long, value_name = "TIME", conflicts_with = "for_")]
        until: Option<String>,
        /// How long it holds, e.g. 2h
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
        for_: Option<Duration>,
    },
    /// Lift the freeze set with `meridian freeze` (needs --reason; audited)
    Unfreeze,
    /// Open a region to new tenants in the routing layer (`[tenant_routing]`), or close it
    Signups {
        #[command(subcommand)]
        command: SignupsCommand,
    },
    /// Tenants in the routing layer (`[tenant_routing]`)
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Deploy a tenant's Helm chart in one region (helm upgrade --install --wait), with
    /// the rendered diff in the plan; --dry-run prints the plan and diff only
    Deploy {
        /// Tenant id (its helm table names the release and the chart)
        tenant: String,
        /// Region the tenant runs in
        #[arg(long)]
        region: String,
        /// Chart version (helm --version)
        #[arg(long)]
        version: Option<String>,
        /// KEY=VALUE, as helm --set takes it (repeatable)
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// A values file, as helm --values takes it (repeatable)
        #[arg(long = "values", value_name = "FILE")]
        values: Vec<String>,
    },
    /// Would a rollout template run today? Plans every step against the live fleet and
    /// checks what it touches (records, health checks, databases and lag, apps, the lock),
    /// changing nothing. With no template: every failover and recovery template. Exit 0
    /// when ready, 3 with the reasons when not
    Preflight {
        /// The template's id (default: every failover and recovery template)
        template: Option<String>,
        /// A template parameter, e.g. --param revision=abc123; may be repeated
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// For failovers that declare both modes: judge the ungraceful run (steps that
        /// need the old region left out, each named); default graceful
        #[arg(long, value_name = "MODE", value_parser = ["graceful", "ungraceful"])]
        mode: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SignupsCommand {
    /// Let the routing layer assign new tenants to REGION (phase 6, region registration)
    Open {
        /// Region id
        region: String,
    },
    /// Stop the routing layer assigning new tenants to REGION (the first step of a teardown)
    Close {
        /// Region id
        region: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Point a tenant's routing entry at another home region (its data is NOT moved; needs
    /// --reason)
    Move {
        /// Tenant id, as the routing map keys it
        tenant: String,
        /// The new home region
        #[arg(long, value_name = "REGION")]
        to: String,
    },
}

/// `report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
    Html,
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Start a rollout of template ID (needs --reason; one rollout at a time per fleet)
    Start {
        /// The template's id, e.g. release
        id: String,
        /// A template parameter, e.g. --param revision=abc123; may be repeated
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// For a failover that declares both modes: ungraceful when the old region cannot
        /// answer (steps that need it are left out, each named)
        #[arg(long, value_name = "MODE", value_parser = ["graceful", "ungraceful"])]
        mode: Option<String>,
    },
    /// Show each step's state (done by whom and when, waiting on a gate and for how long)
    Status,
    /// Plan and run the next step with the usual confirmation, or check the gate it waits at
    Next,
    /// Approve the approval gate the rollout waits at (as user@host)
    Approve,
    /// Stop the rollout; with --rollback, step through rolling back what it synced
    Abort {
        /// Roll back every app a sync step of this rollout changed (then `rollout next`)
        #[arg(long)]
        rollback: bool,
    },
    /// Pick up after a pause, a crash or a failed step: lift the pause (--reason TEXT),
    /// settle an interrupted step from the audit log, restart a failed gate's count from now
    Resume,
    /// Pause the rollout (needs --reason): no step runs and no gate counts down until
    /// `rollout resume`; everyone sees who paused it and why
    Pause,
    /// Try the failed step again (the driver)
    Retry,
    /// Skip the step the rollout is at, with a comment (the driver); in production a
    /// second person approves the skip with `rollout approve`. The rollout then ends
    /// "succeeded with exceptions", listing it
    Skip {
        /// Why the step is left out (required; it goes into the outcome and the audit log)
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
    },
    /// Take over driving the rollout (needs --reason; audited): only the driver runs steps
    Take,
    /// Switch a failover to ungraceful mode (needs --reason): steps that need the old
    /// region are left out, each named
    Ungraceful,
}

#[derive(Debug, Subcommand)]
pub enum WaitCondition {
    /// Until every running recovery clock (left by a drain, promote or rollout) sees the
    /// fleet recovered: every serving region healthy at the intended weights. Stops the
    /// clocks and audits how long recovery took against the RTO
    Recovered {
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Until the region has been healthy continuously for --for (default: the fleet's
    /// policy.health_gate, the gate the health-gate guard applies)
    Healthy {
        /// Region id
        region: String,
        /// How long it must have been healthy, e.g. 15m (0s: healthy now)
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
        hold: Option<Duration>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Until the region's replication lag is under a limit
    Lag {
        /// Region id of a secondary
        region: String,
        /// The limit, e.g. 5s
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        under: Duration,
        /// How long the lag must stay under the limit without a break
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
        hold: Option<Duration>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Until the tenant's app is Synced and Healthy (in one region, or all of its regions)
    Synced {
        /// Tenant id, e.g. payments-prd
        tenant: String,
        /// Region id (default: every region the tenant runs in)
        #[arg(long)]
        region: Option<String>,
        /// How long it must stay Synced and Healthy without a break
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
        hold: Option<Duration>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Until no CloudWatch alarm (those `[alarms]` counts, or --prefix/--tag) has been in
    /// ALARM for --for: answered at once from the alarms' history, not waited out
    Quiet {
        /// Alarm name prefix (default: the `[alarms]` table's)
        #[arg(long)]
        prefix: Option<String>,
        /// Alarm tag KEY=value (default: the `[alarms]` table's tags)
        #[arg(long)]
        tag: Option<String>,
        /// Region id: only its AWS region's alarms (default: the `[alarms]` table's regions)
        #[arg(long)]
        region: Option<String>,
        /// How long no alarm may have been in ALARM, e.g. 15m or 7d (at most 30d)
        #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "15m")]
        hold: Duration,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

/// How long and how often `meridian wait` polls.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Give up (exit 1) after this long; simulated fleets count simulated time
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "30m")]
    pub timeout: Duration,
    /// Time between reads of the fleet (real time)
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "2s")]
    pub interval: Duration,
}

#[derive(Debug, Subcommand)]
pub enum PhaseCommand {
    /// Run one phase's steps in a region (earlier phases must have succeeded)
    Run {
        /// Region id
        region: String,
        /// Phase id, e.g. platform-services
        phase: String,
        /// Redo every step instead of resuming at a failed or interrupted one
        #[arg(long)]
        from_start: bool,
    },
    /// Stop a running phase: SIGTERM to its step's processes, SIGKILL after a grace period
    Cancel {
        /// Region id
        region: String,
        /// Phase id
        phase: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a fleet file (default: the one in use); exit 2 with located errors
    Check {
        /// Fleet file to check
        file: Option<PathBuf>,
    },
    /// Print the fleet file's JSON Schema, for editors (taplo, Even Better TOML)
    Schema,
    /// Print the fleet file reference (every table and key) as Markdown, from the schema
    Reference,
}

/// Where `meridian init` takes its starting point from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitFrom {
    /// The commented example fleet (simulated providers)
    Example,
    /// Regions named after the kubeconfig's contexts
    Kube,
    /// Regions from a Route 53 zone's weighted records (traffic through Route 53)
    Route53,
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Restore the simulated world to its starting state
    Reset,
    /// Inject a fault into a region, or clear it
    Fault {
        /// Region id
        region: String,
        /// down: probes fail; lag: replay pauses; flap: up and down; hook: every sync's
        /// PreSync migration Job fails; clear: heal
        kind: FaultKind,
    },
}

/// `--via`: the backend a rollback goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViaArg {
    Argocd,
    Helm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FaultKind {
    Down,
    Lag,
    Flap,
    Clear,
    Hook,
}
