//! Route 53 record sets as the fleet's traffic: one record (name and type) with one set per
//! region, matched by SetIdentifier, weighted or routed any other way (latency, failover,
//! geolocation...: `route53_steer`), with a plain alias at the top followed down.
//!
//! A record change is a control-plane call served from us-east-1, while health checks and DNS
//! answers are data plane: during a us-east-1 outage reads may work and changes may not.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecordSet, RrType,
};

use super::retry::{Backoff, provider_error, with_backoff};
use super::route53_steer;
use super::{AwsConfigs, AwsTarget};
use crate::drains::{DrainBook, Drained};
use crate::{Progress, ProviderError, ProviderResult, TrafficProvider, WeightsReading};
use meridian_model::fleet::Fleet;
use meridian_model::fleet::settings::{self, Dur, Settings};
use meridian_model::traffic::{Steering, Weight};

/// Most pages read for one record before giving up (a server that ignores the start
/// identifier would otherwise page forever).
const MAX_PAGES: usize = 50;
/// Most aliases followed from the configured record to the one that decides traffic.
const MAX_ALIAS_DEPTH: usize = 4;

/// Weights in one Route 53 record.
pub struct Route53Traffic {
    configs: Arc<AwsConfigs>,
    target: AwsTarget,
    zone: String,
    record_name: String,
    record_type: RrType,
    /// How long to wait for a change to reach INSYNC.
    pub change_timeout: Duration,
    /// Pause between `GetChange` calls.
    pub sync_interval: Duration,
    pub backoff: Backoff,
    /// Page size for listing (None: Route 53's default of 300); small in tests.
    pub page_size: Option<i32>,
    /// The last reading, for describing a plan made from it.
    recent: std::sync::Mutex<Option<Recent>>,
    /// Health check id -> whether it is a drain check (and what it replaced).
    checks: std::sync::Mutex<HashMap<String, Option<Option<String>>>>,
}

/// A reading this recent is what the plan on screen was made from.
const RECENT: Duration = Duration::from_secs(10);

impl Route53Traffic {
    /// Build from the fleet's `[traffic]` table (already validated by `fleet::load`).
    pub fn from_fleet(fleet: &Fleet, configs: Arc<AwsConfigs>) -> Route53Traffic {
        let default = settings::Route53Traffic::default();
        let s = match &fleet.traffic.settings {
            Settings::Route53Traffic(s) => s,
            _ => &default,
        };
        let mut backoff = Backoff::default();
        if let Some(n) = s.max_attempts {
            backoff.max_attempts = n.clamp(1, 20);
        }
        Route53Traffic {
            configs,
            target: AwsTarget::of(&s.aws),
            zone: s.hosted_zone_id.clone(),
            record_name: absolute(&s.record_name),
            record_type: RrType::from(s.record_type.as_deref().unwrap_or("A")),
            change_timeout: s.change_timeout.map_or(Duration::from_secs(300), Dur::get),
            sync_interval: Duration::from_secs(2),
            backoff,
            page_size: None,
            recent: std::sync::Mutex::new(None),
            checks: std::sync::Mutex::new(HashMap::new()),
        }
    }

    async fn client(&self) -> Client {
        self.configs.route53(&self.target).await
    }

    /// The sets that decide the regions' traffic: those of the record, or, when the record
    /// is a plain alias to another name in this zone (a common layout: a simple record
    /// aliasing a latency or failover tree), those of the name it aliases, followed up to
    /// a few levels. With the aliases followed, in words.
    pub async fn record_sets(
        &self,
        progress: &Progress,
    ) -> ProviderResult<(Vec<ResourceRecordSet>, Vec<String>)> {
        self.deciding_sets(&self.backoff, progress).await
    }

