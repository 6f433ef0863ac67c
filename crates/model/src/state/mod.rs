//! Observed state of the fleet: what the providers last said, with ages and errors.

mod alarms;
mod app;
pub mod freeze;
mod freshness;
mod observed;
mod release;
pub mod replication;
mod routing;
mod stores;
mod summary;
pub mod windows;

pub use alarms::{ALARM, AlarmHistory, AlarmNow, AlarmTransition};
pub use app::{
    AppCondition, AppDetail, AppHealth, AppSetOwner, AppState, Detail, HistoryEntry, HookResult,
    OperationInfo, OperationPhase, PausedAutoSync, SyncStatus, SyncWindow,
};
pub use freshness::Freshness;
pub use observed::{
    MAX_TIME_MS, Millis, Observed, elapsed, now_ms, rfc3339, short_age, valid_time,
};
pub use routing::TenantHomes;
pub use summary::{ArgoSummary, argo_summaries};

pub use release::{HelmRelease, HelmRevision, HelmStatus};
pub use stores::StoreState;

use arcstr::ArcStr;
use serde::{Deserialize, Serialize};

use crate::fleet::Role;
use crate::traffic::Weight;

/// How many lag samples a region keeps for its sparkline.
pub const LAG_HISTORY: usize = 60;

/// A value older than this is shown as stale even without an error.
pub const STALE_AFTER_MS: Millis = 30_000;

/// Is the region serving?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Down,
    Unknown,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A region's health as its probes and DNS health checks see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
    /// Why: e.g. "3/3 probes ok" or "connection refused".
    pub reason: String,
    pub latency_ms: Option<f64>,
    /// Since when the region has been continuously healthy (for the health gate).
    pub healthy_since: Option<Millis>,
    /// Since when it has been degraded or down without a break: the first sign of the
    /// trouble it is in now (the recovery clock starts there). Kept across processes.
    #[serde(default)]
    pub unhealthy_since: Option<Millis>,
}

/// A phase's state in one region.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum PhaseStatus {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
    /// The process running it died mid-step (kill -9, lost SSH): it is not running any
    /// more, and running the phase again resumes at the step it was on.
    Interrupted,
}

impl PhaseStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One phase of standing a region up, as last observed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseState {
    pub id: String,
    pub state: PhaseStatus,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    /// The step being run (when running) or that failed (when failed).
    pub current_step: Option<String>,
    pub error: Option<String>,
    /// 0-based index of `current_step`: where a resumed run starts.
    #[serde(default)]
    pub step_index: Option<usize>,
    /// The process that runs (or ran) the phase, so liveness can be judged.
    #[serde(default)]
    pub owner: Option<PhaseOwner>,
    /// The evidence folder of the latest run, when the runner keeps evidence.
    #[serde(default)]
    pub evidence: Option<String>,
}

/// The meridian process running a phase: a phase is only `running` while it lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseOwner {
    pub host: String,
    pub pid: u32,
}

impl PhaseOwner {
    /// This process.
    pub fn me() -> PhaseOwner {
        PhaseOwner {
            host: crate::host::hostname(),
            pid: std::process::id(),
        }
    }

    /// False only when the owner is known to be gone: a process on this host that no
    /// longer exists. An owner on another host cannot be judged from here.
    pub fn alive(&self) -> bool {
        if self.host != crate::host::hostname() {
            return true;
        }
        crate::host::process_alive(self.pid)
    }
}

impl std::fmt::Display for PhaseOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} on {}", self.pid, self.host)
    }
}

/// Everything observed about one region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionState {
    pub id: String,
    pub role: Observed<Role>,
    pub health: Observed<Health>,
    /// Traffic weight in the provider's units, with its drained state.
    pub weight: Observed<Weight>,
    /// Seconds behind the primary; `value: None` without error means none (the primary)
    /// or no datapoint, which is unknown, never zero.
    pub lag: Observed<f64>,
    /// Recent lag samples, oldest first; `None` where lag was unknown.
    pub lag_history: Vec<Option<f64>>,
    pub phases: Observed<Vec<PhaseState>>,
    /// When the region's Argo CD apps were last known current as a whole: a complete read,
    /// or a watch push that named only what changed (the rest is as it was, as of then).
    /// A cell read without error is as current as this, whatever its own `at` says; keeping
    /// it here spares touching a thousand cells on every push.
    #[serde(default)]
    pub apps_at: Option<Millis>,
    /// The region's further data stores (after its database), in the fleet's order: each
    /// one's role and lag, read with the database.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<StoreState>,
}

