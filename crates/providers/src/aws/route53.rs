//! Route 53 weighted record sets as the fleet's traffic: one record (name and type) with one
//! weighted set per region, matched by SetIdentifier.
//!
//! A record change is a control-plane call served from us-east-1, while health checks and DNS
//! answers are data plane: during a us-east-1 outage reads may work and changes may not.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecordSet, RrType,
};

use super::retry::{Backoff, provider_error, with_backoff};
use super::{AwsConfigs, AwsTarget};
use crate::{Progress, ProviderError, ProviderResult, TrafficProvider, WeightsReading};
use meridian_model::fleet::Fleet;
use meridian_model::fleet::settings::{self, Dur, Settings};
use meridian_model::traffic::Weight;

/// Most pages read for one record before giving up (a server that ignores the start
/// identifier would otherwise page forever).
const MAX_PAGES: usize = 50;

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
    /// The last reading's record sets, for describing a plan made from it.
    recent: std::sync::Mutex<Option<(Instant, Vec<ResourceRecordSet>)>>,
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
        }
    }

    async fn client(&self) -> Client {
        self.configs.route53(&self.target).await
    }

    /// Every weighted set of the record, read with pagination.
    pub async fn record_sets(&self, progress: &Progress) -> ProviderResult<Vec<ResourceRecordSet>> {
        self.record_sets_with(&self.backoff, progress).await
    }

    /// Every weighted set, retrying throttling as `backoff` says.
    async fn record_sets_with(
        &self,
        backoff: &Backoff,
        progress: &Progress,
    ) -> ProviderResult<Vec<ResourceRecordSet>> {
        let client = self.client().await;
        let mut sets: Vec<ResourceRecordSet> = Vec::new();
        let mut start = (
            self.record_name.clone(),
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
                if !same_name(&rs.name, &self.record_name) || rs.r#type != self.record_type {
                    past_record = true;
                    break;
                }
                let known = sets.iter().any(|s| s.set_identifier == rs.set_identifier);
                if rs.set_identifier.is_some() && !known {
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
                    format!("paging through {} made no progress", self.record_name),
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
            format!("more than {MAX_PAGES} pages for {}", self.record_name),
        )
        .with_hint("the record has too many sets, or the server ignores StartRecordIdentifier"))
    }

    /// The change batch that sets these weights, keeping every other field of each set.
    pub fn change_batch(
        &self,
        fleet: &Fleet,
        current: &[ResourceRecordSet],
        weights: &[(String, Weight)],
    ) -> ProviderResult<ChangeBatch> {
        let mut changes = Vec::new();
        for (region, weight) in weights {
            let r = fleet.region(region).ok_or_else(|| {
                ProviderError::new(
                    Some(region),
                    "route53 ChangeResourceRecordSets",
                    "not a region of this fleet",
                )
            })?;
            let set = current
                .iter()
                .find(|s| s.set_identifier.as_deref() == Some(r.set_identifier.as_str()))
                .ok_or_else(|| {
                    ProviderError::new(
                        Some(region),
                        "route53 ChangeResourceRecordSets",
                        format!(
                            "no weighted record set \"{}\" in {} {}",
                            r.set_identifier,
                            self.record_name,
                            self.record_type.as_str()
                        ),
                    )
                    .with_hint(
                        "create the record set first, or fix set_identifier in the fleet file",
                    )
                })?;
            let mut updated = set.clone();
            // Route 53 drains by weight 0 (its rules say so): the effective weight is the one.
            updated.weight = Some(i64::from(weight.effective()));
            let change = Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(updated)
                .build();
            changes.push(change.map_err(|e| {
                ProviderError::new(
                    Some(region),
                    "route53 ChangeResourceRecordSets",
                    e.to_string(),
                )
            })?);
        }
        let summary: Vec<String> = weights
            .iter()
            .map(|(r, w)| format!("{r}={}", w.effective()))
            .collect();
        ChangeBatch::builder()
            .comment(format!("meridian: weights {}", summary.join(" ")))
            .set_changes(Some(changes))
            .build()
            .map_err(|e| {
                ProviderError::new(None, "route53 ChangeResourceRecordSets", e.to_string())
            })
    }

    /// The change batch in words: one line for the call, one per UPSERT, with what is kept.
    pub fn describe(&self, batch: &ChangeBatch, current: &[ResourceRecordSet]) -> Vec<String> {
        let mut lines = vec![format!(
            "route53 ChangeResourceRecordSets on zone {}: one atomic batch of {} UPSERT(s); a record change is a control-plane call served from us-east-1 (health checks and DNS answers are data plane and keep working in a regional outage)",
            self.zone,
            batch.changes().len()
        )];
        for rs in batch
            .changes()
            .iter()
            .filter_map(|c| c.resource_record_set())
        {
            let before = current
                .iter()
                .find(|s| s.set_identifier == rs.set_identifier)
                .and_then(|s| s.weight);
            let target = match (&rs.alias_target, rs.resource_records()) {
                (Some(a), _) => format!("alias {}", a.dns_name()),
                (None, rrs) => rrs.iter().map(|r| r.value()).collect::<Vec<_>>().join(","),
            };
            lines.push(format!(
                "  UPSERT {} {} set={} weight {} -> {} (kept: ttl {}, {target}, health check {})",
                rs.name,
                rs.r#type.as_str(),
                rs.set_identifier.as_deref().unwrap_or("-"),
                before.map(|b| b.to_string()).unwrap_or("-".into()),
                rs.weight.unwrap_or_default(),
                rs.ttl.map(|t| format!("{t}s")).unwrap_or("-".into()),
                rs.health_check_id.as_deref().unwrap_or("none")
            ));
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

#[async_trait]
impl TrafficProvider for Route53Traffic {
    async fn read_weights(&self, fleet: &Fleet) -> ProviderResult<WeightsReading> {
        let sets = self
            .record_sets_with(&self.backoff.once(), &Progress::silent())
            .await?;
        if let Ok(mut recent) = self.recent.lock() {
            *recent = Some((Instant::now(), sets.clone()));
        }
        let mut reading = WeightsReading::default();
        for s in &sets {
            let (Some(id), Some(w)) = (s.set_identifier.as_deref(), s.weight) else {
                continue;
            };
            let w = u32::try_from(w).unwrap_or(u32::MAX);
            match fleet.regions.iter().find(|r| r.set_identifier == id) {
                Some(r) => {
                    reading.by_region.insert(r.id.clone(), Weight::units(w));
                }
                // Traffic to something meridian does not manage is shown, never dropped.
                None => reading.unmanaged.push((id.to_string(), w)),
            }
        }
        Ok(reading)
    }

    async fn describe_change(&self, fleet: &Fleet, weights: &[(String, Weight)]) -> Vec<String> {
        let described = async {
            // The plan was made from a reading moments ago: show the batch from it rather
            // than list the record again (the change itself reads afresh).
            let recent = self
                .recent
                .lock()
                .ok()
                .and_then(|r| r.clone())
                .filter(|(at, _)| at.elapsed() < RECENT);
            let current = match recent {
                Some((_, sets)) => sets,
                None => self.record_sets(&Progress::silent()).await?,
            };
            let batch = self.change_batch(fleet, &current, weights)?;
            Ok::<_, ProviderError>(self.describe(&batch, &current))
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
        let client = self.client().await;
        let current = self.record_sets(progress).await?;
        let batch = self.change_batch(fleet, &current, weights)?;
        for line in self.describe(&batch, &current) {
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
        .map_err(|e| provider_error(None, "route53 ChangeResourceRecordSets", &e))?;
        let change_id = out
            .change_info()
            .map(|c| c.id().to_string())
            .unwrap_or_default();
        progress.say(&format!(
            "route53 accepted change {change_id}; waiting for INSYNC (timeout {}s)",
            self.change_timeout.as_secs()
        ));
        // The executor reads the record back once to verify: not here as well.
        self.wait_in_sync(&client, &change_id, progress).await
    }
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
