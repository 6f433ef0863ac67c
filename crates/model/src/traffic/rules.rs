//! Each traffic provider's rules, as data: the range of its units, how it drains a region,
//! what happens when every region is drained, and what an operator should know. The planner
//! reads them from the fleet's `[traffic]` provider, so plans stay pure.

use super::Weight;

/// What DNS does when no region has any weight left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllDrained {
    /// Every record answers equally (Route 53 all-zero): "drain everything" means "send
    /// everywhere".
    EvenSplit,
    /// Nothing answers (Azure: the profile goes Inactive).
    NoAnswer,
}

/// How a provider takes a region out of rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainBy {
    /// Weight 0.
    ZeroWeight,
    /// The endpoint is disabled; its weight is kept for when it is enabled again.
    Disable,
}

/// One provider's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficRules {
    /// The provider in words: "Route 53".
    pub provider: &'static str,
    /// Smallest weight of a serving region, in units.
    pub min: u32,
    /// Largest weight, in units.
    pub max: u32,
    /// Units are hundredths (Cloudflare's 0..1 pool weights) when 2, whole numbers when 0.
    pub decimals: u32,
    pub drain_by: DrainBy,
    pub all_drained: AllDrained,
    /// Why every region drained is refused, for the `all-weights-zero` guard.
    pub all_drained_reason: &'static str,
    /// The same under a policy without weights (every record, pool or endpoint out of
    /// rotation).
    pub all_out_reason: &'static str,
    /// How a region is taken out of rotation under a policy without weights, shown in
    /// every such plan.
    pub steered_drain: &'static str,
    /// What an operator should know about changing weights here, shown in every plan.
    pub notes: &'static [&'static str],
}

/// Route 53 weighted records (and the simulator, which models them).
pub const ROUTE53: TrafficRules = TrafficRules {
    provider: "Route 53",
    min: 1,
    max: 255,
    decimals: 0,
    drain_by: DrainBy::ZeroWeight,
    all_drained: AllDrained::EvenSplit,
    all_drained_reason: "every weight would be 0, and DNS then sends traffic to every region evenly; keep at least one region above 0",
    all_out_reason: "every record would be unhealthy, and Route 53 then answers as if all were healthy (a failover record: with the primary): draining everything sends traffic everywhere; keep at least one region in rotation",
    steered_drain: "Route 53: a record that is not weighted is taken out of rotation by pointing it at a health check meridian owns that is always unhealthy (Disabled and Inverted, no children); its own health check is left alone and put back on restore. Resolvers keep the old answer for up to the record's TTL",
    notes: &[
        "Route 53: a health-checked record at weight 0 still answers when every record with a weight above 0 is unhealthy",
    ],
};

/// The simulator models Route 53 weights; it has no vendor notes to add.
pub const SIMULATED: TrafficRules = TrafficRules {
    provider: "DNS",
    notes: &[],
    ..ROUTE53
};

/// Azure Traffic Manager weighted endpoints.
pub const AZURE: TrafficRules = TrafficRules {
    provider: "Azure Traffic Manager",
    min: 1,
    max: 1000,
    decimals: 0,
    drain_by: DrainBy::Disable,
    all_drained: AllDrained::NoAnswer,
    all_drained_reason: "every endpoint would be disabled, and the Traffic Manager profile then goes Inactive and answers no one; keep at least one endpoint enabled",
    all_out_reason: "every endpoint would be disabled, and the Traffic Manager profile then goes Inactive and answers no one; keep at least one endpoint enabled",
    steered_drain: "Azure Traffic Manager: an endpoint is taken out of rotation by disabling it (endpointStatus Disabled) under every routing method; restore enables it again. Resolvers keep the old answer for up to the profile's TTL",
    notes: &[
        "Azure Traffic Manager: weights are 1..1000 and cannot be 0; a drained region's endpoint is disabled (endpointStatus Disabled) and keeps its weight; restore enables it again",
    ],
};

/// Cloudflare Load Balancing pool weights (`random_steering.pool_weights`, 0..1).
pub const CLOUDFLARE: TrafficRules = TrafficRules {
    provider: "Cloudflare Load Balancing",
    min: 1,
    max: 100,
    decimals: 2,
    drain_by: DrainBy::ZeroWeight,
    all_drained: AllDrained::NoAnswer,
    all_drained_reason: "every pool would be at weight 0: random steering then has no pool to pick and Cloudflare falls back on its fallback_pool; keep at least one pool above 0",
    all_out_reason: "every pool would be disabled: Cloudflare then sends all traffic to the load balancer's fallback_pool, disabled or not; keep at least one pool enabled",
    steered_drain: "Cloudflare: under steering other than weights a pool is taken out of rotation by removing it from the fleet's load balancers' lists (default_pools, region_pools, country_pools, pop_pools); the pool stays enabled and health-checked, and other load balancers using it are untouched; its traffic goes to the next pool of each list, else default_pools, else fallback_pool; restore puts it back at the same places",
    notes: &[
        "Cloudflare: pool weights (0..1) apply to random, least_outstanding_requests and least_connections steering; when every pool is unhealthy the load balancer's fallback_pool serves, drained or not",
    ],
};

