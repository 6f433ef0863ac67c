//! Findings: the most urgent on one line under the header, and the list (with the
//! selected one's what, since when, why and suggested action) over the board.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::util::pane_over;
use crate::actions::findings::{Finding, Suggestion, Urgency};
use crate::state::{rfc3339, short_age};
use crate::tui::app::App;
use crate::tui::command::{Command, Mode};
use crate::tui::theme::Role;

fn role(u: Urgency) -> Role {
    match u {
        Urgency::Critical => Role::Danger,
        Urgency::High => Role::Danger,
        Urgency::Medium => Role::Warn,
        Urgency::Low => Role::Info,
    }
}

fn mark(u: Urgency) -> &'static str {
    match u {
        Urgency::Critical | Urgency::High => "!",
        Urgency::Medium => "~",
        Urgency::Low => "·",
    }
}

/// `! ap-southeast-1 down 4m, still 20% of traffic -> drain ap-southeast-1   a: 3 findings`
pub fn top_line(frame: &mut Frame, area: Rect, app: &App) {
    let Some(top) = app.attention.findings.first() else {
        return;
    };
    let t = &app.theme;
    let key = app
        .keymap
        .key_for(Mode::Normal, Command::Findings)
        .map(|k| format!("{k}: "))
        .unwrap_or_default();
    let n = app.attention.findings.len();
    let more = match n {
        1 => format!("   {key}1 finding, Enter plans it"),
        n => format!("   {key}{n} findings, Enter plans one"),
    };
    let line = Line::from(vec![
        Span::styled(
            format!(" {} {}", mark(top.urgency), top.title),
            t.get(role(top.urgency)),
        ),
        Span::styled(" -> ", t.get(Role::Muted)),
        Span::styled(action(app, top), t.get(Role::Accent)),
        Span::styled(more, t.get(Role::Muted)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// The suggestion's words; in a replay, what was suggested then.
fn action(app: &App, f: &Finding) -> String {
    match (&app.replay, &f.suggestion) {
        (Some(_), Suggestion::None { why }) => why.clone(),
        _ => f.action_word(),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, selected: usize) {
    let t = &app.theme;
    let rect = pane_over(frame, area);
    let all = &app.attention.findings;
    let mut lines: Vec<Line> = Vec::new();
    if all.is_empty() {
        lines.push(Line::from(
            "Nothing needs you: no finding on what meridian reads now.",
        ));
        lines.push(Line::styled(
            "A region down or degraded while serving, data at risk, an app unhealthy for long, work waiting or stale readings show here.",
            t.get(Role::Muted),
        ));
    }
    let chosen = selected.min(all.len().saturating_sub(1));
    for (i, f) in all.iter().enumerate() {
        let pointer = if i == chosen { "▸ " } else { "  " };
        let style = if i == chosen {
            t.get(Role::Selected)
        } else {
            t.get(role(f.urgency))
        };
        lines.push(Line::styled(
            format!(
                "{pointer}{} {:<8} {} -> {}",
                mark(f.urgency),
                f.urgency.name(),
                f.title,
                action(app, f)
            ),
            style,
        ));
    }
    if let Some(f) = all.get(chosen) {
        lines.push(Line::from(""));
        lines.extend(detail(app, f));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.get(Role::BorderFocused))
        .title(Span::styled(
            format!(" Findings · {} · most urgent first ", all.len()),
            t.get(Role::Title),
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

fn detail(app: &App, f: &Finding) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = vec![Line::styled(f.what.clone(), t.get(Role::Title))];
    if let Some(since) = f.since_ms {
        let at = rfc3339(since);
        lines.push(Line::from(format!(
            "since {} ({} ago)",
            at.get(11..19).unwrap_or(&at),
            short_age((app.now - since).max(0))
        )));
    }
    lines.push(Line::from(format!("why it matters: {}", f.why)));
    match &f.suggestion {
        Suggestion::Plan {
            label,
            command,
            reason_required,
            ..
        } => {
            let reason = if *reason_required { " --reason ID" } else { "" };
            lines.push(Line::styled(
                format!("suggested: {label} · the CLI: {command}{reason}"),
                t.get(Role::Muted),
            ));
            lines.push(Line::from(""));
            lines.push(Line::from(vec![
                Span::styled("Enter", t.get(Role::Key)),
                Span::raw(" opens its plan: the guards, the reason and the confirmation, as from its own key"),
            ]));
        }
        Suggestion::None { why } => {
            lines.push(Line::styled(
                format!("no safe action: {why}"),
                t.get(Role::Warn),
            ));
            if let Some(c) = &f.command {
                lines.push(Line::styled(format!("look: {c}"), t.get(Role::Muted)));
            }
        }
    }
    lines
}