impl RegionState {
    pub fn health_status(&self) -> HealthStatus {
        self.health
            .value
            .as_ref()
            .map(|h| h.status)
            .unwrap_or(HealthStatus::Unknown)
    }

    pub fn phase(&self, id: &str) -> Option<&PhaseState> {
        self.phases.value.as_ref()?.iter().find(|p| p.id == id)
    }

    pub fn phases_succeeded(&self) -> usize {
        self.phases
            .value
            .as_ref()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p.state == PhaseStatus::Succeeded)
                    .count()
            })
            .unwrap_or(0)
    }

    /// Record a lag sample for the sparkline.
    pub fn push_lag_sample(&mut self, sample: Option<f64>) {
        self.lag_history.push(sample);
        if self.lag_history.len() > LAG_HISTORY {
            let excess = self.lag_history.len() - LAG_HISTORY;
            self.lag_history.drain(..excess);
        }
    }
}

/// One tenant across its regions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantState {
    pub id: String,
    /// One entry per region the tenant runs in, in the fleet file's order. The region's id
    /// is shared by every tenant's cell in it (a 100 x 1,000 fleet has 100,000 cells).
    pub apps: Vec<(ArcStr, Observed<AppState>)>,
    /// The tenant's Helm release per region (tenants with `helm` only), in the same order.
    #[serde(default)]
    pub releases: Vec<(ArcStr, Observed<HelmRelease>)>,
}

impl TenantState {
    pub fn app(&self, region: &str) -> Option<&Observed<AppState>> {
        self.apps
            .iter()
            .find(|(r, _)| **r == *region)
            .map(|(_, a)| a)
    }

    pub fn release(&self, region: &str) -> Option<&Observed<HelmRelease>> {
        self.releases
            .iter()
            .find(|(r, _)| **r == *region)
            .map(|(_, a)| a)
    }

    /// The cell at `index` in the tenant's region order, else found by region.
    pub fn app_at(&self, index: usize, region: &str) -> Option<&Observed<AppState>> {
        match self.apps.get(index) {
            Some((r, a)) if **r == *region => Some(a),
            _ => self.app(region),
        }
    }
}

/// Everything observed about the fleet at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetState {
    /// When this snapshot was assembled.
    pub observed_at: Millis,
    pub regions: Vec<RegionState>,
    pub tenants: Vec<TenantState>,
    /// Weighted records (sets, endpoints, pools) that match no region, in provider units.
    pub unmanaged_weights: Vec<(String, u32)>,
    /// Per region, what decides its traffic at the provider beyond the weight (from the
    /// last weights reading).
    #[serde(default)]
    pub routes: std::collections::BTreeMap<String, Route>,
    /// The change freeze a person set, as the fleet's shared store last said (no value and
    /// no error: none is set). Scheduled windows come from the fleet file.
    #[serde(default)]
    pub freeze: Observed<freeze::Freeze>,
    /// Where each tenant lives and which regions take sign-ups (fleets with
    /// `[tenant_routing]`); shared, as the map may hold many thousand tenants.
    #[serde(default)]
    pub routing: Observed<std::sync::Arc<TenantHomes>>,
    /// The alarms `[alarms]` counts, as last read (fleets with `[alarms]`).
    #[serde(default)]
    pub alarms: Observed<Vec<AlarmNow>>,
}

/// What decides a region's traffic at its provider: the record, pool or endpoint in words
/// (with any alias followed), and the geographies that map to it alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// `latency record app.example.com. (us-east-1) -> alias us-east-1.app.example.com.`
    pub via: String,
    /// Geographies (Route 53 locations, Cloudflare regions, countries or PoPs, Traffic
    /// Manager geo codes) that map to this region and no other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_for: Vec<String>,
    /// Where those geographies go when the region leaves rotation, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instead: Option<String>,
}

