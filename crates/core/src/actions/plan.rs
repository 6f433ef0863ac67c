//! Plans: what an action would change, which guards pass, warn or block, and how strongly
//! it must be confirmed. A plan is pure data, computed without I/O.

use serde::Serialize;

use super::action::Action;
use meridian_model::fleet::ConfirmStrength;
use meridian_model::traffic::Weight;

/// A safety rule an action is checked against, by its stable name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Guard {
    ReadOnly,
    ReasonRequired,
    WeightRange,
    AllWeightsZero,
    LastHealthyRegion,
    UnhealthyTarget,
    HealthGate,
    PhasesIncomplete,
    StaleData,
    AlreadyPrimary,
    ReplicationLag,
    PhaseOrder,
    PhaseRunning,
    RevisionUnknown,
    AutoSync,
    NoChange,
    OperationInProgress,
    ApplicationsetReverts,
    HooksSkipped,
    SyncWindow,
    HelmPending,
    ArgoManaged,
    RejoinTarget,
    /// A promotion leaves traffic on the old writer, whose database then takes no writes.
    FencedServing,
    /// A region leaving rotation is the only one some geography maps to.
    GeoCoverage,
    /// A change freeze is in force (`meridian freeze`, or `[[policy.freezes]]`).
    Freeze,
    /// Tenants homed in a region keep being sent there by the routing layer.
    TenantsHomed,
    /// A tenant moved to a region where its app is not Synced and Healthy (or not there).
    TenantAppNotReady,
    /// Closing sign-ups in the last region that takes them.
    LastSignupRegion,
    /// The routing map could not be read, so the change cannot be planned against it.
    RoutingUnknown,
}

impl Guard {
    /// Every guard, in declaration order.
    pub const ALL: &'static [Guard] = <Guard as strum::VariantArray>::VARIANTS;

    /// The stable kebab-case name (`health-gate`), as `--override` takes it.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The guard with this stable name.
    pub fn parse(name: &str) -> Option<Guard> {
        name.parse().ok()
    }

    /// Some blocks describe something that cannot work or must not be bypassed at all:
    /// naming them in `--override` does nothing.
    pub fn overridable(self) -> bool {
        !matches!(
            self,
            Guard::ReadOnly
                | Guard::ReasonRequired
                | Guard::WeightRange
                | Guard::AllWeightsZero
                | Guard::AlreadyPrimary
                | Guard::RevisionUnknown
                | Guard::OperationInProgress
                | Guard::HelmPending
                | Guard::RejoinTarget
                | Guard::RoutingUnknown
        )
    }

    /// `replication-lag` is bypassed with `--accept-data-loss`, which says what is at stake.
    pub fn override_flag(self) -> &'static str {
        match self {
            Guard::ReplicationLag => "--accept-data-loss",
            _ => "--override",
        }
    }
}

/// A guard's verdict on a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Warn,
    Block,
}

/// One guard's verdict with its reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub guard: Guard,
    pub verdict: Verdict,
    pub reason: String,
    /// The block was overridden by name, with a reason; the override is recorded.
    pub overridden: bool,
}

impl Check {
    pub fn pass(guard: Guard, reason: impl Into<String>) -> Check {
        Check {
            guard,
            verdict: Verdict::Pass,
            reason: reason.into(),
            overridden: false,
        }
    }
    pub fn warn(guard: Guard, reason: impl Into<String>) -> Check {
        Check {
            guard,
            verdict: Verdict::Warn,
            reason: reason.into(),
            overridden: false,
        }
    }
    pub fn block(guard: Guard, reason: impl Into<String>) -> Check {
        Check {
            guard,
            verdict: Verdict::Block,
            reason: reason.into(),
            overridden: false,
        }
    }

    /// Blocks the action (a block that was not overridden).
    pub fn blocks(&self) -> bool {
        self.verdict == Verdict::Block && !self.overridden
    }
}

/// One value that changes: `eu-west-1 weight: 30 -> 0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub subject: String,
    pub field: String,
    pub before: String,
    pub after: String,
}

impl Change {
    pub fn new(
        subject: impl Into<String>,
        field: impl Into<String>,
        before: impl ToString,
        after: impl ToString,
    ) -> Change {
        Change {
            subject: subject.into(),
            field: field.into(),
            before: before.to_string(),
            after: after.to_string(),
        }
    }
}

