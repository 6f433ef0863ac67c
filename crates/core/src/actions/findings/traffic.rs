//! Findings about where traffic goes: regions that are down or degraded yet in rotation,
//! regions left drained although healthy, and weights that outlived their purpose.

use super::{
    DEGRADED_REGION_AFTER, Finding, Judge, Kind, Urgency, WEIGHTS_DRIFT_AFTER, traffic_words,
};
use crate::actions::action::{Action, Request};
use crate::actions::temporary::{self, Standing};
use meridian_model::state::{HealthStatus, elapsed};
use meridian_model::traffic::Rotation;

pub(super) fn findings(j: &mut Judge) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(unhealthy_serving(j));
    out.extend(drained_healthy(j));
    out.extend(weights(j));
    out
}

/// A down or degraded region that still serves traffic: drain it.
fn unhealthy_serving(j: &mut Judge) -> Vec<Finding> {
    let mut out = Vec::new();
    for region in &j.fleet.regions {
        let id = region.id.as_str();
        let Some(r) = j.state.region(id) else {
            continue;
        };
        let Some(h) = r.health.value.as_ref() else {
            continue;
        };
        let (kind, urgency, word) = match h.status {
            HealthStatus::Down => (Kind::RegionDown, Urgency::Critical, "down"),
            HealthStatus::Degraded => (Kind::RegionDegraded, Urgency::High, "degraded"),
            _ => continue,
        };
        if j.state.rotation(id) != Some(Rotation::Serving) {
            continue;
        }
        let key = format!("{}/{id}", kind.name());
        let since = j.since(&key, h.unhealthy_since);
        // Probes that miss once are not an incident: a degraded region counts once it
        // has stayed so for a while.
        if kind == Kind::RegionDegraded && elapsed(j.now, since) < DEGRADED_REGION_AFTER {
            continue;
        }
        let traffic = traffic_words(j.state, id);
        let title = format!("{id} {word} {}, still {traffic}", j.age(since));
        let what = format!("{id} is {word} ({}) and still serves {traffic}", h.reason);
        let why = match kind {
            Kind::RegionDown => format!(
                "requests sent to {id} fail: its users see errors until it is drained or heals"
            ),
            _ => format!("some requests sent to {id} fail or are slow"),
        };
        out.push(j.finding(
            kind,
            urgency,
            id,
            title,
            what,
            Some(since),
            why,
            vec![id.to_string()],
            Ok(Request::new(Action::Drain {
                region: id.to_string(),
            })),
        ));
    }
    out
}

/// A region out of rotation that has been healthy for longer than the health gate: put it
/// back (unless temporary weights keep it out on purpose, for a while yet).
fn drained_healthy(j: &mut Judge) -> Vec<Finding> {
    if matches!(
        j.records.weights,
        Some(Standing::Temporary { expired: false, .. })
    ) {
        return Vec::new();
    }
    let gate = j.fleet.policy.health_gate.as_millis() as i64;
    let mut out = Vec::new();
    for region in &j.fleet.regions {
        let id = region.id.as_str();
        let Some(r) = j.state.region(id) else {
            continue;
        };
        let Some(w) = r.weight.value else { continue };
        // Only a region that has somewhere to go back to: a steady weight above 0.
        let drained = !w.serving() && region.steady_weight > 0;
        let healthy_since = r
            .health
            .value
            .as_ref()
            .filter(|h| h.status == HealthStatus::Healthy && r.health.error.is_none())
            .and_then(|h| h.healthy_since);
        let (true, Some(since)) = (drained, healthy_since) else {
            continue;
        };
        j.holding
            .push(format!("{}/{id}", Kind::DrainedHealthy.name()));
        if elapsed(j.now, since) < gate {
            continue;
        }
        out.push(j.finding(
            Kind::DrainedHealthy,
            Urgency::Low,
            id,
            format!("{id} healthy {} but drained", j.age(since)),
            format!(
                "{id} has been healthy for {}, longer than the health gate, and takes no traffic (steady weight {})",
                j.age(since),
                region.steady_weight
            ),
            Some(since),
            format!("the other regions carry {id}'s share; one more failure leaves less room"),
            vec![id.to_string()],
            Ok(Request::new(Action::Restore {
                regions: vec![id.to_string()],
            })),
        ));
    }
    out
}

/// Temporary weights past their expiry, or weights nobody set through meridian: back to
/// steady (the regions that are healthy, when some are not).
fn weights(j: &mut Judge) -> Vec<Finding> {
    let Some(standing) = j.records.weights else {
        return Vec::new();
    };
    let (kind, since, what, why) = match standing {
        Standing::Temporary {
            expired: true,
            intent,
        } => (
            Kind::WeightsExpired,
            intent.until_ms,
            format!(
                "weights: {} (set by {})",
                standing.text(j.fleet, j.state),
                intent.set_by
            ),
            "a temporary change meant to be undone still steers traffic".to_string(),
        ),
        Standing::Drift { since_ms } => (
            Kind::WeightsDrift,
            Some(*since_ms),
            format!("weights: {}", standing.text(j.fleet, j.state)),
            "someone changed DNS outside meridian: the audit log does not say who or why"
                .to_string(),
        ),
        _ => return Vec::new(),
    };
    let since = j.since(kind.name(), since);
    if kind == Kind::WeightsDrift && elapsed(j.now, since) < WEIGHTS_DRIFT_AFTER {
        return Vec::new();
    }
    let steady = temporary::steady(j.fleet);
    let current = temporary::current(j.fleet, j.state).unwrap_or_default();
    let off: Vec<&str> = j
        .fleet
        .regions
        .iter()
        .filter(|r| current.get(&r.id) != steady.get(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    let healthy = |id: &str| {
        j.state
            .region(id)
            .is_some_and(|r| r.health_status() == HealthStatus::Healthy)
    };
    // A region that would gain weight must be healthy; one that loses weight may be
    // anything. Restore those that may go back; name them when not all may.
    let gains =
        |id: &str| current.get(id).copied().unwrap_or(0) < steady.get(id).copied().unwrap_or(0);
    let may: Vec<String> = off
        .iter()
        .filter(|r| !gains(r) || healthy(r))
        .map(|r| r.to_string())
        .collect();
    let request = match (may.len() == off.len(), may.is_empty()) {
        (_, true) => Err(format!(
            "the regions off their steady weights are not healthy: {}",
            off.join(", ")
        )),
        (true, false) => Ok(Request::new(Action::Restore {
            regions: Vec::new(),
        })),
        (false, false) => Ok(Request::new(Action::Restore { regions: may })),
    };
    let title = match kind {
        Kind::WeightsExpired => format!("temporary weights expired {} ago", j.age(since)),
        _ => format!("weights drifted {} ago", j.age(since)),
    };
    vec![j.finding(
        kind,
        Urgency::Medium,
        "weights",
        title,
        what,
        Some(since),
        why,
        off.iter().map(|r| r.to_string()).collect(),
        request,
    )]
}
