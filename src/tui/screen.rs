//! What is sent to the terminal: a whole frame through ratatui, or only the top rows (the
//! header's clock and ages) over what the screen already shows.
//!
//! Why the top rows go around ratatui: `Terminal::draw` renders a whole frame and compares
//! every cell with its last one, and then resets a buffer of the same size. On a 200 x 50
//! terminal that is four passes over ten thousand cells to move a clock, once a second on an
//! idle board. Here the header is rendered alone, compared with the rows on screen (a few
//! hundred cells), and only what changed is written.
//!
//! ratatui's own last frame then no longer matches the screen in those rows, and its next
//! whole frame would skip a cell that is equal to its last frame but not to the screen.
//! So after a whole frame, if the top rows were written alone since, the rows on screen are
//! compared with the new frame's and what differs is written too.

use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};

/// The terminal, and what it shows in its top rows.
pub struct Screen<B: Backend> {
    pub terminal: Terminal<B>,
    /// How many rows `draw_top` draws (0 until it is first asked to).
    rows: u16,
    /// The area of the last whole frame: the top rows alone are drawn only over a frame of
    /// the terminal's present size.
    area: Rect,
    /// The top rows as the screen shows them.
    shown: Buffer,
    /// The top rows were written since the last whole frame, so ratatui's last frame is
    /// not what the screen shows there.
    stale: bool,
}

/// The first `rows` rows of `buf`, as a buffer of their own at the same place.
fn top_of(buf: &Buffer, rows: u16) -> Buffer {
    let area = Rect::new(
        buf.area.x,
        buf.area.y,
        buf.area.width,
        rows.min(buf.area.height),
    );
    let n = usize::from(area.width) * usize::from(area.height);
    Buffer {
        area,
        content: buf.content[..n].to_vec(),
    }
}

impl<B: Backend> Screen<B> {
    pub fn new(terminal: Terminal<B>) -> Screen<B> {
        Screen {
            terminal,
            rows: 0,
            area: Rect::ZERO,
            shown: Buffer::empty(Rect::ZERO),
            stale: false,
        }
    }

    /// Draw a whole frame; ratatui sends the cells that differ from its last frame, and the
    /// top rows are then made right where a `draw_top` left them otherwise.
    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> Result<(), B::Error> {
        let rows = self.rows;
        let (top, area) = self
            .terminal
            .draw(render)
            .map(|done| (top_of(done.buffer, rows), done.area))?;
        let was_stale = std::mem::take(&mut self.stale);
        if was_stale && top.area == self.shown.area {
            let fix = self.shown.diff(&top);
            if !fix.is_empty() {
                let backend = self.terminal.backend_mut();
                backend.draw(fix.into_iter())?;
                backend.flush()?;
            }
        }
        self.area = area;
        self.shown = top;
        Ok(())
    }

    /// Follow the terminal's new size. ratatui clears the screen when the size changed, so
    /// the next frame must be whole, even if the size is back to the last whole frame's.
    pub fn autoresize(&mut self) -> Result<(), B::Error> {
        self.area = Rect::ZERO;
        self.terminal.autoresize()
    }

