//! The `gitops` capability (Argo CD applications: read, watch, sync, roll back, resume
//! auto-sync) and Helm releases (read, roll back).

use async_trait::async_trait;

use super::{Progress, ProviderError, ProviderResult};
use meridian_model::fleet::Fleet;
use meridian_model::state::{AppState, HelmRelease};

/// What one push of a watching gitops provider says about a region's applications.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppsUpdate {
    /// By tenant id: every app of the region when `complete`, else only those that changed.
    pub apps: Vec<(String, AppState)>,
    /// True: the whole region (a tenant missing from it is not found). False: a change;
    /// every other app is as it was and still current (so an empty change says "all
    /// current as of now", which keeps an idle watch's cells fresh without a re-read).
    pub complete: bool,
}

/// Who asks for a change and why: written on the app (Argo CD's `initiatedBy`, the note
/// kept when auto-sync is paused) so the cluster says who did it too.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeNote {
    /// `user@host`
    pub user: String,
    pub reason: Option<String>,
}

/// Sync an app to an earlier history entry (pausing auto-sync first when asked).
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackRequest {
    pub tenant: String,
    pub region: String,
    pub history_id: u32,
    pub revision: String,
    pub pause_auto_sync: bool,
    /// The version the plan was checked against: every write carries it (409 otherwise).
    pub resource_version: Option<String>,
    pub note: ChangeNote,
}

/// Sync an app to its target, or to a revision.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRequest {
    pub tenant: String,
    pub region: String,
    pub revision: Option<String>,
    pub resource_version: Option<String>,
    pub note: ChangeNote,
}

/// Put back a paused `automated` block.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumeRequest {
    pub tenant: String,
    pub region: String,
    pub automated: serde_json::Value,
    pub resource_version: Option<String>,
    pub note: ChangeNote,
}

/// Argo CD applications and their history.
#[async_trait]
pub trait GitOpsProvider: Send + Sync {
    /// Every application of the fleet's tenants in one region, by tenant id. A tenant
    /// missing from the answer is reported as not found for that cell only.
    async fn read_apps(
        &self,
        fleet: &Fleet,
        region: &str,
    ) -> ProviderResult<Vec<(String, AppState)>>;
    /// True when the provider pushes changes (`watch_apps`) instead of being polled.
    fn watches(&self) -> bool {
        false
    }
    /// Push the region's applications through `sink` until the future is dropped: the whole
    /// region first (and after any reconnect), then what changes, and now and then an empty
    /// change while nothing does, so the cells stay fresh. Reconnecting is the provider's
    /// business; an error for the region is pushed as such. Only called when `watches()`.
    async fn watch_apps(
        &self,
        fleet: &Fleet,
        region: &str,
        _sink: tokio::sync::mpsc::Sender<ProviderResult<AppsUpdate>>,
    ) -> ProviderResult<()> {
        let _ = fleet;
        Err(ProviderError::new(
            Some(region),
            "watch applications",
            "this provider does not watch; it is polled",
        ))
    }
    /// Pause auto-sync when asked, then sync the app to an earlier history entry, and wait
    /// for the operation to end.
    async fn rollback(
        &self,
        fleet: &Fleet,
        req: &RollbackRequest,
        progress: &Progress,
    ) -> ProviderResult<()>;
    /// Sync the app to its target or a revision, and wait for the operation to end.
    async fn sync(
        &self,
        fleet: &Fleet,
        req: &SyncRequest,
        progress: &Progress,
    ) -> ProviderResult<()>;
    /// Put back the automated block a rollback paused.
    async fn resume_auto_sync(
        &self,
        fleet: &Fleet,
        req: &ResumeRequest,
        progress: &Progress,
    ) -> ProviderResult<()>;
}

/// Helm releases of the fleet's tenants (those with `helm = { provider = "helm" }`).
#[async_trait]
pub trait ReleaseProvider: Send + Sync {
    /// Every Helm tenant's release in one region, by tenant id.
    async fn read_releases(
        &self,
        fleet: &Fleet,
        region: &str,
    ) -> ProviderResult<Vec<(String, HelmRelease)>>;
    /// Roll a release back to a revision and wait for it (`helm rollback --wait`).
    async fn rollback_release(
        &self,
        fleet: &Fleet,
        tenant: &str,
        region: &str,
        revision: u32,
        progress: &Progress,
    ) -> ProviderResult<()>;
    /// Upgrade or install a release and wait for it (`helm upgrade --install --wait`).
    async fn deploy_release(
        &self,
        _fleet: &Fleet,
        req: &DeployRequest,
        _progress: &Progress,
    ) -> ProviderResult<()> {
        Err(ProviderError::new(
            Some(&req.region),
            "helm upgrade",
            "this fleet has no Helm releases to deploy",
        )
        .with_hint("give the tenant helm = { provider = \"helm\", chart = \"...\" }"))
    }
    /// What a deploy would change: the deployed manifest against the new render.
    async fn render_deploy(
        &self,
        _fleet: &Fleet,
        req: &DeployRequest,
    ) -> ProviderResult<crate::kube::helm_render::Rendered> {
        Err(ProviderError::new(
            Some(&req.region),
            "helm template",
            "this fleet has no Helm releases to deploy",
        ))
    }
}

/// What a deploy installs: the tenant's chart at a version, with `--set` pairs and
/// `--values` files in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequest {
    pub tenant: String,
    pub region: String,
    pub chart: String,
    pub version: Option<String>,
    pub set: Vec<(String, String)>,
    pub values: Vec<String>,
}

/// A fleet without Helm tenants: nothing to read, nothing to roll back.
pub struct NoReleases;

#[async_trait]
impl ReleaseProvider for NoReleases {
    async fn read_releases(
        &self,
        _fleet: &Fleet,
        _region: &str,
    ) -> ProviderResult<Vec<(String, HelmRelease)>> {
        Ok(Vec::new())
    }
    async fn rollback_release(
        &self,
        _fleet: &Fleet,
        tenant: &str,
        region: &str,
        _revision: u32,
        _progress: &Progress,
    ) -> ProviderResult<()> {
        Err(ProviderError::new(
            Some(region),
            "helm rollback",
            format!("tenant {tenant} has no Helm release configured"),
        ))
    }
}
