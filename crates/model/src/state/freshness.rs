//! How current the whole picture is: how many values are stale (their latest read failed,
//! or they are older than `STALE_AFTER_MS`) and how old the oldest value is. The dashboard's
//! header and `status` say this, so "live" is never claimed while a cell is stale.

use super::replication::link_word;
use super::{ArgoSummary, FleetState, Millis, Observed, STALE_AFTER_MS, elapsed};
use crate::fleet::Fleet;

/// Stale values, and the age of the oldest value, at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Freshness {
    /// Values that are stale: a region's health, weight, role, lag or phases, an app cell, a
    /// Helm release.
    pub stale: usize,
    /// How old the oldest value is (None before anything was read).
    pub oldest_ms: Option<Millis>,
}

impl Freshness {
    /// Count over a state. `argo` holds each region's app counts in fleet order (the
    /// dashboard keeps them current; `status` counts them once): a region's app cells are
    /// judged together, since a cell without an error is as current as its region's latest
    /// apps reading (`RegionState::apps_at`).
    pub fn of(fleet: &Fleet, state: &FleetState, argo: &[ArgoSummary], now: Millis) -> Freshness {
        let mut f = Freshness::default();
        for r in &state.regions {
            // A fenced or broken link is a fact about replication, said in its own words,
            // not a read that failed.
            let lag_is_link = link_word(&r.lag).is_some();
            f.count(&r.health, now);
            f.count(&r.weight, now);
            f.count(&r.role, now);
            f.count(&r.phases, now);
            if !lag_is_link {
                f.count(&r.lag, now);
            }
        }
        for (region, a) in fleet.regions.iter().zip(argo) {
            let apps_at = state.region(&region.id).and_then(|r| r.apps_at);
            let age = apps_at.map(|at| elapsed(now, at));
            let quiet_too_long = age.is_none_or(|a| a > STALE_AFTER_MS);
            // Cells read without error are stale only when the region's apps are.
            let good = a.known.saturating_sub(a.failed);
            f.stale += a.failed + if quiet_too_long { good } else { 0 };
            if a.known > 0 {
                f.older(age);
            }
        }
        for t in fleet.tenants.iter().filter(|t| t.helm.is_some()) {
            for (_, release) in state.tenant(&t.id).iter().flat_map(|ts| &ts.releases) {
                f.count(release, now);
            }
        }
        f
    }

    fn count<T>(&mut self, o: &Observed<T>, now: Millis) {
        if o.at.is_none() && o.error.is_none() {
            // Not read yet, or nothing to read (a Helm tenant's absent app): nothing to age.
            return;
        }
        if o.is_stale(now, STALE_AFTER_MS) {
            self.stale += 1;
        }
        self.older(o.age(now));
    }

    fn older(&mut self, age: Option<Millis>) {
        if let Some(a) = age {
            self.oldest_ms = Some(self.oldest_ms.map_or(a, |o| o.max(a)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::argo_summaries;

    fn demo() -> (Fleet, FleetState) {
        let fleet = crate::fleet::demo();
        let mut state = FleetState::skeleton(&fleet, 1_000);
        for r in state.regions.iter_mut() {
            r.health = Observed::ok(
                crate::state::Health {
                    status: crate::state::HealthStatus::Healthy,
                    reason: "ok".into(),
                    latency_ms: None,
                    healthy_since: None,
                    unhealthy_since: None,
                },
                1_000,
            );
            r.apps_at = Some(1_000);
        }
        for t in state.tenants.iter_mut() {
            for (_, cell) in t.apps.iter_mut() {
                *cell = Observed::ok(crate::state::AppState::default(), 1_000);
            }
        }
        (fleet, state)
    }

    #[test]
    fn a_quiet_fresh_fleet_has_nothing_stale_and_a_failed_region_counts_its_cells() {
        let (fleet, mut state) = demo();
        let argo = argo_summaries(&fleet, &state);
        let fresh = Freshness::of(&fleet, &state, &argo, 5_000);
        assert_eq!(
            fresh,
            Freshness {
                stale: 0,
                oldest_ms: Some(4_000)
            }
        );

        // Quiet for longer than the stale limit: the region's apps age with its readings.
        state.regions[0].apps_at = Some(1_000);
        let later = Freshness::of(&fleet, &state, &argo, 1_000 + STALE_AFTER_MS + 1);
        assert!(later.stale > 0);

        // A failed apps read marks its cells stale at once, keeping their counts.
        let region = fleet.regions[0].id.clone();
        for t in state.tenants.iter_mut() {
            for (r, cell) in t.apps.iter_mut() {
                if **r == *region {
                    *cell = Observed::failed(Some(cell), "no answer");
                }
            }
        }
        let argo = argo_summaries(&fleet, &state);
        assert!(
            argo[0].failed > 0 && argo[0].known == argo[0].total,
            "{:?}",
            argo[0]
        );
        let failed = Freshness::of(&fleet, &state, &argo, 5_000);
        assert_eq!(failed.stale, argo[0].failed);
    }
}
