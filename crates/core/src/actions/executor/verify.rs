//! What an operation changed, for the audit record, and whether reading back shows it took
//! effect.

use serde_json::{Value, json};

use crate::actions::plan::Operation;
use crate::engine::Subject;
use meridian_model::fleet::Fleet;
use meridian_model::fleet::Role;
use meridian_model::state::{AppHealth, AppState, FleetState, HelmStatus, PhaseStatus};

/// The part of the state an operation changes, for the audit record.
pub fn snapshot(op: &Operation, state: &FleetState) -> Value {
    match op {
        Operation::SetWeights { .. } => weights_of(state),
        Operation::Promote { region, .. } | Operation::Rejoin { region, .. } => {
            let roles: serde_json::Map<String, Value> = state
                .regions
                .iter()
                .map(|r| (r.id.clone(), json!(r.role.value)))
                .collect();
            let lag = state.region(region).and_then(|r| r.lag.value);
            let mut doc = json!({ "roles": roles, "lag_seconds": lag });
            if let Operation::Promote { drain_old, .. } = op
                && !drain_old.is_empty()
                && let Value::Object(m) = &mut doc
            {
                m.insert("weights".into(), weights_of(state));
            }
            if let Operation::Promote { stores, .. } = op
                && !stores.is_empty()
                && let Value::Object(m) = &mut doc
            {
                m.insert(
                    "stores".into(),
                    super::promote_stores::snapshot(state, stores),
                );
            }
            doc
        }
        Operation::Rollback { tenant, region, .. }
        | Operation::Sync { tenant, region, .. }
        | Operation::ResumeAutoSync { tenant, region, .. } => {
            let app = app_in(state, tenant, region);
            json!({
                "revision": app.map(|a| a.revision.clone()),
                "history_id": app.and_then(|a| a.history_id()),
                "auto_sync": app.map(|a| a.auto_sync),
                "sync": app.map(|a| a.sync),
                "health": app.map(|a| a.health),
            })
        }
        Operation::HelmRollback {
            tenant,
            region,
            release,
            ..
        }
        | Operation::HelmDeploy {
            tenant,
            region,
            release,
            ..
        } => {
            let rel = state
                .tenant(tenant)
                .and_then(|t| t.release(region))
                .and_then(|r| r.value.as_ref());
            let latest = rel.and_then(|r| r.latest());
            json!({
                "release": release,
                "revision": latest.map(|r| r.revision),
                "status": latest.map(|r| r.status.as_str()),
                "chart": latest.map(|r| r.chart_label()),
                "deployed": rel.and_then(|r| r.deployed()).map(|r| r.revision),
            })
        }
        Operation::RunPhase { region, phase, .. } => {
            let p = state.region(region).and_then(|r| r.phase(phase));
            json!({ "phase": phase, "state": p.map(|p| p.state), "step": p.and_then(|p| p.current_step.clone()), "error": p.and_then(|p| p.error.clone()), "evidence": p.and_then(|p| p.evidence.clone()) })
        }
        Operation::SetSignups { region, .. } => {
            let homes = state.homes();
            json!({
                "region": region,
                "signups": homes.and_then(|h| h.takes_signups(region)),
                "open_regions": homes.and_then(|h| h.signups.clone()),
            })
        }
        Operation::MoveTenant { tenant, .. } => {
            json!({ "tenant": tenant, "home": state.homes().and_then(|h| h.home(tenant)) })
        }
    }
}

/// Weights stay numbers (provider units); drained regions are listed apart, since Azure
/// keeps a disabled endpoint's weight.
fn weights_of(state: &FleetState) -> Value {
    let weights: serde_json::Map<String, Value> = state
        .regions
        .iter()
        .map(|r| (r.id.clone(), json!(r.weight.value.map(|w| w.units))))
        .collect();
    let drained: Vec<&str> = state
        .regions
        .iter()
        .filter(|r| r.weight.value.is_some_and(|w| w.drained))
        .map(|r| r.id.as_str())
        .collect();
    json!({ "weights": weights, "drained": drained })
}

fn app_in<'a>(state: &'a FleetState, tenant: &str, region: &str) -> Option<&'a AppState> {
    state
        .tenant(tenant)
        .and_then(|t| t.app(region))
        .and_then(|a| a.value.as_ref())
}

