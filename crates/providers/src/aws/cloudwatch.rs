//! CloudWatch metrics, batched: every metric the fleet reads from one AWS region (replication
//! lag, Route 53 `HealthCheckStatus`) is fetched with ONE `GetMetricData` call per refresh.
//!
//! The engine asks per region and concurrently; the first caller for an AWS region makes the
//! call while the others wait on the same lock and then reuse its answer, so batching needs
//! no change to the engine.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use tokio::sync::Mutex;

use super::retry::{Backoff, provider_error, with_backoff};
use super::{AwsConfigs, AwsTarget};
use crate::{ApiMeter, LagReader, Progress, ProviderError, ProviderResult, Rounds};
use meridian_model::fleet::settings::{LagMetric, Settings};
use meridian_model::fleet::{Fleet, Region};

/// An answer younger than this belongs to the same refresh. The metrics have one datapoint
/// a minute, and the regions that read them beside a quicker source (an HTTP probe every
/// 5 s) do so in their own slots of that source's interval, not together: at 1.5 s, 100
/// such regions made 2-4 calls a minute instead of one.
const SAME_REFRESH: Duration = Duration::from_secs(10);

/// One metric to read.
#[derive(Debug, Clone)]
pub struct MetricSpec {
    pub namespace: &'static str,
    pub name: &'static str,
    pub dimension: (&'static str, String),
    pub stat: &'static str,
    pub period_s: i32,
    /// Multiply the value by this to get seconds (Aurora reports milliseconds).
    pub to_seconds: f64,
    /// RDS `ReplicaLag` is -1 when replication is not running: broken, not zero.
    pub negative_is_broken: bool,
}

impl MetricSpec {
    /// The lag metric a `[regions.lag] provider = "cloudwatch"` table names.
    pub fn lag(metric: LagMetric, identifier: String, period_s: i32) -> MetricSpec {
        let base = MetricSpec {
            namespace: "AWS/RDS",
            name: "AuroraGlobalDBReplicationLag",
            dimension: ("DBClusterIdentifier", identifier),
            stat: "Maximum",
            period_s,
            to_seconds: 0.001,
            negative_is_broken: false,
        };
        match metric {
            LagMetric::RdsReplica => MetricSpec {
                name: "ReplicaLag",
                dimension: ("DBInstanceIdentifier", base.dimension.1),
                to_seconds: 1.0,
                negative_is_broken: true,
                ..base
            },
            LagMetric::ElasticacheGlobal => MetricSpec {
                namespace: "AWS/ElastiCache",
                name: "GlobalDatastoreReplicationLag",
                dimension: ("ReplicationGroupId", base.dimension.1),
                to_seconds: 1.0,
                ..base
            },
            LagMetric::AuroraGlobal => base,
        }
    }

    /// Route 53 health check status (1 healthy, 0 unhealthy); published in us-east-1 only.
    pub fn health_check(id: String) -> MetricSpec {
        MetricSpec {
            namespace: "AWS/Route53",
            name: "HealthCheckStatus",
            dimension: ("HealthCheckId", id),
            stat: "Minimum",
            period_s: 60,
            to_seconds: 1.0,
            negative_is_broken: false,
        }
    }
}

/// The newest value of one metric: `Ok(None)` when there is no datapoint.
pub type MetricValue = Result<Option<f64>, ProviderError>;

/// The newest value of every metric in a batch, in registration order.
type BatchAnswer = Result<Vec<Option<f64>>, ProviderError>;

struct Batch {
    /// Shared with readings in flight: 100 regions reading at once each hold the list, and
    /// a copy each was 100 lists of 100 specs. Registering (start-up only) copies on write.
    specs: std::sync::Mutex<Arc<Vec<MetricSpec>>>,
    last: Mutex<Option<(Instant, BatchAnswer)>>,
}

/// Every CloudWatch metric the fleet reads, grouped by AWS target (account, endpoint, region).
pub struct CloudWatchHub {
    configs: Arc<AwsConfigs>,
    batches: std::sync::Mutex<HashMap<AwsTarget, Arc<Batch>>>,
    /// `GetMetricData` calls made, for the refresh-cost figures.
    pub calls: AtomicU64,
    pub backoff: Backoff,
    /// How far back to look for the newest datapoint.
    pub lookback: Duration,
}

/// Where a metric lives in the hub.
#[derive(Debug, Clone)]
pub struct MetricHandle {
    target: AwsTarget,
    index: usize,
}

impl CloudWatchHub {
    pub fn new(configs: Arc<AwsConfigs>) -> Arc<CloudWatchHub> {
        Arc::new(CloudWatchHub {
            configs,
            batches: std::sync::Mutex::new(HashMap::new()),
            calls: AtomicU64::new(0),
            backoff: Backoff::default(),
            lookback: Duration::from_secs(600),
        })
    }

    /// Register a metric (`Providers::build` does this for the whole fleet).
    pub fn register(&self, target: AwsTarget, spec: MetricSpec) -> MetricHandle {
        let mut batches = self.batches.lock().unwrap_or_else(|p| p.into_inner());
        let batch = batches.entry(target.clone()).or_insert_with(|| {
            Arc::new(Batch {
                specs: std::sync::Mutex::new(Arc::default()),
                last: Mutex::new(None),
            })
        });
        let mut specs = batch.specs.lock().unwrap_or_else(|p| p.into_inner());
        let specs = Arc::make_mut(&mut specs);
        specs.push(spec);
        MetricHandle {
            target,
            index: specs.len() - 1,
        }
    }

