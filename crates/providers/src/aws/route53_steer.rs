//! Route 53 records that are not weighted (latency, failover, geolocation, geoproximity,
//! multivalue, CIDR): their routing policy, and taking one out of rotation.
//!
//! How: the record is pointed at a health check meridian creates for the purpose, which is
//! always unhealthy (a CALCULATED check with no children, `Disabled` and `Inverted`: Route
//! 53 counts a disabled check healthy, and inverting that makes it unhealthy, which is
//! what its API reference says to do to stop routing to a resource). The record's own
//! health check is left as it is (other records, alarms and meridian's health reading may
//! use it) and is put back on restore; the drain check is then deleted. A record without a
//! health check gets one the same way and loses it on restore.
//!
//! Why not invert the record's own check: inverting a check whose endpoint is already
//! failing makes it healthy, so draining a dying region would put it back in rotation.
//!
//! What the drain check names: its CallerReference is `mdrain-<original check id or none>-
//! <ms>`, so a restore without the shared store's book still knows what to put back.

use std::collections::HashMap;

use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    HealthCheckConfig, HealthCheckType, ResourceRecordSet, ResourceRecordSetFailover, Tag,
    TagResourceType,
};

use super::retry::{Backoff, provider_error, with_backoff};
use crate::{Progress, ProviderError, ProviderResult};
use meridian_model::state::Route;
use meridian_model::traffic::Steering;

/// The CallerReference prefix of meridian's drain checks.
const PREFIX: &str = "mdrain-";
/// Most pages of health checks read.
const MAX_PAGES: usize = 20;

/// The routing policy of a record set, from the fields Route 53 allows one of.
pub fn steering(s: &ResourceRecordSet) -> Option<Steering> {
    Some(if s.weight.is_some() {
        Steering::Weighted
    } else if s.region.is_some() {
        Steering::Latency
    } else if let Some(f) = &s.failover {
        match f {
            ResourceRecordSetFailover::Primary => Steering::FailoverPrimary,
            _ => Steering::FailoverSecondary,
        }
    } else if s.geo_location.is_some() {
        Steering::Geolocation
    } else if s.geo_proximity_location.is_some() {
        Steering::Geoproximity
    } else if s.multi_value_answer == Some(true) {
        Steering::Multivalue
    } else if s.cidr_routing_config.is_some() {
        Steering::Subnet
    } else {
        return None;
    })
}

/// A geolocation record's location in words: `continent EU`, `country DE`, `US-CA`,
/// `the default (*)`.
pub fn location(s: &ResourceRecordSet) -> Option<String> {
    let g = s.geo_location.as_ref()?;
    Some(
        match (&g.continent_code, &g.country_code, &g.subdivision_code) {
            (_, Some(c), Some(sub)) => format!("{c}-{sub}"),
            (_, Some(c), None) if c == "*" => "the default (*)".into(),
            (_, Some(c), None) => format!("country {c}"),
            (Some(c), None, _) => format!("continent {c}"),
            _ => "?".into(),
        },
    )
}

/// What decides a region's traffic, in words, and for a geolocation record the location
/// only it serves and where those users go when it leaves rotation.
pub fn route(s: &ResourceRecordSet, all: &[ResourceRecordSet], path: &[String]) -> Route {
    let policy = steering(s).map(|p| p.name()).unwrap_or("simple");
    let mut via = format!(
        "{policy} record {} {} ({})",
        s.name,
        s.r#type.as_str(),
        s.set_identifier.as_deref().unwrap_or("-")
    );
    if let Some(a) = &s.alias_target {
        via.push_str(&format!(" -> alias {}", a.dns_name()));
    }
    if !path.is_empty() {
        via = format!("{} -> {via}", path.join(" -> "));
    }
    let mut out = Route {
        via,
        ..Route::default()
    };
    if let Some(here) = location(s) {
        let default = all.iter().find(|o| {
            o.geo_location
                .as_ref()
                .is_some_and(|g| g.country_code.as_deref() == Some("*"))
        });
        out.only_for = vec![here];
        out.instead = Some(match default {
            Some(d) if d.set_identifier != s.set_identifier => format!(
                "a broader location's record if one covers them, else the default (*) record {}",
                d.set_identifier.as_deref().unwrap_or("-")
            ),
            Some(_) => "no record: Route 53 answers them with no address".into(),
            None => "a broader location's record if one covers them, else no answer (the record has no default (*) location)".into(),
        });
    }
    out
}

