//! Plans that change the routing layer's map: opening or closing a region to new tenants
//! (`signups`), and moving a tenant's routing entry to another region (`tenant move`);
//! and the warning a drain carries about the tenants homed in the region it empties.

use super::{PlanError, blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::guards_routing::{
    last_signup_region, routing_known, tenant_app_ready, tenants_homed,
};
use crate::actions::plan::*;
use meridian_model::fleet::{Fleet, suggest};
use meridian_model::state::{FleetState, HealthStatus, Millis, PhaseStatus};

/// The fleet must have a routing map for these actions.
pub(super) fn has_routing(fleet: &Fleet) -> Result<(), PlanError> {
    match fleet.tenant_routing {
        Some(_) => Ok(()),
        None => Err(PlanError::NoTenantRouting(fleet.name.clone())),
    }
}

/// A tenant the fleet or the map knows (the map holds customers the fleet file does not
/// list); when neither does, a typo is the likelier story.
pub(super) fn known_tenant(fleet: &Fleet, state: &FleetState, id: &str) -> Result<(), PlanError> {
    let in_map = state.homes().is_some_and(|h| h.home(id).is_some());
    if fleet.tenant(id).is_some() || in_map {
        return Ok(());
    }
    let mut names: Vec<&str> = fleet.tenants.iter().map(|t| t.id.as_str()).collect();
    if let Some(h) = state.homes() {
        names.extend(h.homes.keys().map(String::as_str));
    }
    Err(PlanError::UnknownTenant {
        name: id.to_string(),
        hint: suggest::hint(id, names),
    })
}

/// The drain's plan says what the routing layer does with the region's tenants, and
/// offers closing sign-ups as the step that stops new ones going there. A region no tenant
/// is homed in adds nothing: the plan stays as short as the drain is simple.
pub(super) fn drain_warning(plan: &mut Plan, fleet: &Fleet, state: &FleetState, region: &str) {
    let Some(check) = tenants_homed(fleet, state, region) else {
        return;
    };
    if check.verdict == Verdict::Pass {
        return;
    }
    if state
        .homes()
        .is_some_and(|h| h.homed_in(region) > 0 && h.takes_signups(region) == Some(true))
    {
        plan.notes.push(format!(
            "next: `meridian signups close {region}` stops the routing layer giving {region} new tenants"
        ));
    }
    plan.checks.push(check);
}

/// The region's health for a routing change: down blocks, anything but healthy warns.
fn region_health(state: &FleetState, region: &str, what: &str) -> Check {
    let status = state
        .region(region)
        .map(|r| r.health_status())
        .unwrap_or(HealthStatus::Unknown);
    match status {
        HealthStatus::Healthy => Check::pass(Guard::UnhealthyTarget, format!("{region} healthy")),
        HealthStatus::Down => Check::block(
            Guard::UnhealthyTarget,
            format!("{region} is down: {what} would send requests to a region that is not serving"),
        ),
        s => Check::block(
            Guard::UnhealthyTarget,
            format!("{region} is {}: {what} needs it healthy", s.as_str()),
        ),
    }
}

/// `meridian signups open|close REGION`.
pub(super) fn signups_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    region: &str,
    open: bool,
    now: Millis,
) -> Plan {
    let verb = if open { "Open" } else { "Close" };
    let mut plan = empty_plan(
        req,
        region.to_string(),
        match open {
            true => {
                format!("{verb} {region} to new tenants: the routing layer assigns it at sign-up")
            }
            false => format!(
                "{verb} {region} to new tenants: the routing layer stops assigning it at sign-up"
            ),
        },
    );
    let homes = state.homes();
    let now_open = homes.and_then(|h| h.takes_signups(region));
    let word = |o: Option<bool>| match o {
        Some(true) => "open",
        Some(false) => "closed",
        None => "unknown",
    };
    if now_open != Some(open) {
        plan.changes.push(Change::new(
            region,
            "sign-ups",
            word(now_open),
            word(Some(open)),
        ));
    }
    // Who lives there is not touched: say so, with how many.
    let homed = homes.map(|h| h.homed_in(region)).unwrap_or(0);
    let elsewhere = homes
        .map(|h| h.homes.len() - h.homed_in(region))
        .unwrap_or(0);
    plan.blast_radius = blast_radius(fleet, state, &[]);
    plan.notes.push(match (open, homed) {
        (true, _) => format!(
            "new tenants may be assigned {region} from now on; the {elsewhere} tenant(s) homed elsewhere stay where they are"
        ),
        (false, 0) => format!("no tenant is homed in {region}; existing tenants elsewhere are not touched"),
        (false, n) => format!(
            "the {n} tenant(s) homed in {region} stay there: closing sign-ups only stops new assignments"
        ),
    });
    plan.checks.push(routing_known(state, now));
    if open {
        plan.checks
            .push(region_health(state, region, "opening sign-ups"));
        plan.checks.push(phases_done(fleet, state, region));
    } else {
        plan.checks.push(last_signup_region(state, region, open));
    }
    plan.checks.push(crate::actions::guards::no_change(
        plan.changes.is_empty(),
        &format!("sign-ups in {region} are already {}", word(Some(open))),
    ));
    if !plan.changes.is_empty() {
        plan.operation = Some(Operation::SetSignups {
            region: region.to_string(),
            open,
        });
    }
    plan
}

