//! CloudWatch alarms: `DescribeAlarms` (by name prefix) for their states now, tags from
//! `ListTagsForResource` when the query names tags, and `DescribeAlarmHistory`
//! (`StateUpdate` items) for what they did over a window, so a "quiet for 7 days" gate is
//! answered from history at once. CloudWatch keeps alarm history for 30 days: a longer
//! window cannot be proven and is refused in words.
//!
//! The filters are applied here, not left to the server: moto answers `AlarmNamePrefix`
//! leniently (and ignores `StateValue` beside it).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{HistoryItemType, ScanBy};

use super::retry::{Backoff, provider_error, with_backoff};
use super::{AwsConfigs, AwsTarget};
use crate::alarms::{AlarmQuery, AlarmReader};
use crate::{Progress, ProviderError, ProviderResult};
use meridian_model::fleet::Fleet;
use meridian_model::fleet::settings::Settings;
use meridian_model::state::{AlarmHistory, AlarmNow, AlarmTransition, Millis, now_ms};

/// How long CloudWatch keeps alarm history.
pub const HISTORY_DAYS: i64 = 30;
/// Most pages of alarms or history read for one answer.
const MAX_PAGES: usize = 100;

/// The fleet's CloudWatch alarms (`[alarms] provider = "cloudwatch"`).
pub struct CloudWatchAlarms {
    configs: Arc<AwsConfigs>,
    target: AwsTarget,
    backoff: Backoff,
}

impl CloudWatchAlarms {
    pub fn from_fleet(fleet: &Fleet, configs: Arc<AwsConfigs>) -> CloudWatchAlarms {
        let target = match fleet.alarms.as_ref().map(|a| &a.settings) {
            Some(Settings::Alarms(s)) => AwsTarget::of(&s.aws),
            _ => AwsTarget::default(),
        };
        CloudWatchAlarms {
            configs,
            target,
            backoff: Backoff::default(),
        }
    }

    fn millis(t: Option<&DateTime>) -> Option<Millis> {
        t.and_then(|t| t.to_millis().ok())
    }