/// Deployed, and not unhealthy, or why not. Progressing counts: the revision is in place
/// and rolling out (the Argo CD provider has already waited, within its timeout, for
/// health to settle before this reading).
fn deployed(
    app: Option<&AppState>,
    tenant: &str,
    region: &str,
    revision: &str,
) -> Result<(), String> {
    match app {
        None => Err(format!("{tenant} in {region} could not be read back")),
        Some(a)
            if a.revision.is_empty()
                || !(a.revision.starts_with(revision) || revision.starts_with(&*a.revision)) =>
        {
            Err(format!(
                "{tenant} in {region} runs {} (expected {revision})",
                a.revision
            ))
        }
        Some(a)
            if matches!(
                a.health,
                AppHealth::Degraded | AppHealth::Missing | AppHealth::Unknown
            ) =>
        {
            Err(format!(
                "{tenant} in {region} runs {revision} but its health is {}",
                a.health.as_str()
            ))
        }
        Some(_) => Ok(()),
    }
}

/// Every listed region's weight reads back as set.
fn weights_read_back(
    weights: &[(String, meridian_model::traffic::Weight)],
    state: &FleetState,
) -> Result<(), String> {
    let wrong: Vec<String> = weights
        .iter()
        .filter_map(|(r, w)| {
            let seen = state.region(r).and_then(|s| s.weight.value);
            (!seen.is_some_and(|s| s.same_setting(*w))).then(|| {
                format!(
                    "{r} reads {} (expected {w})",
                    seen.map(|s| s.to_string()).unwrap_or("unknown".into())
                )
            })
        })
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("weights read back differ: {}", wrong.join(", ")))
    }
}

