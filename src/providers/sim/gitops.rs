//! The simulated Argo CD: applications, their history, and rollback.

use async_trait::async_trait;

use super::{SYNC_SECS, SimProvider};
use crate::fleet::Fleet;
use crate::providers::{GitOpsProvider, Progress, ProviderError, ProviderResult};
use crate::state::{AppState, HealthStatus, HistoryEntry};

#[async_trait]
impl GitOpsProvider for SimProvider {
    async fn read_apps(
        &self,
        _fleet: &Fleet,
        region: &str,
    ) -> ProviderResult<Vec<(String, AppState)>> {
        self.read("read apps", |w| self.catalog(w).region_apps(w, region))
    }

    fn watches(&self) -> bool {
        true
    }

    async fn watch_apps(
        &self,
        _fleet: &Fleet,
        region: &str,
        sink: tokio::sync::mpsc::Sender<ProviderResult<crate::providers::AppsUpdate>>,
    ) -> ProviderResult<()> {
        self.watch_region(region, sink).await
    }

    async fn rollback(
        &self,
        _fleet: &Fleet,
        tenant: &str,
        region: &str,
        revision_id: u32,
        pause_auto_sync: bool,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let call = "sim argocd rollback";
        if pause_auto_sync {
            progress.say(&format!("pausing auto-sync of {tenant} in {region}"));
            self.change(call, |w| {
                if let Some(a) = self.catalog(w).change(w, tenant, region) {
                    a.auto_sync = false;
                }
            })?;
        }
        progress.say(&format!(
            "syncing {tenant} in {region} to history entry {revision_id}"
        ));
        self.take(SYNC_SECS).await;
        let result = self.change(call, |w| {
            let down = w
                .region(region)
                .is_some_and(|r| r.health == HealthStatus::Down);
            let tick = w.tick;
            let deployed_at = w.tick_to_ms(tick);
            let catalog = self.catalog(w);
            let Some(a) = catalog.change(w, tenant, region) else {
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("no application for tenant {tenant}"),
                ));
            };
            if down {
                return Err(Self::down_error(region, call));
            }
            if a.auto_sync {
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    "rollback cannot be performed when auto-sync is enabled",
                )
                .with_hint("pause auto-sync first"));
            }
            let Some(entry) = a.history.iter().find(|h| h.id == revision_id).cloned() else {
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("history entry {revision_id} not found"),
                ));
            };
            let next = a.history.iter().map(|h| h.id).max().unwrap_or(0) + 1;
            a.history.push(HistoryEntry {
                id: next,
                revision: entry.revision.clone(),
                deployed_at,
            });
            // Argo CD keeps ten entries by default.
            if a.history.len() > 10 {
                a.history.remove(0);
            }
            a.revision = entry.revision;
            a.progressing_until = Some(tick + 8);
            Ok(())
        })?;
        result?;
        progress.say(&format!(
            "{tenant} in {region} is syncing the earlier revision"
        ));
        Ok(())
    }
}
