//! A hosted zone's weighted record sets, for `meridian init --from route53`: which records
//! the zone has and how they are weighted, read with the same client set-up and backoff as
//! the traffic provider.

use aws_sdk_route53::Client;
use aws_sdk_route53::types::{ResourceRecordSet, RrType};

use super::retry::{Backoff, provider_error, with_backoff};
use super::{AwsConfigs, AwsTarget};
use crate::{Progress, ProviderError, ProviderResult};

/// Most pages read before giving up on a zone.
const MAX_PAGES: usize = 50;

/// Every weighted record set in a hosted zone, in the zone's order (for `meridian init`,
/// which turns one weighted record into a fleet's regions).
pub async fn weighted_sets(
    configs: &AwsConfigs,
    target: &AwsTarget,
    zone: &str,
) -> ProviderResult<Vec<ResourceRecordSet>> {
    let client = Client::new(&configs.get(target).await);
    let backoff = Backoff::default();
    let progress = Progress::silent();
    let mut out = Vec::new();
    let mut start: Option<(String, RrType, Option<String>)> = None;
    for _ in 0..MAX_PAGES {
        let page = with_backoff(
            &backoff,
            "route53 ListResourceRecordSets",
            &progress,
            || {
                let mut req = client.list_resource_record_sets().hosted_zone_id(zone);
                if let Some((name, rtype, ident)) = &start {
                    req = req
                        .start_record_name(name)
                        .start_record_type(rtype.clone())
                        .set_start_record_identifier(ident.clone());
                }
                req.send()
            },
        )
        .await
        .map_err(|e| provider_error(None, "route53 ListResourceRecordSets", &e))?;
        out.extend(
            page.resource_record_sets()
                .iter()
                .filter(|rs| rs.weight.is_some() && rs.set_identifier.is_some())
                .cloned(),
        );
        match (page.next_record_name(), page.next_record_type()) {
            (Some(n), Some(t)) if page.is_truncated() => {
                let next = (
                    n.to_string(),
                    t.clone(),
                    page.next_record_identifier().map(str::to_string),
                );
                if start.as_ref() == Some(&next) {
                    break;
                }
                start = Some(next);
            }
            _ => return Ok(out),
        }
    }
    Err(ProviderError::new(
        None,
        "route53 ListResourceRecordSets",
        format!("zone {zone} did not finish listing in {MAX_PAGES} pages"),
    ))
}
