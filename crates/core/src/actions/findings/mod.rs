//! Findings: what is wrong with the fleet, ranked by urgency, each with since when, why it
//! matters and at most one suggested action, as a pure function of the observed state, the
//! fleet and the few shared records beside them (weights' intent, the rollout, approvals
//! waiting, the lock).
//!
//! A suggestion is a ready plan request, checked here with the planner: a finding never
//! offers an action its guards would refuse. When they would (or nothing meridian does can
//! help), the finding says "no safe action" and why, and names what to run or look at.
//!
//! Each kind of finding lives in its own module (`traffic`, `database`, `apps`, `process`,
//! `stale`); a new kind is a variant of `Kind` (at the end), a rule in one of them (or a
//! new one) called from `assess`, and a case in `tests.rs`.

mod apps;
mod database;
mod preflight;
mod process;
pub mod seen;
mod stale;
mod traffic;
mod watchlist;

pub use seen::{Seen, SeenFile};
pub use watchlist::Watchlist;

use serde::Serialize;

use super::action::{Action, Request};
use super::plan::Guard;
use super::recovery_open::OpenClock;
use super::rollout::Rollout;
use super::temporary::Standing;
use super::{approvals::ApprovalRequest, planner};
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, Millis, elapsed, short_age};
use meridian_providers::lock::LockState;

/// How long an app may be OutOfSync before it is a finding (auto-sync heals drift within
/// a minute or two; a sync takes less).
pub const OUT_OF_SYNC_AFTER: Millis = 10 * 60_000;
/// How long an app may be Degraded, Missing or Progressing-for-ever before it is a finding.
pub const DEGRADED_AFTER: Millis = 5 * 60_000;
/// How long auto-sync may stay paused (by a rollback) before it is a finding.
pub const AUTO_SYNC_PAUSED_AFTER: Millis = 30 * 60_000;
/// How long a region may be degraded before it is a finding: probes that miss once are
/// not an incident.
pub const DEGRADED_REGION_AFTER: Millis = 30_000;

/// How long weights may differ from what meridian set before it is a finding: an action
/// run from another process changes the weights and its intent record a moment apart,
/// and a reader that sees one before the other must not call it drift.
pub const WEIGHTS_DRIFT_AFTER: Millis = 30_000;

/// What kind of trouble, by a stable kebab-case name (JSON, the recording, docs).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Kind {
    /// The writer's database cannot be reached: writes fail everywhere.
    WriterDown,
    /// A region that is down still serves traffic.
    RegionDown,
    /// A region that is degraded still serves traffic.
    RegionDegraded,
    /// A fenced former writer (its database takes no writes) still serves traffic.
    FencedServing,
    /// A writer that a newer promotion replaced still takes writes (split brain).
    SplitBrain,
    /// A replica follows something other than the writer.
    ReplicationBroken,
    /// A fenced former writer out of rotation, waiting to become a replica again.
    FencedWriter,
    /// A replica is further behind than the RPO budget.
    LagOverBudget,
    /// Readings of a backend fail or are old: decisions rest on old data.
    StaleData,
    /// An app is Degraded (or Missing) for long.
    AppDegraded,
    /// An app is OutOfSync for long.
    AppOutOfSync,
    /// A Helm release's newest revision is not deployed, for long.
    ReleaseFailed,
    /// A phase failed or was interrupted.
    PhaseFailed,
    /// Temporary weights outlived their expiry.
    WeightsExpired,
    /// Weights nobody set through meridian.
    WeightsDrift,
    /// A region drained although it has been healthy for longer than the health gate.
    DrainedHealthy,
    /// Auto-sync paused by a rollback, for long.
    AutoSyncPaused,
    /// A rollout waits at a gate (or for a second person).
    RolloutWaiting,
    /// A rollout stopped at a failed step.
    RolloutStopped,
    /// A plan waits for a second person's approval.
    ApprovalWaiting,
    /// The fleet lock was left by a process that is gone.
    LockLeft,
    /// A failover or recovery template would fail if run now (the dashboard's preflight).
    PreflightFailing,
}

impl Kind {
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// How soon someone should act, most urgent first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Urgency {
    /// Users are hurt now (traffic to a dead region, writes failing).
    Critical,
    /// Users may be hurt soon, or some are (a degraded region, data at risk).
    High,
    /// Someone should look today (stale data, drift, a failed phase).
    Medium,
    /// Housekeeping (a region left drained, a paused auto-sync).
    Low,
}

