//! A region whose health has several sources (`health = [{ provider = "http" }, { provider
//! = "route53", ... }]`): every source is read at once, the verdict is the worst of them,
//! and the reason names each source that is not healthy.

use std::sync::Arc;

use async_trait::async_trait;
use futures::future::join_all;

use super::{HealthProvider, ProviderError, ProviderResult};
use crate::fleet::Region;
use crate::state::{Health, HealthStatus};

/// Several health sources of one region, by provider name.
pub struct CombinedHealth {
    pub sources: Vec<(&'static str, Arc<dyn HealthProvider>)>,
}

/// Down is worst, then unknown (nobody can vouch for it), then degraded.
fn badness(s: HealthStatus) -> u8 {
    match s {
        HealthStatus::Healthy => 0,
        HealthStatus::Degraded => 1,
        HealthStatus::Unknown => 2,
        HealthStatus::Down => 3,
    }
}

#[async_trait]
impl HealthProvider for CombinedHealth {
    async fn read_health(&self, region: &Region) -> ProviderResult<Health> {
        let reads = join_all(self.sources.iter().map(|(_, p)| p.read_health(region))).await;
        if reads.iter().all(|r| r.is_err()) {
            let why: Vec<String> = self
                .sources
                .iter()
                .zip(&reads)
                .filter_map(|((name, _), r)| {
                    r.as_ref().err().map(|e| format!("{name}: {}", e.message))
                })
                .collect();
            return Err(ProviderError::new(
                Some(&region.id),
                "health",
                why.join("; "),
            ));
        }
        let mut status = HealthStatus::Healthy;
        let mut reasons = Vec::new();
        let mut latency_ms = None;
        let mut since = Some(i64::MIN);
        for ((name, _), read) in self.sources.iter().zip(reads) {
            let h = read.unwrap_or_else(|e| Health {
                status: HealthStatus::Unknown,
                reason: e.message,
                latency_ms: None,
                healthy_since: None,
            });
            if badness(h.status) > badness(status) {
                status = h.status;
            }
            latency_ms = latency_ms.or(h.latency_ms);
            // Healthy as a whole since the latest of the sources became healthy.
            since = match (since, h.healthy_since) {
                (Some(a), Some(b)) if h.status == HealthStatus::Healthy => Some(a.max(b)),
                _ => None,
            };
            reasons.push((h.status, format!("{name}: {}", h.reason)));
        }
        // The sources that make the verdict come first.
        reasons.sort_by_key(|(s, _)| std::cmp::Reverse(badness(*s)));
        Ok(Health {
            status,
            reason: reasons
                .into_iter()
                .map(|(_, r)| r)
                .collect::<Vec<_>>()
                .join("; "),
            latency_ms,
            healthy_since: since.filter(|_| status == HealthStatus::Healthy),
        })
    }
}
