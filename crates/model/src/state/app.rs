//! A tenant's Argo CD application in one region, as last observed: sync and health, the
//! deployed revision and its history, and what Argo CD is doing with it right now.

use std::sync::Arc;

use arcstr::ArcStr;
use serde::{Deserialize, Serialize};

use super::Millis;

/// Argo CD `status.sync.status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, strum::IntoStaticStr,
)]
pub enum SyncStatus {
    Synced,
    OutOfSync,
    #[default]
    Unknown,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Argo CD `status.health.status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, strum::IntoStaticStr,
)]
pub enum AppHealth {
    Healthy,
    Progressing,
    Degraded,
    Suspended,
    Missing,
    #[default]
    Unknown,
}

impl AppHealth {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One entry of an application's deployment history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: u32,
    pub revision: String,
    pub deployed_at: Millis,
    /// The source it was deployed from, exactly as Argo CD recorded it: a rollback syncs
    /// to this source, not to whatever the app's spec says now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiated_by: Option<String>,
}

/// Phase of an Argo CD operation (`status.operationState.phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperationPhase {
    Running,
    Terminating,
    Succeeded,
    Failed,
    Error,
}

impl OperationPhase {
    pub fn parse(s: &str) -> Option<OperationPhase> {
        Some(match s {
            "Running" => OperationPhase::Running,
            "Terminating" => OperationPhase::Terminating,
            "Succeeded" => OperationPhase::Succeeded,
            "Failed" => OperationPhase::Failed,
            "Error" => OperationPhase::Error,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OperationPhase::Running => "Running",
            OperationPhase::Terminating => "Terminating",
            OperationPhase::Succeeded => "Succeeded",
            OperationPhase::Failed => "Failed",
            OperationPhase::Error => "Error",
        }
    }

    /// Still going: Argo CD refuses a new operation until it ends.
    pub fn is_active(self) -> bool {
        matches!(self, OperationPhase::Running | OperationPhase::Terminating)
    }
}

/// The app's current or last operation: the requested one (`operation`) and its state
/// (`status.operationState`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OperationInfo {
    /// A top-level `operation` is set: requested, not yet taken up or still running.
    pub requested: bool,
    pub phase: Option<OperationPhase>,
    pub message: Option<String>,
    /// The revision the operation syncs to (its result once it has one).
    pub revision: Option<String>,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub initiated_by: Option<String>,
    /// The hooks of this operation (`syncResult.resources` with a `hookType`), in the
    /// order Argo CD lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookResult>,
}

/// One hook of a sync, as `status.operationState.syncResult.resources[]` reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HookResult {
    /// `PreSync`, `Sync`, `PostSync`, `SyncFail` (Argo CD's `hookType`).
    pub hook_type: String,
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `Running`, `Succeeded`, `Failed`, `Error`, `Terminating` (Argo CD's `hookPhase`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl HookResult {
    /// The hook failed (or errored): its sync stopped there.
    pub fn failed(&self) -> bool {
        matches!(self.phase.as_deref(), Some("Failed" | "Error"))
    }

    /// "PreSync Job migrate failed: <message>; the new revision was not applied".
    pub fn failure_text(&self) -> String {
        let what = match self.phase.as_deref() {
            Some("Error") => "errored",
            _ => "failed",
        };
        let message = self
            .message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .map(|m| format!(": {}", m.trim()))
            .unwrap_or_default();
        // Argo CD applies a sync's resources only after its PreSync hooks succeed; a Sync
        // hook fails part-way through the apply; a PostSync hook runs once it is applied.
        let effect = match self.hook_type.as_str() {
            "PreSync" => "; the new revision was not applied",
            "Sync" => "; the new revision may be partly applied",
            "PostSync" => "; the new revision is applied, its post-sync step is not done",
            _ => "",
        };
        format!(
            "{} {} {} {what}{message}{effect}",
            self.hook_type, self.kind, self.name
        )
    }
}

impl OperationInfo {
    /// The first hook of this operation that failed, if one did.
    pub fn failed_hook(&self) -> Option<&HookResult> {
        self.hooks.iter().find(|h| h.failed())
    }

    /// Why no new operation may start now, if one is in progress.
    pub fn in_progress(&self) -> Option<String> {
        match self.phase {
            Some(p) if p.is_active() => Some(format!(
                "an operation is {}{}",
                p.as_str(),
                self.initiated_by
                    .as_deref()
                    .map(|w| format!(" (started by {w})"))
                    .unwrap_or_default()
            )),
            _ if self.requested => Some("an operation has been requested and not finished".into()),
            _ => None,
        }
    }
}

/// One of `status.conditions`: `SyncError`, `ComparisonError`, ...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppCondition {
    pub kind: String,
    pub message: String,
}

