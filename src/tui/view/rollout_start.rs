//! Starting a rollout: the templates with their steps; then the chosen one's parameters, a
//! reason and the whole rollout as it would start (or the library's reason it cannot). And
//! the one-line prompt of a pause, resume, skip or take-over.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::util::{centered, overlay_block};
use crate::actions::executor::step_production;
use crate::actions::rollout::Rollout;
use crate::fleet::rollout::span;
use crate::tui::app::App;
use crate::tui::overlay::{RolloutPrompt, RolloutStart, StartForm, TemplateInfo};
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, body: Rect, app: &App, s: &RolloutStart) {
    let area = centered(
        body,
        body.width.saturating_sub(4).min(110),
        body.height.saturating_sub(2),
    );
    let (title, lines) = match (&s.form, s.chosen()) {
        (Some(f), Some(t)) => (
            format!(" Start rollout {} ", t.id),
            form_lines(app, t, f, s.blocker()),
        ),
        _ => (
            " Start a rollout: choose a template ".to_string(),
            choose_lines(app, s),
        ),
    };
    let block = overlay_block(frame, area, app, title);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn choose_lines<'a>(app: &App, s: &RolloutStart) -> Vec<Line<'a>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    for (i, tpl) in s.templates.iter().enumerate() {
        let chosen = i == s.selected;
        let style = if chosen {
            t.get(Role::Selected)
        } else {
            t.get(Role::Title)
        };
        lines.push(Line::styled(
            format!(
                "{}{}  {}  ({}{}{})",
                if chosen { "▸ " } else { "  " },
                tpl.id,
                tpl.name,
                tpl.kind,
                modes(tpl),
                params(tpl)
            ),
            style,
        ));
        for (n, step) in tpl.steps.iter().enumerate() {
            lines.push(Line::styled(
                format!("     {:>2} {step}", n + 1),
                t.get(Role::Muted),
            ));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Enter: fill in its parameters and a reason, and see the whole rollout before it starts · Esc: back",
        t.get(Role::Muted),
    ));
    lines
}

fn modes(t: &TemplateInfo) -> String {
    match t.modes.len() {
        0 | 1 => String::new(),
        _ => format!(
            "; modes {}",
            t.modes
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn params(t: &TemplateInfo) -> String {
    match t.params.is_empty() {
        true => "; no parameters".into(),
        false => format!("; parameters: {}", t.params.join(", ")),
    }
}

/// A text field: `label  [value▏]`, the focused one underlined with a cursor.
fn field<'a>(app: &App, label: &str, value: &str, focused: bool) -> Line<'a> {
    let t = &app.theme;
    let style = match focused {
        true => t.get(Role::Input).add_modifier(Modifier::UNDERLINED),
        false => t.get(Role::Input),
    };
    Line::from(vec![
        Span::styled(
            format!("{}{label:<12}", if focused { "▶ " } else { "  " }),
            t.get(Role::Text),
        ),
        Span::styled(format!("{value}{}", if focused { "▏" } else { "" }), style),
    ])
}

fn form_lines<'a>(
    app: &App,
    tpl: &TemplateInfo,
    f: &StartForm,
    blocker: Option<String>,
) -> Vec<Line<'a>> {
    let t = &app.theme;
    let mut lines = vec![Line::styled(
        format!("{} ({}{})", tpl.name, tpl.kind, modes(tpl)),
        t.get(Role::Title),
    )];
    for (i, (p, v)) in tpl.params.iter().zip(&f.values).enumerate() {
        lines.push(field(app, p, v, f.focus == i));
    }
    let n = tpl.params.len();
    lines.push(field(app, "reason", &f.reason, f.focus == n));
    let with_mode = tpl
        .modes
        .contains(&crate::fleet::rollout::RunMode::Ungraceful);
    if with_mode {
        let focused = f.focus == n + 1;
        lines.push(Line::from(vec![
            Span::styled(
                format!("{}{:<12}", if focused { "▶ " } else { "  " }, "mode"),
                t.get(Role::Text),
            ),
            Span::styled(
                format!("◀ {} ▶", f.mode.as_str()),
                match focused {
                    true => t.get(Role::Selected),
                    false => t.get(Role::Input),
                },
            ),
            Span::styled(
                "  (space switches; ungraceful leaves out the steps that need the old region)",
                t.get(Role::Muted),
            ),
        ]));
    }
    let on_button = f.focus == n + 1 + usize::from(with_mode);
    let button = match &blocker {
        None => "[ Start rollout ]",
        Some(_) => "[ Start rollout ] (not yet)",
    };
    lines.push(Line::from(vec![
        Span::raw(if on_button { "▶ " } else { "  " }),
        Span::styled(
            button,
            match (on_button, blocker.is_none()) {
                (true, true) => t.get(Role::Selected),
                (_, true) => t.get(Role::Ok),
                _ => t.get(Role::Muted),
            },
        ),
    ]));
    if let Some(why) = &f.refusal {
        lines.push(Line::styled(format!("✗ {why}"), t.get(Role::Danger)));
    } else if let Some(why) = &blocker {
        lines.push(Line::styled(format!("· {why}"), t.get(Role::Warn)));
    }
    if let Some(frz) =
        crate::state::freeze::active(&app.fleet, app.state.freeze.value.as_ref(), app.now)
    {
        lines.push(Line::styled(
            format!(
                "❄ a change freeze is in force ({}): starting is refused; `meridian rollout start --override freeze --reason TEXT` overrides it",
                frz.describe()
            ),
            t.get(Role::Danger),
        ));
    }
    lines.push(Line::from(""));
    match &f.preview {
        Ok(r) => plan_lines(app, r, &mut lines),
        Err(_) => lines.push(Line::styled(
            "The rollout's steps show here once its parameters are valid.",
            t.get(Role::Muted),
        )),
    }
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Tab: next field · Enter on the button starts it (as you, audited) · Esc: back to the templates",
        t.get(Role::Muted),
    ));
    lines
}