impl TrafficRules {
    /// The weight that takes a region out of rotation, given what it has now. Under a
    /// policy without weights the setting stays and the region is marked drained; the
    /// provider takes it out its own way (a record made unhealthy, a disabled pool or
    /// endpoint).
    pub fn drain(&self, now: Weight) -> Weight {
        if !now.steering.weighted() {
            return now.with_drained(true);
        }
        match self.drain_by {
            DrainBy::ZeroWeight => Weight::drained(0),
            // Keep the endpoint's weight so enabling it again restores its share.
            DrainBy::Disable => Weight::drained(now.units.clamp(self.min, self.max)),
        }
    }

    /// The weight for `units` asked of a region that has `now`: 0 drains.
    pub fn set(&self, now: Weight, units: u32) -> Weight {
        if units == 0 {
            self.drain(now)
        } else {
            Weight::units(units)
        }
    }

    /// The steady setting of a region that has `now`: its steady weight, or, under a policy
    /// without weights, in rotation unless the steady weight is 0.
    pub fn restore(&self, now: Weight, steady: u32) -> Weight {
        if now.steering.weighted() {
            self.set(now, steady)
        } else {
            now.with_drained(steady == 0)
        }
    }

    /// Is `units` a weight this provider accepts (0 meaning drain)?
    pub fn in_range(&self, units: u64) -> bool {
        units == 0 || (self.min as u64..=self.max as u64).contains(&units)
    }

    /// The valid range in the provider's own notation: "0..=255", "1..=1000", "0.00..=1.00".
    pub fn range_text(&self) -> String {
        let lo = match self.drain_by {
            DrainBy::ZeroWeight => 0,
            DrainBy::Disable => self.min,
        };
        let base = format!(
            "{}..={}",
            self.format_units(lo),
            self.format_units(self.max)
        );
        match self.drain_by {
            DrainBy::ZeroWeight => base,
            DrainBy::Disable => format!("{base} (0 disables the endpoint)"),
        }
    }

    /// Units in the provider's notation: `30`, or `0.30` for Cloudflare.
    pub fn format_units(&self, units: u32) -> String {
        match self.decimals {
            0 => units.to_string(),
            d => {
                let scale = 10u32.pow(d);
                format!(
                    "{}.{:0width$}",
                    units / scale,
                    units % scale,
                    width = d as usize
                )
            }
        }
    }

    /// A weight as the provider would show it: `30`, `0.30`, `disabled (700)`; under
    /// another policy the policy and whether it is in rotation (`latency, drained`).
    pub fn format(&self, w: Weight) -> String {
        if !w.steering.weighted() {
            return w.to_string();
        }
        match (w.drained, self.drain_by) {
            (true, DrainBy::Disable) => format!("disabled ({})", self.format_units(w.units)),
            (true, DrainBy::ZeroWeight) => self.format_units(0),
            (false, _) => self.format_units(w.units),
        }
    }

    /// Read a weight written in the provider's notation (`30`, `0.3`): `None` when it is not
    /// one (a fraction for a whole-number provider, too many decimals).
    pub fn parse_units(&self, text: &str) -> Option<u64> {
        let text = text.trim();
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if !digits(whole) || !digits(frac) || frac.len() > self.decimals as usize {
            return None;
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut frac_units: u64 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        for _ in frac.len()..self.decimals as usize {
            frac_units *= 10;
        }
        whole
            .checked_mul(10u64.pow(self.decimals))?
            .checked_add(frac_units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_drains_its_own_way() {
        assert_eq!(ROUTE53.drain(Weight::units(30)), Weight::drained(0));
        assert_eq!(AZURE.drain(Weight::units(700)), Weight::drained(700));
        assert_eq!(AZURE.set(Weight::units(700), 0), Weight::drained(700));
        assert_eq!(CLOUDFLARE.drain(Weight::units(70)), Weight::drained(0));
    }

    #[test]
    fn ranges_follow_the_providers() {
        assert!(ROUTE53.in_range(0) && ROUTE53.in_range(255) && !ROUTE53.in_range(256));
        assert!(AZURE.in_range(0) && AZURE.in_range(1000) && !AZURE.in_range(1001));
        assert!(CLOUDFLARE.in_range(100) && !CLOUDFLARE.in_range(101));
        assert_eq!(AZURE.range_text(), "1..=1000 (0 disables the endpoint)");
        assert_eq!(CLOUDFLARE.range_text(), "0.00..=1.00");
    }

    #[test]
    fn units_print_and_parse_in_the_providers_notation() {
        assert_eq!(CLOUDFLARE.format_units(35), "0.35");
        assert_eq!(CLOUDFLARE.format(Weight::units(100)), "1.00");
        assert_eq!(AZURE.format(Weight::drained(700)), "disabled (700)");
        assert_eq!(CLOUDFLARE.parse_units("0.3"), Some(30));
        assert_eq!(CLOUDFLARE.parse_units(".25"), Some(25));
        assert_eq!(CLOUDFLARE.parse_units("0.333"), None);
        assert_eq!(ROUTE53.parse_units("30"), Some(30));
        assert_eq!(ROUTE53.parse_units("0.5"), None);
        assert_eq!(ROUTE53.parse_units("-1"), None);
        assert_eq!(ROUTE53.parse_units("99999999999999999999999"), None);
    }
}
