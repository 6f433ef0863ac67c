//! One refresh of the whole fleet: every region and app read concurrently, each result
//! merged over the previous state so a failing read keeps the last value and its age.

use futures::future::join_all;

use crate::fleet::{Fleet, Region};
use crate::providers::{ProviderError, Providers};
use crate::state::{FleetState, Observed, RegionState, TenantState, now_ms};

/// Read everything once. `previous` supplies the last good values for reads that fail.
pub async fn poll(
    fleet: &Fleet,
    providers: &Providers,
    previous: Option<&FleetState>,
) -> FleetState {
    let weights = providers.traffic.read_weights(fleet);
    let regions = join_all(
        fleet
            .regions
            .iter()
            .map(|r| poll_region(fleet, providers, r, previous.and_then(|p| p.region(&r.id)))),
    );
    let tenants = join_all(fleet.tenants.iter().map(|t| async move {
        let apps = join_all(t.regions.iter().map(|region| async move {
            let prev = previous
                .and_then(|p| p.tenant(&t.id))
                .and_then(|pt| pt.app(region));
            let result = providers.gitops.read_app(fleet, &t.id, region).await;
            (region.clone(), merge(prev, result))
        }))
        .await;
        TenantState {
            id: t.id.clone(),
            apps,
        }
    }));
    let (weights, mut regions, tenants) = futures::join!(weights, regions, tenants);
    let now = now_ms();
    let mut unmanaged = previous
        .map(|p| p.unmanaged_weights.clone())
        .unwrap_or_default();
    match weights {
        Ok(reading) => {
            unmanaged = reading.unmanaged.clone();
            for r in regions.iter_mut() {
                let prev = previous.and_then(|p| p.region(&r.id)).map(|p| &p.weight);
                r.weight = match reading.by_region.get(&r.id) {
                    Some(w) => Observed::ok(*w, now),
                    None => {
                        let set_id = fleet
                            .region(&r.id)
                            .map(|x| x.set_identifier.as_str())
                            .unwrap_or(&r.id);
                        Observed::failed(
                            prev,
                            format!("no weighted record set with identifier \"{set_id}\""),
                        )
                    }
                };
            }
        }
        Err(e) => {
            for r in regions.iter_mut() {
                let prev = previous.and_then(|p| p.region(&r.id)).map(|p| &p.weight);
                r.weight = Observed::failed(prev, e.to_string());
            }
        }
    }
    FleetState {
        observed_at: now,
        regions,
        tenants,
        unmanaged_weights: unmanaged,
    }
}

async fn poll_region(
    fleet: &Fleet,
    providers: &Providers,
    region: &Region,
    prev: Option<&RegionState>,
) -> RegionState {
    let missing = |what: &str| ProviderError::new(Some(&region.id), what, "no provider configured");
    let health = async {
        match providers.health.get(&region.id) {
            Some(p) => p.read_health(region).await,
            None => Err(missing("health")),
        }
    };
    let database = providers.database.get(&region.id);
    let role = async {
        match database {
            Some(p) => p.read_role(region).await,
            None => Err(missing("database role")),
        }
    };
    let lag = async {
        match database {
            Some(p) => p.read_lag(region).await,
            None => Err(missing("replication lag")),
        }
    };
    let history = async {
        match database {
            Some(p) => p.lag_history(region).await,
            None => Vec::new(),
        }
    };
    let phases = providers.runner.read_phases(fleet, &region.id);
    let (health, role, lag, history, phases) = futures::join!(health, role, lag, history, phases);

    let now = now_ms();
    let mut state = RegionState {
        id: region.id.clone(),
        health: merge(prev.map(|p| &p.health), health),
        role: merge(prev.map(|p| &p.role), role),
        weight: prev.map(|p| p.weight.clone()).unwrap_or_default(),
        lag: match lag {
            Ok(Some(v)) => Observed::ok(v, now),
            Ok(None) => Observed::empty(now),
            Err(e) => Observed::failed(prev.map(|p| &p.lag), e.to_string()),
        },
        lag_history: prev.map(|p| p.lag_history.clone()).unwrap_or_default(),
        phases: merge(prev.map(|p| &p.phases), phases),
    };
    if history.is_empty() {
        state.push_lag_sample(state.lag.value.filter(|_| state.lag.error.is_none()));
    } else {
        state.lag_history = history;
    }
    state
}

fn merge<T: Clone>(prev: Option<&Observed<T>>, result: Result<T, ProviderError>) -> Observed<T> {
    match result {
        Ok(v) => Observed::ok(v, now_ms()),
        Err(e) => Observed::failed(prev, e.to_string()),
    }
}
