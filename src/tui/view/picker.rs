//! Drawing the revision picker for a rollback.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::util::{centered, overlay_block};
use crate::state::{rfc3339, short_age};
use crate::tui::app::App;
use crate::tui::overlay::RevisionPicker;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, body: Rect, app: &App, p: &RevisionPicker) {
    let t = &app.theme;
    let area = centered(body, 72, p.entries.len() as u16 + 6);
    let block = overlay_block(
        frame,
        area,
        app,
        format!(
            " Roll back {} in {}: choose a revision ",
            p.tenant, p.region
        ),
    );
    let mut lines = vec![Line::from(Span::styled(
        if p.auto_sync {
            "auto-sync is on: the plan pauses it, or Git would undo the rollback"
        } else {
            "auto-sync is off"
        },
        t.get(Role::Muted),
    ))];
    // A rollback deploys an old revision again, so it can be in the history twice: the
    // newest entry with it is the one running.
    let running_at = p.entries.iter().position(|e| e.revision == p.current);
    for (i, e) in p.entries.iter().enumerate() {
        let selected = i == p.cursor;
        let running = running_at == Some(i);
        let style = if selected {
            t.get(Role::Selected)
        } else {
            t.get(Role::Text)
        };
        lines.push(Line::from(vec![
            Span::styled(if selected { "▸ " } else { "  " }, style),
            Span::styled(
                format!(
                    "#{:<3} {}  {}  {:>4} ago",
                    e.id,
                    e.revision.get(..7).unwrap_or(&e.revision),
                    rfc3339(e.deployed_at),
                    short_age(crate::state::elapsed(app.now, e.deployed_at))
                ),
                style,
            ),
            Span::styled(
                if running { "  ◀ running now" } else { "" },
                t.get(Role::Info),
            ),
        ]));
    }
    // The hint wraps inside the box (the box is 72 columns at most, the hint longer).
    let width = block.inner(area).width as usize;
    lines.extend(super::wrap::hanging(
        Vec::new(),
        "Enter shows the plan for the selected revision; nothing changes until you confirm",
        t.get(Role::Muted),
        width,
    ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