    /// The newest value of a registered metric, fetched with its whole batch when stale.
    pub async fn read(&self, h: &MetricHandle, region: &str) -> MetricValue {
        let batch = self
            .batches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&h.target)
            .cloned();
        let Some(batch) = batch else {
            return Err(ProviderError::new(
                Some(region),
                "cloudwatch GetMetricData",
                "metric was not registered",
            ));
        };
        let specs = batch
            .specs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(spec) = specs.get(h.index) else {
            return Err(ProviderError::new(
                Some(region),
                "cloudwatch GetMetricData",
                "metric was not registered",
            ));
        };
        let mut last = batch.last.lock().await;
        let fresh = matches!(&*last, Some((at, Ok(v))) if at.elapsed() < SAME_REFRESH && v.len() == specs.len())
            || matches!(&*last, Some((at, Err(_))) if at.elapsed() < SAME_REFRESH);
        if !fresh {
            let result = self.fetch(&h.target, &specs).await;
            *last = Some((Instant::now(), result));
        }
        match last.as_ref().map(|(_, r)| r) {
            Some(Ok(values)) => match values.get(h.index).copied().flatten() {
                Some(v) if v < 0.0 && spec.negative_is_broken => Err(ProviderError::new(
                    Some(region),
                    "cloudwatch GetMetricData",
                    format!("{} is {v}: replication is not running", spec.name),
                )
                .with_hint("check the replica in the RDS console: replication stopped or errored")),
                Some(v) => Ok(Some(v * spec.to_seconds)),
                None => Ok(None),
            },
            Some(Err(e)) => Err(e.for_region(region)),
            None => Ok(None),
        }
    }

    async fn fetch(&self, target: &AwsTarget, specs: &[MetricSpec]) -> BatchAnswer {
        let client = self.configs.cloudwatch(target).await;
        let queries: Vec<MetricDataQuery> =
            specs.iter().enumerate().map(|(i, s)| query(i, s)).collect();
        // A little past now: a datapoint stamped this very second (or by a clock slightly
        // ahead of ours) is still the newest one, not "no data".
        let end = SystemTime::now() + Duration::from_secs(60);
        let start = end - self.lookback;
        let mut newest: Vec<Option<(i64, f64)>> = vec![None; specs.len()];
        let mut token: Option<String> = None;
        let call = format!("cloudwatch GetMetricData ({})", target.describe());
        loop {
            self.calls.fetch_add(1, Ordering::Relaxed);
            // GetMetricData is billed per metric requested: that is the cost to show.
            ApiMeter::global().record_units("cloudwatch", "metrics", specs.len() as u64);
            let out = with_backoff(&self.backoff.once(), &call, &Progress::silent(), || {
                client
                    .get_metric_data()
                    .set_metric_data_queries(Some(queries.clone()))
                    .start_time(DateTime::from(start))
                    .end_time(DateTime::from(end))
                    .scan_by(ScanBy::TimestampDescending)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| provider_error(None, &call, &e))?;
            for r in out.metric_data_results() {
                let Some(i) = r
                    .id()
                    .and_then(|id| id.strip_prefix('m'))
                    .and_then(|n| n.parse::<usize>().ok())
                else {
                    continue;
                };
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    let slot = &mut newest[i.min(specs.len() - 1)];
                    if slot.is_none_or(|(nt, _)| t.secs() > nt) {
                        *slot = Some((t.secs(), *v));
                    }
                }
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(newest.into_iter().map(|n| n.map(|(_, v)| v)).collect());
            }
        }
    }
}

fn query(i: usize, s: &MetricSpec) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(s.namespace)
        .metric_name(s.name)
        .dimensions(
            Dimension::builder()
                .name(s.dimension.0)
                .value(&s.dimension.1)
                .build(),
        )
        .build();
    MetricDataQuery::builder()
        .id(format!("m{i}"))
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(s.period_s)
                .stat(s.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

/// Replication lag from CloudWatch; role and promotion come from the region's database provider.
pub struct CloudWatchLag {
    hub: Arc<CloudWatchHub>,
    handles: HashMap<String, MetricHandle>,
}

impl CloudWatchLag {
    /// Register the lag metric of every region whose lag is served by CloudWatch.
    pub fn from_fleet(fleet: &Fleet, hub: Arc<CloudWatchHub>) -> Arc<CloudWatchLag> {
        let mut handles = HashMap::new();
        for (r, s) in fleet.regions.iter().filter_map(|r| match &r.lag.settings {
            Settings::CloudWatch(s) => Some((r, s)),
            _ => None,
        }) {
            let period = s
                .period
                .map(|d| d.get().as_secs().max(1) as i32)
                .unwrap_or(60);
            let spec = MetricSpec::lag(s.metric, s.identifier.clone(), period);
            let base = AwsTarget::of(&s.aws);
            // Metrics live in the region of the resource they describe.
            let target = match &base.aws_region {
                Some(_) => base.clone(),
                None => base.in_region(&r.cloud_region),
            };
            handles.insert(r.id.clone(), hub.register(target, spec));
        }
        Arc::new(CloudWatchLag { hub, handles })
    }
}

/// Nothing is shared between readings: every reading asks.
impl Rounds for CloudWatchLag {}

#[async_trait]
impl LagReader for CloudWatchLag {
    async fn read_lag(&self, region: &Region) -> ProviderResult<Option<f64>> {
        let h = self.handles.get(&region.id).ok_or_else(|| {
            ProviderError::new(
                Some(&region.id),
                "cloudwatch GetMetricData",
                "no lag metric configured",
            )
        })?;
        self.hub.read(h, &region.id).await
    }
}