/// The whole rollout as it would start: every step, what touches production, what waits
/// for a second person, every timeout.
fn plan_lines<'a>(app: &App, r: &Rollout, lines: &mut Vec<Line<'a>>) {
    let t = &app.theme;
    lines.push(Line::styled(
        format!(
            "The rollout ({} steps){}:",
            r.steps.len(),
            if r.kind.is_recovery() {
                "; the recovery clock (RTO) runs from its start"
            } else {
                ""
            }
        ),
        t.get(Role::Title),
    ));
    for (i, e) in r.steps.iter().enumerate() {
        let mut notes = Vec::new();
        if step_production(&app.fleet, r, i) {
            notes.push("production".to_string());
        }
        if let Some(to) = e.meta.timeout {
            notes.push(format!("timeout {}", span(to)));
        }
        if let Some(ms) = e.temporary_ms {
            notes.push(format!(
                "meant to hold {}",
                span(std::time::Duration::from_millis(ms))
            ));
        }
        if matches!(
            e.state,
            crate::actions::rollout::StepState::Skipped
                | crate::actions::rollout::StepState::SkippedByPerson { .. }
        ) {
            notes.push(format!("left out when {}", r.mode.as_str()));
        }
        lines.push(Line::from(vec![
            Span::raw(format!("  {:>2} ", i + 1)),
            Span::styled(e.step.label(), t.get(Role::Text)),
            Span::styled(
                match notes.is_empty() {
                    true => String::new(),
                    false => format!("  ({})", notes.join("; ")),
                },
                t.get(Role::Muted),
            ),
        ]));
    }
}

pub fn draw_prompt(frame: &mut Frame, body: Rect, app: &App, p: &RolloutPrompt) {
    let t = &app.theme;
    let area = centered(body, body.width.saturating_sub(4).min(90), 12);
    let block = overlay_block(frame, area, app, format!(" {} ", p.ask.title()));
    let mut lines: Vec<Line> = p
        .ask
        .explain()
        .into_iter()
        .map(|l| Line::styled(l, t.get(Role::Muted)))
        .collect();
    lines.push(Line::from(""));
    lines.push(field(app, "text", &p.text, true));
    if let Some(why) = &p.refusal {
        lines.push(Line::styled(format!("✗ {why}"), t.get(Role::Danger)));
    }
    lines.push(Line::styled(
        "Enter: send (as you, audited) · Esc: back to the rollout",
        t.get(Role::Muted),
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
