//! The promote plan (which region's database becomes the writer) and the rejoin plan (a
//! fenced or orphaned database becomes a replica of the writer).

use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::plan::*;
use crate::actions::{guards, guards_replication};
use crate::fleet::Fleet;
use crate::state::{FleetState, Millis};

pub(super) fn promote_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
    region: &str,
) -> Plan {
    let old = state.primary().map(|r| r.id.clone());
    let mut plan = empty_plan(
        req,
        region.to_string(),
        format!("Promote {region}'s database to primary"),
    );
    if let Some(old) = &old
        && old != region
    {
        // How the old primary stops taking writes depends on the database provider, which
        // adds its own note (`providers::plan_notes`).
        plan.changes
            .push(Change::new(old.clone(), "role", "primary", "secondary"));
    }
    if old.as_deref() != Some(region) {
        plan.changes
            .push(Change::new(region, "role", "secondary", "primary"));
    }
    // Every tenant writes to the primary, so every tenant is affected.
    let all: Vec<&str> = fleet.region_ids();
    plan.blast_radius = blast_radius(fleet, state, &all);
    plan.checks = vec![
        guards::already_primary(state, region),
        guards::promote_target_health(state, region),
        guards::replication_lag(state, region, &fleet.policy, req.accept_data_loss),
        guards::stale_data(state, &[region], now),
    ];
    plan.operation = Some(Operation::Promote {
        region: region.to_string(),
    });
    plan
}

pub(super) fn rejoin_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
    region: &str,
) -> Plan {
    let writer = state
        .primary()
        .map(|r| r.id.clone())
        .unwrap_or_else(|| "?".into());
    let mut plan = empty_plan(
        req,
        region.to_string(),
        format!("Rejoin {region}'s database as a replica of {writer}"),
    );
    let before = state
        .region(region)
        .and_then(|r| crate::state::replication::link_word(&r.lag))
        .unwrap_or("unknown");
    plan.changes
        .push(Change::new(region, "replicates from", before, &writer));
    // A replica serves reads only: the tenants reading from this region are affected.
    plan.blast_radius = blast_radius(fleet, state, &[region]);
    plan.checks = vec![
        guards_replication::rejoin_target(state, region),
        guards::stale_data(state, &[region], now),
    ];
    plan.operation = Some(Operation::Rejoin {
        region: region.to_string(),
    });
    plan
}
