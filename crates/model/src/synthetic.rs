//! A synthetic fleet of any size (what `scripts/gen-fleet.py` writes, plus apps and
//! phases) and a plausible observed state of it at a fixed time: for benchmarks, tests and
//! screenshots of big fleets.

use crate::fleet::{self, Fleet, FleetSource};
use crate::state::{
    AppHealth, AppState, FleetState, Health, HealthStatus, HistoryEntry, Millis, Observed,
    PhaseState, PhaseStatus, RegionState, SyncStatus, TenantState,
};

/// The time a synthetic state is observed at (2026-01-15 03:00 UTC).
pub const FIXED_NOW: Millis = 1_768_446_000_000;

/// A simulated fleet file of `regions` regions and `tenants` tenants each running in every
/// region, with seven phases (what `scripts/gen-fleet.py` writes, plus apps and phases).
pub fn synthetic_fleet(regions: usize, tenants: usize) -> Result<Fleet, String> {
    let mut src = String::from(
        "[fleet]\nname = \"synthetic\"\n[traffic]\nprovider = \"sim\"\n[gitops]\nprovider = \"sim\"\n[runner]\nprovider = \"sim\"\n",
    );
    let ids: Vec<String> = (0..regions).map(|i| format!("region-{i:03}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let role = if i == 0 { "primary" } else { "secondary" };
        src.push_str(&format!("[[regions]]\nid = \"{id}\"\nname = \"Region {i}\"\nrole = \"{role}\"\nsteady_weight = {}\n", 1 + i % 50));
    }
    let list = ids
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ");
    for t in 0..tenants {
        let env = if t % 3 == 0 { "prd" } else { "stg" };
        src.push_str(&format!("[[tenants]]\nid = \"tenant-{t:04}\"\nenvironment = \"{env}\"\nregions = [{list}]\nargo_app = \"tenant-{t:04}-{{region}}\"\nhelm_release = \"t{t}\"\n"));
    }
    for p in [
        "infrastructure",
        "dns-delegation",
        "cluster-bootstrap",
        "pki-tls",
        "platform-services",
        "region-registration",
        "smoke-test",
    ] {
        src.push_str(&format!(
            "[[phases]]\nid = \"{p}\"\nname = \"{p}\"\nsteps = [\"one\", \"two\"]\n"
        ));
    }
    fleet::parse(&src, "synthetic.toml", FleetSource::Demo).map_err(|e| e.to_string())
}

/// A synthetic fleet: `regions` regions, `tenants` tenants each running in every region.
pub fn synthetic(regions: usize, tenants: usize) -> Result<(Fleet, FleetState), String> {
    let fleet = synthetic_fleet(regions, tenants)?;
    let now = FIXED_NOW;
    let regions_state = fleet
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let status = [
                HealthStatus::Healthy,
                HealthStatus::Healthy,
                HealthStatus::Degraded,
                HealthStatus::Down,
            ][i % 4];
            let mut rs = RegionState {
                id: r.id.clone(),
                role: Observed::ok(r.role, now),
                health: Observed::ok(
                    Health {
                        status,
                        reason: "2/3 probes ok".into(),
                        latency_ms: Some(40.0 + i as f64),
                        healthy_since: Some(now - 3_600_000),
                        unhealthy_since: None,
                    },
                    now,
                ),
                weight: Observed::ok(crate::traffic::Weight::units(r.steady_weight), now),
                lag: if i == 0 {
                    Observed::empty(now)
                } else {
                    Observed::ok((i % 70) as f64, now)
                },
                lag_history: Vec::new(),
                apps_at: None,
                stores: Vec::new(),
                phases: Observed::ok(
                    fleet
                        .phases
                        .iter()
                        .enumerate()
                        .map(|(pi, p)| PhaseState {
                            id: p.id.clone(),
                            state: if pi < 4 + i % 4 {
                                PhaseStatus::Succeeded
                            } else {
                                PhaseStatus::Pending
                            },
                            started_at: Some(now - 600_000),
                            finished_at: Some(now - 300_000),
                            current_step: None,
                            error: None,
                            ..PhaseState::default()
                        })
                        .collect(),
                    now,
                ),
            };
            for k in 0..60 {
                rs.push_lag_sample(Some(((i + k) % 80) as f64));
            }
            rs
        })
        .collect();
    let tenants_state = fleet
        .tenants
        .iter()
        .enumerate()
        .map(|(ti, t)| TenantState {
            id: t.id.clone(),
            apps: t
                .regions
                .iter()
                .enumerate()
                .map(|(ri, r)| {
                    let rev = format!("{:07x}abcdef", ti * 31 + ri);
                    let app = AppState {
                        name: t.argo_app_in(r).into(),
                        sync: if (ti + ri) % 17 == 0 {
                            SyncStatus::OutOfSync
                        } else {
                            SyncStatus::Synced
                        },
                        health: if (ti + ri) % 23 == 0 {
                            AppHealth::Progressing
                        } else {
                            AppHealth::Healthy
                        },
                        revision: rev.as_str().into(),
                        auto_sync: ti % 2 == 0,
                        history: vec![HistoryEntry {
                            id: 1,
                            revision: rev,
                            deployed_at: now - 86_400_000,
                            source: None,
                            initiated_by: None,
                        }]
                        .into(),
                        message: None,
                        ..AppState::default()
                    };
                    (r.as_str().into(), Observed::ok(app, now))
                })
                .collect(),
            releases: Vec::new(),
        })
        .collect();
    Ok((
        fleet,
        FleetState {
            observed_at: now,
            regions: regions_state,
            tenants: tenants_state,
            unmanaged_weights: Vec::new(),
            routes: Default::default(),
            freeze: Default::default(),
            routing: Default::default(),
            alarms: Default::default(),
        },
    ))
}