impl Urgency {
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// What to do about a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Suggestion {
    /// A ready plan request; its plan passed every guard but the reason (which the modal
    /// and `--reason` give).
    Plan {
        /// The action's stable name (`drain`).
        action: &'static str,
        /// `drain ap-southeast-1`
        label: String,
        request: Box<Request>,
        /// The exact command, e.g. `meridian drain ap-southeast-1`.
        command: String,
        /// The plan touches production: the command needs `--reason`.
        reason_required: bool,
    },
    /// Nothing meridian can do safely, and why.
    None { why: String },
}

impl Suggestion {
    pub fn request(&self) -> Option<&Request> {
        match self {
            Suggestion::Plan { request, .. } => Some(request.as_ref()),
            Suggestion::None { .. } => None,
        }
    }
}

/// One thing wrong with the fleet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable while the condition lasts: `region-down/ap-southeast-1`.
    pub id: String,
    pub kind: Kind,
    pub urgency: Urgency,
    /// One line for the header: `ap-southeast-1 down 4m, still 20% of traffic`.
    pub title: String,
    /// What is wrong, in full.
    pub what: String,
    /// Since when (the first sign of it meridian has).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<Millis>,
    /// Why it matters.
    pub why: String,
    /// The regions it concerns (read at the fast pace while it lasts).
    pub regions: Vec<String>,
    pub suggestion: Suggestion,
    /// The exact command to run: the suggestion's, or what to run when meridian has no
    /// action for it (`meridian approve 3f2a1c`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Traffic share it touches, for ranking (0.0..=1.0).
    #[serde(skip)]
    pub share: f64,
}

impl Finding {
    /// The suggestion in a few words for the header: `drain`, or `no safe action`.
    pub fn action_word(&self) -> String {
        match &self.suggestion {
            Suggestion::Plan { label, .. } => label.clone(),
            Suggestion::None { .. } => "no safe action".into(),
        }
    }

    /// `ap-southeast-1 down 4m, still 20% of traffic -> drain ap-southeast-1`
    pub fn line(&self) -> String {
        format!("{} -> {}", self.title, self.action_word())
    }
}

/// What besides the observed state the findings are judged on. Every field is optional:
/// a caller that cannot read a record leaves it out, and the findings it would raise.
#[derive(Debug, Default, Clone, Copy)]
pub struct Records<'a> {
    /// Where the weights stand against steady and intent.
    pub weights: Option<&'a Standing>,
    pub rollout: Option<&'a Rollout>,
    pub approvals: &'a [ApprovalRequest],
    /// The fleet lock file, judged (a stale lock was left by a process that is gone).
    pub lock: Option<&'a LockState>,
    /// Recovery clocks still running (their regions get the fast pace).
    pub clocks: &'a [OpenClock],
    /// Since when conditions without a "since" of their own have held.
    pub seen: Option<&'a Seen>,
    /// The latest preflight of the fleet's failover and recovery templates.
    pub preflight: &'a [super::preflight::Preflight],
    /// The tenant cells worth judging, when the caller keeps them current on change;
    /// None: every cell is judged.
    pub apps: Option<&'a Watchlist>,
}

/// The findings, and every condition that holds now (including those not held long enough
/// to be a finding yet), for the caller's `Seen`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assessment {
    /// Most urgent first.
    pub findings: Vec<Finding>,
    pub holding: Vec<String>,
}

impl Assessment {
    /// Every region some finding concerns.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.findings
            .iter()
            .flat_map(|f| f.regions.iter().map(String::as_str))
    }
}

/// What the rules share while they work.
pub(crate) struct Judge<'a> {
    pub fleet: &'a Fleet,
    pub state: &'a FleetState,
    pub records: Records<'a>,
    pub now: Millis,
    pub holding: Vec<String>,
    /// (region, reading) whose failure another finding already explains (a writer that is
    /// gone fails its role reads): not stale data too.
    pub covered: Vec<(String, &'static str)>,
}

