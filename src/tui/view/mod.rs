//! Drawing the dashboard. Layout only; each pane and overlay has its own module.

mod approvals;
mod detail;
mod detail_gitops;
mod findings;
mod footer;
mod header;
pub mod help;
pub mod log;
mod modal;
mod palette;
mod phases;
mod picker;
mod regions;
mod rollout;
mod rollout_start;
mod small;
mod stores;
mod tenants;
pub mod util;
mod weights;
pub mod wrap;

pub use footer::hints;
pub use help::help_lines;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::app::{App, Pane};
use super::mouse::Target;
use super::overlay::Overlay;
use super::theme::Role;
use util::pane_block;

/// Smallest terminal the full console is laid out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// The header's lines (banner and clock; freshness and counts).
pub const HEADER_LINES: u16 = 2;

/// Draw one frame.
pub fn draw(frame: &mut Frame, app: &App) {
    app.hits.clear();
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        small::draw(frame, area, app);
        return;
    }
    // The top finding takes a line under the header while there is one.
    let attention = u16::from(!app.attention.findings.is_empty());
    let [head, top, body, foot] = Layout::vertical([
        Constraint::Length(HEADER_LINES),
        Constraint::Length(attention),
        Constraint::Min(0),
        Constraint::Length(2),
    ])
    .areas(area);
    header::draw(frame, head, app);
    findings::top_line(frame, top, app);
    footer::draw(frame, foot, app);
    if app.detail_zoomed {
        draw_detail(frame, body, app);
    } else if let Some(p) = app.zoom {
        draw_pane(frame, body, app, p);
    } else {
        draw_board(frame, body, app);
    }
    if let Some(o) = &app.overlay {
        app.hits.add(body, Target::Overlay);
        match o {
            Overlay::Confirm(m) => modal::draw(frame, body, app, m),
            Overlay::Weights(e) => weights::draw(frame, body, app, e),
            Overlay::Revisions(p) => picker::draw(frame, body, app, p),
            Overlay::Palette(p) => palette::draw(frame, body, app, p),
            Overlay::Rollout => rollout::draw(frame, body, app),
            Overlay::Approvals { selected, scroll } => {
                approvals::draw(frame, body, app, *selected, *scroll)
            }
            Overlay::Findings { selected } => findings::draw(frame, body, app, *selected),
            Overlay::Help { scroll } => help::draw(frame, body, app, *scroll),
            Overlay::RolloutStart(s) => rollout_start::draw(frame, body, app, s),
            Overlay::RolloutPrompt(p) => rollout_start::draw_prompt(frame, body, app, p),
        }
    }
}

/// Draw the header alone (its clock and ages) into a blank frame: what `draw` puts in its
/// first `HEADER_LINES` (`screen::Screen::draw_top` takes those rows; a terminal too small
/// for the console gets the whole frame, whose top rows are then the same as `draw`'s).
pub fn draw_header(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw(frame, app);
        return;
    }
    let [head, _] =
        Layout::vertical([Constraint::Length(HEADER_LINES), Constraint::Min(0)]).areas(area);
    header::draw(frame, head, app);
}

fn draw_board(frame: &mut Frame, body: Rect, app: &App) {
    let wide = body.width >= 150 && body.height >= 32;
    let regions_h = regions::height(app, body.width).min(body.height / 2);
    let rest = body.height.saturating_sub(regions_h);
    let middle_need = if wide {
        tenants::height(app).max(phases::height(app))
    } else if app.focus == Pane::Phases {
        phases::height(app)
    } else {
        tenants::height(app)
    };
    let middle_h = middle_need.min(rest * 6 / 10).max(rest.min(5));
    let [reg, mid, bottom] = Layout::vertical([
        Constraint::Length(regions_h),
        Constraint::Length(middle_h),
        Constraint::Min(0),
    ])
    .areas(body);
    regions::draw(frame, reg, app);
    if wide {
        let [l, r] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(mid);
        draw_pane(frame, l, app, Pane::Tenants);
        draw_pane(frame, r, app, Pane::Phases);
    } else if app.focus == Pane::Phases {
        phases::draw(
            frame,
            mid,
            app,
            pane_block(app, tabs(app, Pane::Phases), Some(Pane::Phases)),
        );
        tab_hits(app, mid, Pane::Phases);
    } else {
        tenants::draw(
            frame,
            mid,
            app,
            pane_block(app, tabs(app, Pane::Tenants), Some(Pane::Tenants)),
        );
        tab_hits(app, mid, Pane::Tenants);
    }
    if app.log_hidden {
        draw_detail(frame, bottom, app);
    } else {
        let [d, l] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .areas(bottom);
        draw_detail(frame, d, app);
        draw_pane(frame, l, app, Pane::Log);
    }
}

/// Where the two tabs of a shared title lie, so a click on one switches to it. The title
/// starts after the corner, behind the focus marker when the pane has focus.
fn tab_hits(app: &App, area: Rect, shown: Pane) {
    let marker = if app.focus == shown && app.overlay.is_none() {
        2
    } else {
        0
    };
    let tenants_x = area.x + 1 + marker + 1;
    let w = |p: Pane| p.title().len() as u16 + 2;
    app.hits.add(
        Rect::new(tenants_x, area.y, w(Pane::Tenants), 1),
        Target::Tab(Pane::Tenants),
    );
    app.hits.add(
        Rect::new(tenants_x + w(Pane::Tenants) + 1, area.y, w(Pane::Phases), 1),
        Target::Tab(Pane::Phases),
    );
}

/// On a normal-size terminal tenants and phases share a place: the title shows both tabs.
fn tabs(app: &App, shown: Pane) -> Line<'static> {
    let t = &app.theme;
    let tab = |p: Pane| {
        if p == shown {
            Span::styled(format!("[{}]", p.title()), t.get(Role::Title))
        } else {
            Span::styled(format!(" {} ", p.title()), t.get(Role::Muted))
        }
    };
    let legend = if shown == Pane::Tenants {
        "  ⟳ auto-sync"
    } else {
        ""
    };
    Line::from(vec![
        Span::raw(" "),
        tab(Pane::Tenants),
        Span::raw(" "),
        tab(Pane::Phases),
        Span::styled(format!("{legend} "), t.get(Role::Muted)),
    ])
}

fn draw_pane(frame: &mut Frame, area: Rect, app: &App, pane: Pane) {
    match pane {
        Pane::Regions => regions::draw(frame, area, app),
        Pane::Tenants => tenants::draw(
            frame,
            area,
            app,
            pane_block(app, " Tenants  ⟳ auto-sync ", Some(Pane::Tenants)),
        ),
        Pane::Phases => phases::draw(
            frame,
            area,
            app,
            pane_block(app, " Phases ", Some(Pane::Phases)),
        ),
        Pane::Log => {
            app.hits.add(area, Target::Pane(Pane::Log));
            let title = if app.log_scrolled {
                " Log (scrolled back; End follows new lines) "
            } else {
                " Log "
            };
            log::draw(frame, area, app, pane_block(app, title, Some(Pane::Log)))
        }
    }
}

fn draw_detail(frame: &mut Frame, area: Rect, app: &App) {
    let title = if app.detail_zoomed {
        " Detail (Esc goes back) "
    } else {
        " Detail "
    };
    detail::draw(frame, area, app, pane_block(app, title, None));
}
