//! The command line, as clap sees it. Common flags are global: they may come before or
//! after the subcommand.

use std::path::PathBuf;

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
  1  failed (the change did not happen, or could not be verified)
  2  usage or config error
  3  refused (a guard blocked it, read-only mode, or not confirmed)
  4  the fleet lock is held by someone else

Examples:
  meridian status
  meridian drain eu-west-1 --reason INC-4711 --yes
  meridian weights us-east-1=90 eu-west-1=10 --dry-run
  meridian promote eu-west-1 --reason INC-4711
  meridian rollback payments-prd --region eu-west-1 --to 7 --reason CHG-102 --yes
  meridian sync payments-prd --region eu-west-1 --reason CHG-103
  meridian resume-auto-sync payments-prd --region eu-west-1 --reason CHG-103
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
    #[arg(long, global = true, env = "MERIDIAN_READ_ONLY")]
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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every region, tenant and phase (a table, or --json)
    Status,
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
    /// Set explicit weights in one atomic change, e.g. us-east-1=90 eu-west-1=10
    Weights {
        /// REGION=WEIGHT pairs; weights are integers 0..=255; unnamed regions keep theirs
        #[arg(required = true, value_name = "REGION=WEIGHT")]
        weights: Vec<String>,
    },
    /// Make a secondary region's database the primary
    Promote {
        /// Region id of the secondary to promote
        region: String,
        /// Promote even if replication lag is over the RPO budget or unknown (loses data)
        #[arg(long)]
        accept_data_loss: bool,
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
    /// Drive the simulated fleet: reset it or inject faults for drills
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PhaseCommand {
    /// Run one phase's steps in a region (earlier phases must have succeeded)
    Run {
        /// Region id
        region: String,
        /// Phase id, e.g. platform-services
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
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Restore the simulated world to its starting state
    Reset,
    /// Inject a fault into a region, or clear it
    Fault {
        /// Region id
        region: String,
        /// down: probes fail; lag: replay pauses; flap: up and down; clear: heal
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
}
