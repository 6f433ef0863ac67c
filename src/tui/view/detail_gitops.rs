//! The detail pane's Argo CD and Helm lines for a tenant cell: what Argo CD is doing with
//! the app, what generates it, and the Helm release's revisions.

use ratatui::text::{Line, Span};

use super::detail::kv;
use crate::fleet::Tenant;
use crate::state::{AppState, HelmStatus, rfc3339};
use crate::tui::app::App;
use crate::tui::theme::Role;

/// Operation, branch head, conditions and owner of an Argo CD application.
pub fn argo_lines(app: &App, a: &AppState) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(head) = &a.head {
        let short = head.get(..7).unwrap_or(head).to_string();
        out.push(kv(
            app,
            "target",
            format!("{short} (the branch head a sync deploys)"),
            Role::Muted,
        ));
    }
    if let Some(op) = &a.detail.operation {
        let phase = op.phase.map(|p| p.as_str()).unwrap_or("requested");
        let role = match a.operation_in_progress() {
            Some(_) => Role::Warn,
            None if matches!(op.phase.map(|p| p.as_str()), Some("Failed" | "Error")) => {
                Role::Danger
            }
            None => Role::Muted,
        };
        let by = op
            .initiated_by
            .as_deref()
            .map(|b| format!(" by {b}"))
            .unwrap_or_default();
        let msg = op
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        out.push(kv(app, "operation", format!("{phase}{by}{msg}"), role));
        // What each hook of that sync did; a failed one in words.
        for h in &op.hooks {
            let (text, role) = match h.failed() {
                true => (h.failure_text(), Role::Danger),
                false => (
                    format!(
                        "{} {} {}: {}{}",
                        h.hook_type,
                        h.kind,
                        h.name,
                        h.phase.as_deref().unwrap_or("pending"),
                        h.message
                            .as_deref()
                            .map(|m| format!(" ({m})"))
                            .unwrap_or_default()
                    ),
                    Role::Muted,
                ),
            };
            out.push(kv(app, "hook", text, role));
        }
    }
    for c in &a.detail.conditions {
        out.push(kv(
            app,
            "condition",
            format!("{}: {}", c.kind, c.message),
            Role::Warn,
        ));
    }
    if let Some(owner) = &a.detail.owner {
        let keeps = match owner.preserves_sync_policy {
            Some(true) => "leaves syncPolicy alone",
            Some(false) => "puts syncPolicy back (a rollback is blocked)",
            None => "not readable",
        };
        out.push(kv(
            app,
            "appset",
            format!("{} ({keeps})", owner.name),
            Role::Text,
        ));
    }
    if let Some(p) = &a.detail.project {
        let windows = match &a.detail.sync_windows {
            Some(w) if !w.is_empty() => format!("{} sync window(s)", w.len()),
            Some(_) => "no sync windows".into(),
            None => "sync windows unknown".into(),
        };
        out.push(kv(app, "project", format!("{p} ({windows})"), Role::Muted));
    }
    out
}

/// The tenant's Helm release in a region, newest revision first.
pub fn helm_lines(app: &App, t: &Tenant, region: &str) -> Vec<Line<'static>> {
    let observed = app.state.tenant(&t.id).and_then(|ts| ts.release(region));
    let mut out = vec![kv(
        app,
        "helm",
        format!(
            "release {} in namespace {}",
            t.helm_release_name(),
            t.helm_namespace()
        ),
        Role::Text,
    )];
    let Some(o) = observed else {
        return out;
    };
    if let Some(e) = &o.error {
        out.push(kv(app, "helm error", e.to_string(), Role::Danger));
    }
    let Some(rel) = &o.value else {
        return out;
    };
    for r in rel.revisions.iter().rev() {
        let role = match r.status {
            HelmStatus::Deployed => Role::Ok,
            s if s.is_pending() => Role::Warn,
            HelmStatus::Failed => Role::Danger,
            _ => Role::Text,
        };
        let when = r.updated.map(rfc3339).unwrap_or_default();
        out.push(Line::from(Span::styled(
            format!(
                "           r{:<3} {:<16} {}  {when}",
                r.revision,
                r.status.as_str(),
                r.chart_label()
            ),
            app.theme.get(role),
        )));
    }
    out
}