/// meridian's drain checks in the account: id -> the check the record had before
/// (`None`: it had none).
pub async fn drain_checks(
    client: &Client,
    backoff: &Backoff,
    progress: &Progress,
) -> ProviderResult<HashMap<String, Option<String>>> {
    let mut out = HashMap::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = with_backoff(backoff, "route53 ListHealthChecks", progress, || {
            client
                .list_health_checks()
                .set_marker(marker.clone())
                .send()
        })
        .await
        .map_err(|e| provider_error(None, "route53 ListHealthChecks", &e))?;
        for hc in page.health_checks() {
            if let Some(original) = original_of(hc.caller_reference()) {
                out.insert(hc.id().to_string(), original);
            }
        }
        match page.next_marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
    Err(ProviderError::new(
        None,
        "route53 ListHealthChecks",
        format!("more than {MAX_PAGES} pages of health checks"),
    ))
}

/// The check a drain check replaced, from its CallerReference.
fn original_of(caller_reference: &str) -> Option<Option<String>> {
    let rest = caller_reference.strip_prefix(PREFIX)?;
    let (original, _ms) = rest.rsplit_once('-')?;
    Some((original != "none").then(|| original.to_string()))
}

/// Create an always-unhealthy check for `region`, standing in for `original`.
pub async fn create_drain_check(
    client: &Client,
    backoff: &Backoff,
    region: &str,
    original: Option<&str>,
    progress: &Progress,
) -> ProviderResult<String> {
    let call = "route53 CreateHealthCheck";
    let reference = format!(
        "{PREFIX}{}-{}",
        original.unwrap_or("none"),
        meridian_model::state::now_ms()
    );
    let config = HealthCheckConfig::builder()
        .r#type(HealthCheckType::Calculated)
        .set_child_health_checks(Some(Vec::new()))
        .health_threshold(1)
        .disabled(true)
        .inverted(true)
        .build()
        .map_err(|e| ProviderError::new(Some(region), call, e.to_string()))?;
    let out = with_backoff(backoff, call, progress, || {
        client
            .create_health_check()
            .caller_reference(&reference)
            .health_check_config(config.clone())
            .send()
    })
    .await
    .map_err(|e| provider_error(Some(region), call, &e))?;
    let id = out
        .health_check()
        .map(|h| h.id().to_string())
        .ok_or_else(|| ProviderError::new(Some(region), call, "no health check in the answer"))?;
    // A name for people reading the console; the drain works without it.
    let tag = Tag::builder()
        .key("Name")
        .value(format!("meridian drain {region}"))
        .build();
    let tagged = client
        .change_tags_for_resource()
        .resource_type(TagResourceType::Healthcheck)
        .resource_id(&id)
        .add_tags(tag)
        .send()
        .await;
    if let Err(e) = tagged {
        progress.say(&format!(
            "route53: the drain check {id} could not be named ({})",
            provider_error(Some(region), "route53 ChangeTagsForResource", &e)
        ));
    }
    Ok(id)
}

/// Delete a drain check once nothing points at it; a failure is said, not fatal (the
/// check only costs money).
pub async fn delete_drain_check(client: &Client, backoff: &Backoff, id: &str, progress: &Progress) {
    let call = "route53 DeleteHealthCheck";
    let done = with_backoff(backoff, call, progress, || {
        client.delete_health_check().health_check_id(id).send()
    })
    .await;
    match done {
        Ok(_) => progress.say(&format!("route53: drain check {id} deleted")),
        Err(e) => progress.say(&format!(
            "route53: drain check {id} is no longer used but could not be deleted ({}): delete it in the console",
            provider_error(None, call, &e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_reference_says_what_the_record_had() {
        assert_eq!(
            original_of("mdrain-8a1f2e2c-1b2d-4c3e-9f00-123456789abc-1765100000000"),
            Some(Some("8a1f2e2c-1b2d-4c3e-9f00-123456789abc".to_string()))
        );
        assert_eq!(original_of("mdrain-none-1765100000000"), Some(None));
        assert_eq!(original_of("terraform-2025"), None);
        let len = format!("{PREFIX}8a1f2e2c-1b2d-4c3e-9f00-123456789abc-1765100000000").len();
        assert!(len <= 64, "CallerReference is at most 64 characters: {len}");
    }
}