    async fn deciding_sets(
        &self,
        backoff: &Backoff,
        progress: &Progress,
    ) -> ProviderResult<(Vec<ResourceRecordSet>, Vec<String>)> {
        let mut name = self.record_name.clone();
        let mut path = Vec::new();
        for _ in 0..MAX_ALIAS_DEPTH {
            let sets = self.sets_at(&name, backoff, progress).await?;
            if sets.iter().any(|s| s.set_identifier.is_some()) || sets.is_empty() {
                let identified = sets
                    .into_iter()
                    .filter(|s| s.set_identifier.is_some())
                    .collect();
                return Ok((identified, path));
            }
            let next = sets.iter().find_map(|s| {
                let a = s.alias_target.as_ref()?;
                let zone = a.hosted_zone_id().trim_start_matches("/hostedzone/");
                (zone == self.zone.trim_start_matches("/hostedzone/"))
                    .then(|| absolute(a.dns_name()))
            });
            match next {
                Some(next) if !same_name(&next, &name) => {
                    path.push(format!("{name} alias"));
                    name = next;
                }
                _ => return Ok((Vec::new(), path)),
            }
        }
        Err(ProviderError::new(
            None,
            "route53 ListResourceRecordSets",
            format!(
                "{} aliases more than {MAX_ALIAS_DEPTH} names deep",
                self.record_name
            ),
        ))
    }

