//! Load balancers that do not steer by weight (`off`, `geo`, `dynamic_latency`,
//! `proximity`): a region's pool is taken out of rotation by removing it from the load
//! balancer's lists (`default_pools`, and each `region_pools` / `country_pools` /
//! `pop_pools` entry that names it), and put back at the same places on restore.
//!
//! Why not disable the pool (`enabled: false`): a pool is account-wide, so disabling it
//! takes it out of every load balancer that uses it, fleet or not, and Cloudflare stops
//! health-checking a disabled pool, so the guard that refuses to restore a region that is
//! down would have nothing to go on. Removing it from the fleet's load balancers changes
//! only those, and keeps its health known. A pool someone else disabled reads as drained;
//! restore enables it again, and says so.

use serde_json::{Map, Value, json};

use super::model::{GeoList, LoadBalancer, Pool};
use meridian_model::state::Route;
use meridian_model::traffic::Weight;

/// One place a pool had in a load balancer's lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Place {
    /// `default_pools`, `region_pools`, ...
    pub list: String,
    /// The code (`WNAM`), for the geo maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Index in that list.
    pub index: usize,
}

/// The region's weight on a load balancer that does not steer by weight: its policy, its
/// place in the pool order, and whether it is in rotation.
pub fn weight_of(lb: &LoadBalancer, pool: &Pool) -> Option<Weight> {
    let policy = lb.policy()?;
    Some(
        Weight::steered(
            policy,
            if policy.ordered() {
                lb.position(&pool.id)
            } else {
                0
            },
        )
        .with_drained(!pool.enabled || !lb.uses(&pool.id)),
    )
}

/// What decides the pool's traffic, and the geographies only it serves.
pub fn route(lb: &LoadBalancer, pool: &Pool, pools: &[Pool]) -> Route {
    let name = |id: &str| {
        pools
            .iter()
            .find(|p| p.id == id)
            .map_or(id.to_string(), |p| p.name.clone())
    };
    let only_for = lb.only_for(&pool.id);
    let instead = (!only_for.is_empty()).then(|| instead(lb, &pool.id, &name));
    Route {
        via: format!(
            "pool {} of load balancer {} ({} steering)",
            pool.name,
            lb.name,
            if lb.steering.is_empty() {
                "off"
            } else {
                &lb.steering
            }
        ),
        only_for,
        instead,
    }
}

/// Where the pool's traffic goes when it leaves the lists: the next pool in order, the
/// default pools, or the fallback pool.
fn instead(lb: &LoadBalancer, pool: &str, name: &dyn Fn(&str) -> String) -> String {
    let others: Vec<String> = lb
        .default_pools
        .iter()
        .filter(|p| *p != pool)
        .map(|p| name(p))
        .collect();
    if others.is_empty() {
        format!("the fallback pool {}", name(&lb.fallback_pool))
    } else {
        format!("the default pools ({})", others.join(", "))
    }
}

/// The load balancer's lists without the pool, and the places it had; an error when the
/// pool is its only default pool (Cloudflare needs at least one).
pub fn remove(lb: &LoadBalancer, pool: &str) -> Result<(Value, Vec<Place>), String> {
    let mut places = Vec::new();
    let mut body = Map::new();
    if let Some(i) = lb.default_pools.iter().position(|p| p == pool) {
        if lb.default_pools.len() == 1 {
            return Err(format!(
                "it is the only default pool of load balancer {}: Cloudflare needs one; put another pool in first",
                lb.name
            ));
        }
        places.push(Place {
            list: "default_pools".into(),
            code: None,
            index: i,
        });
        let rest: Vec<&String> = lb.default_pools.iter().filter(|p| *p != pool).collect();
        body.insert("default_pools".into(), json!(rest));
    }
    for list in GeoList::ALL {
        let Some(map) = lb.geo_pools.get(&list) else {
            continue;
        };
        if !map.values().any(|ids| ids.iter().any(|p| p == pool)) {
            continue;
        }
        let mut out = Map::new();
        for (code, ids) in map {
            let kept: Vec<&String> = ids.iter().filter(|p| *p != pool).collect();
            if let Some(i) = ids.iter().position(|p| p == pool) {
                places.push(Place {
                    list: list.field().into(),
                    code: Some(code.clone()),
                    index: i,
                });
            }
            // A code left with no pool falls back to default_pools: leave it out.
            if !kept.is_empty() {
                out.insert(code.clone(), json!(kept));
            }
        }
        body.insert(list.field().into(), Value::Object(out));
    }
    Ok((Value::Object(body), places))
}

