//! The simulated Argo CD: applications, their history, sync, rollback and auto-sync.

use async_trait::async_trait;

use super::{SYNC_SECS, SimProvider};
use crate::{
    GitOpsProvider, Progress, ProviderError, ProviderResult, ResumeRequest, RollbackRequest,
    SyncRequest,
};
use meridian_model::fleet::Fleet;
use meridian_model::state::{AppState, HealthStatus, HistoryEntry, PausedAutoSync, rfc3339};

/// What a simulated sync deploys.
enum Target {
    /// A history entry (a rollback).
    Entry(u32),
    /// A revision, or the branch head.
    Revision(Option<String>),
}

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
        sink: tokio::sync::mpsc::Sender<ProviderResult<crate::AppsUpdate>>,
    ) -> ProviderResult<()> {
        self.watch_region(region, sink).await
    }

    async fn rollback(
        &self,
        _fleet: &Fleet,
        req: &RollbackRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let (tenant, region) = (req.tenant.as_str(), req.region.as_str());
        let call = "sim argocd rollback";
        if req.pause_auto_sync {
            progress.say(&format!("pausing auto-sync of {tenant} in {region}"));
            let note = req.note.clone();
            self.change(call, |w| {
                let at = rfc3339(w.tick_to_ms(w.tick));
                if let Some(a) = self.catalog(w).change(w, tenant, region)
                    && a.auto_sync
                {
                    a.auto_sync = false;
                    a.paused = Some(PausedAutoSync {
                        automated: serde_json::json!({"prune": true, "selfHeal": true}),
                        by: note.user,
                        at,
                        reason: note.reason,
                    });
                }
            })?;
        }
        progress.say(&format!(
            "syncing {tenant} in {region} to history entry {}",
            req.history_id
        ));
        self.sync_to(tenant, region, call, Target::Entry(req.history_id))
            .await?;
        progress.say(&format!(
            "{tenant} in {region} is syncing the earlier revision"
        ));
        Ok(())
    }

    async fn sync(
        &self,
        _fleet: &Fleet,
        req: &SyncRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let (tenant, region) = (req.tenant.as_str(), req.region.as_str());
        progress.say(&format!(
            "syncing {tenant} in {region} to {}",
            req.revision.as_deref().unwrap_or("its target")
        ));
        let target = Target::Revision(req.revision.clone());
        self.sync_to(tenant, region, "sim argocd sync", target)
            .await
    }

    async fn resume_auto_sync(
        &self,
        _fleet: &Fleet,
        req: &ResumeRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let (tenant, region) = (req.tenant.as_str(), req.region.as_str());
        let call = "sim argocd resume auto-sync";
        progress.say(&format!("resuming auto-sync of {tenant} in {region}"));
        self.change(call, |w| {
            let catalog = self.catalog(w);
            match catalog.change(w, tenant, region) {
                Some(a) => {
                    a.auto_sync = true;
                    a.paused = None;
                    Ok(())
                }
                None => Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("no application for tenant {tenant}"),
                )),
            }
        })??;
        // Auto-sync deploys the branch head at once, as Argo CD would.
        self.sync_to(tenant, region, call, Target::Revision(None))
            .await
    }
}

impl SimProvider {
    /// Deploy a history entry (a rollback) or a revision (None: the branch head).
    async fn sync_to(
        &self,
        tenant: &str,
        region: &str,
        call: &str,
        target: Target,
    ) -> ProviderResult<()> {
        self.take(SYNC_SECS).await;
        self.change(call, |w| {
            let down = w
                .region(region)
                .is_some_and(|r| r.health == HealthStatus::Down);
            let hook_fault = w.region(region).is_some_and(|r| r.hook_fault);
            let tick = w.tick;
            let deployed_at = w.tick_to_ms(tick);
            let catalog = self.catalog(w);
            let head = catalog.head(tenant, region);
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
            let revision = match target {
                Target::Entry(id) => {
                    if a.auto_sync {
                        return Err(ProviderError::new(
                            Some(region),
                            call,
                            "rollback cannot be performed when auto-sync is enabled",
                        )
                        .with_hint("pause auto-sync first"));
                    }
                    match a.history.iter().find(|h| h.id == id) {
                        Some(e) => e.revision.clone(),
                        None => {
                            return Err(ProviderError::new(
                                Some(region),
                                call,
                                format!("history entry {id} not found"),
                            ));
                        }
                    }
                }
                Target::Revision(Some(r)) => a
                    .history
                    .iter()
                    .rev()
                    .find(|h| h.revision.starts_with(&r))
                    .map(|h| h.revision.clone())
                    .unwrap_or(r),
                Target::Revision(None) => head.map(|h| h.to_string()).unwrap_or_default(),
            };
            // Argo CD runs the PreSync hooks on every sync: under the fault the migration
            // Job fails, the sync stops there, and nothing new is applied.
            if hook_fault {
                let failed = super::apps::FailedSync {
                    revision: revision.clone(),
                    tick,
                    by: Some("meridian".into()),
                };
                a.failed_sync = Some(failed);
                let hook = super::apps::failed_migration(tenant);
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("the operation ended Failed: {}", hook.failure_text()),
                )
                .with_hint(format!(
                    "the old revision keeps serving; fix the migration and sync again (a drill: `meridian demo fault {region} clear`)"
                )));
            }
            a.failed_sync = None;
            if revision == a.revision {
                return Ok(());
            }
            let next = a.history.iter().map(|h| h.id).max().unwrap_or(0) + 1;
            a.history.push(HistoryEntry {
                id: next,
                revision: revision.clone(),
                deployed_at,
                source: None,
                initiated_by: None,
            });
            // Argo CD keeps ten entries by default.
            if a.history.len() > 10 {
                a.history.remove(0);
            }
            a.revision = revision;
            a.progressing_until = Some(tick + 8);
            Ok(())
        })?
    }
}
