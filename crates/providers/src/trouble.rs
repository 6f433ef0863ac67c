//! The first sign of trouble: since when each region has been degraded or down without a
//! break, for every health provider alike, remembered across meridian processes in the
//! fleet's state directory (the CLI runs one process per command). The recovery clock of a
//! drain or promote starts there, not at the action that answers the trouble.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use super::aws::healthy_since::HealthySince;
use super::{HealthProvider, ProviderResult};
use meridian_model::fleet::Region;
use meridian_model::state::{Health, HealthStatus, now_ms};

/// A health provider whose readings say since when the region has been in trouble.
pub struct TroubleTracked {
    inner: Arc<dyn HealthProvider>,
    /// "Since when has the condition held": here the condition is being in trouble.
    since: Arc<HealthySince>,
}

impl TroubleTracked {
    pub fn new(inner: Arc<dyn HealthProvider>, since: Arc<HealthySince>) -> TroubleTracked {
        TroubleTracked { inner, since }
    }

    /// The shared record of trouble, in `dir/trouble-since.json` (None: this process only).
    pub fn record(dir: Option<&Path>) -> Arc<HealthySince> {
        Arc::new(HealthySince::with_file(dir, "trouble-since.json"))
    }
}

#[async_trait]
impl HealthProvider for TroubleTracked {
    async fn read_health(&self, region: &Region) -> ProviderResult<Health> {
        let mut h = self.inner.read_health(region).await?;
        // Unknown is not trouble: it says nothing about the region, only about the reading.
        let trouble = matches!(h.status, HealthStatus::Degraded | HealthStatus::Down);
        h.unhealthy_since = self.since.observe(&region.id, trouble, now_ms());
        Ok(h)
    }

    async fn begin_round(&self) {
        self.inner.begin_round().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(std::sync::Mutex<HealthStatus>);

    #[async_trait]
    impl HealthProvider for Fixed {
        async fn read_health(&self, _: &Region) -> ProviderResult<Health> {
            Ok(Health {
                status: *self.0.lock().unwrap_or_else(|p| p.into_inner()),
                reason: String::new(),
                latency_ms: None,
                healthy_since: None,
                unhealthy_since: None,
            })
        }
    }

    #[tokio::test]
    async fn trouble_is_dated_from_its_first_reading_and_remembered_by_the_next_process() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fleet = meridian_model::fleet::demo();
        let region = &fleet.regions[0];
        let inner = Arc::new(Fixed(std::sync::Mutex::new(HealthStatus::Down)));
        let first = TroubleTracked::new(inner.clone(), TroubleTracked::record(Some(dir.path())));
        let since = first
            .read_health(region)
            .await
            .ok()
            .and_then(|h| h.unhealthy_since);
        assert!(since.is_some());
        // Another meridian (a later CLI command) sees the same first sign of trouble.
        let second = TroubleTracked::new(inner.clone(), TroubleTracked::record(Some(dir.path())));
        let later = second
            .read_health(region)
            .await
            .ok()
            .and_then(|h| h.unhealthy_since);
        assert_eq!(later, since);
        *inner.0.lock().unwrap_or_else(|p| p.into_inner()) = HealthStatus::Healthy;
        let healthy = second.read_health(region).await.ok();
        assert_eq!(healthy.and_then(|h| h.unhealthy_since), None);
    }
}
