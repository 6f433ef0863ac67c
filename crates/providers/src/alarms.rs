//! Alarms: which alarms are firing now, and what they did over a window (for gates such as
//! "no alarm in ALARM for 7 days", answered from history at once). CloudWatch serves it
//! (`aws::alarms`).

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::ProviderResult;
use meridian_model::fleet::Fleet;
use meridian_model::fleet::settings::{CloudWatchAlarms, Settings};
use meridian_model::state::{AlarmHistory, AlarmNow, Millis};

/// Which alarms: a name prefix and tags, in some AWS regions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlarmQuery {
    pub prefix: Option<String>,
    /// Every one of these tags (key = value).
    pub tags: BTreeMap<String, String>,
    pub aws_regions: Vec<String>,
}

impl AlarmQuery {
    /// What `[alarms]` counts (for `status --check` and the board): its prefix and tags,
    /// in its AWS regions (default: each fleet region's cloud region once).
    pub fn of_fleet(fleet: &Fleet) -> AlarmQuery {
        let settings = match fleet.alarms.as_ref().map(|a| &a.settings) {
            Some(Settings::Alarms(s)) => s.clone(),
            _ => CloudWatchAlarms::default(),
        };
        AlarmQuery {
            prefix: settings.prefix.clone(),
            tags: settings.tags.clone().unwrap_or_default(),
            aws_regions: regions_of(fleet, &settings),
        }
    }

    /// A gate's own: its prefix and `KEY=value` tag (else the `[alarms]` table's), in one
    /// fleet region's cloud region or the `[alarms]` table's regions.
    pub fn of_gate(
        fleet: &Fleet,
        prefix: Option<&str>,
        tag: Option<&str>,
        region: Option<&str>,
    ) -> AlarmQuery {
        // What the gate does not say, the `[alarms]` table does.
        let mut q = AlarmQuery::of_fleet(fleet);
        if let Some(p) = prefix {
            q.prefix = Some(p.to_string());
        }
        if let Some((k, v)) = tag.and_then(|t| t.split_once('=')) {
            q.tags = [(k.trim().to_string(), v.trim().to_string())].into();
        }
        if let Some(r) = region.and_then(|r| fleet.region(r)) {
            q.aws_regions = vec![r.cloud_region.clone()];
        }
        q
    }

    /// `prefix checkout-, tag team=payments`: for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.prefix {
            parts.push(format!("name prefix \"{p}\""));
        }
        for (k, v) in &self.tags {
            parts.push(format!("tag {k}={v}"));
        }
        if parts.is_empty() {
            parts.push("every alarm".into());
        }
        format!("{} in {}", parts.join(", "), self.aws_regions.join(", "))
    }
}

/// The AWS regions `[alarms]` reads: its list, its `aws_region`, else each fleet region's
/// cloud region once.
fn regions_of(fleet: &Fleet, s: &CloudWatchAlarms) -> Vec<String> {
    if let Some(list) = s.aws_regions.as_ref().filter(|l| !l.is_empty()) {
        return list.clone();
    }
    if let Some(r) = &s.aws.aws_region {
        return vec![r.clone()];
    }
    let mut out: Vec<String> = Vec::new();
    for r in &fleet.regions {
        if !out.contains(&r.cloud_region) {
            out.push(r.cloud_region.clone());
        }
    }
    out
}

#[async_trait]
pub trait AlarmReader: Send + Sync {
    /// The matching alarms as they stand now.
    async fn alarms(&self, query: &AlarmQuery) -> ProviderResult<Vec<AlarmNow>>;

    /// The matching alarms now, and every state change they made since `from`.
    async fn history(&self, query: &AlarmQuery, from: Millis) -> ProviderResult<AlarmHistory>;
}
