//! The rollout pane: every step with its state (done by whom and when, running, a gate's
//! live countdown such as `us-east-1 healthy 9m12s of 15m`), and what the key does next.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::util::pane_over;
use crate::actions::rollout::view::rows;
use crate::actions::rollout::{GateVerdict, Next, evaluate};
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
            let key = |c: Command| {
                app.keymap
                    .key_for(Mode::Picker, c)
                    .unwrap_or_else(|| format!(":{}", c.name()))
            };
            lines.push(Line::from(format!(
                "{}: start one (its parameters, a reason, and every step shown before it starts)",
                key(Command::RolloutStart)
            )));
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
                    // A practice runs no gate command and reads no CloudWatch: say so.
                    let practice = crate::actions::rollout::in_practice(&app.fleet, r.practice)
                        .then(|| crate::actions::rollout::practice_verdict(gate))
                        .flatten();
                    let verdict = match practice {
                        Some(GateVerdict::Met { reason }) => GateVerdict::Waiting {
                            waiting_for: format!("the driver: {reason}"),
                            remaining_secs: None,
                        },
                        _ => evaluate(gate, &app.state, *since, now),
                    };
                    Some(r.timed(*index, verdict, now))
                }
                _ => None,
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", r.id), t.get(Role::Muted)),
                Span::raw(format!("reason: {}", r.reason)),
            ]));
            // Who drives is shown to everyone: only the driver runs steps.
            lines.push(Line::from(vec![
                Span::raw(format!("started by {} · ", r.started_by)),
                Span::styled(
                    match r.driver() == r.started_by {
                        true => format!("driven by {}", r.driver()),
                        false => format!("driven by {} (took over)", r.driver()),
                    },
                    t.get(Role::Title),
                ),
            ]));
            for line in crate::actions::rollout::view::control_lines(r)
                .into_iter()
                .filter(|l| !l.starts_with("driven by "))
            {
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
            let pane_key = |c: Command| {
                app.keymap
                    .key_for(Mode::Picker, c)
                    .unwrap_or_else(|| format!(":{}", c.name()))
            };
            let key = pane_key(Command::Accept);
            let hint = match next {
                _ if r.skip_request.is_some() && !r.status.finished() => format!(
                    "{key}: approve the skip (a second person, not {})",
                    r.skip_request
                        .as_ref()
                        .map(|k| k.by.as_str())
                        .unwrap_or_default()
                ),
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
                Next::Gate { gate, .. }
                    if crate::actions::rollout::in_practice(&app.fleet, r.practice)
                        && crate::actions::rollout::practice_verdict(&gate).is_some() =>
                {
                    format!("{key}: pass it without running (PRACTICE; listed as an exception)")
                }
                Next::Gate { .. } => format!("{key}: check the gate"),
                Next::Stopped { .. } => format!(
                    "stopped: {} retries the step, {} skips it with a comment, or meridian rollout abort --rollback",
                    pane_key(Command::RolloutRetry),
                    pane_key(Command::RolloutSkip)
                ),
                Next::Finished => format!(
                    "finished: {} starts another",
                    pane_key(Command::RolloutStart)
                ),
                Next::Paused { by, reason, .. } => format!(
                    "paused by {by} ({reason}): no step runs, no gate counts; {} resumes",
                    pane_key(Command::RolloutResume)
                ),
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
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(ratatui::widgets::Wrap { trim: false }),
        rect,
    );
}