/// What the executor will ask the providers to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Operation {
    /// One weight change covering every listed region (atomic where the provider allows).
    SetWeights { weights: Vec<(String, Weight)> },
    Promote {
        region: String,
        /// The writer it replaces, as read when planning (its provider fences it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_primary: Option<String>,
        /// Weights set once the promotion is done: the old writer drained (`--drain-old`),
        /// so no traffic is left on a database that takes no writes. Empty: none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        drain_old: Vec<(String, Weight)>,
        /// A region with several data stores: each store that moves, in order (each with
        /// its own lag gate; a failure stops there). Empty: the region's one database.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stores: Vec<StoreMove>,
    },
    /// Rebuild a region's database as a replica of the writer (pg_rewind, REPLICAOF).
    Rejoin {
        region: String,
        /// The writer it becomes a replica of, as read when planning.
        writer: String,
    },
    /// An Argo CD sync to a history entry's revision and source (what Argo CD's own
    /// rollback does), pausing auto-sync first when it is on.
    Rollback {
        tenant: String,
        region: String,
        history_id: u32,
        revision: String,
        pause_auto_sync: bool,
        /// The application version the plan was checked against; the write carries it.
        #[serde(skip_serializing_if = "Option::is_none")]
        resource_version: Option<String>,
    },
    /// An Argo CD sync to the app's target (its branch head) or to a given revision.
    Sync {
        tenant: String,
        region: String,
        /// None: the target; the revision expected to be deployed is `expect`.
        revision: Option<String>,
        expect: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        resource_version: Option<String>,
    },
    /// Put back the `automated` block meridian kept when it paused auto-sync.
    ResumeAutoSync {
        tenant: String,
        region: String,
        automated: serde_json::Value,
        /// What auto-sync will deploy: the branch head.
        head: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        resource_version: Option<String>,
    },
    /// `helm rollback RELEASE REVISION`.
    HelmRollback {
        tenant: String,
        region: String,
        release: String,
        namespace: String,
        revision: u32,
        chart: String,
        /// The newest revision before the rollback; Helm writes the next one.
        from_revision: u32,
    },
    RunPhase {
        region: String,
        phase: String,
        steps: usize,
        /// 0-based step to start at (a resume after a failure or interruption).
        #[serde(default)]
        from: usize,
    },
    /// Open a region to new tenants in the routing layer, or close it.
    SetSignups { region: String, open: bool },
    /// Point a tenant's routing entry at another region (no data moves).
    MoveTenant {
        tenant: String,
        /// Its home as read when planning (None: not in the map yet).
        from: Option<String>,
        to: String,
    },
    /// `helm upgrade --install RELEASE CHART --wait`, with the rendered diff it was
    /// planned with (kept whole in the audit record as evidence).
    HelmDeploy {
        tenant: String,
        region: String,
        release: String,
        namespace: String,
        chart: String,
        version: Option<String>,
        set: Vec<(String, String)>,
        values: Vec<String>,
        /// The newest revision before the deploy (0: none); Helm writes the next one.
        from_revision: u32,
        diff: super::guards_deploy::DeployDiff,
    },
}

/// One data store a promotion moves to the target region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreMove {
    /// The store's name (`database`, `cache`).
    pub store: String,
    /// Its place in the region's stores (0: the database).
    pub index: usize,
    /// The region whose store is the writer now, as read when planning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_primary: Option<String>,
}

/// The writer a promotion replaces: afterwards its database takes no writes (fenced, or a
/// read-only replica), so any traffic it still carries fails to write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OldWriter {
    pub region: String,
    /// Its share of all traffic now (0.0..=1.0).
    pub share: f64,
    /// Its database could not be read or its region is down (a failover): draining it is
    /// the default then; for a planned switchover it is the operator's choice.
    pub unreachable: bool,
    /// This plan drains it once the promotion is done. When false, the plan warns and the
    /// audit record keeps the traffic left on it.
    pub drain: bool,
    /// Why the drain cannot be part of this plan, when it cannot (e.g. it is the only region
    /// serving traffic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cannot_drain: Option<String>,
    /// Routed by latency, failover or geography: in rotation, with no share to count
    /// (`share` is then 0.0 and says nothing).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_share: bool,
}

impl OldWriter {
    /// The traffic it carries, for a sentence: "40% of traffic", or, with no weights to
    /// count, saying so (seen on the lab: a latency-routed old writer was said to carry
    /// "0% of traffic" while in rotation).
    pub fn share_text(&self) -> String {
        share_text((!self.no_share).then_some(self.share))
    }
}

/// "40% of traffic", or for a region routed by latency, failover or geography (`None`),
/// that it is in rotation with no share to count.
pub fn share_text(share: Option<f64>) -> String {
    match share {
        Some(s) => format!("{} of traffic", meridian_model::traffic::percent(s)),
        None => "traffic (routed by latency or geography: no share to count)".to_string(),
    }
}

