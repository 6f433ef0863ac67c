//! The rollout pane: every step with its state (done by whom and when, running, a gate's
//! live countdown such as `us-east-1 healthy 9m12s of 15m`), and what the key does next.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::util::pane_over;
use crate::actions::rollout::view::rows;
use crate::actions::rollout::{Next, evaluate};
use crate::fleet::rollout::GateSpec;
use crate::tui::app::App;
use crate::tui::command::{Command, Mode};
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let rect = pane_over(frame, area);
    let mut lines: Vec<Line> = Vec::new();
    let title;
    match app.rollout.as_deref() {
        None => {
            title = " Rollout ".to_string();
            lines.push(Line::from("No rollout has been started in this fleet."));
            let ids: Vec<&str> = app.fleet.rollouts.iter().map(|t| t.id.as_str()).collect();
            lines.push(Line::from(if ids.is_empty() {
                "The fleet file has no [[rollouts]] templates.".to_string()
            } else {
                format!("Templates: {}", ids.join(", "))
            }));
            lines.push(Line::from(
                "Start one: meridian rollout start ID --reason TEXT",
            ));
        }
        Some(r) => {
            title = format!(
                " {}Rollout {} · {} ",
                if r.practice { "PRACTICE " } else { "" },
                r.name,
                r.outcome().describe()
            );
            let next = r.next();
            let live = match &next {
                Next::Gate {
                    index, gate, since, ..
                } => {
                    let now = app.gate_now();
                    Some(r.timed(*index, evaluate(gate, &app.state, *since, now), now))
                }
                _ => None,
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", r.id), t.get(Role::Muted)),
                Span::raw(format!(
                    "started by {} · reason: {}",
                    r.started_by, r.reason
                )),
            ]));
            for line in crate::actions::rollout::view::control_lines(r) {
                let role = if line.starts_with("PAUSED") || line.starts_with("skip of") {
                    Role::Warn
                } else {
                    Role::Muted
                };
                lines.push(Line::from(Span::styled(line, t.get(role))));
            }
            let current = r.current().map(|i| i + 1);
            for row in rows(r, live.as_ref()) {
                let style = match row.state {
                    "done" => t.get(Role::Ok),
                    "failed" => t.get(Role::Danger),
                    "waiting" | "running" => t.get(Role::Warn),
                    _ => t.get(Role::Muted),
                };
                let mark = if current == Some(row.number) {
                    "▶"
                } else {
                    " "
                };
                let back = if row.rollback { " [rollback]" } else { "" };
                lines.push(Line::from(vec![
                    Span::raw(format!("{mark}{:>2} ", row.number)),
                    Span::styled(format!("{:<8}", row.state), style),
                    Span::raw(format!("{}{back}", row.label)),
                    Span::styled(
                        if row.detail.is_empty() {
                            String::new()
                        } else {
                            format!("  {}", row.detail)
                        },
                        t.get(Role::Muted),
                    ),
                ]));
            }
            let key = app
                .keymap
                .key_for(Mode::Picker, Command::Accept)
                .unwrap_or_else(|| "enter".into());
            let hint = match next {
                Next::Action { .. } => format!(
                    "{key}: plan step {} (confirm in the modal)",
                    current.unwrap_or(0)
                ),
                Next::Gate {
                    gate:
                        GateSpec::Approval {
                            artifact: Some(name),
                            ..
                        },
                    ..
                } => format!(
                    "{key}: check whether a second person approved artifact {name} (A: the approvals list)"
                ),
                Next::Gate {
                    gate:
                        GateSpec::Approval {
                            second_person: true,
                            ..
                        },
                    ..
                } => {
                    format!("{key}: approve (not {}: a second person)", r.started_by)
                }
                Next::Gate {
                    gate: GateSpec::Approval { .. },
                    ..
                } => format!("{key}: approve"),
                Next::Gate { .. } => format!("{key}: check the gate"),
                Next::Stopped { .. } => {
                    "stopped: meridian rollout resume, or abort --rollback".into()
                }
                Next::Finished => "finished".into(),
                Next::Paused { by, reason, .. } => {
                    format!("paused by {by} ({reason}): no step runs, no gate counts")
                }
            };
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                format!("{hint} · esc: close"),
                t.get(Role::Muted),
            )));
        }
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(t.get(Role::Border));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