/// The ApplicationSet that generates this app, and whether it leaves a hand-set
/// `spec.syncPolicy` alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSetOwner {
    pub name: String,
    /// True when the ApplicationSet ignores `/spec/syncPolicy` differences or only creates
    /// apps; false when it would put its template's syncPolicy back; `None` when the
    /// ApplicationSet could not be read.
    pub preserves_sync_policy: Option<bool>,
}

/// The `automated` block meridian took away when it paused auto-sync, kept on the app in
/// an annotation so that it can be put back exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PausedAutoSync {
    pub automated: serde_json::Value,
    pub by: String,
    pub at: String,
    pub reason: Option<String>,
}

/// An AppProject sync window (Argo CD's `spec.syncWindows[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncWindow {
    /// `allow` or `deny`.
    pub kind: String,
    /// Cron: minute hour day-of-month month day-of-week.
    pub schedule: String,
    /// How long a window lasts from each time the schedule fires, e.g. `1h`.
    pub duration: String,
    /// App name patterns (`*` wildcards); empty matches none unless namespaces/clusters do.
    pub applications: Vec<String>,
    pub namespaces: Vec<String>,
    pub clusters: Vec<String>,
    /// Manual syncs may go ahead during the window.
    pub manual_sync: bool,
    pub time_zone: Option<String>,
}

/// A tenant's Argo CD application in one region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppState {
    /// Shared with the provider's own copy where it keeps one (the simulator does).
    pub name: ArcStr,
    pub sync: SyncStatus,
    pub health: AppHealth,
    /// What is deployed: the last history entry's revision, or while an operation runs,
    /// the revision it is syncing to. Shared with the history entry it came from (a big
    /// fleet holds 100,000 of these).
    pub revision: ArcStr,
    pub auto_sync: bool,
    /// Oldest first; the last entry is what is deployed. Shared between apps with the same
    /// history (a tenant's regions, usually), so a big fleet does not hold it many times.
    /// An `Arc` of a `Vec`, not of a slice: one pointer in each of 100,000 cells, not two.
    pub history: Arc<Vec<HistoryEntry>>,
    /// Why the app is not Synced/Healthy, as Argo CD words it.
    pub message: Option<ArcStr>,
    /// The branch head Argo CD compares against (`status.sync.revision`): what a sync to
    /// the target, or auto-sync once resumed, deploys.
    #[serde(default)]
    pub head: Option<ArcStr>,
    #[serde(default)]
    pub prune: bool,
    #[serde(default)]
    pub self_heal: bool,
    /// What only a live Argo CD reports or an action rarely sets, boxed out of the way: a
    /// 100 x 1,000 fleet holds 100,000 readings and most carry none of it. Flattened, so
    /// JSON has the same fields as when they were the app's own.
    #[serde(flatten)]
    pub detail: Detail,
}

/// The rarer parts of an app's reading (see `AppState::detail`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppDetail {
    /// Boxed: an operation is big and usually absent.
    #[serde(default)]
    pub operation: Option<Box<OperationInfo>>,
    #[serde(default)]
    pub conditions: Vec<AppCondition>,
    #[serde(default)]
    pub owner: Option<Box<AppSetOwner>>,
    /// Auto-sync that meridian paused (and can resume).
    #[serde(default)]
    pub paused: Option<Box<PausedAutoSync>>,
    #[serde(default)]
    pub project: Option<Arc<str>>,
    /// The project's sync windows; `None` when they are unknown (not read, or no project).
    #[serde(default)]
    pub sync_windows: Option<Arc<[SyncWindow]>>,
    /// Where the app lives in Argo CD (namespace) and its `spec.destination`, for matching.
    #[serde(default)]
    pub namespace: Option<Arc<str>>,
    /// The object version this reading saw: writes carry it, so a change made by someone
    /// else in between is refused (409) instead of overwritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
}

/// No detail: what an app without any reads as.
static NO_DETAIL: AppDetail = AppDetail {
    operation: None,
    conditions: Vec::new(),
    owner: None,
    paused: None,
    project: None,
    sync_windows: None,
    namespace: None,
    resource_version: None,
};