/// The load balancer's lists with the pool back at `places` (where it is not already);
/// without places (nothing recorded), at the end of `default_pools`.
pub fn put_back(lb: &LoadBalancer, pool: &str, places: &[Place]) -> Value {
    let mut body = Map::new();
    let places: Vec<Place> = if places.is_empty() {
        vec![Place {
            list: "default_pools".into(),
            code: None,
            index: lb.default_pools.len(),
        }]
    } else {
        places.to_vec()
    };
    if let Some(p) = places.iter().find(|p| p.list == "default_pools") {
        let mut ids = lb.default_pools.clone();
        if !ids.iter().any(|x| x == pool) {
            ids.insert(p.index.min(ids.len()), pool.to_string());
        }
        body.insert("default_pools".into(), json!(ids));
    }
    for list in GeoList::ALL {
        let mine: Vec<&Place> = places.iter().filter(|p| p.list == list.field()).collect();
        if mine.is_empty() {
            continue;
        }
        let mut map = lb.geo_pools.get(&list).cloned().unwrap_or_default();
        for place in mine {
            let Some(code) = &place.code else { continue };
            let ids = map.entry(code.clone()).or_default();
            if !ids.iter().any(|x| x == pool) {
                ids.insert(place.index.min(ids.len()), pool.to_string());
            }
        }
        body.insert(list.field().into(), json!(map));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudflare::model::load_balancer;

    fn geo() -> LoadBalancer {
        load_balancer(
            &json!({"id": "lb1", "name": "app.example.com", "steering_policy": "geo",
            "default_pools": ["us", "eu", "ap"], "fallback_pool": "us",
            "region_pools": {"WNAM": ["us"], "WEU": ["eu", "us"], "SEAS": ["ap"]},
            "country_pools": {"DE": ["eu"]}}),
        )
        .unwrap()
    }

    #[test]
    fn removing_a_pool_and_putting_it_back_gives_the_same_lists() {
        let lb = geo();
        let (body, places) = remove(&lb, "eu").unwrap();
        assert_eq!(body["default_pools"], json!(["us", "ap"]));
        assert_eq!(body["region_pools"]["WEU"], json!(["us"]));
        assert!(body["country_pools"].get("DE").is_none(), "DE falls back");
        assert_eq!(places.len(), 3);
        let mut drained = lb.clone();
        drained.default_pools = vec!["us".into(), "ap".into()];
        drained
            .geo_pools
            .get_mut(&GeoList::Region)
            .unwrap()
            .insert("WEU".into(), vec!["us".into()]);
        drained
            .geo_pools
            .get_mut(&GeoList::Country)
            .unwrap()
            .remove("DE");
        let back = put_back(&drained, "eu", &places);
        assert_eq!(back["default_pools"], json!(["us", "eu", "ap"]));
        assert_eq!(back["region_pools"]["WEU"], json!(["eu", "us"]));
        assert_eq!(back["country_pools"]["DE"], json!(["eu"]));
    }

    #[test]
    fn geographies_served_by_one_pool_are_named_with_where_they_go() {
        let lb = geo();
        let eu = Pool {
            id: "eu".into(),
            name: "eu-west-1".into(),
            enabled: true,
        };
        let pools = vec![eu.clone()];
        let r = route(&lb, &eu, &pools);
        assert_eq!(r.only_for, vec!["country DE"]);
        assert!(r.instead.unwrap().contains("default pools (us, ap)"));
        let only = LoadBalancer {
            default_pools: vec!["eu".into()],
            ..lb
        };
        assert!(
            remove(&only, "eu")
                .unwrap_err()
                .contains("only default pool")
        );
    }
}