    /// Every set at one name and the record's type, read with pagination.
    async fn sets_at(
        &self,
        record_name: &str,
        backoff: &Backoff,
        progress: &Progress,
    ) -> ProviderResult<Vec<ResourceRecordSet>> {
        let client = self.client().await;
        let mut sets: Vec<ResourceRecordSet> = Vec::new();
        let mut start = (
            record_name.to_string(),
            self.record_type.clone(),
            None::<String>,
        );
        for _ in 0..MAX_PAGES {
            let (name, rtype, ident) = start.clone();
            let page = with_backoff(backoff, "route53 ListResourceRecordSets", progress, || {
                client
                    .list_resource_record_sets()
                    .hosted_zone_id(&self.zone)
                    .start_record_name(&name)
                    .start_record_type(rtype.clone())
                    .set_start_record_identifier(ident.clone())
                    .set_max_items(self.page_size)
                    .send()
            })
            .await
            .map_err(|e| provider_error(None, "route53 ListResourceRecordSets", &e))?;
            let mut new = 0;
            let mut past_record = false;
            for rs in page.resource_record_sets() {
                if !same_name(&rs.name, record_name) || rs.r#type != self.record_type {
                    past_record = true;
                    break;
                }
                let known = sets.iter().any(|s| s.set_identifier == rs.set_identifier);
                if !known {
                    sets.push(rs.clone());
                    new += 1;
                }
            }
            let next = (page.next_record_name(), page.next_record_type());
            if page.is_truncated() && !past_record && new == 0 {
                // Never return part of the record as if it were all of it.
                return Err(ProviderError::new(
                    None,
                    "route53 ListResourceRecordSets",
                    format!("paging through {record_name} made no progress"),
                )
                .with_hint(
                    "the server ignores StartRecordIdentifier; weights would be incomplete",
                ));
            }
            match next {
                (Some(n), Some(t)) if page.is_truncated() && !past_record => {
                    start = (
                        n.to_string(),
                        t.clone(),
                        page.next_record_identifier().map(str::to_string),
                    );
                }
                _ => return Ok(sets),
            }
        }
        Err(ProviderError::new(
            None,
            "route53 ListResourceRecordSets",
            format!("more than {MAX_PAGES} pages for {record_name}"),
        )
        .with_hint("the record has too many sets, or the server ignores StartRecordIdentifier"))
    }

    /// The region's set, or an error naming what was looked for.
    fn set_of<'a>(
        &self,
        fleet: &Fleet,
        current: &'a [ResourceRecordSet],
        region: &str,
    ) -> ProviderResult<&'a ResourceRecordSet> {
        let call = "route53 ChangeResourceRecordSets";
        let r = fleet
            .region(region)
            .ok_or_else(|| ProviderError::new(Some(region), call, "not a region of this fleet"))?;
        current
            .iter()
            .find(|s| s.set_identifier.as_deref() == Some(r.set_identifier.as_str()))
            .ok_or_else(|| {
                ProviderError::new(
                    Some(region),
                    call,
                    format!(
                        "no record set \"{}\" in {} {}",
                        r.set_identifier,
                        self.record_name,
                        self.record_type.as_str()
                    ),
                )
                .with_hint("create the record set first, or fix set_identifier in the fleet file")
            })
    }

    /// What each asked region's set becomes: a new weight for a weighted set; for any
    /// other, the health check it points at (a drain check, or the one it had).
    fn changes_for(
        &self,
        fleet: &Fleet,
        current: &[ResourceRecordSet],
        weights: &[(String, Weight)],
        drains: &HashMap<String, Option<String>>,
        book: &DrainBook,
    ) -> ProviderResult<Vec<SetChange>> {
        let mut out = Vec::new();
        for (region, weight) in weights {
            let set = self.set_of(fleet, current, region)?;
            let policy = route53_steer::steering(set);
            if policy == Some(Steering::Weighted) {
                // Route 53 drains by weight 0 (its rules say so): the effective weight is the one.
                let mut updated = set.clone();
                updated.weight = Some(i64::from(weight.effective()));
                out.push(SetChange {
                    region: region.clone(),
                    before: set.clone(),
                    after: updated,
                    check: CheckChange::None,
                });
                continue;
            }
            // Route 53 refuses a Weight on a record routed any other way (moto does not):
            // such a record is drained by its health check, never given a weight.
            let drained_now = set
                .health_check_id
                .as_deref()
                .is_some_and(|id| drains.contains_key(id));
            let check = match (weight.drained, drained_now) {
                (true, false) => CheckChange::Drain {
                    original: set.health_check_id.clone(),
                },
                (false, true) => {
                    let drain = set.health_check_id.clone().unwrap_or_default();
                    let recorded = book
                        .regions
                        .get(region)
                        .filter(|d| d.provider == "route53")
                        .and_then(|d| d.undo.get("health_check").cloned())
                        .map(|v| v.as_str().map(str::to_string));
                    let original = recorded
                        .or_else(|| drains.get(&drain).cloned())
                        .unwrap_or(None);
                    CheckChange::Restore { drain, original }
                }
                _ => continue,
            };
            out.push(SetChange {
                region: region.clone(),
                before: set.clone(),
                after: set.clone(),
                check,
            });
        }
        Ok(out)
    }

    /// One atomic batch of UPSERTs, each keeping every field of its set but the one
    /// changed.
    fn batch(&self, changes: &[SetChange]) -> ProviderResult<ChangeBatch> {
        let call = "route53 ChangeResourceRecordSets";
        let mut out = Vec::new();
        for c in changes {
            if c.after.weight.is_some() && c.after.region.is_some() {
                return Err(ProviderError::new(
                    Some(&c.region),
                    call,
                    "a record set cannot have both a Weight and a Region",
                ));
            }
            let change = Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(c.after.clone())
                .build()
                .map_err(|e| ProviderError::new(Some(&c.region), call, e.to_string()))?;
            out.push(change);
        }
        let summary: Vec<String> = changes.iter().map(SetChange::summary).collect();
        ChangeBatch::builder()
            .comment(format!("meridian: {}", summary.join(" ")))
            .set_changes(Some(out))
            .build()
            .map_err(|e| ProviderError::new(None, call, e.to_string()))
    }

    /// The change batch in words: one line for the call, one per UPSERT, with what is kept.
    fn describe(&self, changes: &[SetChange]) -> Vec<String> {
        let mut lines = vec![format!(
            "route53 ChangeResourceRecordSets on zone {}: one atomic batch of {} UPSERT(s); a record change is a control-plane call served from us-east-1 (health checks and DNS answers are data plane and keep working in a regional outage)",
            self.zone,
            changes.len()
        )];
        for c in changes {
            let rs = &c.after;
            let target = match (&rs.alias_target, rs.resource_records()) {
                (Some(a), _) => format!("alias {}", a.dns_name()),
                (None, rrs) => rrs.iter().map(|r| r.value()).collect::<Vec<_>>().join(","),
            };
            let head = format!(
                "  UPSERT {} {} set={}",
                rs.name,
                rs.r#type.as_str(),
                rs.set_identifier.as_deref().unwrap_or("-"),
            );
            let ttl = rs.ttl.map(|t| format!("{t}s")).unwrap_or("-".into());
            let none = || "none".to_string();
            lines.push(match &c.check {
                CheckChange::None => format!(
                    "{head} weight {} -> {} (kept: ttl {ttl}, {target}, health check {})",
                    c.before.weight.map(|b| b.to_string()).unwrap_or("-".into()),
                    rs.weight.unwrap_or_default(),
                    rs.health_check_id.as_deref().unwrap_or("none")
                ),
                CheckChange::Drain { original } => format!(
                    "{head} ({}): health check {} -> a new meridian drain check (CALCULATED, no children, Disabled + Inverted: always unhealthy), so Route 53 stops answering with it (kept: ttl {ttl}, {target}; its own check is left as it is)",
                    route53_steer::steering(rs).map(|p| p.name()).unwrap_or("simple"),
                    original.clone().unwrap_or_else(none)
                ),
                CheckChange::Restore { drain, original } => format!(
                    "{head} ({}): health check {drain} (meridian's drain check) -> {} as before the drain; then DeleteHealthCheck {drain} (kept: ttl {ttl}, {target})",
                    route53_steer::steering(rs).map(|p| p.name()).unwrap_or("simple"),
                    original.clone().unwrap_or_else(none)
                ),
            });
            if !matches!(c.check, CheckChange::None)
                && let Some(ttl) = rs.ttl
            {
                lines.push(format!(
                    "  resolvers may keep answering with the old record for up to its TTL ({ttl}s)"
                ));
            }
        }
        lines
    }

    /// Follow `GetChange` until INSYNC or the timeout.
    async fn wait_in_sync(
        &self,
        client: &Client,
        change_id: &str,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let started = Instant::now();
        loop {
            let out = with_backoff(&self.backoff, "route53 GetChange", progress, || {
                client.get_change().id(change_id).send()
            })
            .await
            .map_err(|e| provider_error(None, "route53 GetChange", &e))?;
            let status = out.change_info().map(|c| c.status().clone());
            let waited = started.elapsed();
            if status == Some(ChangeStatus::Insync) {
                progress.say(&format!(
                    "route53 change {change_id} is INSYNC after {:.1}s",
                    waited.as_secs_f64()
                ));
                return Ok(());
            }
            if waited >= self.change_timeout {
                return Err(ProviderError::new(None, "route53 GetChange", format!("change {change_id} still PENDING after {}s", waited.as_secs()))
                    .with_hint("the change was accepted and will still apply; check `meridian status` in a minute, or raise change_timeout"));
            }
            progress.say(&format!(
                "route53 change {change_id} PENDING ({}s)",
                waited.as_secs()
            ));
            tokio::time::sleep(self.sync_interval).await;
        }
    }
}