/// Opening a region that has not finished standing up: warn with what is left (phase 6,
/// region registration, is where sign-ups open, so later phases may still be pending).
fn phases_done(fleet: &Fleet, state: &FleetState, region: &str) -> Check {
    let Some(r) = state.region(region) else {
        return Check::warn(Guard::PhasesIncomplete, format!("{region} phases unknown"));
    };
    let open: Vec<&str> = fleet
        .phases
        .iter()
        .filter(|p| {
            r.phase(&p.id)
                .is_none_or(|s| s.state != PhaseStatus::Succeeded)
        })
        .map(|p| p.id.as_str())
        .collect();
    match open.as_slice() {
        [] => Check::pass(Guard::PhasesIncomplete, format!("{region} stood up")),
        rest => Check::warn(
            Guard::PhasesIncomplete,
            format!("{region} has phases not done: {}", rest.join(", ")),
        ),
    }
}

/// `meridian tenant move TENANT --to REGION`: the routing entry only.
pub(super) fn move_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    tenant: &str,
    to: &str,
    now: Millis,
) -> Plan {
    let from = state
        .homes()
        .and_then(|h| h.home(tenant))
        .map(str::to_string);
    let mut plan = empty_plan(
        req,
        tenant.to_string(),
        format!(
            "Move {tenant}'s routing entry to {to}: its requests go to {to}; its data is NOT moved"
        ),
    );
    if from.as_deref() != Some(to) {
        plan.changes.push(Change::new(
            tenant,
            "home",
            from.as_deref().unwrap_or("(none)"),
            to,
        ));
    }
    let mut radius = blast_radius(fleet, state, &[]);
    if fleet.tenant(tenant).is_some() {
        radius.tenants = vec![tenant.to_string()];
    }
    plan.blast_radius = radius;
    plan.notes.push(format!(
        "only the routing entry changes: {tenant}'s data (database rows, files, caches) stays in {}; move it with the application's own tools",
        from.as_deref().unwrap_or("wherever it is")
    ));
    plan.checks.extend([
        routing_known(state, now),
        region_health(state, to, "moving a tenant there"),
        tenant_app_ready(fleet, state, tenant, to),
        crate::actions::guards::no_change(
            plan.changes.is_empty(),
            &format!("{tenant} is already homed in {to}"),
        ),
    ]);
    if !plan.changes.is_empty() {
        plan.operation = Some(Operation::MoveTenant {
            tenant: tenant.to_string(),
            from,
            to: to.to_string(),
        });
    }
    plan
}
