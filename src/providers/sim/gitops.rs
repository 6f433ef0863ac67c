//! The simulated Argo CD: applications, their history, sync, rollback and auto-sync.

use async_trait::async_trait;

use super::world::SimApp;
use super::{SYNC_SECS, SimProvider};
use crate::fleet::Fleet;
use crate::providers::{
    GitOpsProvider, Progress, ProviderError, ProviderResult, ResumeRequest, RollbackRequest,
    SyncRequest,
};
use crate::state::{AppState, HealthStatus, HistoryEntry, PausedAutoSync, SyncStatus, rfc3339};

fn state_of(a: &SimApp) -> AppState {
    AppState {
        name: a.name.clone(),
        sync: a.sync,
        health: a.health,
        revision: a.revision.as_str().into(),
        auto_sync: a.auto_sync,
        history: a.history.clone().into(),
        message: a.message.clone(),
        head: Some(a.git_revision.clone()),
        prune: a.auto_sync,
        self_heal: a.auto_sync,
        paused: a.paused.clone(),
        ..AppState::default()
    }
}

#[async_trait]
impl GitOpsProvider for SimProvider {
    async fn read_apps(
        &self,
        _fleet: &Fleet,
        region: &str,
    ) -> ProviderResult<Vec<(String, AppState)>> {
        self.read("read apps", |w| {
            w.apps
                .iter()
                .filter(|a| a.region == region)
                .map(|a| (a.tenant.clone(), state_of(a)))
                .collect()
        })
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
                let at = rfc3339(w.wall_ms);
                if let Some(a) = w.app_mut(tenant, region)
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
        self.sync_to(tenant, region, call, Some(req.history_id), None)
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
        self.sync_to(
            tenant,
            region,
            "sim argocd sync",
            None,
            req.revision.clone(),
        )
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
            let tick = w.tick;
            let deployed_at = w.tick_to_ms(tick);
            match w.app_mut(tenant, region) {
                Some(a) => {
                    a.auto_sync = true;
                    a.paused = None;
                    // Auto-sync deploys the branch head at once, as Argo CD would.
                    if a.revision != a.git_revision {
                        let next = a.history.iter().map(|h| h.id).max().unwrap_or(0) + 1;
                        a.history.push(HistoryEntry {
                            id: next,
                            revision: a.git_revision.clone(),
                            deployed_at,
                            source: None,
                            initiated_by: Some("auto-sync".into()),
                        });
                        if a.history.len() > 10 {
                            a.history.remove(0);
                        }
                        a.revision = a.git_revision.clone();
                        a.progressing_until = Some(tick + 8);
                    }
                    Ok(())
                }
                None => Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("no application for tenant {tenant}"),
                )),
            }
        })?
    }
}

impl SimProvider {
    /// Deploy a history entry (a rollback) or a revision (None: the branch head).
    async fn sync_to(
        &self,
        tenant: &str,
        region: &str,
        call: &str,
        history_id: Option<u32>,
        revision: Option<String>,
    ) -> ProviderResult<()> {
        self.take(SYNC_SECS).await;
        self.change(call, |w| {
            let down = w
                .region(region)
                .is_some_and(|r| r.health == HealthStatus::Down);
            let tick = w.tick;
            let deployed_at = w.tick_to_ms(tick);
            let Some(a) = w.app_mut(tenant, region) else {
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("no application for tenant {tenant}"),
                ));
            };
            if down {
                return Err(Self::down_error(region, call));
            }
            let target = match history_id {
                Some(id) => {
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
                None => match revision {
                    Some(r) => a
                        .history
                        .iter()
                        .rev()
                        .find(|h| h.revision.starts_with(&r))
                        .map(|h| h.revision.clone())
                        .unwrap_or(r),
                    None => a.git_revision.clone(),
                },
            };
            let next = a.history.iter().map(|h| h.id).max().unwrap_or(0) + 1;
            a.history.push(HistoryEntry {
                id: next,
                revision: target.clone(),
                deployed_at,
                source: None,
                initiated_by: None,
            });
            // Argo CD keeps ten entries by default.
            if a.history.len() > 10 {
                a.history.remove(0);
            }
            a.sync = if target == a.git_revision {
                SyncStatus::Synced
            } else {
                SyncStatus::OutOfSync
            };
            a.revision = target;
            a.progressing_until = Some(tick + 8);
            Ok(())
        })?
    }
}
