//! `meridian rollout ... --practice`: the same rollout commands on the practice copy of
//! the fleet (`crate::practice`). `start` makes the copy from the live fleet as read now;
//! every other command acts on the copy already made. Each says PRACTICE first.

use super::args::{GlobalArgs, RolloutCommand};
use super::{Exit, Failure};
use crate::session::Context;

/// The practice context the command runs in.
pub(super) async fn context(
    command: &RolloutCommand,
    global: &GlobalArgs,
) -> Result<Context, Failure> {
    let ctx = match command {
        RolloutCommand::Start { .. } => {
            let live = Context::load(&crate::session::Options {
                practice: false,
                ..global.session()
            })?;
            if live.read_only {
                return Err(Failure::new(
                    Exit::Refused,
                    "read-only mode: a practice writes its own simulated world and rollout, which read-only mode refuses too",
                ));
            }
            let ctx = live.start_practice().await?;
            super::note(&ctx.practice_banner());
            ctx
        }
        // Says PRACTICE itself.
        _ => Context::practice(&global.session())?,
    };
    Ok(ctx)
}
