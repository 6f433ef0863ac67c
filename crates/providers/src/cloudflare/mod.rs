//! Cloudflare Load Balancing as the fleet's traffic and health: one or more load balancers
//! in a zone, one pool per region matched by name (the region's `set_identifier`, default
//! its id), weights in `random_steering.pool_weights`, health from the pool health endpoint.
//!
//! Rules (see `traffic::rules::CLOUDFLARE`): weights are 0..1; a drained pool gets weight 0 on
//! every configured load balancer; the `fallback_pool` still serves when every pool is
//! unhealthy. Each load balancer is one PATCH (atomic for that load balancer); several load
//! balancers are changed one after the other, in the fleet file's order, and the plan says so.
//! Disabling a pool is not how meridian drains: it would hit every load balancer using the
//! pool and stop its health checks. Load balancers that steer otherwise (`off`, `geo`,
//! `dynamic_latency`, `proximity`) have the pool taken out of their lists instead (`steer`).

pub mod api;
pub mod kv;
pub mod model;
mod rotation;
pub mod steer;

use std::path::Path;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::Mutex;

use self::api::{Api, CfTarget};
use self::model::{LoadBalancer, Pool};
use super::aws::healthy_since::HealthySince;
use super::drains::DrainBook;
use super::{
    HealthProvider, Progress, ProviderError, ProviderResult, TrafficProvider, WeightsReading,
};
use meridian_model::fleet::{Capability, Fleet, Region};
use meridian_model::state::{Health, HealthStatus, now_ms};
use meridian_model::traffic::Weight;

/// How long one read of pools and load balancers serves every region.
const SHARED_READ: Duration = Duration::from_secs(2);

/// Pools and the configured load balancers, as read together.
#[derive(Debug, Clone)]
struct View {
    pools: Vec<Pool>,
    lbs: Vec<LoadBalancer>,
}

/// The configured load balancers of one zone.
pub struct LoadBalancing {
    api: Api,
    last: Mutex<Option<(Instant, View)>>,
    since: HealthySince,
}

impl LoadBalancing {
    pub fn new(fleet: &Fleet, cap: &Capability, state_dir: Option<&Path>) -> LoadBalancing {
        LoadBalancing {
            api: Api::new(CfTarget::of(fleet, cap)),
            last: Mutex::new(None),
            since: HealthySince::with_file(state_dir, "cloudflare-healthy-since.json"),
        }
    }

    async fn view(&self, progress: &Progress, fresh: bool) -> ProviderResult<View> {
        let mut last = self.last.lock().await;
        if let Some((at, v)) = last.as_ref()
            && !fresh
            && at.elapsed() < SHARED_READ
        {
            return Ok(v.clone());
        }
        let t = &self.api.target;
        let pools = self
            .api
            .list(
                &format!("/accounts/{}/load_balancers/pools", t.account_id),
                progress,
            )
            .await?
            .iter()
            .filter_map(model::pool)
            .collect();
        let all: Vec<LoadBalancer> = self
            .api
            .list(&format!("/zones/{}/load_balancers", t.zone_id), progress)
            .await?
            .iter()
            .filter_map(model::load_balancer)
            .collect();
        let mut lbs = Vec::new();
        for want in &t.load_balancers {
            let found = all.iter().find(|lb| {
                lb.id == *want || lb.name.eq_ignore_ascii_case(want.trim_end_matches('.'))
            });
            match found {
                Some(lb) => lbs.push(lb.clone()),
                None => {
                    return Err(ProviderError::new(
                        None,
                        "cloudflare GET load_balancers",
                        format!("no load balancer \"{want}\" in zone {}", t.zone_id),
                    )
                    .with_hint("check load_balancers in the fleet file (hostnames or ids)"));
                }
            }
        }
        if let Some(lb) = lbs.iter().find(|lb| lb.policy().is_none()) {
            return Err(ProviderError::new(
                None,
                "cloudflare GET load_balancers",
                format!(
                    "load balancer {} uses steering_policy \"{}\", which meridian does not know",
                    lb.name, lb.steering
                ),
            ));
        }
        if let (Some(first), Some(other)) = (
            lbs.first(),
            lbs.iter().find(|lb| lb.weighted() != lbs[0].weighted()),
        ) {
            return Err(ProviderError::new(None, "cloudflare GET load_balancers", format!(
                "load balancers {} ({}) and {} ({}) steer differently: one by pool weights, one not",
                first.name, first.steering, other.name, other.steering
            ))
            .with_hint("list load balancers that steer alike in the fleet file's load_balancers"));
        }
        let v = View { pools, lbs };
        *last = Some((Instant::now(), v.clone()));
        Ok(v)
    }

