//! The footer: the status line, and the keys that matter in the current mode, taken from
//! the keymap in effect.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Pane, Status};
use crate::tui::command::{Command, Mode};
use crate::tui::overlay::Overlay;
use crate::tui::theme::Role;

/// The commands worth a place in the footer, per mode, with short labels.
pub fn hints(app: &App) -> Vec<(Command, &'static str)> {
    use Command::*;
    match app.mode() {
        Mode::Normal => {
            let mut v = vec![
                (Help, "help"),
                (Quit, "quit"),
                (MoveDown, "move"),
                (NextPane, "pane"),
                (DrillDown, "drill"),
            ];
            match app.focus {
                Pane::Tenants => v.push((Rollback, "rollback")),
                Pane::Phases => v.push((RunPhase, "run phase")),
                _ => v.extend([
                    (Drain, "drain"),
                    (Restore, "restore"),
                    (SetWeights, "weights"),
                    (Promote, "promote"),
                ]),
            }
            v.extend([
                (Filter, "filter"),
                (Palette, "palette"),
                (Freeze, "freeze"),
                (Zoom, "zoom"),
                (ToggleLog, "log"),
            ]);
            v
        }
        Mode::Modal if matches!(app.overlay, Some(Overlay::RolloutStart(_))) => vec![
            (NextField, "next field"),
            (Accept, "next / start"),
            (Cancel, "back"),
        ],
        Mode::Modal if matches!(app.overlay, Some(Overlay::RolloutPrompt(_))) => {
            vec![(Accept, "send"), (Cancel, "back")]
        }
        Mode::Modal => vec![
            (NextField, "next field"),
            (Toggle, "tick"),
            (MoveRight, "button"),
            (Accept, "press"),
            (Confirm, "yes"),
            (Cancel, "no"),
            (MoveDown, "scroll"),
        ],
        Mode::Palette => vec![(MoveDown, "next"), (Accept, "run"), (Cancel, "close")],
        Mode::Filter => vec![(Accept, "keep filter"), (Cancel, "clear")],
        Mode::Editor => vec![
            (MoveDown, "region"),
            (Increase, "+1"),
            (Decrease, "-1"),
            (IncreaseMore, "+10"),
            (SteadyWeights, "steady"),
            (Accept, "plan"),
            (Cancel, "cancel"),
        ],
        // The rollout pane shares the picker's keys; its one key does the next step.
        Mode::Picker if matches!(app.overlay, Some(Overlay::Rollout)) => vec![
            (Accept, "next step"),
            (RolloutStart, "start"),
            (RolloutPause, "pause"),
            (RolloutResume, "resume"),
            (RolloutRetry, "retry"),
            (RolloutSkip, "skip"),
            (RolloutTake, "take over"),
            (Cancel, "close"),
            (RolloutUngraceful, "ungraceful"),
        ],
        Mode::Picker if matches!(app.overlay, Some(Overlay::RolloutStart(_))) => {
            vec![(MoveDown, "template"), (Accept, "choose"), (Cancel, "back")]
        }
        Mode::Picker if matches!(app.overlay, Some(Overlay::Approvals { .. })) => {
            vec![
                (MoveDown, "move"),
                (PageDown, "scroll"),
                (Accept, "approve"),
                (Cancel, "close"),
            ]
        }
        Mode::Picker if matches!(app.overlay, Some(Overlay::Findings { .. })) => {
            vec![
                (MoveDown, "move"),
                (Accept, "open its plan"),
                (Cancel, "close"),
            ]
        }
        Mode::Picker => vec![
            (MoveDown, "move"),
            (Accept, "plan rollback"),
            (Cancel, "cancel"),
        ],
        Mode::Help => vec![(MoveDown, "scroll"), (Cancel, "close")],
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let status = if app.filter.editing {
        let mut spans = vec![
            Span::styled("/", t.get(Role::Accent)),
            Span::styled(format!("{}▏", app.filter.text), t.get(Role::Input)),
        ];
        match &app.filter.error {
            Some(e) => spans.push(Span::styled(
                format!("  ✗ not a regex: {e}"),
                t.get(Role::Danger),
            )),
            None => spans.push(Span::styled(
                "  regex over region, tenant, env, sync and health words",
                t.get(Role::Muted),
            )),
        }
        Line::from(spans)
    } else {
        match &app.status {
            Status::Idle => Line::from(Span::styled("ready", t.get(Role::Muted))),
            Status::Info(s) => Line::from(Span::styled(format!("ℹ {s}"), t.get(Role::Info))),
            Status::Running(s) => Line::from(Span::styled(format!("» {s}"), t.get(Role::Warn))),
            Status::Done(s) => Line::from(Span::styled(format!("✓ {s}"), t.get(Role::Ok))),
            Status::Failed(s) => Line::from(Span::styled(format!("✗ {s}"), t.get(Role::Danger))),
        }
    };
    let mode = app.mode();
    let mut keys: Vec<Span> = Vec::new();
    if !app.pending.is_empty() {
        keys.push(Span::styled(
            format!("{} … ", app.pending.label()),
            t.get(Role::Accent),
        ));
    }
    let mut used = keys
        .iter()
        .map(|s| s.content.chars().count())
        .sum::<usize>();
    for (cmd, label) in hints(app) {
        let Some(mut key) = app.keymap.key_for(mode, cmd) else {
            continue;
        };
        if cmd == Command::MoveDown
            && let Some(up) = app.keymap.key_for(mode, Command::MoveUp)
        {
            key = format!("{up}{key}");
        }
        // Drop what does not fit rather than cutting a hint in half; help comes first.
        used += key.chars().count() + label.chars().count() + 3;
        if used > area.width as usize {
            break;
        }
        keys.push(Span::styled(key, t.get(Role::Key)));
        keys.push(Span::styled(format!(" {label}  "), t.get(Role::Muted)));
    }
    frame.render_widget(Paragraph::new(vec![status, Line::from(keys)]), area);
}
