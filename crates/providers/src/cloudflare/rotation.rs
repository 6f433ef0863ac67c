//! Taking pools out of rotation, and back, on load balancers that do not steer by weight
//! (the lists to change are worked out in `steer`). Each load balancer is one PATCH of its
//! lists; what was removed, and where, goes into the drain book so restore puts it back.

use serde_json::{Value, json};

use super::steer::{self, Place};
use super::{LoadBalancing, View};
use crate::drains::{DrainBook, Drained};
use crate::{Progress, ProviderError, ProviderResult};
use meridian_model::fleet::Fleet;
use meridian_model::traffic::Weight;

/// One PATCH: a load balancer's new lists, or a pool enabled again.
struct Patch {
    path: String,
    body: Value,
    line: String,
}

/// The PATCHes of a change, and what it does per region.
type Patches = (Vec<Patch>, Vec<(String, Done)>);

/// What the change does per region, for the book.
enum Done {
    Drained(Vec<(String, Vec<Place>)>),
    Restored,
}

impl LoadBalancing {
    /// The PATCHes that take `weights`' regions out of rotation or put them back, in words
    /// too, and what each region's book entry becomes.
    fn rotation_patches(
        &self,
        fleet: &Fleet,
        v: &View,
        weights: &[(String, Weight)],
        book: &DrainBook,
    ) -> ProviderResult<Patches> {
        let t = &self.api.target;
        let call = "cloudflare PATCH load_balancers";
        let mut patches = Vec::new();
        let mut done = Vec::new();
        let name = |id: &str| {
            v.pools
                .iter()
                .find(|p| p.id == id)
                .map_or(id.to_string(), |p| p.name.clone())
        };
        for (region, w) in weights {
            let set_id = fleet
                .region(region)
                .map_or(region.as_str(), |r| r.set_identifier.as_str());
            let pool = Self::pool_for(v, set_id).ok_or_else(|| {
                ProviderError::new(Some(region), call, format!("no pool named \"{set_id}\""))
            })?;
            if w.drained {
                let mut removed = Vec::new();
                for lb in v.lbs.iter().filter(|lb| lb.uses(&pool.id)) {
                    let (body, places) = steer::remove(lb, &pool.id).map_err(|why| {
                        ProviderError::new(
                            Some(region),
                            call,
                            format!("pool {} cannot leave rotation: {why}", pool.name),
                        )
                    })?;
                    let lists: Vec<String> = places
                        .iter()
                        .map(|p| match &p.code {
                            Some(code) => format!("{} {code}", p.list),
                            None => p.list.clone(),
                        })
                        .collect();
                    let only = lb.only_for(&pool.id);
                    let mut line = format!(
                        "  {} ({} steering): remove pool {} from {}",
                        lb.name,
                        lb.policy().map_or("?", |p| p.name()),
                        pool.name,
                        lists.join(", ")
                    );
                    if !only.is_empty() {
                        line.push_str(&format!(
                            "; {} then go to {}",
                            only.join(", "),
                            steer::route(lb, pool, &v.pools).instead.unwrap_or_default()
                        ));
                    }
                    if lb.fallback_pool == pool.id {
                        line.push_str(
                            "; it stays the fallback_pool, which still serves when every other pool is unhealthy",
                        );
                    }
                    patches.push(Patch {
                        path: format!("/zones/{}/load_balancers/{}", t.zone_id, lb.id),
                        body,
                        line,
                    });
                    removed.push((lb.id.clone(), places));
                }
                if !removed.is_empty() {
                    done.push((region.clone(), Done::Drained(removed)));
                }
            } else {
                let recorded: Vec<(String, Vec<Place>)> = book
                    .regions
                    .get(region)
                    .filter(|d| d.provider == "cloudflare")
                    .and_then(|d| serde_json::from_value(d.undo["places"].clone()).ok())
                    .unwrap_or_default();
                for lb in &v.lbs {
                    let places = recorded
                        .iter()
                        .find(|(id, _)| *id == lb.id)
                        .map(|(_, p)| p.clone());
                    if lb.uses(&pool.id) && places.is_none() {
                        continue;
                    }
                    let places = places.unwrap_or_default();
                    let body = steer::put_back(lb, &pool.id, &places);
                    let line = format!(
                        "  {}: put pool {} back {}",
                        lb.name,
                        pool.name,
                        if places.is_empty() {
                            "at the end of default_pools (no record of where it was)".to_string()
                        } else {
                            format!(
                                "where it was ({} place(s), as recorded when it was drained)",
                                places.len()
                            )
                        }
                    );
                    patches.push(Patch {
                        path: format!("/zones/{}/load_balancers/{}", t.zone_id, lb.id),
                        body,
                        line,
                    });
                }
                if !pool.enabled {
                    patches.push(Patch {
                        path: format!(
                            "/accounts/{}/load_balancers/pools/{}",
                            t.account_id, pool.id
                        ),
                        body: json!({"enabled": true}),
                        line: format!(
                            "  pool {} is disabled (not by meridian): enable it (every load balancer using it sees that)",
                            name(&pool.id)
                        ),
                    });
                }
                done.push((region.clone(), Done::Restored));
            }
        }
        Ok((patches, done))
    }

    /// The plan's lines for a change on load balancers that do not steer by weight.
    pub(super) fn describe_rotation(
        &self,
        fleet: &Fleet,
        v: &View,
        weights: &[(String, Weight)],
        book: &DrainBook,
    ) -> ProviderResult<Vec<String>> {
        let (patches, _) = self.rotation_patches(fleet, v, weights, book)?;
        let mut out = vec![format!(
            "Cloudflare: {} PATCH(es), one per load balancer or pool, one after the other",
            patches.len()
        )];
        for p in &patches {
            out.push(p.line.clone());
            out.push(format!("    PATCH {} body: {}", p.path, p.body));
        }
        Ok(out)
    }

    /// Carry out such a change and write the book.
    pub(super) async fn apply_rotation(
        &self,
        fleet: &Fleet,
        v: &View,
        weights: &[(String, Weight)],
        book: &mut DrainBook,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let (patches, done) = self.rotation_patches(fleet, v, weights, book)?;
        for (i, p) in patches.iter().enumerate() {
            progress.say(&p.line);
            if let Err(e) = self.api.call(&p.path, Some(&p.body), progress).await {
                return Err(if i == 0 {
                    e
                } else {
                    e.with_hint(format!(
                        "{i} of {} changes were made; run the same command again to finish",
                        patches.len()
                    ))
                });
            }
        }
        let now = meridian_model::state::now_ms();
        for (region, d) in done {
            match d {
                Done::Drained(places) => {
                    let lbs: Vec<&str> = places.iter().map(|(id, _)| id.as_str()).collect();
                    book.regions.insert(
                        region.clone(),
                        Drained {
                            provider: "cloudflare".into(),
                            how: format!(
                                "pool removed from the lists of load balancer(s) {}",
                                lbs.join(", ")
                            ),
                            undo: json!({ "places": places }),
                            at_ms: now,
                        },
                    );
                }
                Done::Restored => {
                    book.regions.remove(&region);
                }
            }
        }
        Ok(())
    }
}
