//! The Argo CD and Helm parts of `status`: history, operations, auto-sync and releases.

use serde_json::{Value, json};

use crate::fleet::Tenant;
use crate::state::{AppState, HelmRelease, Observed, rfc3339};

/// Add what Argo CD says beyond sync and health to a tenant cell of `status --json`.
pub fn extend_cell(cell: &mut Value, a: &AppState) {
    cell["head"] = json!(a.head);
    cell["history_id"] = json!(a.history_id());
    cell["history"] = a
        .history
        .iter()
        .map(|h| {
            json!({"id": h.id, "revision": h.revision, "deployed_at": rfc3339(h.deployed_at),
                   "source": h.source, "initiated_by": h.initiated_by})
        })
        .collect();
    cell["prune"] = json!(a.prune);
    cell["self_heal"] = json!(a.self_heal);
    cell["paused_auto_sync"] = json!(a.paused);
    cell["operation"] = match &a.operation {
        Some(o) => json!({
            "requested": o.requested, "phase": o.phase.map(|p| p.as_str()), "message": o.message,
            "revision": o.revision, "started_at": o.started_at.map(rfc3339),
            "finished_at": o.finished_at.map(rfc3339), "initiated_by": o.initiated_by,
        }),
        None => Value::Null,
    };
    cell["conditions"] = a
        .conditions
        .iter()
        .map(|c| json!({"type": c.kind, "message": c.message}))
        .collect();
    cell["applicationset"] = json!(a.owner.as_ref().map(|o| o.name.clone()));
    cell["project"] = json!(a.project);
}

/// A tenant cell's Helm release for `status --json`.
pub fn helm_json(t: &Tenant, r: Option<&Observed<HelmRelease>>) -> Value {
    let rel = r.and_then(|r| r.value.as_ref());
    let latest = rel.and_then(|r| r.latest());
    json!({
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
    })
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
    match (a.auto_sync, &a.paused) {
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
    if let Some(p) = &a.paused {
        out.push(format!(
            "{tenant} in {region}: auto-sync paused by {}{}; `meridian resume-auto-sync {tenant} --region {region}` puts it back",
            p.by,
            p.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        ));
    }
    out
}