impl Route53Traffic {
    /// The drain checks in the account, read only when some set is not weighted (a fleet
    /// on weights makes one call per reading, as before).
    /// A health check's CallerReference never changes, so what a check id is (a drain
    /// check and what it replaced, or not one) is known for good once listed: the account's
    /// checks are listed again only when a record points at a check not seen before (one
    /// call per reading in steady state, as for a weighted fleet).
    async fn drains_for(
        &self,
        sets: &[ResourceRecordSet],
        backoff: &Backoff,
        progress: &Progress,
    ) -> ProviderResult<HashMap<String, Option<String>>> {
        let ids: Vec<&str> = sets
            .iter()
            .filter(|s| route53_steer::steering(s) != Some(Steering::Weighted))
            .filter_map(|s| s.health_check_id.as_deref())
            .collect();
        let known = |cache: &HashMap<String, Option<Option<String>>>| {
            ids.iter().all(|id| cache.contains_key(*id))
        };
        let cached = self.checks.lock().map(|c| known(&c)).unwrap_or(false);
        if !cached {
            let listed =
                route53_steer::drain_checks(&self.client().await, backoff, progress).await?;
            if let Ok(mut cache) = self.checks.lock() {
                for id in &ids {
                    cache.insert(id.to_string(), listed.get(*id).cloned());
                }
                for (id, original) in &listed {
                    cache.insert(id.clone(), Some(original.clone()));
                }
            }
        }
        let cache = self.checks.lock().map(|c| c.clone()).unwrap_or_default();
        Ok(cache
            .into_iter()
            .filter_map(|(id, drain)| drain.map(|original| (id, original)))
            .collect())
    }

