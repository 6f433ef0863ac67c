//! Where tenants live: the global routing layer's tenant -> region map (Cloudflare Workers
//! KV), and where alarms are read (CloudWatch). Tokens and credentials never come from the
//! fleet file.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cloudflare::CloudflareAccount;
use super::common::{AwsTarget, Dur, HttpClient, Pace};

/// What a tenant's KV value holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KvValue {
    /// The region id itself, e.g. `sgp-1`.
    #[default]
    Region,
    /// A JSON document with the region in a field (`region_field`, default "region");
    /// its other fields are kept when meridian moves the tenant.
    Json,
}

/// `[tenant_routing] provider = "cloudflare-kv"`: one Workers KV namespace maps each tenant
/// (key) to its home region (value); a separate key or a key prefix says which regions
/// take sign-ups.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct CloudflareKvRouting {
    pub account_id: String,
    /// The Workers KV namespace id (32 hex digits).
    pub namespace_id: String,
    /// Tenant keys start with this (default: none; the key is the tenant id).
    pub tenant_prefix: Option<String>,
    /// What a tenant's value is: "region" (default) or "json".
    pub value: Option<KvValue>,
    /// With `value = "json"`: the field that holds the region (default "region").
    pub region_field: Option<String>,
    /// One key whose value lists the regions open to sign-ups (a JSON array of region
    /// ids, or ids separated by commas).
    pub signups_key: Option<String>,
    /// Or: one key per region open to sign-ups, `<prefix><region>` (present: open; removed
    /// at teardown to stop new tenant assignments).
    pub signups_prefix: Option<String>,
    /// How long a write may take to be read back (Workers KV is eventually consistent:
    /// up to 60 s at other locations; default 75s).
    pub consistency_wait: Option<Dur>,
    /// How often to read the map (default 60s).
    pub poll: Option<Dur>,
    #[serde(flatten)]
    pub account: CloudflareAccount,
    #[serde(flatten)]
    pub http: HttpClient,
}

impl CloudflareKvRouting {
    /// The key of a tenant's home.
    pub fn tenant_key(&self, tenant: &str) -> String {
        format!("{}{tenant}", self.tenant_prefix.as_deref().unwrap_or(""))
    }

    /// The field of a JSON value that holds the region.
    pub fn region_field(&self) -> &str {
        self.region_field.as_deref().unwrap_or("region")
    }

    /// How long a write may take to be read back.
    pub fn consistency_wait(&self) -> std::time::Duration {
        self.consistency_wait
            .map_or(std::time::Duration::from_secs(75), Dur::get)
    }
}

/// `[alarms] provider = "cloudwatch"`: CloudWatch alarms, read with `DescribeAlarms` and
/// `DescribeAlarmHistory`; `prefix` and `tags` choose the alarms `status --check` counts
/// (a gate names its own).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct CloudWatchAlarms {
    /// Alarms whose name starts with this.
    pub prefix: Option<String>,
    /// Alarms carrying every one of these tags (KEY = "value").
    pub tags: Option<BTreeMap<String, String>>,
    /// The AWS regions whose alarms are read (default: each fleet region's
    /// `cloud_region`, once each).
    pub aws_regions: Option<Vec<String>>,
    #[serde(flatten)]
    pub aws: AwsTarget,
    #[serde(flatten)]
    pub pace: Pace,
}
