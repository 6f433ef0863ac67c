//! The dashboard records what it shows (see `crate::recording`): every `RECORD_EVERY`, the
//! facts of the board and its findings, as changes. A read-only dashboard records nothing
//! (a replay is one). Appending a few lines is cheap; a failure is said once in the log and
//! recording stops, the board goes on.

use crate::recording::{Limits, Recorder, Touched, dir_in};
use crate::session::Context;
use crate::state::Millis;

use super::app::App;

/// How often the board's facts are compared with the last recorded ones.
pub const RECORD_EVERY: Millis = 2_000;

pub struct BoardRecorder {
    recorder: Option<Recorder>,
    last: Option<Millis>,
}

impl BoardRecorder {
    pub fn new(ctx: &Context) -> BoardRecorder {
        let recorder = (!ctx.read_only).then(|| {
            Recorder::new(
                dir_in(&ctx.fleet_paths.dir),
                &ctx.fleet.name,
                &crate::host::whoami(),
                Limits::default(),
            )
        });
        BoardRecorder {
            recorder,
            last: None,
        }
    }

    /// On the clock: record once every `RECORD_EVERY`, after the first readings, comparing
    /// the apps the readings merged since the last record (`App::touched`).
    pub fn tick(&mut self, app: &mut App, now: Millis) {
        let Some(rec) = self.recorder.as_mut() else {
            // Nothing compares them: do not let them pile up.
            app.touched = Touched::default();
            return;
        };
        if !app.all_reported() || self.last.is_some_and(|t| now - t < RECORD_EVERY) {
            return;
        }
        self.last = Some(now);
        let touched = std::mem::take(&mut app.touched);
        if let Err(e) = rec.observe_touched(
            &app.fleet,
            &app.state,
            &app.attention.findings,
            &touched,
            now,
        ) {
            log::warn!("recording stopped (the board goes on): {e}");
            self.recorder = None;
        }
    }
}
