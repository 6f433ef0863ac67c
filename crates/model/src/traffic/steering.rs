//! How a region's traffic is steered, and whether it is in rotation.
//!
//! Weights are one routing policy among many: Route 53 also routes by latency, failover and
//! geography, Cloudflare by geography, proximity and latency, Traffic Manager by priority,
//! performance and geography. Under those a region has no share of traffic to show; it is
//! **serving**, **drained** (taken out of rotation) or on **standby** (a failover secondary,
//! or a lower-priority endpoint, that answers only when the one before it cannot). The
//! policy comes from the provider's reading; standby is worked out here from the policy
//! and the regions' health.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Weight;

/// The routing policy that decides a region's traffic, as its provider names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Steering {
    /// A share of traffic by weight (Route 53 weighted sets, Cloudflare random and
    /// least-outstanding steering, Traffic Manager weighted routing, the simulator).
    #[default]
    Weighted,
    /// Route 53 latency records: the region nearest in latency answers.
    Latency,
    /// Route 53 failover PRIMARY: answers while healthy.
    FailoverPrimary,
    /// Route 53 failover SECONDARY: answers when the primary cannot.
    FailoverSecondary,
    /// Route 53 geolocation records (a continent, country or subdivision each).
    Geolocation,
    /// Route 53 geoproximity records (traffic flow).
    Geoproximity,
    /// Route 53 multivalue answers, Traffic Manager MultiValue routing.
    Multivalue,
    /// Cloudflare `off` steering: pools in `default_pools` order, the first healthy one
    /// serves (`Weight::units` holds the position, from 1).
    Ordered,
    /// Cloudflare `geo` steering: `region_pools`, `country_pools`, `pop_pools`.
    Geo,
    /// Cloudflare `dynamic_latency` steering.
    DynamicLatency,
    /// Cloudflare `proximity` steering.
    Proximity,
    /// Traffic Manager priority routing (`Weight::units` holds the endpoint's priority).
    Priority,
    /// Traffic Manager performance routing.
    Performance,
    /// Traffic Manager geographic routing (`geoMapping`).
    Geographic,
    /// Traffic Manager subnet routing.
    Subnet,
}

impl Steering {
    /// Does this policy give a region a share of traffic by weight?
    pub fn weighted(self) -> bool {
        self == Steering::Weighted
    }

    /// Policies where one region answers and the next waits its turn.
    pub fn ordered(self) -> bool {
        matches!(self, Steering::Ordered | Steering::Priority)
    }

    /// Policies that map geographies to regions.
    pub fn geographic(self) -> bool {
        matches!(
            self,
            Steering::Geolocation | Steering::Geo | Steering::Geographic
        )
    }

    /// A short name for the board's narrow column (`failover`, `prio`).
    pub fn short(self) -> &'static str {
        match self {
            Steering::Weighted => "weighted",
            Steering::Latency => "latency",
            Steering::FailoverPrimary | Steering::FailoverSecondary => "failover",
            Steering::Geolocation | Steering::Geo | Steering::Geographic => "geo",
            Steering::Geoproximity => "geoprox",
            Steering::Multivalue => "multi",
            Steering::Ordered => "order",
            Steering::DynamicLatency => "dyn-lat",
            Steering::Proximity => "prox",
            Steering::Priority => "prio",
            Steering::Performance => "perf",
            Steering::Subnet => "subnet",
        }
    }

    /// The policy's name as the board and JSON show it.
    pub fn name(self) -> &'static str {
        match self {
            Steering::Weighted => "weighted",
            Steering::Latency => "latency",
            Steering::FailoverPrimary => "failover primary",
            Steering::FailoverSecondary => "failover secondary",
            Steering::Geolocation => "geolocation",
            Steering::Geoproximity => "geoproximity",
            Steering::Multivalue => "multivalue",
            Steering::Ordered => "failover order",
            Steering::Geo => "geo",
            Steering::DynamicLatency => "dynamic latency",
            Steering::Proximity => "proximity",
            Steering::Priority => "priority",
            Steering::Performance => "performance",
            Steering::Geographic => "geographic",
            Steering::Subnet => "subnet",
        }
    }
}

/// Whether a region is in rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rotation {
    /// It answers (its share, for weights, may be any).
    Serving,
    /// In rotation, but another region answers while that one is healthy.
    Standby,
    /// Out of rotation: drained, disabled, or weight 0.
    Drained,
}

impl Rotation {
    pub fn name(self) -> &'static str {
        match self {
            Rotation::Serving => "serving",
            Rotation::Standby => "standby",
            Rotation::Drained => "drained",
        }
    }
}

impl fmt::Display for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The policy and the rotation in words, for a region without a share: `latency ·
/// serving`, `priority 2 · standby`.
pub fn describe(w: Weight, rotation: Rotation) -> String {
    format!("{} · {rotation}", describe_policy(w))
}

