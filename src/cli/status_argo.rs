//! The Argo CD and Helm parts of `status`: history, operations, auto-sync and releases.

use serde_json::{Value, json};

use crate::fleet::Tenant;
use crate::state::{AppState, HelmRelease, Observed, OperationInfo, rfc3339};

/// An app's current or last operation in a tenant cell of `status --json`.
pub fn operation_json(o: &OperationInfo) -> Value {
    json!({
        "requested": o.requested, "phase": o.phase.map(|p| p.as_str()), "message": o.message,
        "revision": o.revision, "started_at": o.started_at.map(rfc3339),
        "finished_at": o.finished_at.map(rfc3339), "initiated_by": o.initiated_by,
        // What the sync's hooks did (PreSync, Sync, PostSync, SyncFail), and the failed one
        // in words: "PreSync Job migrate failed: ...; the new revision was not applied".
        "hooks": o.hooks.iter().map(|h| json!({
            "hook_type": h.hook_type, "kind": h.kind, "name": h.name, "namespace": h.namespace,
            "phase": h.phase, "message": h.message,
        })).collect::<Vec<_>>(),
        "hook_failure": o.failed_hook().map(|h| h.failure_text()),
    })
}

/// A tenant cell's Helm release for `status --json`.
/// With `history`, every revision Helm keeps too.
pub fn helm_json(t: &Tenant, r: Option<&Observed<HelmRelease>>, history: bool) -> Value {
    let rel = r.and_then(|r| r.value.as_ref());
    let latest = rel.and_then(|r| r.latest());
    let mut doc = json!({
        "release": t.helm_release_name(),
        "namespace": t.helm_namespace(),
        "revision": latest.map(|l| l.revision),
        "status": latest.map(|l| l.status.as_str()),
        "chart": latest.map(|l| l.chart_label()),
        "app_version": latest.map(|l| l.app_version.clone()),
        "history": rel.map(|r| r.revisions.iter().map(|v| json!({
            "revision": v.revision, "status": v.status.as_str(), "chart": v.chart_label(),
            "app_version": v.app_version, "updated": v.updated.map(rfc3339), "description": v.description,
        })).collect::<Vec<_>>()),
        "observed_at": r.and_then(|r| r.at).map(rfc3339),
        "error": r.and_then(|r| r.error.clone()),
    });
    if !history && let Some(m) = doc.as_object_mut() {
        m.remove("history");
    }
    doc
}

/// `r3 deployed` for the table.
pub fn helm_text(t: &Tenant, r: Option<&Observed<HelmRelease>>) -> String {
    if t.helm.is_none() {
        return String::new();
    }
    match r.and_then(|r| r.value.as_ref()).and_then(|r| r.latest()) {
        Some(l) => format!("r{} {} {}", l.revision, l.status.as_str(), l.chart_label()),
        None => "?".into(),
    }
}

/// `on`, `off`, or `paused` (meridian paused it and can resume).
pub fn auto_text(a: &AppState) -> &'static str {
    match (a.auto_sync, &a.detail.paused) {
        (true, _) => "on",
        (false, Some(_)) => "paused",
        (false, None) => "off",
    }
}

/// Lines under the table about one app.
pub fn notes(tenant: &str, region: &str, a: &AppState) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(m) = &a.message {
        out.push(format!("{tenant} in {region}: {m}"));
    }
    if let Some(why) = a.operation_in_progress() {
        out.push(format!("{tenant} in {region}: {why}"));
    }
    if let Some(hook) = a.hook_failure() {
        out.push(format!("{tenant} in {region}: {hook}"));
    }
    if let Some(p) = &a.detail.paused {
        out.push(format!(
            "{tenant} in {region}: auto-sync paused by {}{}; `meridian resume-auto-sync {tenant} --region {region}` puts it back",
            p.by,
            p.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        ));
    }
    out
}
