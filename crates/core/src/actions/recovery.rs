//! The recovery clock: after a drain or promote, how long from the action's start until
//! the fleet is healthy again (every serving region healthy, weights as intended), against
//! the fleet's RTO (`policy.rto`).

use serde::Serialize;

use super::Action;
use super::temporary::{self, WeightMap};
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, HealthStatus, Millis};

/// The first sign of the trouble an action answers: a region seen degraded or down, and
/// since when (as recorded by every meridian that read its health).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Trouble {
    pub since_ms: Millis,
    /// `ap-southeast-1 down`
    pub what: String,
}

/// What the clock says.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Recovery {
    pub recovered: bool,
    /// From the first sign of trouble (or, with none seen, the action's start) to the
    /// reading that found the fleet healthy (or the last reading, when it never did).
    pub elapsed_ms: Millis,
    pub rto_ms: Millis,
    pub within_rto: bool,
    /// What was still wrong at the last reading: "eu-west-1 degraded", "weights ...".
    pub waiting_on: Vec<String>,
    /// Where the clock started, when trouble was seen before the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trouble: Option<Trouble>,
    /// Regions out of rotation that are still not healthy: what recovered is the service
    /// (traffic moved off them), not these regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub still_down: Vec<String>,
}

/// Does the recovery clock run for this action?
pub fn applies(action: &Action) -> bool {
    matches!(action, Action::Drain { .. } | Action::Promote { .. })
}

/// The earliest trouble in `state` (read before the action) that the action answers: a
/// region degraded or down that serves traffic, or the region it drains. None when nothing
/// was in trouble (a planned change): the clock then starts with the action.
pub fn first_trouble(fleet: &Fleet, state: &FleetState, action: &Action) -> Option<Trouble> {
    let target = match action {
        Action::Drain { region } => Some(region.as_str()),
        _ => None,
    };
    fleet
        .regions
        .iter()
        .filter_map(|r| {
            let s = state.region(&r.id)?;
            let h = s.health.value.as_ref()?;
            let serving = s.weight.value.is_some_and(|w| w.serving());
            let since = h.unhealthy_since?;
            (serving || target == Some(r.id.as_str())).then(|| Trouble {
                since_ms: since,
                what: format!("{} {}", r.id, h.status.as_str()),
            })
        })
        .min_by_key(|t| t.since_ms)
}