/// Each region's rotation, in input order. `healthy` says whether a region is healthy
/// (unknown counts as not): a failover secondary is on standby while a primary in rotation
/// is healthy; of the ordered regions (priority, pool order) in rotation, the first healthy
/// one serves and the rest wait (when none is healthy, the first in rotation serves, as
/// the providers answer with it anyway).
pub fn rotations(weights: &[(String, Weight)], healthy: impl Fn(&str) -> bool) -> Vec<Rotation> {
    let in_rotation = |w: &Weight| w.serving();
    let primary_up = weights
        .iter()
        .any(|(r, w)| w.steering == Steering::FailoverPrimary && in_rotation(w) && healthy(r));
    // The serving ordered region: lowest order among those in rotation and healthy, else
    // lowest among those in rotation.
    let ordered: Vec<&(String, Weight)> = weights
        .iter()
        .filter(|(_, w)| w.steering.ordered() && in_rotation(w))
        .collect();
    let first_ordered = ordered
        .iter()
        .filter(|(r, _)| healthy(r))
        .min_by_key(|(_, w)| w.units)
        .or_else(|| ordered.iter().min_by_key(|(_, w)| w.units))
        .map(|(r, _)| r.as_str());
    weights
        .iter()
        .map(|(r, w)| {
            let waits = (w.steering == Steering::FailoverSecondary && primary_up)
                || (w.steering.ordered() && Some(r.as_str()) != first_ordered);
            if !in_rotation(w) {
                Rotation::Drained
            } else if waits {
                Rotation::Standby
            } else {
                Rotation::Serving
            }
        })
        .collect()
}

/// Regions that go from standby to serving between `before` and `after` (same regions,
/// same order): who takes over when a region is drained.
pub fn takes_over(
    weights_before: &[(String, Weight)],
    before: &[Rotation],
    after: &[Rotation],
) -> Vec<String> {
    weights_before
        .iter()
        .zip(before.iter().zip(after))
        .filter(|(_, (b, a))| **b == Rotation::Standby && **a == Rotation::Serving)
        .map(|((r, w), _)| format!("{r} ({})", describe_policy(*w)))
        .collect()
}

/// The policy alone, `failover secondary`, `priority 2`.
pub fn describe_policy(w: Weight) -> String {
    match w.steering {
        s if s.ordered() && w.units > 0 => format!("{} {}", s.name(), w.units),
        s => s.name().to_string(),
    }
}

/// The board's form: `failover · standby`, `prio 2 · serving`.
pub fn describe_short(w: Weight, rotation: Rotation) -> String {
    match w.steering {
        s if s.ordered() && w.units > 0 => format!("{} {} · {rotation}", s.short(), w.units),
        s => format!("{} · {rotation}", s.short()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(pairs: &[(&str, Weight)]) -> Vec<(String, Weight)> {
        pairs.iter().map(|(r, w)| (r.to_string(), *w)).collect()
    }

    #[test]
    fn a_failover_secondary_waits_while_the_primary_is_up_and_takes_over_when_it_is_drained() {
        let before = w(&[
            ("us", Weight::steered(Steering::FailoverPrimary, 0)),
            ("eu", Weight::steered(Steering::FailoverSecondary, 0)),
        ]);
        let all_up = |_: &str| true;
        let rb = rotations(&before, all_up);
        assert_eq!(rb, vec![Rotation::Serving, Rotation::Standby]);
        let mut after = before.clone();
        after[0].1.drained = true;
        let ra = rotations(&after, all_up);
        assert_eq!(ra, vec![Rotation::Drained, Rotation::Serving]);
        assert_eq!(
            takes_over(&before, &rb, &ra),
            vec!["eu (failover secondary)"]
        );
        // A primary that is down already leaves the secondary serving.
        let rd = rotations(&before, |r| r != "us");
        assert_eq!(rd, vec![Rotation::Serving, Rotation::Serving]);
    }

    #[test]
    fn of_ordered_endpoints_the_first_healthy_one_in_rotation_serves() {
        let ws = w(&[
            ("east", Weight::steered(Steering::Priority, 1)),
            ("west", Weight::steered(Steering::Priority, 2)),
            ("north", Weight::steered(Steering::Priority, 3)),
        ]);
        assert_eq!(
            rotations(&ws, |_| true),
            vec![Rotation::Serving, Rotation::Standby, Rotation::Standby]
        );
        assert_eq!(
            rotations(&ws, |r| r != "east"),
            vec![Rotation::Standby, Rotation::Serving, Rotation::Standby]
        );
        assert_eq!(
            rotations(&ws, |_| false),
            vec![Rotation::Serving, Rotation::Standby, Rotation::Standby],
            "none healthy: the first in rotation still answers"
        );
        assert_eq!(describe(ws[1].1, Rotation::Standby), "priority 2 · standby");
    }

    #[test]
    fn latency_and_geo_regions_serve_unless_drained_and_weights_drain_at_zero() {
        let mut ws = w(&[
            ("a", Weight::steered(Steering::Latency, 0)),
            ("b", Weight::units(0)),
            ("c", Weight::units(30)),
        ]);
        ws[0].1.drained = false;
        assert_eq!(
            rotations(&ws, |_| true),
            vec![Rotation::Serving, Rotation::Drained, Rotation::Serving]
        );
        assert_eq!(describe(ws[0].1, Rotation::Serving), "latency · serving");
    }
}
