//! The promote plan: which region's database becomes the writer.

use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::guards;
use crate::actions::plan::*;
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
