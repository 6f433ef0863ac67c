//! `meridian replay` from the command line: which window of the recording, and the moment
//! to open at; the screen itself is `super::replay`.

use crate::recording::replay::Tape;
use crate::recording::{dir_in, load};
use crate::session::{Context, Exit, Failure};
use crate::state::{Millis, now_ms};

/// Around `--at`, this much on either side is loaded to step through.
const AROUND: Millis = 60 * 60_000;

pub async fn run(
    opts: &super::runner::Options,
    at: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Exit, Failure> {
    let ctx = Context::load(&opts.session)?;
    let now = now_ms();
    let usage = |e: String| Failure::new(Exit::Usage, e);
    let parse = |t: &str| crate::recording::when::parse(t, now).map_err(usage);
    let (start, end, cursor) = match (&at, &from) {
        (Some(a), None) => {
            let a = parse(a)?;
            (a - AROUND, (a + AROUND).min(now), Some(a))
        }
        (None, Some(f)) => {
            let f = parse(f)?;
            let end = match &to {
                Some(t) => parse(t)?,
                None => now,
            };
            (f, end, Some(f))
        }
        (None, None) => (now - 2 * AROUND, now, None),
        (Some(_), Some(_)) => return Err(usage("give --at or --from, not both".into())),
    };
    if end < start {
        return Err(usage("--to is before --from".into()));
    }
    let (at_from, records) = load(&dir_in(&ctx.fleet_paths.dir), start, end);
    if records.is_empty() && at_from.0.is_empty() {
        return Err(Failure::new(
            Exit::Failed,
            "nothing was recorded in that window (the dashboard and `meridian watch` record)",
        ));
    }
    let tape = Tape {
        at_from,
        records,
        from: start,
        to: end,
    };
    // Without a moment: the first change, where the story starts.
    let cursor = cursor.unwrap_or_else(|| tape.changes().first().copied().unwrap_or(start));
    super::replay::run(opts, tape, cursor).await
}
