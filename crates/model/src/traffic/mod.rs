//! The provider-neutral traffic model: per region a weight in the provider's own units and an
//! explicit drained state, and the pure arithmetic on it (effective shares, percentages to
//! units). Each provider's rules (its range, how it drains, what "everything drained" does)
//! are data in `rules`, so plans stay pure and guards stay provider-neutral.

pub mod ask;
pub mod rules;
pub mod steering;

pub use ask::{Ask, Requested, Resolution, resolve};
pub use rules::{AllDrained, TrafficRules};
pub use steering::{Rotation, Steering, rotations};

use std::fmt;

use serde::{Deserialize, Serialize};

/// A region's traffic setting as its provider holds it.
///
/// `units` are the provider's own (Route 53 0..=255, Azure 1..=1000, Cloudflare hundredths of
/// a pool weight); `drained` says the region is out of rotation, however the provider does it
/// (weight 0, a disabled endpoint, a record made unhealthy). Azure keeps a disabled
/// endpoint's weight, so a drained region may still have units. `steering` is the routing
/// policy: under anything but weights `units` is the region's place in an order (priority,
/// pool order) or 0, and the region has no share of traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Weight {
    pub units: u32,
    pub drained: bool,
    /// Records written before routing policies were known are weights.
    #[serde(default, skip_serializing_if = "is_weighted")]
    pub steering: Steering,
}

fn is_weighted(s: &Steering) -> bool {
    s.weighted()
}

impl Default for Weight {
    /// Nothing known: no weight, so no traffic.
    fn default() -> Weight {
        Weight::units(0)
    }
}

impl Weight {
    /// A serving weight (0 reads as drained).
    pub fn units(units: u32) -> Weight {
        Weight {
            units,
            drained: units == 0,
            steering: Steering::Weighted,
        }
    }

    /// Out of rotation, keeping `units` where the provider keeps them.
    pub fn drained(units: u32) -> Weight {
        Weight {
            units,
            drained: true,
            steering: Steering::Weighted,
        }
    }

    /// A region in rotation under a policy other than weights; `order` is its priority or
    /// place in the pool order (0 where the policy has none).
    pub fn steered(steering: Steering, order: u32) -> Weight {
        Weight {
            units: order,
            drained: false,
            steering,
        }
    }

    /// The same setting taken out of rotation (`false`: put back).
    pub fn with_drained(self, drained: bool) -> Weight {
        Weight { drained, ..self }
    }

    /// The weight DNS answers with: 0 when drained, and 0 under a policy without weights
    /// (such a region has no share; see `serving`).
    pub fn effective(self) -> u32 {
        if self.drained || !self.steering.weighted() {
            0
        } else {
            self.units
        }
    }

    /// Is the region in rotation: a weight above 0, or not drained under another policy?
    pub fn serving(self) -> bool {
        if self.steering.weighted() {
            self.effective() > 0
        } else {
            !self.drained
        }
    }

    /// Is `other` the same setting? Under a policy without weights only the policy and
    /// whether it is drained count (a drained pool has no place in its order to read back).
    pub fn same_setting(self, other: Weight) -> bool {
        if !self.has_share() && !other.has_share() {
            self.steering == other.steering && self.drained == other.drained
        } else {
            self == other
        }
    }

    /// Does this region have a share of traffic to show (weighted routing)?
    pub fn has_share(self) -> bool {
        self.steering.weighted()
    }
}

/// Provider-neutral: `30`, `0`, or `drained (700)` when a drained region keeps a weight;
/// `latency, drained` under another policy.
impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.steering.weighted() {
            let policy = steering::describe_policy(*self);
            let state = if self.drained {
                "drained"
            } else {
                "in rotation"
            };
            return write!(f, "{policy}, {state}");
        }
        match (self.drained, self.units) {
            (true, 0) => write!(f, "0"),
            (true, u) => write!(f, "drained ({u})"),
            (false, u) => write!(f, "{u}"),
        }
    }
}

/// Each region's share of traffic (0.0..=1.0) under the provider's rules, in input order,
/// with `unmanaged` (records meridian does not manage) taking their part of the total.
pub fn shares(weights: &[(String, Weight)], unmanaged: &[u32], rules: &TrafficRules) -> Vec<f64> {
    let total: u64 = weights
        .iter()
        .map(|(_, w)| w.effective() as u64)
        .sum::<u64>()
        + unmanaged.iter().map(|u| *u as u64).sum::<u64>();
    if total == 0 {
        let even = match rules.all_drained {
            AllDrained::EvenSplit => 1.0 / (weights.len() + unmanaged.len()).max(1) as f64,
            AllDrained::NoAnswer => 0.0,
        };
        return weights.iter().map(|_| even).collect();
    }
    weights
        .iter()
        .map(|(_, w)| w.effective() as f64 / total as f64)
        .collect()
}

/// Regions whose weight read back is not what was asked, in words ("eastus reads 500,
/// expected 900"): a change made behind meridian's back shows up here.
pub fn differences(
    asked: &[(String, Weight)],
    read: &std::collections::HashMap<String, Weight>,
) -> Vec<String> {
    asked
        .iter()
        .filter(|(r, w)| !read.get(r).is_some_and(|seen| seen.same_setting(*w)))
        .map(|(r, w)| match read.get(r) {
            Some(seen) => format!("{r} reads {seen}, expected {w}"),
            None => format!("{r} is missing, expected {w}"),
        })
        .collect()
}

/// "40%" style, with one decimal only when it matters.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{:.0}%", p)
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(pairs: &[(&str, Weight)]) -> Vec<(String, Weight)> {
        pairs.iter().map(|(r, w)| (r.to_string(), *w)).collect()
    }

    #[test]
    fn shares_ignore_drained_regions_and_count_unmanaged() {
        let ws = w(&[("a", Weight::units(70)), ("b", Weight::drained(30))]);
        assert_eq!(shares(&ws, &[30], &rules::ROUTE53), vec![0.7, 0.0]);
    }

    #[test]
    fn all_drained_is_an_even_split_on_route53_and_nothing_on_azure() {
        let ws = w(&[("a", Weight::units(0)), ("b", Weight::units(0))]);
        assert_eq!(shares(&ws, &[], &rules::ROUTE53), vec![0.5, 0.5]);
        let ws = w(&[("a", Weight::drained(700)), ("b", Weight::drained(300))]);
        assert_eq!(shares(&ws, &[], &rules::AZURE), vec![0.0, 0.0]);
    }

    #[test]
    fn percent_is_whole_unless_it_is_not() {
        assert_eq!(percent(0.9), "90%");
        assert_eq!(percent(1.0 / 3.0), "33.3%");
    }
}