/// Who and how much traffic an action affects.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BlastRadius {
    pub tenants: Vec<String>,
    /// Share of all traffic (0.0..=1.0) served by the regions whose weight or database changes.
    pub traffic_share: f64,
    pub production: bool,
    /// The routing policy of touched regions that have no share of traffic (`latency`):
    /// then `traffic_share` counts only weighted ones, and the plan says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<String>,
}

impl BlastRadius {
    /// `30% of traffic`, or `routed by latency (no share of traffic to count)`.
    pub fn traffic_text(&self) -> String {
        match &self.routing {
            Some(policy) => format!("routed by {policy} (no share of traffic to count)"),
            None => format!("{:.0}% of traffic", self.traffic_share * 100.0),
        }
    }
}

/// The plan for one action: everything a person needs to decide, and everything the
/// executor needs to act.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub action: Action,
    /// The action's stable name.
    pub name: &'static str,
    /// What a typed confirmation must match (a region, tenant or fleet name).
    pub target: String,
    pub summary: String,
    pub environments: Vec<String>,
    pub changes: Vec<Change>,
    pub checks: Vec<Check>,
    pub confirm: ConfirmStrength,
    pub blast_radius: BlastRadius,
    pub cli_equivalent: String,
    /// None when nothing can be done (e.g. a weight out of range).
    pub operation: Option<Operation>,
    pub reason: Option<String>,
    pub overrides: Vec<String>,
    pub accept_data_loss: bool,
    pub read_only: bool,
    /// Facts the operator should know, e.g. where a change is served from.
    pub notes: Vec<String>,
    /// The rollout step this plan is, if it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<super::action::RolloutRef>,
    /// A promotion's old writer while it still carries traffic, and whether the plan drains it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_writer: Option<OldWriter>,
}

impl Plan {
    /// Checks that stop the plan from running.
    pub fn blocking(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.blocks())
    }

    pub fn is_blocked(&self) -> bool {
        self.blocking().next().is_some() || self.operation.is_none()
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.verdict == Verdict::Warn)
    }

    /// The confirm button's label, named after the action: "Drain eu-west-1".
    pub fn button_label(&self) -> String {
        match &self.action {
            Action::RunPhase { region, phase } => format!("Run {phase} in {region}"),
            Action::Rollback { tenant, region, .. } => format!("Roll back {tenant} in {region}"),
            Action::Sync { tenant, region, .. } => format!("Sync {tenant} in {region}"),
            Action::ResumeAutoSync { tenant, region } => {
                format!("Resume auto-sync of {tenant} in {region}")
            }
            Action::SetWeights { .. } => "Set weights".to_string(),
            Action::TenantMove { tenant, to } => format!("Move {tenant} to {to}"),
            _ => format!("{} {}", self.action.verb(), self.target),
        }
    }

    /// The region and tenant an Argo CD or Helm operation acts on.
    pub fn app_target(&self) -> Option<(&str, &str)> {
        match self.operation.as_ref()? {
            Operation::Rollback { tenant, region, .. }
            | Operation::Sync { tenant, region, .. }
            | Operation::ResumeAutoSync { tenant, region, .. }
            | Operation::HelmRollback { tenant, region, .. }
            | Operation::HelmDeploy { tenant, region, .. } => Some((tenant, region)),
            _ => None,
        }
    }

    /// True when executing would change nothing.
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
    }
}

impl Operation {
    /// The weights this operation sets, if it sets any: a weight change, or a promotion
    /// that drains the old writer.
    pub fn weights_set(&self) -> &[(String, Weight)] {
        match self {
            Operation::SetWeights { weights } => weights,
            Operation::Promote { drain_old, .. } => drain_old,
            _ => &[],
        }
    }

    /// Does it set weights (so the weights meridian meant are written down)? A weight
    /// change that finds nothing to change still says what is meant.
    pub fn sets_weights(&self) -> bool {
        matches!(self, Operation::SetWeights { .. }) || !self.weights_set().is_empty()
    }

    /// The same change, whatever object version it was planned from: a re-check that reads
    /// a newer version but plans the same change may go ahead (its write carries the newer
    /// version); one that plans another change must be confirmed again.
    pub fn same_change(&self, other: &Operation) -> bool {
        fn strip(op: &Operation) -> Operation {
            let mut op = op.clone();
            match &mut op {
                Operation::Rollback {
                    resource_version, ..
                }
                | Operation::Sync {
                    resource_version, ..
                }
                | Operation::ResumeAutoSync {
                    resource_version, ..
                } => *resource_version = None,
                _ => {}
            }
            op
        }
        strip(self) == strip(other)
    }
}
