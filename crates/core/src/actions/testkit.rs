//! Fixtures for the action library's unit tests: the demo fleet and a healthy observed
//! state at a fixed time, easy to bend into the situation a test needs.

use meridian_model::fleet::{Fleet, Role};
use meridian_model::state::*;
pub use meridian_model::traffic::Weight;

pub const NOW: Millis = 1_800_000_000_000;
const DAY: Millis = 86_400_000;

pub fn fleet() -> Fleet {
    meridian_model::fleet::demo()
}

/// Every region healthy for a day, at its steady weight, phases as the demo has them,
/// secondaries 2 s behind, every app Synced with five history entries.
pub fn state(fleet: &Fleet) -> FleetState {
    let regions = fleet
        .regions
        .iter()
        .map(|r| {
            let done = r.sim.phases_done.unwrap_or(fleet.phases.len());
            let phases = fleet
                .phases
                .iter()
                .enumerate()
                .map(|(i, p)| PhaseState {
                    id: p.id.clone(),
                    state: if i < done {
                        PhaseStatus::Succeeded
                    } else {
                        PhaseStatus::Pending
                    },
                    started_at: None,
                    finished_at: None,
                    current_step: None,
                    error: None,
                    ..PhaseState::default()
                })
                .collect();
            RegionState {
                id: r.id.clone(),
                role: Observed::ok(r.role, NOW),
                health: Observed::ok(
                    Health {
                        status: HealthStatus::Healthy,
                        reason: "3/3 probes ok".into(),
                        latency_ms: Some(40.0),
                        healthy_since: Some(NOW - DAY),
                        unhealthy_since: None,
                    },
                    NOW,
                ),
                weight: Observed::ok(Weight::units(r.steady_weight), NOW),
                lag: if r.role == Role::Primary {
                    Observed::empty(NOW)
                } else {
                    Observed::ok(2.0, NOW)
                },
                lag_history: Vec::new(),
                apps_at: None,
                stores: Vec::new(),
                phases: Observed::ok(phases, NOW),
            }
        })
        .collect();
    let tenants = fleet
        .tenants
        .iter()
        .map(|t| TenantState {
            id: t.id.clone(),
            apps: t
                .regions
                .iter()
                .map(|r| {
                    let history: Vec<HistoryEntry> = (1..=5)
                        .map(|id| HistoryEntry {
                            id,
                            revision: format!("{id:0>7}abcdef{id}"),
                            deployed_at: NOW - DAY * (6 - id as i64),
                            source: None,
                            initiated_by: None,
                        })
                        .collect();
                    let app = AppState {
                        name: t.argo_app_in(r).into(),
                        sync: SyncStatus::Synced,
                        health: AppHealth::Healthy,
                        revision: history[4].revision.as_str().into(),
                        auto_sync: t.sim.auto_sync.unwrap_or(true),
                        history: history.into(),
                        message: None,
                        ..AppState::default()
                    };
                    (r.as_str().into(), Observed::ok(app, NOW))
                })
                .collect(),
            releases: Vec::new(),
        })
        .collect();
    FleetState {
        observed_at: NOW,
        regions,
        tenants,
        unmanaged_weights: Vec::new(),
        routes: Default::default(),
        freeze: Default::default(),
        routing: match fleet.tenant_routing {
            Some(_) => Observed::ok(std::sync::Arc::new(homes_of(fleet)), NOW),
            None => Observed::default(),
        },
        alarms: Default::default(),
    }
}

/// The routing map a fleet's simulation starts with: each tenant in its `sim.home` (else its
/// first region), every region open to sign-ups unless `sim.signups = false`.
fn homes_of(fleet: &Fleet) -> TenantHomes {
    TenantHomes {
        homes: fleet
            .tenants
            .iter()
            .filter_map(|t| {
                let home = t
                    .sim
                    .home
                    .clone()
                    .or_else(|| t.regions.first().map(|r| r.to_string()))?;
                Some((t.id.clone(), home))
            })
            .collect(),
        signups: Some(
            fleet
                .regions
                .iter()
                .filter(|r| r.sim.signups != Some(false))
                .map(|r| r.id.clone())
                .collect(),
        ),
        unreadable: Vec::new(),
    }
}

pub fn set_health(state: &mut FleetState, region: &str, status: HealthStatus) {
    if let Some(h) = state
        .region_mut(region)
        .and_then(|r| r.health.value.as_mut())
    {
        h.status = status;
        if status == HealthStatus::Down {
            h.healthy_since = None;
        }
    }
}

pub fn set_weight(state: &mut FleetState, region: &str, weight: u32) {
    if let Some(r) = state.region_mut(region) {
        r.weight = Observed::ok(Weight::units(weight), NOW);
    }
}

pub fn set_lag(state: &mut FleetState, region: &str, lag: Option<f64>, error: Option<&str>) {
    if let Some(r) = state.region_mut(region) {
        r.lag = Observed {
            value: lag,
            at: Some(NOW),
            error: error.map(Into::into),
        };
    }
}

pub fn weights(pairs: &[(&str, u32)]) -> Vec<(String, Weight)> {
    pairs
        .iter()
        .map(|(r, w)| (r.to_string(), Weight::units(*w)))
        .collect()
}

/// The routing map as read now: tenant -> home region, and the regions open to sign-ups.
pub fn set_homes(state: &mut FleetState, homes: &[(&str, &str)], signups: &[&str]) {
    let map = TenantHomes {
        homes: homes
            .iter()
            .map(|(t, r)| (t.to_string(), r.to_string()))
            .collect(),
        signups: Some(signups.iter().map(|r| r.to_string()).collect()),
        unreadable: Vec::new(),
    };
    state.routing = Observed::ok(std::sync::Arc::new(map), NOW);
}
