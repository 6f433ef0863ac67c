//! `database = { provider = "elasticache-global" }`: a member of an ElastiCache (Redis OSS or
//! Valkey) Global Datastore.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AwsTarget, Dur, Pace};
use super::database::Writer;

/// A member replication group of an ElastiCache Global Datastore: its role from
/// `DescribeGlobalReplicationGroups`, promotion by `FailoverGlobalReplicationGroup`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ElasticacheGlobal {
    /// The Global Datastore's id as AWS shows it (with its prefix, e.g. "ldgnf-sessions").
    pub global_replication_group_id: String,
    /// This region's member replication group.
    pub replication_group_id: String,
    /// How long a failover may take before meridian stops waiting (default 15m).
    pub promote_timeout: Option<Dur>,
    #[serde(flatten)]
    pub aws: AwsTarget,
    #[serde(flatten)]
    pub pace: Pace,
    #[serde(flatten)]
    pub writer: Writer,
}
