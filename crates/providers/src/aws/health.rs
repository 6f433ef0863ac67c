//! A region's health from its Route 53 health check. By default from the CloudWatch
//! `AWS/Route53 HealthCheckStatus` metric (as AWS advises: it is data plane and batched with
//! the other metrics); `source = "status"` asks `GetHealthCheckStatus` instead.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::cloudwatch::{CloudWatchHub, MetricHandle, MetricSpec};
use super::healthy_since::HealthySince;
use super::retry::{Backoff, provider_error, with_backoff};
use super::{AwsConfigs, AwsTarget};
use crate::{HealthProvider, Progress, ProviderError, ProviderResult};
use meridian_model::fleet::settings::{HealthCheckSource, Settings};
use meridian_model::fleet::{Fleet, Region};
use meridian_model::state::{Health, HealthStatus, now_ms};

/// Route 53 calls a check healthy when more than 18% of its checkers see it healthy.
const AWS_HEALTHY_SHARE: f64 = 0.18;

enum Source {
    Metric(MetricHandle),
    Status { target: AwsTarget, id: String },
}

/// Health of every region whose health is a Route 53 health check.
pub struct Route53Health {
    configs: Arc<AwsConfigs>,
    hub: Arc<CloudWatchHub>,
    sources: HashMap<String, Source>,
    /// When each region was first seen healthy in its current run (for the health gate).
    since: HealthySince,
    pub backoff: Backoff,
}

impl Route53Health {
    /// `state_dir` keeps `healthy_since` across processes (None: this process only).
    pub fn from_fleet(
        fleet: &Fleet,
        configs: Arc<AwsConfigs>,
        hub: Arc<CloudWatchHub>,
        state_dir: Option<&std::path::Path>,
    ) -> Arc<Route53Health> {
        let mut sources = HashMap::new();
        for (r, s) in fleet.regions.iter().filter_map(|r| {
            r.health_sources().find_map(|h| match &h.settings {
                Settings::Route53Health(s) => Some((r, s)),
                _ => None,
            })
        }) {
            let id = s.health_check_id.clone();
            let target = AwsTarget::of(&s.aws);
            let source = match s.source.unwrap_or_default() {
                HealthCheckSource::Status => Source::Status { target, id },
                // The metric exists only in us-east-1, whatever region the check watches.
                _ => Source::Metric(
                    hub.register(target.in_region("us-east-1"), MetricSpec::health_check(id)),
                ),
            };
            sources.insert(r.id.clone(), source);
        }
        Arc::new(Route53Health {
            configs,
            hub,
            sources,
            since: HealthySince::new(state_dir),
            backoff: Backoff::default(),
        })
    }

    async fn status(
        &self,
        region: &Region,
        target: &AwsTarget,
        id: &str,
    ) -> ProviderResult<(HealthStatus, String)> {
        let client = self.configs.route53(target).await;
        let out = with_backoff(
            &self.backoff.once(),
            "route53 GetHealthCheckStatus",
            &Progress::silent(),
            || client.get_health_check_status().health_check_id(id).send(),
        )
        .await
        .map_err(|e| provider_error(Some(&region.id), "route53 GetHealthCheckStatus", &e))?;
        let reports: Vec<&str> = out
            .health_check_observations()
            .iter()
            .filter_map(|o| o.status_report().and_then(|r| r.status()))
            .collect();
        let ok = reports.iter().filter(|s| s.starts_with("Success")).count();
        let n = reports.len();
        let first_failure = reports
            .iter()
            .find(|s| !s.starts_with("Success"))
            .map(|s| format!(": {s}"))
            .unwrap_or_default();
        // The verdict first: the id is long and the same on every reading (the detail pane
        // names each region's health sources with their ids).
        let reason = format!("{ok}/{n} checkers ok{first_failure}");
        let status = match (ok, n) {
            (_, 0) => HealthStatus::Unknown,
            (ok, n) if ok == n => HealthStatus::Healthy,
            (ok, n) if ok as f64 / n as f64 > AWS_HEALTHY_SHARE => HealthStatus::Degraded,
            _ => HealthStatus::Down,
        };
        Ok((status, reason))
    }
}

#[async_trait]
impl HealthProvider for Route53Health {
    async fn read_health(&self, region: &Region) -> ProviderResult<Health> {
        let source = self.sources.get(&region.id).ok_or_else(|| {
            ProviderError::new(
                Some(&region.id),
                "health",
                "no Route 53 health check configured",
            )
        })?;
        let (status, reason) = match source {
            Source::Status { target, id } => self.status(region, target, id).await?,
            Source::Metric(h) => match self.hub.read(h, &region.id).await? {
                Some(v) if v >= 1.0 => (
                    HealthStatus::Healthy,
                    "HealthCheckStatus 1 (healthy)".to_string(),
                ),
                Some(v) => (
                    HealthStatus::Down,
                    format!("HealthCheckStatus {v} (unhealthy)"),
                ),
                None => (
                    HealthStatus::Unknown,
                    "no HealthCheckStatus datapoint in the last 10 minutes".to_string(),
                ),
            },
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