/// Read the clock from one reading of the fleet. Pure: `now` is the reading's time. The
/// clock runs from `trouble` when it came before the action's start.
pub fn measure(
    fleet: &Fleet,
    state: &FleetState,
    intended: &WeightMap,
    started_ms: Millis,
    trouble: Option<&Trouble>,
    now: Millis,
) -> Recovery {
    let mut waiting_on = Vec::new();
    let mut still_down = Vec::new();
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
        } else if !serving && matches!(status, Some(HealthStatus::Down | HealthStatus::Degraded)) {
            still_down.push(r.id.clone());
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
    let trouble = trouble.filter(|t| t.since_ms < started_ms).cloned();
    let from = trouble.as_ref().map_or(started_ms, |t| t.since_ms);
    let elapsed_ms = (now - from).max(0);
    let rto_ms = fleet.policy.rto.as_millis() as Millis;
    let recovered = waiting_on.is_empty();
    Recovery {
        recovered,
        elapsed_ms,
        rto_ms,
        within_rto: recovered && elapsed_ms <= rto_ms,
        waiting_on,
        trouble,
        still_down,
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
    /// `recovered in 12s (RTO 5m00s: within)`; after trouble, counted from its first sign
    /// and saying what recovered: `traffic moved off ap-southeast-1 (still down) in 28m05s,
    /// counted from the first sign of trouble (ap-southeast-1 down at 03:12:40Z); every
    /// serving region healthy (RTO 5m00s: OVER)`.
    pub fn text(&self) -> String {
        let rto = span(self.rto_ms);
        let took = span(self.elapsed_ms);
        let since = self
            .trouble
            .as_ref()
            .map(|t| {
                let at = meridian_model::state::rfc3339(t.since_ms);
                let clock = at.get(11..).unwrap_or(&at).to_string();
                format!(
                    ", counted from the first sign of trouble ({} at {clock})",
                    t.what
                )
            })
            .unwrap_or_default();
        if !self.recovered {
            return format!(
                "NOT yet recovered after {took}{since} (RTO {rto}): {}",
                self.waiting_on.join(", ")
            );
        }
        let verdict = if self.within_rto { "within" } else { "OVER" };
        match self.still_down.is_empty() {
            true => format!("recovered in {took}{since} (RTO {rto}: {verdict})"),
            false => format!(
                "traffic moved off {} (still down) in {took}{since}; every serving region healthy (RTO {rto}: {verdict})",
                self.still_down.join(", ")
            ),
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
        let ok = measure(&f, &s, &intended, NOW, None, NOW + 12_000);
        assert!(ok.recovered && ok.within_rto, "{ok:?}");
        assert_eq!(ok.text(), "recovered in 12s (RTO 5m00s: within)");

        // A drained region may be down; a serving one may not.
        set_health(&mut s, "eu-west-1", HealthStatus::Down);
        assert!(measure(&f, &s, &intended, NOW, None, NOW + 1_000).recovered);
        set_health(&mut s, "us-east-1", HealthStatus::Degraded);
        let late = measure(&f, &s, &intended, NOW, None, NOW + 400_000);
        assert!(!late.recovered && !late.within_rto);
        assert!(
            late.text().contains("us-east-1 degraded"),
            "{}",
            late.text()
        );

        let steady = temporary::steady(&f);
        let wrong = measure(&f, &state(&f), &intended, NOW, None, NOW);
        assert!(wrong.waiting_on[0].starts_with("weights "), "{wrong:?}");
        assert!(measure(&f, &state(&f), &steady, NOW, None, NOW + 301_000).recovered);
        assert!(!measure(&f, &state(&f), &steady, NOW, None, NOW + 301_000).within_rto);
    }

    #[test]
    fn a_drain_late_in_an_outage_is_timed_from_the_first_sign_of_trouble_and_says_what_recovered() {
        let f = fleet();
        let mut before = state(&f);
        set_health(&mut before, "ap-southeast-1", HealthStatus::Down);
        let first_seen = NOW - 28 * 60_000;
        if let Some(h) = before
            .region_mut("ap-southeast-1")
            .and_then(|r| r.health.value.as_mut())
        {
            h.unhealthy_since = Some(first_seen);
        }
        let drain = Action::Drain {
            region: "ap-southeast-1".into(),
        };
        let trouble = first_trouble(&f, &before, &drain).expect("trouble seen before");
        assert_eq!(trouble.since_ms, first_seen);
        assert_eq!(trouble.what, "ap-southeast-1 down");

        let mut after = before.clone();
        set_weight(&mut after, "ap-southeast-1", 0);
        let intended = temporary::current(&f, &after).expect("weights");
        let clock = measure(&f, &after, &intended, NOW, Some(&trouble), NOW + 5_000);
        assert!(clock.recovered && !clock.within_rto, "{clock:?}");
        assert_eq!(clock.elapsed_ms, 28 * 60_000 + 5_000);
        assert_eq!(clock.still_down, ["ap-southeast-1"]);
        let text = clock.text();
        assert!(
            text.starts_with("traffic moved off ap-southeast-1 (still down) in 28m05s, counted from the first sign of trouble (ap-southeast-1 down at "),
            "{text}"
        );
        assert!(
            text.ends_with("every serving region healthy (RTO 5m00s: OVER)"),
            "{text}"
        );
        assert!(!text.starts_with("recovered"), "{text}");

        // Nothing wrong before a planned change: the clock starts with the action.
        assert!(first_trouble(&f, &state(&f), &drain).is_none());
    }
}
