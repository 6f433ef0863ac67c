//! Cloudflare load balancers and pools as the v4 API returns them, read into the
//! provider-neutral model, and the PATCH body that sets pool weights. Pure, tested alone.
//!
//! Units are hundredths of a pool weight (`random_steering.pool_weights`, 0..1): 0.35 is 35.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use meridian_model::traffic::{Steering, Weight};

/// Steering policies that choose pools by `random_steering` weights.
pub const WEIGHTED_STEERING: &[&str] =
    &["random", "least_outstanding_requests", "least_connections"];

/// One pool (account-wide).
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub id: String,
    pub name: String,
    pub enabled: bool,
}

/// One load balancer (in a zone).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancer {
    pub id: String,
    pub name: String,
    pub steering: String,
    pub default_pools: Vec<String>,
    pub fallback_pool: String,
    /// `random_steering.default_weight` (1 when absent), in units.
    pub default_weight: u32,
    /// `random_steering.pool_weights`, in units.
    pub pool_weights: Vec<(String, u32)>,
    /// `region_pools`, `country_pools`, `pop_pools`: code -> pool ids, for geo steering.
    pub geo_pools: BTreeMap<GeoList, BTreeMap<String, Vec<String>>>,
}

/// The three maps of geographies to pools a load balancer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GeoList {
    Region,
    Country,
    Pop,
}

impl GeoList {
    pub const ALL: [GeoList; 3] = [GeoList::Region, GeoList::Country, GeoList::Pop];

    /// The field's name in the API.
    pub fn field(self) -> &'static str {
        match self {
            GeoList::Region => "region_pools",
            GeoList::Country => "country_pools",
            GeoList::Pop => "pop_pools",
        }
    }

    /// A code in words: `region WNAM`, `country DE`, `PoP LHR`.
    pub fn name(self, code: &str) -> String {
        match self {
            GeoList::Region => format!("region {code}"),
            GeoList::Country => format!("country {code}"),
            GeoList::Pop => format!("PoP {code}"),
        }
    }
}

fn units(v: &Value) -> Option<u32> {
    v.as_f64()
        .filter(|f| (0.0..=1.0).contains(f))
        .map(|f| (f * 100.0).round() as u32)
}

/// Read a pool from its JSON.
pub fn pool(v: &Value) -> Option<Pool> {
    Some(Pool {
        id: v.get("id")?.as_str()?.to_string(),
        name: v.get("name")?.as_str()?.to_string(),
        enabled: v.get("enabled").and_then(Value::as_bool).unwrap_or(true),
    })
}

/// Read a load balancer from its JSON.
pub fn load_balancer(v: &Value) -> Option<LoadBalancer> {
    let rs = v.get("random_steering");
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Some(LoadBalancer {
        id: v.get("id")?.as_str()?.to_string(),
        name: text("name"),
        steering: text("steering_policy"),
        default_pools: v
            .get("default_pools")?
            .as_array()?
            .iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect(),
        fallback_pool: text("fallback_pool"),
        default_weight: rs
            .and_then(|r| r.get("default_weight"))
            .and_then(units)
            .unwrap_or(100),
        pool_weights: rs
            .and_then(|r| r.get("pool_weights"))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), units(v)?)))
                    .collect()
            })
            .unwrap_or_default(),
        geo_pools: GeoList::ALL
            .iter()
            .map(|list| {
                let map = v
                    .get(list.field())
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(code, pools)| {
                                let ids = pools
                                    .as_array()
                                    .map(|a| {
                                        a.iter()
                                            .filter_map(|p| p.as_str().map(str::to_string))
                                            .collect()
                                    })
                                    .unwrap_or_default();
                                (code.clone(), ids)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (*list, map)
            })
            .collect(),
    })
}

impl LoadBalancer {
    /// Does this load balancer pick pools by weight?
    pub fn weighted(&self) -> bool {
        WEIGHTED_STEERING.contains(&self.steering.as_str())
    }

