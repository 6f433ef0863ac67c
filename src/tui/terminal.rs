//! Entering and leaving the terminal's raw, alternate-screen mode. The terminal is given
//! back exactly once, whichever comes first: the guard dropping, or a panic on any thread
//! (the hook restores before the message is printed, so it lands on the shell, and then
//! tells the main loop to stop: nothing is drawn over the shell afterwards).

use std::cell::Cell;
use std::io::{self, Stdout};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::Notify;

use super::screen::Screen;

/// Set once the terminal has been given back; nothing may draw after that.
static RESTORED: AtomicBool = AtomicBool::new(true);
/// Set by the panic hook.
static PANICKED: AtomicBool = AtomicBool::new(false);
/// Wakes the main loop when a panic happened on another thread (an action's task).
static PANIC_NOTICE: Notify = Notify::const_new();
/// Held while a frame is written, so a panic on another thread restores between frames,
/// never in the middle of one.
static DRAWING: Mutex<()> = Mutex::new(());

thread_local! {
    /// This thread is writing a frame (a panic here must not wait for itself).
    static IN_DRAW: Cell<bool> = const { Cell::new(false) };
}

/// The terminal in dashboard mode; dropping it gives the terminal back.
pub struct TerminalGuard {
    screen: Screen<CrosstermBackend<Stdout>>,
}

/// Put the terminal back as we found it. Only the first call does anything.
pub fn restore() {
    let _frame = if IN_DRAW.with(Cell::get) {
        None
    } else {
        Some(
            DRAWING
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    };
    if RESTORED.swap(true, Ordering::SeqCst) {
        return;
    }
    // A terminal that hung up (SIGHUP) refuses these writes; nothing more can be done then.
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
}

/// Has the terminal been given back (so the dashboard must stop drawing)?
pub fn restored() -> bool {
    RESTORED.load(Ordering::SeqCst)
}

/// Has anything panicked since the dashboard started?
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Resolves once a panic has happened anywhere in the process.
pub async fn panic_notice() {
    if panicked() {
        return;
    }
    PANIC_NOTICE.notified().await;
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::SeqCst);
        // Restore first, or the message lands in the alternate screen and is lost.
        restore();
        previous(info);
        PANIC_NOTICE.notify_one();
    }));
}

/// Enter raw mode and the alternate screen.
pub fn enter() -> io::Result<TerminalGuard> {
    install_panic_hook();
    enable_raw_mode()?;
    RESTORED.store(false, Ordering::SeqCst);
    // Mouse capture: clicks and the wheel reach the dashboard (restore() gives them back).
    let setup = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture, Hide)
        .and_then(|_| Terminal::new(CrosstermBackend::new(io::stdout())));
    match setup {
        Ok(terminal) => Ok(TerminalGuard {
            screen: Screen::new(terminal),
        }),
        Err(e) => {
            restore();
            Err(e)
        }
    }
}

impl TerminalGuard {
    /// Draw a whole frame, unless the terminal has already been given back.
    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
        self.frame(|s| s.draw(render))
    }

    /// Draw the top `rows` rows with `part` over what the screen shows (the terminal is
    /// sent only what changed there), or, if the terminal's size changed since the last
    /// whole frame, `whole` afresh (see `screen`).
    pub fn draw_top(
        &mut self,
        rows: u16,
        part: impl FnOnce(&mut ratatui::Frame),
        whole: impl FnOnce(&mut ratatui::Frame),
    ) -> io::Result<()> {
        self.frame(|s| s.draw_top(rows, part, whole))
    }

    /// Follow the terminal's new size (the next frame is drawn whole).
    pub fn autoresize(&mut self) -> io::Result<()> {
        self.frame(|s| s.autoresize())
    }

    /// Write to the terminal, unless it has already been given back, holding the lock that
    /// keeps a panic's restore from landing in the middle.
    fn frame(
        &mut self,
        write: impl FnOnce(&mut Screen<CrosstermBackend<Stdout>>) -> io::Result<()>,
    ) -> io::Result<()> {
        let _frame = DRAWING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if restored() {
            return Ok(());
        }
        IN_DRAW.with(|d| d.set(true));
        let written = write(&mut self.screen);
        IN_DRAW.with(|d| d.set(false));
        written
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