    /// Draw the top `rows` rows with `part` over what the screen shows, sending only the
    /// cells that changed; or, if the terminal's size changed since the last whole frame,
    /// `whole` afresh. `part` may draw anywhere: only its top rows are used.
    pub fn draw_top(
        &mut self,
        rows: u16,
        part: impl FnOnce(&mut ratatui::Frame),
        whole: impl FnOnce(&mut ratatui::Frame),
    ) -> Result<(), B::Error> {
        let size = self.terminal.size()?;
        let area = Rect::from((Position::ORIGIN, size));
        if rows != self.rows || area != self.area || area != self.terminal.get_frame().area() {
            if rows != self.rows && self.stale {
                // The rows on screen and the new rows are not the same rows: have ratatui
                // write every cell of the whole frame.
                self.terminal.clear()?;
                self.stale = false;
            }
            self.rows = rows;
            return self.draw(whole);
        }
        // ratatui's current buffer is blank between frames (it resets it after each one):
        // draw into it, take the top rows, and leave it blank again.
        let mut frame = self.terminal.get_frame();
        part(&mut frame);
        let buf = self.terminal.current_buffer_mut();
        let top = top_of(buf, rows);
        buf.reset();
        let changed = self.shown.diff(&top);
        if !changed.is_empty() {
            let backend = self.terminal.backend_mut();
            backend.draw(changed.into_iter())?;
            backend.flush()?;
            self.stale = true;
        }
        self.shown = top;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::widgets::Paragraph;

    /// The answer, or the test fails with the error.
    fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    fn screen() -> Screen<TestBackend> {
        Screen::new(ok(Terminal::new(TestBackend::new(12, 4))))
    }

    /// A frame of `head` on the first row and `body` on every other.
    fn page(head: &'static str, body: &'static str) -> impl FnOnce(&mut ratatui::Frame) {
        move |f| {
            let a = f.area();
            f.render_widget(Paragraph::new(head), Rect::new(0, 0, a.width, 1));
            for y in 1..a.height {
                f.render_widget(Paragraph::new(body), Rect::new(0, y, a.width, 1));
            }
        }
    }

    fn shows(s: &Screen<TestBackend>) -> Vec<String> {
        let b = s.terminal.backend().buffer();
        (0..b.area.height)
            .map(|y| (0..b.area.width).map(|x| b[(x, y)].symbol()).collect())
            .collect()
    }

    fn lines(head: &str, body: &str) -> Vec<String> {
        let row = |s: &str| format!("{s:<12}");
        let mut out = vec![row(head)];
        out.extend((1..4).map(|_| row(body)));
        out
    }

    #[test]
    fn the_top_rows_alone_leave_the_rest_of_the_screen_as_it_was() {
        let mut s = screen();
        ok(s.draw(page("12:00:00", "board one")));
        // The first call learns the row count and draws whole.
        ok(s.draw_top(
            1,
            page("12:00:01", "not shown"),
            page("12:00:01", "board one"),
        ));
        assert_eq!(shows(&s), lines("12:00:01", "board one"));
        ok(s.draw_top(1, page("12:00:02", "not shown"), page("x", "y")));
        assert_eq!(shows(&s), lines("12:00:02", "board one"));
        // ratatui's buffer was left blank: the next whole frame is drawn in full.
        ok(s.draw(page("12:00:03", "board two")));
        assert_eq!(shows(&s), lines("12:00:03", "board two"));
    }

    /// The case ratatui alone would get wrong: a whole frame whose top row equals ratatui's
    /// last whole frame, while the screen shows what `draw_top` wrote since.
    #[test]
    fn a_whole_frame_after_the_top_rows_puts_back_what_ratatui_thinks_is_there() {
        let mut s = screen();
        ok(s.draw_top(1, page("a", "b"), page("12:00:00", "board")));
        ok(s.draw_top(1, page("12:00:59", "-"), page("x", "y")));
        assert_eq!(shows(&s), lines("12:00:59", "board"));
        ok(s.draw(page("12:00:00", "board")));
        assert_eq!(shows(&s), lines("12:00:00", "board"));
    }

    #[test]
    fn a_new_size_draws_whole() {
        let mut s = screen();
        ok(s.draw_top(1, page("a", "b"), page("12:00:00", "board")));
        s.terminal.backend_mut().resize(12, 5);
        ok(s.draw_top(1, page("12:00:01", "-"), page("12:00:01", "bigger")));
        let b = s.terminal.backend().buffer();
        assert_eq!(b.area.height, 5);
        let rows: Vec<String> = (0..5)
            .map(|y| (0..12).map(|x| b[(x, y)].symbol()).collect())
            .collect();
        assert_eq!(rows[0], format!("{:<12}", "12:00:01"));
        assert!(
            rows[1..].iter().all(|r| r == &format!("{:<12}", "bigger")),
            "{rows:?}"
        );
    }

    /// A caller that asks for more rows than before gets a whole frame that is right
    /// everywhere, also in the rows only the screen knew.
    #[test]
    fn a_new_row_count_draws_whole_and_right() {
        let mut s = screen();
        ok(s.draw_top(1, page("a", "b"), page("12:00:00", "board")));
        ok(s.draw_top(1, page("12:00:59", "-"), page("x", "y")));
        ok(s.draw_top(2, page("x", "y"), page("12:00:00", "board")));
        assert_eq!(shows(&s), lines("12:00:00", "board"));
    }

    /// A resize and back between two frames: ratatui cleared the screen, so the header alone
    /// would leave the rest blank.
    #[test]
    fn after_a_resize_the_next_frame_is_whole_even_at_the_same_size() {
        let mut s = screen();
        ok(s.draw_top(1, page("a", "b"), page("12:00:00", "board")));
        s.terminal.backend_mut().resize(12, 5);
        ok(s.autoresize());
        s.terminal.backend_mut().resize(12, 4);
        ok(s.autoresize());
        ok(s.draw_top(1, page("12:00:01", "-"), page("12:00:01", "board")));
        assert_eq!(shows(&s), lines("12:00:01", "board"));
    }
}