    /// The routing policy of its `steering_policy` (`off` and empty: pools in order).
    pub fn policy(&self) -> Option<Steering> {
        Some(match self.steering.as_str() {
            s if WEIGHTED_STEERING.contains(&s) => Steering::Weighted,
            "off" | "" => Steering::Ordered,
            "geo" => Steering::Geo,
            "dynamic_latency" => Steering::DynamicLatency,
            "proximity" => Steering::Proximity,
            _ => return None,
        })
    }

    /// Does any of its lists name the pool?
    pub fn uses(&self, pool: &str) -> bool {
        self.default_pools.iter().any(|p| p == pool)
            || self
                .geo_pools
                .values()
                .flat_map(|m| m.values())
                .any(|ids| ids.iter().any(|p| p == pool))
    }

    /// The pool's place in `default_pools`, from 1 (0: not there).
    pub fn position(&self, pool: &str) -> u32 {
        self.default_pools
            .iter()
            .position(|p| p == pool)
            .map_or(0, |i| i as u32 + 1)
    }

    /// Geographies whose list names this pool alone, in words.
    pub fn only_for(&self, pool: &str) -> Vec<String> {
        self.geo_pools
            .iter()
            .flat_map(|(list, m)| {
                m.iter()
                    .filter(|(_, ids)| ids.len() == 1 && ids[0] == pool)
                    .map(|(code, _)| list.name(code))
            })
            .collect()
    }

    /// A pool's weight here: its own entry, else the default; not in `default_pools`, or
    /// disabled, means no traffic by weight.
    pub fn weight_of(&self, pool: &Pool) -> Weight {
        let units = self
            .pool_weights
            .iter()
            .find(|(id, _)| *id == pool.id)
            .map(|(_, u)| *u)
            .unwrap_or(self.default_weight);
        if !self.default_pools.contains(&pool.id) {
            Weight::drained(0)
        } else if !pool.enabled {
            Weight::drained(units)
        } else {
            Weight::units(units)
        }
    }

    /// The PATCH body setting these pools' weights (by pool id, in units), keeping every
    /// other pool's weight and the default weight.
    pub fn patch_body(&self, changes: &[(String, Weight)]) -> Value {
        let mut weights = Map::new();
        for (id, u) in &self.pool_weights {
            weights.insert(id.clone(), json!(*u as f64 / 100.0));
        }
        for (id, w) in changes {
            weights.insert(id.clone(), json!(w.effective() as f64 / 100.0));
        }
        json!({ "random_steering": {
            "default_weight": self.default_weight as f64 / 100.0,
            "pool_weights": weights,
        }})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb() -> LoadBalancer {
        load_balancer(
            &json!({"id": "lb1", "name": "app.example.com", "steering_policy": "random",
            "default_pools": ["p1", "p2"], "fallback_pool": "p2",
            "random_steering": {"default_weight": 1, "pool_weights": {"p1": 0.7}}}),
        )
        .unwrap()
    }
    fn p(id: &str, enabled: bool) -> Pool {
        Pool {
            id: id.into(),
            name: id.into(),
            enabled,
        }
    }

    #[test]
    fn weights_come_from_pool_weights_or_the_default() {
        let lb = lb();
        assert!(lb.weighted());
        assert_eq!(lb.weight_of(&p("p1", true)), Weight::units(70));
        assert_eq!(lb.weight_of(&p("p2", true)), Weight::units(100));
        assert_eq!(lb.weight_of(&p("p2", false)), Weight::drained(100));
        assert_eq!(
            lb.weight_of(&p("p3", true)),
            Weight::drained(0),
            "not in default_pools"
        );
    }

    #[test]
    fn the_patch_keeps_other_pools_and_the_default_weight() {
        let body = lb().patch_body(&[("p2".into(), Weight::drained(0))]);
        assert_eq!(body["random_steering"]["pool_weights"]["p1"], 0.7);
        assert_eq!(body["random_steering"]["pool_weights"]["p2"], 0.0);
        assert_eq!(body["random_steering"]["default_weight"], 1.0);
    }
}
