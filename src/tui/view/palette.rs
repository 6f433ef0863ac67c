//! Drawing the command palette: matches, best first, each with its key.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::util::{centered, overlay_block};
use crate::tui::app::App;
use crate::tui::command::Mode;
use crate::tui::overlay::Palette;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, body: Rect, app: &App, p: &Palette) {
    let t = &app.theme;
    let area = centered(body, 80, body.height.saturating_sub(2).min(22));
    let block = overlay_block(
        frame,
        area,
        app,
        " Command palette: type to search actions and views ".to_string(),
    );
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", t.get(Role::Accent)),
        Span::styled(format!("{}▏", p.query), t.get(Role::Input)),
    ])];
    let room = area.height.saturating_sub(3) as usize;
    let matches = p.matches();
    let start = p.selected.saturating_sub(room.saturating_sub(1));
    for (i, e) in matches.iter().enumerate().skip(start).take(room) {
        let selected = i == p.selected;
        let key = app
            .keymap
            .key_for(Mode::Normal, e.command)
            .unwrap_or_default();
        let style = if selected {
            t.get(Role::Selected)
        } else {
            t.get(Role::Text)
        };
        lines.push(Line::from(vec![
            Span::styled(if selected { "▸ " } else { "  " }, style),
            Span::styled(format!("{:<17}", e.command.name()), style),
            Span::styled(format!("{:<8}", key), t.get(Role::Key)),
            Span::styled(e.command.describe(), t.get(Role::Muted)),
        ]));
    }
    if matches.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no command matches",
            t.get(Role::Muted),
        )));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