    /// The last reading, when it is recent enough to describe a plan made from it.
    fn recent(&self) -> Option<Recent> {
        self.recent
            .lock()
            .ok()
            .and_then(|r| r.clone())
            .filter(|r| r.at.elapsed() < RECENT)
    }
}

#[async_trait]
impl TrafficProvider for Route53Traffic {
    async fn read_weights(&self, fleet: &Fleet) -> ProviderResult<WeightsReading> {
        let once = self.backoff.once();
        let silent = Progress::silent();
        let (sets, path) = self.deciding_sets(&once, &silent).await?;
        let drains = self.drains_for(&sets, &once, &silent).await?;
        if let Ok(mut recent) = self.recent.lock() {
            *recent = Some(Recent {
                at: Instant::now(),
                sets: sets.clone(),
                drains: drains.clone(),
            });
        }
        let mut reading = WeightsReading::default();
        for s in &sets {
            let (Some(id), Some(policy)) =
                (s.set_identifier.as_deref(), route53_steer::steering(s))
            else {
                continue;
            };
            let weight = match policy {
                Steering::Weighted => {
                    Weight::units(u32::try_from(s.weight.unwrap_or_default()).unwrap_or(u32::MAX))
                }
                other => Weight::steered(other, 0).with_drained(
                    s.health_check_id
                        .as_deref()
                        .is_some_and(|h| drains.contains_key(h)),
                ),
            };
            match fleet.regions.iter().find(|r| r.set_identifier == id) {
                Some(r) => {
                    reading.by_region.insert(r.id.clone(), weight);
                    if policy != Steering::Weighted || !path.is_empty() {
                        reading
                            .routes
                            .insert(r.id.clone(), route53_steer::route(s, &sets, &path));
                    }
                }
                // Traffic to something meridian does not manage is shown, never dropped.
                None => {
                    let units = match policy {
                        Steering::Weighted => weight.effective(),
                        _ => u32::from(weight.serving()),
                    };
                    reading.unmanaged.push((id.to_string(), units))
                }
            }
        }
        Ok(reading)
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
            // The plan was made from a reading moments ago: show the batch from it rather
            // than list the record again (the change itself reads afresh).
            let (sets, drains) = match self.recent() {
                Some(r) => (r.sets, r.drains),
                None => {
                    let (sets, _) = self.record_sets(&Progress::silent()).await?;
                    let drains = self
                        .drains_for(&sets, &self.backoff, &Progress::silent())
                        .await?;
                    (sets, drains)
                }
            };
            let changes = self.changes_for(fleet, &sets, weights, &drains, book)?;
            Ok::<_, ProviderError>(self.describe(&changes))
        };
        described
            .await
            .unwrap_or_else(|e| vec![format!("the Route 53 change batch cannot be shown: {e}")])
    }

    async fn apply_weights(
        &self,
        fleet: &Fleet,
        weights: &[(String, Weight)],
        progress: &Progress,
    ) -> ProviderResult<()> {
        let mut book = DrainBook::default();
        self.apply_traffic(fleet, weights, &mut book, progress)
            .await
    }

    async fn apply_traffic(
        &self,
        fleet: &Fleet,
        weights: &[(String, Weight)],
        book: &mut DrainBook,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let client = self.client().await;
        let (current, _) = self.record_sets(progress).await?;
        let drains = self.drains_for(&current, &self.backoff, progress).await?;
        let mut changes = self.changes_for(fleet, &current, weights, &drains, book)?;
        if changes.is_empty() {
            progress.say("route53: every record is already as asked");
            return Ok(());
        }
        // Drain checks first: the batch points records at them.
        let mut created = Vec::new();
        for c in &mut changes {
            if let CheckChange::Drain { original } = &c.check {
                let id = match route53_steer::create_drain_check(
                    &client,
                    &self.backoff,
                    &c.region,
                    original.as_deref(),
                    progress,
                )
                .await
                {
                    Ok(id) => id,
                    Err(e) => {
                        self.forget(&client, &created, progress).await;
                        return Err(e);
                    }
                };
                progress.say(&format!(
                    "route53: drain check {id} created for {} (always unhealthy)",
                    c.region
                ));
                c.after.health_check_id = Some(id.clone());
                created.push(id);
            }
            if let CheckChange::Restore { original, .. } = &c.check {
                c.after.health_check_id = original.clone();
            }
        }
        let batch = match self.batch(&changes) {
            Ok(b) => b,
            Err(e) => {
                self.forget(&client, &created, progress).await;
                return Err(e);
            }
        };
        for line in self.describe(&changes) {
            progress.say(&line);
        }
        let out = with_backoff(
            &self.backoff,
            "route53 ChangeResourceRecordSets",
            progress,
            || {
                client
                    .change_resource_record_sets()
                    .hosted_zone_id(&self.zone)
                    .change_batch(batch.clone())
                    .send()
            },
        )
        .await
        .map_err(|e| provider_error(None, "route53 ChangeResourceRecordSets", &e));
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                self.forget(&client, &created, progress).await;
                return Err(e);
            }
        };
        // The records point at the drain checks now: write down what restoring needs.
        let now = meridian_model::state::now_ms();
        for c in &changes {
            match &c.check {
                CheckChange::Drain { original } => {
                    book.regions.insert(
                        c.region.clone(),
                        Drained {
                            provider: "route53".into(),
                            how: format!(
                                "record {} ({}) points at drain check {} instead of {}",
                                c.after.name,
                                c.after.set_identifier.as_deref().unwrap_or("-"),
                                c.after.health_check_id.as_deref().unwrap_or("-"),
                                original.as_deref().unwrap_or("no health check")
                            ),
                            undo: serde_json::json!({
                                "set_identifier": c.after.set_identifier,
                                "health_check": original,
                                "drain_check": c.after.health_check_id,
                            }),
                            at_ms: now,
                        },
                    );
                }
                CheckChange::Restore { .. } => {
                    book.regions.remove(&c.region);
                }
                CheckChange::None => {}
            }
        }
        let change_id = out
            .change_info()
            .map(|c| c.id().to_string())
            .unwrap_or_default();
        progress.say(&format!(
            "route53 accepted change {change_id}; waiting for INSYNC (timeout {}s)",
            self.change_timeout.as_secs()
        ));
        // The executor reads the record back once to verify: not here as well.
        self.wait_in_sync(&client, &change_id, progress).await?;
        for c in &changes {
            if let CheckChange::Restore { drain, .. } = &c.check {
                route53_steer::delete_drain_check(&client, &self.backoff, drain, progress).await;
            }
        }
        Ok(())
    }
}

