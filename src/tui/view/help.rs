//! The help screen, generated from the keymap in effect: a short "how to" first, then every
//! binding per mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::util::{centered, overlay_block};
use super::wrap::hanging;
use crate::tui::app::App;
use crate::tui::command::{Command, Mode};
use crate::tui::keymap::sequence_label;
use crate::tui::theme::Role;

/// The help text, as lines of (key, text) so tests can read it without drawing.
pub fn help_lines(app: &App) -> Vec<(String, String)> {
    let k = |c: Command| {
        app.keymap
            .key_for(Mode::Normal, c)
            .unwrap_or_else(|| format!("(:{} in the palette)", c.name()))
    };
    let mut out = vec![
        (String::new(), format!("meridian — keymap \"{}\", theme \"{}\"", app.keymap.name, app.theme.name)),
        (String::new(), "How to:".into()),
        (k(Command::Drain), format!("drain a region: select it on the region board ({}/{}) and press {}; the plan shows what it needs (a reason in production, the region's name typed), then press the button named after the action", k(Command::MoveUp), k(Command::MoveDown), k(Command::Drain))),
        (k(Command::Restore), format!("restore it afterwards: select it and press {} ({} restores every region)", k(Command::Restore), k(Command::RestoreAll))),
        (k(Command::Filter), format!("why is a tenant OutOfSync? {} then type outofsync and Enter; {} to the tenant matrix, select the ≠ cell: the detail pane's \"why\" line gives Argo CD's reason", k(Command::Filter), k(Command::NextPane))),
        (k(Command::Palette), "every action and view by name, fuzzy-matched".into()),
        (String::new(), "Symbols: ✓ ok  ▲ degraded  ✗ down/failed  ? unknown  ≠ OutOfSync  ♥ Healthy  ◐ Progressing  ⟳ auto-sync  ◷ stale  ▶ running  · pending".into()),
        (String::new(), String::new()),
    ];
    for mode in Mode::ALL {
        let bindings = app.keymap.bindings(*mode);
        if bindings.is_empty() {
            continue;
        }
        out.push((String::new(), format!("{} mode", mode.name())));
        for b in bindings {
            out.push((
                sequence_label(&b.keys),
                format!("{:<16} {}", b.command.name(), b.command.describe()),
            ));
        }
        out.push((String::new(), String::new()));
    }
    out
}

pub fn draw(frame: &mut Frame, body: Rect, app: &App, scroll: usize) {
    let area = centered(body, body.width.saturating_sub(4).min(120), body.height);
    let block = overlay_block(
        frame,
        area,
        app,
        " Help: keys in effect (Esc closes) ".to_string(),
    );
    let width = area.width.saturating_sub(2) as usize;
    let all = wrapped(app, width);
    let room = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(all.len().saturating_sub(room));
    let lines: Vec<Line> = all.into_iter().skip(scroll).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The help text wrapped to `width`: how-to lines and bindings hang under their text, so a
/// key column stays clear at any width.
pub fn wrapped(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    help_lines(app)
        .into_iter()
        .flat_map(|(key, text)| {
            if key.is_empty() {
                hanging(Vec::new(), &text, t.get(Role::Accent), width)
            } else {
                let lead = Span::styled(format!("  {key:<10} "), t.get(Role::Key));
                hanging(vec![lead], &text, t.get(Role::Text), width)
            }
        })
        .collect()
}
