//! The recovery clock: after a drain or promote, how long from the action's start until
//! the fleet is healthy again (every serving region healthy, weights as intended), against
//! the fleet's RTO (`policy.rto`).

use serde::Serialize;

use super::Action;
use super::temporary::{self, WeightMap};
use crate::fleet::Fleet;
use crate::state::{FleetState, HealthStatus, Millis};

/// What the clock says.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Recovery {
    pub recovered: bool,
    /// From the action's start to the reading that found the fleet healthy (or the last
    /// reading, when it never did).
    pub elapsed_ms: Millis,
    pub rto_ms: Millis,
    pub within_rto: bool,
    /// What was still wrong at the last reading: "eu-west-1 degraded", "weights ...".
    pub waiting_on: Vec<String>,
}

/// Does the recovery clock run for this action?
pub fn applies(action: &Action) -> bool {
    matches!(action, Action::Drain { .. } | Action::Promote { .. })
}

/// Read the clock from one reading of the fleet. Pure: `now` is the reading's time.
pub fn measure(
    fleet: &Fleet,
    state: &FleetState,
    intended: &WeightMap,
    started_ms: Millis,
    now: Millis,
) -> Recovery {
    let mut waiting_on = Vec::new();
    for r in &fleet.regions {
        let Some(s) = state.region(&r.id) else {
            waiting_on.push(format!("{} not read", r.id));
            continue;
        };
        let serving = s.weight.value.is_some_and(|w| w.serving());
        let status = s.health.value.as_ref().map(|h| h.status);
        if serving && status != Some(HealthStatus::Healthy) {
            let said = status.map_or("health unknown", |h| h.as_str());
            waiting_on.push(format!("{} {said}", r.id));
        }
    }
    match temporary::current(fleet, state) {
        Some(now_weights) if &now_weights == intended => {}
        Some(now_weights) => waiting_on.push(format!(
            "weights {} (intended {})",
            temporary::slashed(fleet, &now_weights),
            temporary::slashed(fleet, intended)
        )),
        None => waiting_on.push("weights not read".into()),
    }
    let elapsed_ms = (now - started_ms).max(0);
    let rto_ms = fleet.policy.rto.as_millis() as Millis;
    let recovered = waiting_on.is_empty();
    Recovery {
        recovered,
        elapsed_ms,
        rto_ms,
        within_rto: recovered && elapsed_ms <= rto_ms,
        waiting_on,
    }
}

/// `12s` / `4m05s`.
pub fn span(ms: Millis) -> String {
    let s = ms / 1000;
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

impl Recovery {
    /// `recovered in 12s (RTO 5m00s: within)`
    pub fn text(&self) -> String {
        let rto = span(self.rto_ms);
        if self.recovered {
            let verdict = if self.within_rto { "within" } else { "OVER" };
            format!(
                "recovered in {} (RTO {rto}: {verdict})",
                span(self.elapsed_ms)
            )
        } else {
            format!(
                "NOT yet recovered after {} (RTO {rto}): {}",
                span(self.elapsed_ms),
                self.waiting_on.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testkit::*;

    #[test]
    fn the_clock_stops_when_every_serving_region_is_healthy_at_intended_weights() {
        let f = fleet();
        let mut s = state(&f);
        set_weight(&mut s, "eu-west-1", 0);
        let intended = temporary::current(&f, &s).unwrap();
        let ok = measure(&f, &s, &intended, NOW, NOW + 12_000);
        assert!(ok.recovered && ok.within_rto, "{ok:?}");
        assert_eq!(ok.text(), "recovered in 12s (RTO 5m00s: within)");

        // A drained region may be down; a serving one may not.
        set_health(&mut s, "eu-west-1", HealthStatus::Down);
        assert!(measure(&f, &s, &intended, NOW, NOW + 1_000).recovered);
        set_health(&mut s, "us-east-1", HealthStatus::Degraded);
        let late = measure(&f, &s, &intended, NOW, NOW + 400_000);
        assert!(!late.recovered && !late.within_rto);
        assert!(
            late.text().contains("us-east-1 degraded"),
            "{}",
            late.text()
        );

        let steady = temporary::steady(&f);
        let wrong = measure(&f, &state(&f), &intended, NOW, NOW);
        assert!(wrong.waiting_on[0].starts_with("weights "), "{wrong:?}");
        assert!(measure(&f, &state(&f), &steady, NOW, NOW + 301_000).recovered);
        assert!(!measure(&f, &state(&f), &steady, NOW, NOW + 301_000).within_rto);
    }
}