/// Does the state read back show what the operation meant to do?
pub fn verify(op: &Operation, state: &FleetState) -> Result<(), String> {
    match op {
        Operation::SetWeights { weights } => weights_read_back(weights, state),
        // A rejoined region is a replica whose lag against the writer is a number again.
        Operation::Rejoin { region, .. } => match state.region(region) {
            Some(r)
                if r.role.value == Some(Role::Secondary)
                    && r.lag.error.is_none()
                    && r.lag.value.is_some() =>
            {
                Ok(())
            }
            Some(r) => Err(format!(
                "{region} does not follow the primary yet: {}",
                r.lag
                    .error
                    .clone()
                    .unwrap_or_else(|| "no lag reading".into())
            )),
            None => Err(format!("{region} was not read back")),
        },
        Operation::Promote {
            region,
            drain_old,
            stores,
            ..
        } if !stores.is_empty() => {
            let record = super::promote_stores::store_record(state, region, stores);
            let wrong: Vec<String> = record
                .into_iter()
                .filter(|(_, moved, _)| !moved)
                .map(|(_, _, line)| line)
                .collect();
            match wrong.is_empty() {
                true => weights_read_back(drain_old, state),
                false => Err(format!("after promotion: {}", wrong.join("; "))),
            }
        }
        Operation::Promote {
            region, drain_old, ..
        } => match state.region(region).and_then(|r| r.role.value) {
            Some(Role::Primary) => weights_read_back(drain_old, state),
            other => Err(format!(
                "{region} reads as {} after promotion",
                other.map(|r| r.as_str()).unwrap_or("unknown")
            )),
        },
        Operation::Rollback {
            tenant,
            region,
            revision,
            pause_auto_sync,
            ..
        } => {
            let app = app_in(state, tenant, region);
            if *pause_auto_sync && app.is_some_and(|a| a.auto_sync) {
                return Err(format!(
                    "auto-sync of {tenant} in {region} is on again: something (an ApplicationSet?) turned it back on"
                ));
            }
            deployed(app, tenant, region, revision)
        }
        Operation::Sync {
            tenant,
            region,
            expect,
            ..
        } => {
            let app = app_in(state, tenant, region);
            match expect {
                Some(rev) => deployed(app, tenant, region, rev),
                None => match app {
                    Some(a) if a.sync == meridian_model::state::SyncStatus::Synced => Ok(()),
                    Some(a) => Err(format!("{tenant} in {region} is {}", a.sync.as_str())),
                    None => Err(format!("{tenant} in {region} could not be read back")),
                },
            }
        }
        Operation::ResumeAutoSync { tenant, region, .. } => {
            match app_in(state, tenant, region).map(|a| a.auto_sync) {
                Some(true) => Ok(()),
                Some(false) => Err(format!("auto-sync of {tenant} in {region} reads as off")),
                None => Err(format!("{tenant} in {region} could not be read back")),
            }
        }
        Operation::HelmRollback {
            tenant,
            region,
            release,
            chart,
            from_revision,
            ..
        } => {
            let rel = state
                .tenant(tenant)
                .and_then(|t| t.release(region))
                .and_then(|r| r.value.as_ref());
            match rel.and_then(|r| r.latest()) {
                Some(l)
                    if l.revision > *from_revision
                        && l.status == HelmStatus::Deployed
                        && &l.chart_label() == chart =>
                {
                    Ok(())
                }
                Some(l) => Err(format!(
                    "release {release} in {region}: newest revision {} is {} with {} (expected a new deployed revision with {chart})",
                    l.revision,
                    l.status.as_str(),
                    l.chart_label()
                )),
                None => Err(format!(
                    "release {release} in {region} could not be read back"
                )),
            }
        }
        Operation::HelmDeploy {
            tenant,
            region,
            release,
            version,
            from_revision,
            ..
        } => {
            let rel = state
                .tenant(tenant)
                .and_then(|t| t.release(region))
                .and_then(|r| r.value.as_ref());
            let version_ok = |l: &meridian_model::state::HelmRevision| {
                version.as_ref().is_none_or(|v| &l.chart_version == v)
            };
            match rel.and_then(|r| r.latest()) {
                Some(l)
                    if l.revision > *from_revision
                        && l.status == HelmStatus::Deployed
                        && version_ok(l) =>
                {
                    Ok(())
                }
                Some(l) => Err(format!(
                    "release {release} in {region}: newest revision {} is {} with {} (expected a new deployed revision{})",
                    l.revision,
                    l.status.as_str(),
                    l.chart_label(),
                    version
                        .as_ref()
                        .map(|v| format!(" at chart version {v}"))
                        .unwrap_or_default()
                )),
                None => Err(format!(
                    "release {release} in {region} could not be read back"
                )),
            }
        }
        Operation::RunPhase { region, phase, .. } => match state
            .region(region)
            .and_then(|r| r.phase(phase))
            .map(|p| p.state)
        {
            Some(PhaseStatus::Succeeded) => Ok(()),
            other => Err(format!(
                "phase {phase} in {region} reads {}",
                other.map(|s| s.as_str()).unwrap_or("unknown")
            )),
        },
        Operation::SetSignups { region, open } => {
            match state.homes().and_then(|h| h.takes_signups(region)) {
                Some(o) if o == *open => Ok(()),
                Some(o) => Err(format!(
                    "the routing map reads sign-ups in {region} {} (expected {})",
                    if o { "open" } else { "closed" },
                    if *open { "open" } else { "closed" }
                )),
                None => Err(format!(
                    "the routing map could not be read back: {}",
                    state.routing.error.as_deref().unwrap_or("no reading")
                )),
            }
        }
        Operation::MoveTenant { tenant, to, .. } => match state.homes() {
            Some(h) if h.home(tenant) == Some(to.as_str()) => Ok(()),
            Some(h) => Err(format!(
                "the routing map reads {tenant} homed in {} (expected {to})",
                h.home(tenant).unwrap_or("nowhere")
            )),
            None => Err(format!(
                "the routing map could not be read back: {}",
                state.routing.error.as_deref().unwrap_or("no reading")
            )),
        },
    }
}

/// The subjects that show whether an operation took effect: read once, after it.
pub fn to_verify(fleet: &Fleet, op: &Operation) -> Vec<Subject> {
    match op {
        Operation::SetWeights { .. } => vec![Subject::Weights],
        // Roles of every region: the audit record shows who is primary after (and the
        // weights, when the old writer was drained too).
        Operation::Promote { drain_old, .. } if !drain_old.is_empty() => {
            std::iter::once(Subject::Weights)
                .chain(
                    fleet
                        .regions
                        .iter()
                        .map(|r| Subject::Database(r.id.clone())),
                )
                .collect()
        }
        Operation::Promote { .. } | Operation::Rejoin { .. } => fleet
            .regions
            .iter()
            .map(|r| Subject::Database(r.id.clone()))
            .collect(),
        Operation::Rollback { region, .. }
        | Operation::Sync { region, .. }
        | Operation::ResumeAutoSync { region, .. } => vec![Subject::Apps(region.clone())],
        Operation::HelmRollback { region, .. } | Operation::HelmDeploy { region, .. } => {
            vec![Subject::Releases(region.clone())]
        }
        Operation::RunPhase { region, .. } => vec![Subject::Phases(region.clone())],
        Operation::SetSignups { .. } | Operation::MoveTenant { .. } => vec![Subject::Routing],
    }
}