impl Judge<'_> {
    /// Since when the condition `key` holds: its own "since" when it has one, else when it
    /// was first seen (now, the first time). Notes the key as holding.
    pub fn since(&mut self, key: impl Into<String>, own: Option<Millis>) -> Millis {
        let key = key.into();
        let since = own
            .or_else(|| self.records.seen.and_then(|s| s.first(&key)))
            .unwrap_or(self.now);
        self.holding.push(key);
        since
    }

    /// How long since `t`, short (`4m`).
    pub fn age(&self, t: Millis) -> String {
        short_age(elapsed(self.now, t))
    }

    /// A finding, with its suggestion checked by the planner.
    #[allow(clippy::too_many_arguments)]
    pub fn finding(
        &self,
        kind: Kind,
        urgency: Urgency,
        subject: &str,
        title: String,
        what: String,
        since_ms: Option<Millis>,
        why: String,
        regions: Vec<String>,
        suggest: Result<Request, String>,
    ) -> Finding {
        let suggestion = match suggest {
            Ok(request) => self.check(request),
            Err(why) => Suggestion::None { why },
        };
        let command = match &suggestion {
            Suggestion::Plan { command, .. } => Some(command.clone()),
            Suggestion::None { .. } => None,
        };
        let share = regions
            .iter()
            .filter_map(|r| self.state.traffic_share(r))
            .sum::<f64>()
            .min(1.0);
        Finding {
            id: format!("{}/{subject}", kind.name()),
            kind,
            urgency,
            title,
            what,
            since_ms,
            why,
            regions,
            suggestion,
            command,
            share,
        }
    }

    /// The request as a suggestion when its plan would run (given the reason the modal
    /// asks for), else "no safe action" with the guard's words.
    fn check(&self, request: Request) -> Suggestion {
        let asked = request.clone().reason("finding");
        let plan = match planner::plan(&asked, self.fleet, self.state, self.now) {
            Ok(p) => p,
            Err(e) => return Suggestion::None { why: e.to_string() },
        };
        if let Some(block) = plan.blocking().find(|c| c.guard != Guard::ReasonRequired) {
            return Suggestion::None {
                why: format!(
                    "{} would refuse it ({}): {}",
                    block.guard.name(),
                    plan.cli_equivalent.trim_end_matches(" --reason finding"),
                    block.reason
                ),
            };
        }
        if plan.operation.is_none() || plan.is_noop() {
            return Suggestion::None {
                why: format!("{} would change nothing", request.action.name()),
            };
        }
        Suggestion::Plan {
            action: request.action.name(),
            label: label(&request.action),
            command: planner::cli_equivalent(&request),
            reason_required: plan.blast_radius.production,
            request: Box::new(request),
        }
    }
}

/// `drain ap-southeast-1`, `rollback payments-prd in eu-west-1`.
pub fn label(action: &Action) -> String {
    match action {
        Action::Drain { region } => format!("drain {region}"),
        Action::Restore { regions } if regions.is_empty() => "restore every region".into(),
        Action::Restore { regions } => format!("restore {}", regions.join(", ")),
        Action::SetWeights { .. } => "set weights".into(),
        Action::Promote { region } => format!("promote {region}"),
        Action::Rejoin { region } => format!("rejoin {region}"),
        Action::RunPhase { region, phase } => format!("run {phase} in {region}"),
        Action::Rollback { tenant, region, .. } => format!("roll back {tenant} in {region}"),
        Action::Sync { tenant, region, .. } => format!("sync {tenant} in {region}"),
        Action::ResumeAutoSync { tenant, region } => {
            format!("resume auto-sync of {tenant} in {region}")
        }
        Action::Signups { region, open: true } => format!("open sign-ups in {region}"),
        Action::Signups { region, .. } => format!("close sign-ups in {region}"),
        Action::TenantMove { tenant, to } => format!("move tenant {tenant} to {to}"),
        Action::Deploy { tenant, region, .. } => format!("deploy {tenant} in {region}"),
    }
}

/// Every finding, most urgent first. Pure: the clock is `now`, the records are given.
pub fn assess(fleet: &Fleet, state: &FleetState, records: Records, now: Millis) -> Assessment {
    let mut judge = Judge {
        fleet,
        state,
        records,
        now,
        holding: Vec::new(),
        covered: Vec::new(),
    };
    let mut out = Vec::new();
    out.extend(database::findings(&mut judge));
    out.extend(traffic::findings(&mut judge));
    out.extend(apps::findings(&mut judge));
    out.extend(process::findings(&mut judge));
    out.extend(stale::findings(&mut judge));
    out.extend(preflight::findings(&mut judge));
    rank(&mut out);
    Assessment {
        findings: out,
        holding: judge.holding,
    }
}

/// Most urgent first; then the most traffic; then the oldest; then by id, so the order is
/// stable from one reading to the next.
fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        a.urgency
            .cmp(&b.urgency)
            .then(b.share.total_cmp(&a.share))
            .then(
                a.since_ms
                    .unwrap_or(i64::MAX)
                    .cmp(&b.since_ms.unwrap_or(i64::MAX)),
            )
            .then(a.id.cmp(&b.id))
    });
}

/// `20% of traffic`, or `traffic (latency routing, in rotation)` for a region without a
/// share.
pub(crate) fn traffic_words(state: &FleetState, region: &str) -> String {
    match state.traffic_share(region) {
        Some(s) => format!("{} of traffic", meridian_model::traffic::percent(s)),
        None => {
            let policy = state
                .region(region)
                .and_then(|r| r.weight.value)
                .map(|w| w.steering.name())
                .unwrap_or("its");
            format!("traffic ({policy} routing, in rotation)")
        }
    }
}

#[cfg(test)]
mod tests;