impl Route53Traffic {
    /// Drain checks created for a change that did not go through: nothing points at them.
    async fn forget(&self, client: &Client, created: &[String], progress: &Progress) {
        for id in created {
            route53_steer::delete_drain_check(client, &self.backoff, id, progress).await;
        }
    }
}

/// How one set changes.
struct SetChange {
    region: String,
    before: ResourceRecordSet,
    after: ResourceRecordSet,
    check: CheckChange,
}

/// What happens to a set's health check.
enum CheckChange {
    /// A weight change only.
    None,
    /// Point it at a new drain check; it had `original`.
    Drain { original: Option<String> },
    /// Point it back at `original`, and delete the drain check.
    Restore {
        drain: String,
        original: Option<String>,
    },
}

impl SetChange {
    fn summary(&self) -> String {
        match &self.check {
            CheckChange::None => {
                format!("{}={}", self.region, self.after.weight.unwrap_or_default())
            }
            CheckChange::Drain { .. } => format!("{} out of rotation", self.region),
            CheckChange::Restore { .. } => format!("{} back in rotation", self.region),
        }
    }
}

/// A reading of the record, kept to describe a plan made from it.
#[derive(Clone)]
struct Recent {
    at: Instant,
    sets: Vec<ResourceRecordSet>,
    drains: HashMap<String, Option<String>>,
}

/// Route 53 names are absolute (trailing dot); accept either form in the fleet file.
fn absolute(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

fn same_name(a: &str, b: &str) -> bool {
    absolute(a).eq_ignore_ascii_case(&absolute(b))
}