    /// The matching alarms of one AWS region, with their ARNs (for tags).
    async fn region_alarms(
        &self,
        aws_region: &str,
        query: &AlarmQuery,
    ) -> ProviderResult<Vec<AlarmNow>> {
        let target = self.target.in_region(aws_region);
        let client = self.configs.cloudwatch(&target).await;
        let call = format!("cloudwatch DescribeAlarms ({})", target.describe());
        let mut found: Vec<(AlarmNow, Option<String>)> = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let out = with_backoff(&self.backoff.once(), &call, &Progress::silent(), || {
                client
                    .describe_alarms()
                    .set_alarm_name_prefix(query.prefix.clone())
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| provider_error(None, &call, &e))?;
            let metric = out.metric_alarms().iter().map(|a| {
                (
                    a.alarm_name(),
                    a.alarm_arn(),
                    a.state_value().map(|s| s.as_str().to_string()),
                    a.state_reason(),
                    Self::millis(a.state_updated_timestamp()),
                )
            });
            let composite = out.composite_alarms().iter().map(|a| {
                (
                    a.alarm_name(),
                    a.alarm_arn(),
                    a.state_value().map(|s| s.as_str().to_string()),
                    a.state_reason(),
                    Self::millis(a.state_updated_timestamp()),
                )
            });
            for (name, arn, state, reason, since) in metric.chain(composite) {
                let Some(name) = name else { continue };
                // The server may not have applied the prefix (moto ignores it beside
                // other filters): apply it here.
                if query
                    .prefix
                    .as_deref()
                    .is_some_and(|p| !name.starts_with(p))
                {
                    continue;
                }
                found.push((
                    AlarmNow {
                        name: name.to_string(),
                        state: state.unwrap_or_else(|| "INSUFFICIENT_DATA".into()),
                        since,
                        reason: reason.unwrap_or_default().to_string(),
                        aws_region: aws_region.to_string(),
                    },
                    arn.map(str::to_string),
                ));
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        if query.tags.is_empty() {
            return Ok(found.into_iter().map(|(a, _)| a).collect());
        }
        let mut out = Vec::new();
        let call = format!("cloudwatch ListTagsForResource ({})", target.describe());
        for (alarm, arn) in found {
            let Some(arn) = arn else { continue };
            let tags = with_backoff(&self.backoff.once(), &call, &Progress::silent(), || {
                client.list_tags_for_resource().resource_arn(&arn).send()
            })
            .await
            .map_err(|e| provider_error(None, &call, &e))?;
            let have: BTreeMap<&str, &str> = tags
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?, t.value().unwrap_or(""))))
                .collect();
            if query
                .tags
                .iter()
                .all(|(k, v)| have.get(k.as_str()) == Some(&v.as_str()))
            {
                out.push(alarm);
            }
        }
        Ok(out)
    }

    /// Every state change in one AWS region since `from`, oldest first.
    async fn region_history(
        &self,
        aws_region: &str,
        from: Millis,
        names: &[&str],
    ) -> ProviderResult<Vec<AlarmTransition>> {
        let target = self.target.in_region(aws_region);
        let client = self.configs.cloudwatch(&target).await;
        let call = format!("cloudwatch DescribeAlarmHistory ({})", target.describe());
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let end = now_ms() + 60_000;
        for _ in 0..MAX_PAGES {
            // One alarm by name when there is one; else the region's whole history, filtered
            // here (the API takes one name or none).
            let single = match names {
                [one] => Some(one.to_string()),
                _ => None,
            };
            let page = with_backoff(&self.backoff.once(), &call, &Progress::silent(), || {
                client
                    .describe_alarm_history()
                    .set_alarm_name(single.clone())
                    .history_item_type(HistoryItemType::StateUpdate)
                    .start_date(DateTime::from_millis(from))
                    .end_date(DateTime::from_millis(end))
                    .scan_by(ScanBy::TimestampAscending)
                    .max_records(100)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| provider_error(None, &call, &e))?;
            for item in page.alarm_history_items() {
                let Some(name) = item.alarm_name() else {
                    continue;
                };
                if !names.contains(&name) {
                    continue;
                }
                let Some(at) = Self::millis(item.timestamp()) else {
                    continue;
                };
                if at < from {
                    continue;
                }
                let Some((old, new)) = states(item.history_data(), item.history_summary()) else {
                    continue;
                };
                out.push(AlarmTransition {
                    alarm: name.to_string(),
                    at,
                    from: old,
                    to: new,
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        out.sort_by_key(|t| t.at);
        Ok(out)
    }
}

/// The old and new state of a `StateUpdate` item: from its JSON `HistoryData`, else from
/// its summary ("Alarm updated from OK to ALARM").
fn states(data: Option<&str>, summary: Option<&str>) -> Option<(String, String)> {
    if let Some(doc) = data.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) {
        let state = |k: &str| {
            doc.pointer(&format!("/{k}/stateValue"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        if let (Some(old), Some(new)) = (state("oldState"), state("newState")) {
            return Some((old, new));
        }
    }
    let rest = summary?.split(" from ").nth(1)?;
    let (old, new) = rest.split_once(" to ")?;
    Some((old.trim().to_string(), new.trim().to_string()))
}

#[async_trait]
impl AlarmReader for CloudWatchAlarms {
    async fn alarms(&self, query: &AlarmQuery) -> ProviderResult<Vec<AlarmNow>> {
        let mut out = Vec::new();
        for r in &query.aws_regions {
            out.extend(self.region_alarms(r, query).await?);
        }
        Ok(out)
    }

    async fn history(&self, query: &AlarmQuery, from: Millis) -> ProviderResult<AlarmHistory> {
        let oldest = now_ms() - HISTORY_DAYS * 86_400_000;
        if from < oldest {
            let days = (now_ms() - from) / 86_400_000;
            return Err(ProviderError::new(
                None,
                "cloudwatch DescribeAlarmHistory",
                format!(
                    "a {days}-day window cannot be answered: CloudWatch keeps alarm history for {HISTORY_DAYS} days"
                ),
            )
            .with_hint("ask for 30 days or less"));
        }
        let alarms = self.alarms(query).await?;
        let mut transitions = Vec::new();
        for r in &query.aws_regions {
            let names: Vec<&str> = alarms
                .iter()
                .filter(|a| a.aws_region == *r)
                .map(|a| a.name.as_str())
                .collect();
            if names.is_empty() {
                continue;
            }
            transitions.extend(self.region_history(r, from, &names).await?);
        }
        transitions.sort_by_key(|t| t.at);
        Ok(AlarmHistory {
            alarms,
            transitions,
            from,
        })
    }
}

/// The longest window CloudWatch history answers.
pub fn history_limit() -> Duration {
    Duration::from_secs(HISTORY_DAYS as u64 * 86_400)
}

#[cfg(test)]
mod tests {
    use super::states;

    #[test]
    fn a_state_update_reads_from_its_data_or_its_summary() {
        let data =
            r#"{"version":"1.0","oldState":{"stateValue":"OK"},"newState":{"stateValue":"ALARM"}}"#;
        assert_eq!(
            states(Some(data), None),
            Some(("OK".into(), "ALARM".into()))
        );
        assert_eq!(
            states(None, Some("Alarm updated from ALARM to OK")),
            Some(("ALARM".into(), "OK".into()))
        );
        assert_eq!(states(Some("{}"), Some("Alarm created")), None);
    }
}