impl FleetState {
    /// Every region and tenant of the fleet in file order, nothing read yet: the shape
    /// observations are merged into.
    pub fn skeleton(fleet: &crate::fleet::Fleet, now: Millis) -> FleetState {
        FleetState {
            observed_at: now,
            regions: fleet
                .regions
                .iter()
                .map(|r| RegionState {
                    id: r.id.clone(),
                    stores: r
                        .further_stores()
                        .iter()
                        .map(|st| StoreState {
                            name: st.name.clone(),
                            ..StoreState::default()
                        })
                        .collect(),
                    ..RegionState::default()
                })
                .collect(),
            tenants: fleet
                .tenants
                .iter()
                .map(|t| TenantState {
                    id: t.id.clone(),
                    apps: t
                        .regions
                        .iter()
                        .map(|r| (r.clone(), Observed::default()))
                        .collect(),
                    releases: match &t.helm {
                        Some(_) => t
                            .regions
                            .iter()
                            .map(|r| (r.clone(), Observed::default()))
                            .collect(),
                        None => Vec::new(),
                    },
                })
                .collect(),
            unmanaged_weights: Vec::new(),
            routes: Default::default(),
            freeze: Observed::default(),
            routing: Observed::default(),
            alarms: Observed::default(),
        }
    }

    /// The routing map as last read, if it ever was.
    pub fn homes(&self) -> Option<&TenantHomes> {
        self.routing.value.as_deref()
    }

    pub fn region(&self, id: &str) -> Option<&RegionState> {
        self.regions.iter().find(|r| r.id == id)
    }

    pub fn region_mut(&mut self, id: &str) -> Option<&mut RegionState> {
        self.regions.iter_mut().find(|r| r.id == id)
    }

    pub fn tenant(&self, id: &str) -> Option<&TenantState> {
        self.tenants.iter().find(|t| t.id == id)
    }

    /// The tenant at `index` in fleet order (where a state made from the fleet keeps it),
    /// else found by id: constant time on a 1,000-tenant fleet.
    pub fn tenant_at(&self, index: usize, id: &str) -> Option<&TenantState> {
        self.tenants
            .get(index)
            .filter(|t| t.id == id)
            .or_else(|| self.tenant(id))
    }

    /// The region the database currently says is primary.
    pub fn primary(&self) -> Option<&RegionState> {
        self.regions
            .iter()
            .find(|r| r.role.value == Some(Role::Primary))
    }

    /// Current weights by region (unknown weights count as 0), managed ones only.
    pub fn weights(&self) -> Vec<(String, Weight)> {
        self.regions
            .iter()
            .map(|r| (r.id.clone(), r.weight.value.unwrap_or_default()))
            .collect()
    }

    /// Sum of all weights including unmanaged record sets.
    pub fn total_weight(&self) -> u32 {
        let managed: u32 = self
            .regions
            .iter()
            .map(|r| r.weight.value.map(Weight::effective).unwrap_or(0))
            .sum();
        managed + self.unmanaged_weights.iter().map(|(_, w)| *w).sum::<u32>()
    }

    /// Whether the region is serving, on standby or drained under its routing policy
    /// (standby: a failover secondary or lower-priority endpoint while the one before it
    /// is healthy and in rotation).
    pub fn rotation(&self, region: &str) -> Option<crate::traffic::Rotation> {
        let i = self.regions.iter().position(|r| r.id == region)?;
        self.regions[i].weight.value?;
        let healthy = |id: &str| {
            self.region(id)
                .is_some_and(|r| r.health_status() == HealthStatus::Healthy)
        };
        crate::traffic::rotations(&self.weights(), healthy)
            .get(i)
            .copied()
    }

    /// `latency · serving`: the policy and rotation of a region that has no share of
    /// traffic (None for a weighted one, or one not read).
    pub fn traffic_text(&self, region: &str) -> Option<String> {
        let w = self.region(region)?.weight.value?;
        if w.has_share() {
            return None;
        }
        Some(crate::traffic::steering::describe(
            w,
            self.rotation(region)?,
        ))
    }

    /// The share of traffic a region receives (0.0..=1.0); with all weights 0 DNS splits
    /// evenly, which is what this reports.
    pub fn traffic_share(&self, region: &str) -> Option<f64> {
        let w = self.region(region)?.weight.value?;
        // Under latency, failover or geography routing there is no share to give.
        if !w.has_share() {
            return None;
        }
        let w = w.effective() as f64;
        let total = self.total_weight();
        if total == 0 {
            let n = self.regions.len() + self.unmanaged_weights.len();
            return Some(1.0 / n.max(1) as f64);
        }
        Some(w / total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::PhaseOwner;

    #[test]
    fn an_owner_with_an_impossible_pid_is_gone_not_running_for_ever() {
        let here = crate::host::hostname();
        for pid in [0, u32::MAX] {
            let owner = PhaseOwner {
                host: here.clone(),
                pid,
            };
            assert!(!owner.alive(), "pid {pid} from a damaged state file");
        }
        assert!(PhaseOwner::me().alive());
    }
}
