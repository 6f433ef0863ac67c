//! The approvals pane: plans someone asked a second person to approve (two-person policy),
//! newest last, with the selected one's changes and hash, and who Enter approves as.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::util::pane_over;
use crate::actions::approvals::short;
use crate::state::short_age;
use crate::tui::app::App;
use crate::tui::theme::Role;

/// Lines of a request's text shown at once; PgDn and PgUp move through the rest.
const TEXT_ROWS: usize = 14;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, selected: usize, scroll: usize) {
    let t = &app.theme;
    let rect = pane_over(frame, area);
    let mut lines: Vec<Line> = Vec::new();
    if app.approvals.is_empty() {
        lines.push(Line::from(
            "No plan is waiting for a second person's approval.",
        ));
        lines.push(Line::styled(
            "A two-person action asks here when its requester runs it (policy.approvals).",
            t.get(Role::Muted),
        ));
    }
    let chosen = selected.min(app.approvals.len().saturating_sub(1));
    for (i, r) in app.approvals.iter().enumerate() {
        let mark = if i == chosen { "▸ " } else { "  " };
        let style = if i == chosen {
            t.get(Role::Selected)
        } else {
            t.get(Role::Text)
        };
        lines.push(Line::styled(
            format!(
                "{mark}{}  {} {}  by {}  {} ago  expires in {}",
                short(&r.hash),
                r.action,
                r.target,
                r.requester,
                short_age((app.now - r.requested_at_ms).max(0)),
                short_age((r.expires_at_ms - app.now).max(0)),
            ),
            style,
        ));
    }
    if let Some(r) = app.approvals.get(chosen) {
        lines.push(Line::from(""));
        lines.push(Line::styled(r.summary.clone(), t.get(Role::Title)));
        // An artifact's text (a Terraform plan) may run to thousands of lines: a window
        // of it, moved with PgDn/PgUp.
        let total = r.changes.len();
        let rows = (rect.height as usize)
            .saturating_sub(lines.len() + 8)
            .clamp(3, TEXT_ROWS.max(3));
        let from = scroll.min(total.saturating_sub(rows));
        let artifact = r.action == crate::actions::approvals::artifact::ARTIFACT_ACTION;
        for c in r.changes.iter().skip(from).take(rows) {
            lines.push(Line::from(match artifact {
                true => format!("  │ {c}"),
                false => format!("  · {c}"),
            }));
        }
        if total > rows {
            lines.push(Line::styled(
                format!(
                    "  lines {}-{} of {total} · PgDn/PgUp to scroll",
                    from + 1,
                    (from + rows).min(total)
                ),
                t.get(Role::Muted),
            ));
        }
        lines.push(Line::styled(
            match artifact {
                true => format!("artifact sha256 {} · then: {}", r.hash, r.command),
                false => format!("plan {} · they run: {}", short(&r.hash), r.command),
            },
            t.get(Role::Muted),
        ));
        lines.push(Line::from(""));
        let me = crate::host::whoami();
        lines.push(if app.read_only {
            Line::styled(
                "read-only: this view approves nothing",
                t.get(Role::ReadOnly),
            )
        } else {
            Line::from(vec![
                Span::styled("Enter", t.get(Role::Key)),
                Span::raw(format!(
                    " approves this exact {} as {me}; not the requester (a guard against mistakes, not authentication)",
                    if artifact { "artifact (its sha256)" } else { "plan" }
                )),
            ])
        });
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.get(Role::BorderFocused))
        .title(Span::styled(
            format!(" Approvals · {} waiting ", app.approvals.len()),
            t.get(Role::Title),
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