/// `AppDetail`, allocated only when some part of it is set. Serialized in full either way.
#[derive(Debug, Clone, Default)]
pub struct Detail(Option<Box<AppDetail>>);

/// Equal when the parts are: no detail equals an empty one.
impl PartialEq for Detail {
    fn eq(&self, other: &Detail) -> bool {
        **self == **other
    }
}

impl Detail {
    pub fn new(detail: AppDetail) -> Detail {
        match detail == NO_DETAIL {
            true => Detail(None),
            false => Detail(Some(Box::new(detail))),
        }
    }
}

impl std::ops::Deref for Detail {
    type Target = AppDetail;
    fn deref(&self) -> &AppDetail {
        self.0.as_deref().unwrap_or(&NO_DETAIL)
    }
}

impl std::ops::DerefMut for Detail {
    fn deref_mut(&mut self) -> &mut AppDetail {
        self.0.get_or_insert_with(Box::default)
    }
}

impl Serialize for Detail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AppDetail::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Detail, D::Error> {
        AppDetail::deserialize(d).map(Detail::new)
    }
}

impl AppState {
    /// A history entry by id (`3`) or revision prefix (`a1b2c3`).
    pub fn find_revision(&self, wanted: &str) -> Option<&HistoryEntry> {
        let wanted = wanted.trim_start_matches('#');
        if let Ok(id) = wanted.parse::<u32>()
            && let Some(e) = self.history.iter().find(|e| e.id == id)
        {
            return Some(e);
        }
        if wanted.len() >= 4 {
            return self
                .history
                .iter()
                .rev()
                .find(|e| e.revision.starts_with(wanted));
        }
        None
    }

    /// The entry deployed before the current one: the default rollback target.
    pub fn previous(&self) -> Option<&HistoryEntry> {
        let current = &self.revision;
        self.history.iter().rev().find(|e| *e.revision != **current)
    }

    /// Why a new operation cannot start now, if one is in progress.
    pub fn operation_in_progress(&self) -> Option<String> {
        self.detail
            .operation
            .as_deref()
            .and_then(OperationInfo::in_progress)
    }

    /// The id of the last history entry (what the audit record calls "deployed").
    pub fn history_id(&self) -> Option<u32> {
        self.history.last().map(|h| h.id)
    }

    /// The failed hook of the last sync, in words, when one failed: "PreSync Job migrate
    /// failed: <message>; the new revision was not applied".
    pub fn hook_failure(&self) -> Option<String> {
        self.detail
            .operation
            .as_deref()
            .and_then(OperationInfo::failed_hook)
            .map(HookResult::failure_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 100 x 1,000 fleet holds 100,000 of these, each in a tenant's cell with its region
    /// id and the reading's age and error: growing either is a memory regression. (The
    /// strings are one-pointer `ArcStr`s and the history an `Arc<Vec>`; with `Arc<str>` and
    /// `Arc<[HistoryEntry]>` a cell was 144 bytes.)
    #[test]
    fn an_app_reading_and_its_cell_stay_small() {
        let app = std::mem::size_of::<AppState>();
        let cell = std::mem::size_of::<(ArcStr, crate::state::Observed<AppState>)>();
        assert!(app <= 56, "AppState is {app} bytes");
        assert!(cell <= 88, "a tenant's cell is {cell} bytes");
    }

    #[test]
    fn an_app_without_detail_writes_the_same_json_as_one_with_an_empty_detail() {
        let bare = AppState::default();
        let mut with = AppState::default();
        with.detail.conditions = Vec::new(); // allocates an empty detail
        let (a, b) = (serde_json::to_value(&bare), serde_json::to_value(&with));
        assert!(matches!((&a, &b), (Ok(x), Ok(y)) if x == y));
        let Ok(json) = a else { return };
        for field in [
            "operation",
            "conditions",
            "owner",
            "paused",
            "project",
            "namespace",
        ] {
            assert!(json.get(field).is_some(), "{field} missing from {json}");
        }
        let back: AppState = serde_json::from_value(json).unwrap_or_default();
        assert_eq!(back, bare);
        assert!(back.detail.0.is_none(), "an empty detail is not kept");
    }

    #[test]
    fn a_detail_survives_json() {
        let mut app = AppState::default();
        app.detail.project = Some("payments".into());
        app.detail.resource_version = Some("42".into());
        let json = serde_json::to_string(&app).unwrap_or_default();
        let back: AppState = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back.detail.project.as_deref(), Some("payments"));
        assert_eq!(back.detail.resource_version.as_deref(), Some("42"));
    }
}
