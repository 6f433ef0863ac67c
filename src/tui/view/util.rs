//! Small drawing helpers shared by the panes.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::state::{AppState, Millis, Observed, STALE_AFTER_MS, elapsed, short_age};
use crate::tui::app::{App, Pane};
use crate::tui::theme::Role;

/// A pane's frame: focused panes get a bold border and a marker in the title, so focus
/// shows without colour.
pub fn pane_block<'a>(app: &App, title: impl Into<Line<'a>>, pane: Option<Pane>) -> Block<'a> {
    let focused = pane.is_some_and(|p| p == app.focus) && app.overlay.is_none();
    let t = &app.theme;
    let (border, border_type) = if focused {
        (t.get(Role::BorderFocused), BorderType::Thick)
    } else {
        (t.get(Role::Border), BorderType::Plain)
    };
    let mut title: Line = title.into();
    if focused {
        title
            .spans
            .insert(0, Span::styled("▶ ", t.get(Role::BorderFocused)));
    }
    Block::default()
        .borders(Borders::ALL)
        .border_type(border_type)
        .border_style(border)
        .title(title.style(t.get(Role::Title)))
}

/// A rectangle of at most `w` x `h`, centred in `area`.
/// The frame of an overlay (help, palette, editors): a double border in the focused colour
/// and a title, drawn over a cleared area so the panes below do not show through.
pub fn overlay_block(
    frame: &mut ratatui::Frame,
    area: Rect,
    app: &App,
    title: String,
) -> Block<'static> {
    frame.render_widget(ratatui::widgets::Clear, area);
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(app.theme.get(Role::BorderFocused))
        .title(Span::styled(title, app.theme.get(Role::Title)))
}

pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// A pane over the board (rollout, approvals): nearly the whole body, at most 110
/// columns wide, cleared of what was drawn under it.
pub fn pane_over(frame: &mut ratatui::Frame, area: Rect) -> Rect {
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(2),
    );
    frame.render_widget(ratatui::widgets::Clear, rect);
    rect
}

/// Is this datum stale (failed read or too old)?
pub fn stale<T>(o: &Observed<T>, now: Millis) -> bool {
    o.is_stale(now, STALE_AFTER_MS)
}

/// When the region's Argo CD apps were last known current as a whole (a watch push names
/// only what changed): a cell is as fresh as this.
pub fn apps_current(app: &App, region: &str) -> Option<Millis> {
    app.state.region(region).and_then(|r| r.apps_at)
}

/// Is this app cell stale, counting its region's latest push?
pub fn app_stale(app: &App, o: &Observed<AppState>, region: &str) -> bool {
    o.is_stale_as_of(app.now, STALE_AFTER_MS, apps_current(app, region))
}

/// ` ◷12s` for a stale datum, nothing for a fresh one.
pub fn stale_mark<T>(o: &Observed<T>, now: Millis) -> String {
    stale_mark_as_of(o, None, now)
}

/// `stale_mark`, counting the value as current as of `Observed::as_of(current)`: an app cell
/// a live watch has not changed is as fresh as its region's latest reading.
pub fn stale_mark_as_of<T>(o: &Observed<T>, current: Option<Millis>, now: Millis) -> String {
    if !o.is_stale_as_of(now, STALE_AFTER_MS, current) {
        return String::new();
    }
    match o.as_of(current).map(|at| elapsed(now, at)) {
        Some(a) => format!(" ◷{}", short_age(a)),
        None => " ◷never".into(),
    }
}

/// "read 3s ago" / "never read", plus the last error.
pub fn age_text<T>(o: &Observed<T>, now: Millis) -> String {
    age_text_as_of(o, None, now)
}

/// `age_text`, counting the value as current as of `Observed::as_of(current)`.
pub fn age_text_as_of<T>(o: &Observed<T>, current: Option<Millis>, now: Millis) -> String {
    let age = match o.as_of(current).map(|at| elapsed(now, at)) {
        Some(a) => format!("read {} ago", short_age(a)),
        None => "never read".to_string(),
    };
    match &o.error {
        Some(e) => format!("{age}; last read failed: {e}"),
        None => age,
    }
}

/// The style for a value: its role, or the stale role when it is stale.
pub fn value_style<T>(app: &App, o: &Observed<T>, role: Role) -> Style {
    if stale(o, app.now) {
        app.theme.get(Role::Stale)
    } else {
        app.theme.get(role)
    }
}

/// Truncate to `width` characters with an ellipsis.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut s: String = text.chars().take(width - 1).collect();
    s.push('…');
    s
}

/// The rows to draw: at most `room` of `total`, keeping `cursor` in view.
pub fn window(total: usize, cursor: usize, room: usize) -> std::ops::Range<usize> {
    let room = room.max(1).min(total);
    let start = cursor
        .saturating_sub(room.saturating_sub(1))
        .min(total - room);
    start..start + room
}

/// Like `window`, for rows of different heights: the rows that fit in `room` lines with
/// `cursor` in view.
pub fn window_lines(heights: &[u16], cursor: usize, room: u16) -> std::ops::Range<usize> {
    if heights.is_empty() {
        return 0..0;
    }
    let cursor = cursor.min(heights.len() - 1);
    let mut start = cursor;
    let mut used = heights[cursor];
    while start > 0 && used + heights[start - 1] <= room {
        start -= 1;
        used += heights[start];
    }
    let mut end = cursor + 1;
    while end < heights.len() && used + heights[end] <= room {
        used += heights[end];
        end += 1;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_keep_the_cursor_in_view() {
        assert_eq!(window(10, 0, 4), 0..4);
        assert_eq!(window(10, 9, 4), 6..10);
        assert_eq!(window(3, 2, 10), 0..3);
        assert_eq!(window(0, 0, 5), 0..0);
        assert_eq!(window_lines(&[1, 2, 1, 1], 1, 3), 0..2);
        assert_eq!(window_lines(&[1, 2, 1, 1], 3, 3), 2..4);
        assert_eq!(window_lines(&[], 0, 3), 0..0);
    }

    #[test]
    fn fit_adds_an_ellipsis() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
