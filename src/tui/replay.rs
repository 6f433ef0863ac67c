//! `meridian replay`: the dashboard, read-only, on the recording. A time cursor replaces the
//! live readings: left/right step it, `[`/`]` jump to the previous/next recorded change, and
//! the header shows the moment. Nothing is read from the fleet and nothing can run (the
//! plan modal, if opened, is read-only).

use crossterm::event::{Event, KeyEventKind};

use super::app::{App, Msg};
use super::command::Command;
use super::runner::{Options, TerminalEvents, prepare};
use super::{terminal, view};
use crate::recording::replay::Tape;
use crate::session::{Exit, Failure};
use crate::state::Millis;

/// How far left and right move the cursor.
pub const STEP: Millis = 10_000;

/// The recording on screen and the moment shown.
#[derive(Debug, Clone)]
pub struct Replay {
    pub tape: Tape,
    pub at: Millis,
    changes: Vec<Millis>,
}

impl App {
    /// Show the recording at `at` (read-only from now on).
    pub fn start_replay(&mut self, tape: Tape, at: Millis) {
        self.read_only = true;
        self.reported.0 = crate::engine::Subject::all(&self.fleet)
            .into_iter()
            .collect();
        let changes = tape.changes();
        self.replay = Some(Box::new(Replay { tape, at, changes }));
        self.show_replay();
    }

    fn show_replay(&mut self) {
        let Some(r) = self.replay.as_ref() else {
            return;
        };
        let at = r.at;
        let state = r.tape.state_at(&self.fleet, at);
        let findings = r.tape.findings_at(at);
        self.set_state(state);
        self.attention.findings = findings;
        self.now = at;
        self.dirty = true;
    }

    /// A time key during a replay: true when it was one (and the cursor moved or not).
    pub(super) fn replay_key(&mut self, cmd: Command) -> bool {
        let Some(r) = self.replay.as_mut() else {
            return false;
        };
        let (from, to) = (r.tape.from, r.tape.to);
        let at = match cmd {
            Command::MoveLeft => r.at - STEP,
            Command::MoveRight => r.at + STEP,
            Command::PrevChange => r
                .changes
                .iter()
                .rev()
                .find(|t| **t < r.at)
                .copied()
                .unwrap_or(from),
            Command::NextChange => r
                .changes
                .iter()
                .find(|t| **t > r.at)
                .copied()
                .unwrap_or(r.at),
            _ => return false,
        };
        r.at = at.clamp(from, to);
        self.show_replay();
        true
    }
}

/// Run the replay until the operator quits.
pub async fn run(opts: &Options, tape: Tape, at: Millis) -> Result<Exit, Failure> {
    let mut opts = opts.clone();
    opts.session.read_only = true;
    let super::runner::Prepared { mut app, .. } = prepare(&opts)?;
    app.start_replay(tape, at);
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return Err(Failure::new(
            Exit::Usage,
            "the replay needs a terminal; for scripts use `meridian report --format json`",
        ));
    }
    let draw_failed =
        |e: std::io::Error| Failure::new(Exit::Failed, format!("drawing failed: {e}"));
    let mut guard = terminal::enter()
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot set up the terminal: {e}")))?;
    let mut events = TerminalEvents::spawn();
    let mut endings = crate::signals::Endings::listen();
    loop {
        if app.dirty {
            guard.draw(|f| view::draw(f, &app)).map_err(draw_failed)?;
            app.dirty = false;
        }
        if app.quit {
            return Ok(Exit::Done);
        }
        tokio::select! {
            ev = events.rx.recv() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    // Effects are dropped: a replay performs nothing.
                    let _ = app.update(Msg::Key(k));
                }
                Some(Ok(Event::Resize(..))) => {
                    let _ = guard.autoresize();
                    app.dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Ok(Exit::Done),
            },
            _ = endings.next() => return Ok(Exit::Done),
        }
    }
}