    fn pool_for<'a>(v: &'a View, name: &str) -> Option<&'a Pool> {
        v.pools.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    fn weights(fleet: &Fleet, v: &View) -> WeightsReading {
        let mut reading = WeightsReading::default();
        // The first load balancer is the reading; apply keeps the others the same.
        let Some(lb) = v.lbs.first() else {
            return reading;
        };
        for r in &fleet.regions {
            if let Some(p) = Self::pool_for(v, &r.set_identifier) {
                if lb.weighted() {
                    reading.by_region.insert(r.id.clone(), lb.weight_of(p));
                } else if let Some(w) = steer::weight_of(lb, p) {
                    reading.by_region.insert(r.id.clone(), w);
                    reading
                        .routes
                        .insert(r.id.clone(), steer::route(lb, p, &v.pools));
                }
            }
        }
        for id in &lb.default_pools {
            let Some(p) = v.pools.iter().find(|p| p.id == *id) else {
                continue;
            };
            let managed = fleet
                .regions
                .iter()
                .any(|r| r.set_identifier.eq_ignore_ascii_case(&p.name));
            if !managed {
                let units = if lb.weighted() {
                    lb.weight_of(p).effective()
                } else {
                    u32::from(p.enabled)
                };
                reading.unmanaged.push((p.name.clone(), units));
            }
        }
        reading
    }

    /// (pool id, weight) per region asked; an error names a region without a pool.
    fn by_pool(
        fleet: &Fleet,
        v: &View,
        weights: &[(String, Weight)],
    ) -> ProviderResult<Vec<(String, Weight)>> {
        weights
            .iter()
            .map(|(r, w)| {
                let name = fleet.region(r).map(|x| x.set_identifier.as_str()).unwrap_or(r);
                Self::pool_for(v, name).map(|p| (p.id.clone(), *w)).ok_or_else(|| {
                    ProviderError::new(Some(r), "cloudflare PATCH load_balancers", format!("no pool named \"{name}\""))
                        .with_hint("name the pool after the region, or set set_identifier in the fleet file")
                })
            })
            .collect()
    }

    fn describe(v: &View, changes: &[(String, Weight)]) -> Vec<String> {
        let name = |id: &str| {
            v.pools
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name.clone())
                .unwrap_or(id.into())
        };
        let mut out = vec![if v.lbs.len() == 1 {
            format!(
                "Cloudflare: one PATCH of load balancer {} (atomic)",
                v.lbs[0].name
            )
        } else {
            format!(
                "Cloudflare: NOT atomic: {} load balancers share these pools and are changed one after the other: {}; if one fails, the earlier ones keep their new weights",
                v.lbs.len(),
                v.lbs
                    .iter()
                    .map(|l| l.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", then ")
            )
        }];
        for lb in &v.lbs {
            for (id, w) in changes {
                let was = v
                    .pools
                    .iter()
                    .find(|p| p.id == *id)
                    .map(|p| lb.weight_of(p));
                out.push(format!(
                    "  {}: pool {} weight {} -> {:.2}",
                    lb.name,
                    name(id),
                    was.map(|w| format!("{:.2}", w.effective() as f64 / 100.0))
                        .unwrap_or("?".into()),
                    w.effective() as f64 / 100.0
                ));
                if lb.fallback_pool == *id && !w.serving() {
                    out.push(format!("  {}: {} is the fallback_pool: it still serves when every pool is unhealthy", lb.name, name(id)));
                }
            }
            out.push(format!(
                "  PATCH /zones/{{zone}}/load_balancers/{} body: {}",
                lb.id,
                lb.patch_body(changes)
            ));
        }
        out
    }
}

#[async_trait]
impl TrafficProvider for LoadBalancing {
    async fn read_weights(&self, fleet: &Fleet) -> ProviderResult<WeightsReading> {
        let v = self.view(&Progress::silent(), true).await?;
        Ok(Self::weights(fleet, &v))
    }

    async fn describe_change(&self, fleet: &Fleet, weights: &[(String, Weight)]) -> Vec<String> {
        self.describe_traffic(fleet, weights, &DrainBook::default())
            .await
    }

    async fn describe_traffic(
        &self,
        fleet: &Fleet,
        weights: &[(String, Weight)],
        book: &DrainBook,
    ) -> Vec<String> {
        let described = async {
            let v = self.view(&Progress::silent(), true).await?;
            if v.lbs.first().is_some_and(|lb| !lb.weighted()) {
                return self.describe_rotation(fleet, &v, weights, book);
            }
            let changes = Self::by_pool(fleet, &v, weights)?;
            Ok::<_, ProviderError>(Self::describe(&v, &changes))
        };
        described
            .await
            .unwrap_or_else(|e| vec![format!("the Cloudflare change cannot be shown: {e}")])
    }

