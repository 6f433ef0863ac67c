//! Below 80x24 the board cannot fit: say so, and still show what matters most.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::tui::app::App;
use crate::tui::command::{Command, Mode};
use crate::tui::symbols;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let banner = if super::header::is_production(app) {
        "▲ PRODUCTION ▲"
    } else {
        "non-production"
    };
    let role = if super::header::is_production(app) {
        Role::Production
    } else {
        Role::NonProduction
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(banner, t.get(role)),
        Span::styled(format!(" {}", app.fleet.name), t.get(Role::Title)),
    ])];
    for r in &app.fleet.regions {
        let s = app.state.region(&r.id);
        let look = symbols::health(
            s.map(|s| s.health_status())
                .unwrap_or(crate::state::HealthStatus::Unknown),
        );
        let share = match app.state.traffic_text(&r.id) {
            Some(text) => text,
            None => format!(
                "{:.0}%",
                app.state.traffic_share(&r.id).unwrap_or(0.0) * 100.0
            ),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {:<9}", look.symbol, look.word),
                t.get(look.role),
            ),
            Span::styled(format!(" {} {share}", r.id), t.get(Role::Text)),
        ]));
    }
    let quit = app
        .keymap
        .key_for(Mode::Normal, Command::Quit)
        .unwrap_or_else(|| "q".into());
    lines.push(Line::from(Span::styled(
        format!("Terminal is {}x{}: the console needs at least 80x24. Enlarge the window; {quit} quits.", area.width, area.height),
        t.get(Role::Warn),
    )));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
