//! How often the clock redraws the board. The header's clock and ages move every second
//! and are drawn every second; the rest of the board shows the readings merged since the
//! last frame every `SHOW_EVERY`. On a 100-region fleet some reading on screen changes
//! every second (a probe's milliseconds), so drawing the whole board at each tick was most
//! of an idle dashboard's own work. What matters sooner is drawn sooner: a key, an
//! action's progress or a record changing draws at once (they mark the app dirty), and a
//! reading that puts a region in trouble or changes its health or role (`Attention::due`)
//! at the next tick. While a person watches something move (an overlay open, an action
//! running, a rollout under way) the whole board is drawn every second, as before.

use super::app::App;
use crate::state::Millis;

/// How often the readings merged in the background are shown when nothing urgent came.
pub const SHOW_EVERY: Millis = 2_000;

/// When the whole board was last drawn, and whether the header is due.
#[derive(Debug, Clone, Default)]
pub struct Cadence {
    /// `App::now` at the last whole frame.
    pub shown_at: Option<Millis>,
    /// The clock moved and the board is not due: draw the header over the last frame.
    pub header_due: bool,
}

impl App {
    /// On the clock's tick: the whole board when it is due (`urgent`: a reading changed
    /// what findings turn on), else only the header.
    pub(super) fn tick_frame(&mut self, urgent: bool) {
        let due = self
            .cadence
            .shown_at
            .is_none_or(|at| self.now - at >= SHOW_EVERY || self.now < at);
        if urgent || due || self.watched_each_second() {
            self.dirty = true;
        } else {
            self.cadence.header_due = true;
        }
    }

    /// Something on the board itself moves by the second while it lasts.
    fn watched_each_second(&self) -> bool {
        self.overlay.is_some()
            || self.running.is_some()
            || !self.all_reported()
            || self.replay.is_some()
            || self.rollout.as_ref().is_some_and(|r| !r.status.finished())
    }

    /// The loop drew the whole board.
    pub fn drawn_whole(&mut self) {
        self.dirty = false;
        self.cadence.header_due = false;
        self.cadence.shown_at = Some(self.now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture::demo_app;
    use crate::tui::message::Msg;

    fn ticked(app: &mut App, at: Millis) -> (bool, bool) {
        app.update(Msg::Tick(at));
        let seen = (app.dirty, app.cadence.header_due);
        if app.dirty {
            app.drawn_whole();
        }
        app.cadence.header_due = false;
        seen
    }

    /// Idle: the whole board every `SHOW_EVERY`, the header at the ticks between.
    #[test]
    fn an_idle_board_is_drawn_whole_every_show_every_and_the_header_between() {
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        let t0 = app.now;
        assert_eq!(ticked(&mut app, t0), (true, false), "the first tick draws");
        assert_eq!(ticked(&mut app, t0 + 1_000), (false, true));
        assert_eq!(ticked(&mut app, t0 + SHOW_EVERY), (true, false));
        assert_eq!(ticked(&mut app, t0 + SHOW_EVERY + 1_000), (false, true));
    }

    /// An overlay open (here the help) is drawn whole at every tick.
    #[test]
    fn an_open_overlay_is_drawn_whole_every_second() {
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        let t0 = app.now;
        ticked(&mut app, t0);
        app.overlay = Some(crate::tui::overlay::Overlay::Help { scroll: 0 });
        assert_eq!(ticked(&mut app, t0 + 1_000), (true, false));
        assert_eq!(ticked(&mut app, t0 + 2_000), (true, false));
        app.overlay = None;
        assert_eq!(ticked(&mut app, t0 + 3_000), (false, true));
    }

    /// The header drawn over the last frame (through `screen`, as the runner draws it) is
    /// the header a whole frame would draw now, and the rest is the last frame, cell for
    /// cell; the next whole frame is then the whole frame.
    #[test]
    fn the_header_over_the_last_frame_is_todays_header_and_yesterdays_board() {
        use crate::tui::screen::Screen;
        use crate::tui::view::{self, HEADER_LINES};
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        use ratatui::buffer::Buffer;
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        let new_screen = || {
            Screen::new(Terminal::new(TestBackend::new(120, 40)).unwrap_or_else(|e| panic!("{e}")))
        };
        let whole = |app: &App| {
            let mut s = new_screen();
            s.draw(|f| view::draw(f, app))
                .unwrap_or_else(|e| panic!("{e}"));
            s.terminal.backend().buffer().clone()
        };
        let rows = |b: &Buffer, r: std::ops::Range<u16>| -> Vec<String> {
            r.map(|y| (0..b.area.width).map(|x| b[(x, y)].symbol()).collect())
                .collect()
        };
        let t0 = app.now;
        app.update(Msg::Tick(t0));
        let mut screen = new_screen();
        let draw_top = |s: &mut Screen<TestBackend>, app: &App| {
            s.draw_top(
                HEADER_LINES,
                |f| view::draw_header(f, app),
                |f| view::draw(f, app),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        };
        draw_top(&mut screen, &app);
        let before = screen.terminal.backend().buffer().clone();
        assert_eq!(before, whole(&app), "the first is drawn whole");

        app.update(Msg::Tick(t0 + 61_000));
        draw_top(&mut screen, &app);
        let header_only = screen.terminal.backend().buffer().clone();
        let now = whole(&app);
        assert_ne!(rows(&before, 0..2), rows(&now, 0..2), "the clock moved");
        assert_eq!(rows(&header_only, 0..2), rows(&now, 0..2));
        assert_eq!(rows(&header_only, 2..40), rows(&before, 2..40));

        app.update(Msg::Tick(t0 + 62_000));
        screen
            .draw(|f| view::draw(f, &app))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(screen.terminal.backend().buffer(), &whole(&app));
    }
}