    async fn apply_traffic(
        &self,
        fleet: &Fleet,
        weights: &[(String, Weight)],
        book: &mut DrainBook,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let v = self.view(progress, true).await?;
        if v.lbs.first().is_some_and(|lb| !lb.weighted()) {
            return self
                .apply_rotation(fleet, &v, weights, book, progress)
                .await;
        }
        self.apply_weights(fleet, weights, progress).await
    }

    async fn apply_weights(
        &self,
        fleet: &Fleet,
        weights: &[(String, Weight)],
        progress: &Progress,
    ) -> ProviderResult<()> {
        let v = self.view(progress, true).await?;
        let changes = Self::by_pool(fleet, &v, weights)?;
        for line in Self::describe(&v, &changes) {
            progress.say(&line);
        }
        let zone = &self.api.target.zone_id;
        for (i, lb) in v.lbs.iter().enumerate() {
            let body = lb.patch_body(&changes);
            if let Err(e) = self
                .api
                .call(
                    &format!("/zones/{zone}/load_balancers/{}", lb.id),
                    Some(&body),
                    progress,
                )
                .await
            {
                let done: Vec<&str> = v.lbs[..i].iter().map(|l| l.name.as_str()).collect();
                return Err(if done.is_empty() {
                    e
                } else {
                    let hint = format!(
                        "already changed: {}; run the same command again to finish, or restore",
                        done.join(", ")
                    );
                    e.with_hint(hint)
                });
            }
            progress.say(&format!("cloudflare: load balancer {} updated", lb.name));
        }
        // Read back every load balancer: a change made behind meridian's back shows here.
        let after = self.view(progress, true).await?;
        let mut wrong = Vec::new();
        for lb in &after.lbs {
            for ((region, w), (id, _)) in weights.iter().zip(&changes) {
                let seen = after
                    .pools
                    .iter()
                    .find(|p| p.id == *id)
                    .map(|p| lb.weight_of(p));
                if seen.map(Weight::effective) != Some(w.effective()) {
                    wrong.push(format!(
                        "{region} reads {} on {}, expected {:.2}",
                        seen.map(|s| format!("{:.2}", s.effective() as f64 / 100.0))
                            .unwrap_or("nothing".into()),
                        lb.name,
                        w.effective() as f64 / 100.0
                    ));
                }
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(ProviderError::new(
                None,
                "cloudflare GET load_balancers",
                format!("read back differs: {}", wrong.join(", ")),
            )
            .with_hint(
                "someone else changed the load balancer at the same time; check `meridian status`",
            ))
        }
    }
}

#[async_trait]
impl HealthProvider for LoadBalancing {
    async fn read_health(&self, region: &Region) -> ProviderResult<Health> {
        let v = self.view(&Progress::silent(), false).await?;
        let pool = Self::pool_for(&v, &region.set_identifier).ok_or_else(|| {
            ProviderError::new(
                Some(&region.id),
                "cloudflare GET pools",
                format!("no pool named \"{}\"", region.set_identifier),
            )
            .with_hint("name the pool after the region, or set set_identifier in the fleet file")
        })?;
        let path = format!(
            "/accounts/{}/load_balancers/pools/{}/health",
            self.api.target.account_id, pool.id
        );
        let (result, _) = self
            .api
            .call(&path, None, &Progress::silent())
            .await
            .map_err(|mut e| {
                e.region = Some(region.id.clone());
                e
            })?;
        let pops = result
            .get("pop_health")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let healthy = pops
            .values()
            .filter(|p| p.get("healthy").and_then(Value::as_bool) == Some(true))
            .count();
        let (status, reason) = match (pops.len(), healthy) {
            (0, _) if !pool.enabled => (
                HealthStatus::Unknown,
                "pool disabled: Cloudflare does not health-check it".to_string(),
            ),
            (0, _) => (
                HealthStatus::Unknown,
                "no health data for the pool (no monitor?)".to_string(),
            ),
            (n, h) if h == n => (
                HealthStatus::Healthy,
                format!("{h}/{n} Cloudflare PoPs see it healthy"),
            ),
            (n, 0) => (
                HealthStatus::Down,
                format!("0/{n} Cloudflare PoPs see it healthy"),
            ),
            (n, h) => (
                HealthStatus::Degraded,
                format!("{h}/{n} Cloudflare PoPs see it healthy"),
            ),
        };
        let healthy_since =
            self.since
                .observe(&region.id, status == HealthStatus::Healthy, now_ms());
        Ok(Health {
            status,
            reason,
            latency_ms: None,
            healthy_since,
            unhealthy_since: None,
        })
    }
}
