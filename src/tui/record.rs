//! The dashboard records what it shows (see `crate::recording`): every `RECORD_EVERY`, the
//! facts of the board and its findings, as changes. A read-only dashboard records nothing
//! (a replay is one). Appending a few lines is cheap; a failure is said once in the log and
//! recording stops, the board goes on.

use crate::recording::{Limits, Recorder, dir_in};
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

    /// On the clock: record once every `RECORD_EVERY`, after the first readings.
    pub fn tick(&mut self, app: &App, now: Millis) {
        if !app.all_reported() || self.last.is_some_and(|t| now - t < RECORD_EVERY) {
            return;
        }
        self.last = Some(now);
        let Some(rec) = self.recorder.as_mut() else {
            return;
        };
        if let Err(e) = rec.observe(&app.fleet, &app.state, &app.attention.findings, now) {
            log::warn!("recording stopped (the board goes on): {e}");
            self.recorder = None;
        }
    }
}
