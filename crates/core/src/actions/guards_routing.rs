//! Guards of the routing layer's map: what a drain leaves homed in a region, whether a
//! tenant can be moved to a region, whether sign-ups can be closed, and whether the map was
//! read at all. Pure functions of the fleet and the observed state.

use super::gates;
use super::plan::{Check, Guard};
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, Millis, STALE_AFTER_MS, short_age};

/// How many tenant ids a message lists before it says "and N more".
const LISTED: usize = 5;

/// `acme, globex and 3 more`.
pub fn some_of<'a>(ids: impl Iterator<Item = &'a str>, total: usize) -> String {
    let shown: Vec<&str> = ids.take(LISTED).collect();
    match total.saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// A drain moves traffic away from a region, but the routing layer keeps sending the
/// tenants homed there to it (unless the application fails them over): warn with how many,
/// and say how new tenants stop going there. None when the fleet has no routing map.
pub fn tenants_homed(fleet: &Fleet, state: &FleetState, region: &str) -> Option<Check> {
    fleet.tenant_routing.as_ref()?;
    let Some(homes) = state.homes() else {
        let why = state
            .routing
            .error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        return Some(Check::warn(
            Guard::TenantsHomed,
            format!("tenants homed in {region} unknown: the routing map was not read{why}"),
        ));
    };
    let n = homes.homed_in(region);
    let signups = match homes.takes_signups(region) {
        Some(true) => format!(
            "; {region} still takes new tenants at sign-up: `meridian signups close {region}`"
        ),
        _ => String::new(),
    };
    Some(match n {
        0 => Check::pass(
            Guard::TenantsHomed,
            format!("no tenant is homed in {region}{signups}"),
        ),
        n => Check::warn(
            Guard::TenantsHomed,
            format!(
                "{n} tenant{} homed in {region} ({}): their requests keep going there unless the application fails them over{signups}",
                if n == 1 { " is" } else { "s are" },
                some_of(homes.tenants_in(region), n)
            ),
        ),
    })
}

/// The map must have been read, without error and recently, to plan a change to it.
pub fn routing_known(state: &FleetState, now: Millis) -> Check {
    let r = &state.routing;
    match (&r.value, &r.error, r.age(now)) {
        (_, Some(e), _) => Check::block(
            Guard::RoutingUnknown,
            format!("the routing map could not be read: {e}"),
        ),
        (None, None, _) => Check::block(Guard::RoutingUnknown, "the routing map was not read"),
        (Some(_), None, Some(a)) if a > STALE_AFTER_MS => Check::block(
            Guard::RoutingUnknown,
            format!("the routing map reading is {} old", short_age(a)),
        ),
        _ => Check::pass(Guard::RoutingUnknown, "routing map read"),
    }
}

/// A tenant may be homed only where its app runs Synced and Healthy (a tenant the fleet
/// has no app for cannot be checked: said, not blocked).
pub fn tenant_app_ready(fleet: &Fleet, state: &FleetState, tenant: &str, to: &str) -> Check {
    let Some(t) = fleet.tenant(tenant) else {
        return Check::warn(
            Guard::TenantAppNotReady,
            format!(
                "{tenant} is not a tenant of this fleet: meridian cannot check its application in {to}"
            ),
        );
    };
    if !t.runs_in(to) {
        return Check::block(
            Guard::TenantAppNotReady,
            format!(
                "{tenant} does not run in {to} (it runs in {}): its requests would reach a region without its application",
                t.regions.join(", ")
            ),
        );
    }
    let ready = gates::tenant_ready(fleet, state, tenant, to);
    if ready.met {
        Check::pass(Guard::TenantAppNotReady, ready.reason)
    } else {
        Check::block(
            Guard::TenantAppNotReady,
            format!("{}: move it once it is", ready.reason),
        )
    }
}

/// Closing sign-ups in the last region that takes them leaves new tenants nowhere to go.
pub fn last_signup_region(state: &FleetState, region: &str, open: bool) -> Check {
    let open_now: Vec<&str> = state
        .homes()
        .and_then(|h| h.signups.as_ref())
        .map(|s| s.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let others: Vec<&str> = open_now.iter().copied().filter(|r| *r != region).collect();
    match (open, others.is_empty()) {
        (true, _) => Check::pass(Guard::LastSignupRegion, "opening, not closing"),
        (false, true) => Check::block(
            Guard::LastSignupRegion,
            format!(
                "{region} is the last region taking sign-ups: closing it leaves new tenants nowhere to go"
            ),
        ),
        (false, false) => Check::pass(
            Guard::LastSignupRegion,
            format!("still open to sign-ups: {}", others.join(", ")),
        ),
    }
}

#[cfg(test)]
mod tests;
