//! Where tenants live, judged against the fleet: a tenant homed where its app is missing,
//! OutOfSync or down, or in a region the fleet does not know, is a mismatch the board flags
//! and `status --check` reports; and the alarms `[alarms]` counts that are firing.

use meridian_model::fleet::Fleet;
use meridian_model::state::{
    AppHealth, FleetState, HealthStatus, STALE_AFTER_MS, SyncStatus, rfc3339, short_age,
};

use super::guards_routing::some_of;

/// Why a tenant's home does not fit the fleet, if it does not.
pub fn home_problem(fleet: &Fleet, state: &FleetState, tenant: &str) -> Option<String> {
    let home = state.homes()?.home(tenant)?;
    if fleet.region(home).is_none() {
        return Some(format!(
            "{tenant} is homed in {home}, which the fleet does not know"
        ));
    }
    let region = state.region(home);
    if region.is_some_and(|r| r.health_status() == HealthStatus::Down) {
        return Some(format!("{tenant} is homed in {home}, which is down"));
    }
    let t = fleet.tenant(tenant)?;
    if !t.runs_in(home) {
        return Some(format!(
            "{tenant} is homed in {home}, where its application does not run (it runs in {})",
            t.regions.join(", ")
        ));
    }
    let app = state.tenant(tenant)?.app(home)?.value.as_ref()?;
    match (app.sync, app.health) {
        (_, AppHealth::Missing) => Some(format!(
            "{tenant} is homed in {home}, where its application is Missing"
        )),
        (SyncStatus::OutOfSync, _) => {
            let why = app
                .hook_failure()
                .map(|h| format!(": {h}"))
                .unwrap_or_default();
            Some(format!(
                "{tenant} is homed in {home}, where its application is OutOfSync{why}"
            ))
        }
        _ => None,
    }
}

/// Everything `status --check` should stop on about tenant homes and alarms.
pub fn problems(fleet: &Fleet, state: &FleetState) -> Vec<String> {
    let now = state.observed_at;
    let mut out = Vec::new();
    if fleet.tenant_routing.is_some() {
        let r = &state.routing;
        match (&r.error, r.age(now)) {
            (Some(e), _) => out.push(format!("tenant routing is stale: {e}")),
            (None, Some(a)) if a > 2 * STALE_AFTER_MS.max(60_000) => {
                out.push(format!("tenant routing is stale: {} old", short_age(a)))
            }
            (None, None) => out.push("tenant routing has not been read".into()),
            _ => {}
        }
        if let Some(homes) = state.homes() {
            for t in &fleet.tenants {
                out.extend(home_problem(fleet, state, &t.id));
            }
            // Tenants only the map knows, in regions the fleet does not: one line a region.
            for (region, n) in homes.counts() {
                if fleet.region(region).is_some() {
                    continue;
                }
                // The fleet's own tenants there are said above, one by one.
                let ids: Vec<&str> = homes
                    .tenants_in(region)
                    .filter(|t| fleet.tenant(t).is_none())
                    .collect();
                if !ids.is_empty() && n > 0 {
                    out.push(format!(
                        "{} tenant(s) homed in {region}, which the fleet does not know ({})",
                        ids.len(),
                        some_of(ids.iter().copied(), ids.len())
                    ));
                }
            }
            for u in &homes.unreadable {
                out.push(format!("tenant routing entry unreadable: {u}"));
            }
        }
    }
    if fleet.alarms.is_some() {
        let a = &state.alarms;
        if let Some(e) = &a.error {
            out.push(format!("alarms are stale: {e}"));
        }
        for alarm in a.value.iter().flatten().filter(|x| x.firing()) {
            let since = alarm
                .since
                .map(|s| format!(" since {}", rfc3339(s)))
                .unwrap_or_default();
            out.push(format!(
                "alarm {} ({}) is in ALARM{since}: {}",
                alarm.name, alarm.aws_region, alarm.reason
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testkit::{fleet, set_health, set_homes, state};

    #[test]
    fn a_home_that_does_not_fit_the_fleet_is_a_problem() {
        let f = fleet();
        let mut s = state(&f);
        set_homes(
            &mut s,
            &[
                ("search-stg", "eu-west-1"),
                ("storefront-prd", "us-east-1"),
                ("payments-prd", "eu-west-1"),
                ("acme", "sgp-9"),
                ("globex", "sgp-9"),
            ],
            &["us-east-1"],
        );
        assert_eq!(home_problem(&f, &s, "search-stg"), None);
        assert_eq!(home_problem(&f, &s, "storefront-prd"), None);
        let not_there = home_problem(&f, &s, "payments-prd").unwrap_or_default();
        assert!(not_there.contains("does not run"), "{not_there}");
        let unknown = home_problem(&f, &s, "acme").unwrap_or_default();
        assert!(unknown.contains("does not know"), "{unknown}");
        set_health(&mut s, "eu-west-1", HealthStatus::Down);
        let down = home_problem(&f, &s, "search-stg").unwrap_or_default();
        assert!(down.contains("which is down"), "{down}");
        let all = problems(&f, &s);
        assert!(
            all.iter()
                .any(|p| p.starts_with("2 tenant(s) homed in sgp-9") && p.contains("acme, globex")),
            "{all:?}"
        );
    }
}
