//! The AWS providers' settings: Route 53 weights and health checks, CloudWatch lag, Aurora.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AwsTarget, Dur, Ignore, Pace};
use super::database::Writer;

/// `[traffic] provider = "route53"`: one weighted record set per region.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Route53Traffic {
    /// The hosted zone that holds the record.
    pub hosted_zone_id: String,
    /// The record's name, e.g. "app.example.com".
    pub record_name: String,
    /// The record's type (default "A").
    pub record_type: Option<String>,
    /// How long to wait for a change to reach INSYNC (default 2m).
    pub change_timeout: Option<Dur>,
    /// How often a throttled call is tried in all.
    pub max_attempts: Option<u32>,
    #[serde(flatten)]
    pub aws: AwsTarget,
    #[serde(flatten)]
    pub pace: Pace,
    #[serde(flatten)]
    pub ignore: Ignore,
}

/// How a Route 53 health check is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HealthCheckSource {
    /// Its `HealthCheckStatus` CloudWatch metric (cheap; a minute behind).
    #[default]
    Metric,
    /// `GetHealthCheckStatus` (every checker's latest observation).
    Status,
}

/// `health = { provider = "route53" }`: a Route 53 health check.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Route53Health {
    pub health_check_id: String,
    /// Where its state is read from (default "metric").
    pub source: Option<HealthCheckSource>,
    #[serde(flatten)]
    pub aws: AwsTarget,
    #[serde(flatten)]
    pub pace: Pace,
}

/// Which CloudWatch metric holds replication lag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LagMetric {
    /// `AuroraGlobalDBReplicationLag` (ms), by DB cluster.
    AuroraGlobal,
    /// RDS `ReplicaLag` (s, -1 when not replicating), by DB instance.
    RdsReplica,
    /// ElastiCache `GlobalDatastoreReplicationLag` (s), by replication group.
    ElasticacheGlobal,
}

/// `lag = { provider = "cloudwatch" }`: replication lag from a CloudWatch metric.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct CloudWatchLag {
    pub metric: LagMetric,
    /// The cluster, instance or replication group the metric is of.
    pub identifier: String,
    /// The metric's period (default 60s).
    pub period: Option<Dur>,
    #[serde(flatten)]
    pub aws: AwsTarget,
    #[serde(flatten)]
    pub pace: Pace,
}

/// `database = { provider = "aurora" }`: a member of an Aurora Global Database.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Aurora {
    pub global_cluster_id: String,
    /// This region's member cluster.
    pub cluster_arn: String,
    /// How long a switchover or failover may take (default 10m).
    pub promote_timeout: Option<Dur>,
    #[serde(flatten)]
    pub aws: AwsTarget,
    #[serde(flatten)]
    pub pace: Pace,
    #[serde(flatten)]
    pub writer: Writer,
}
