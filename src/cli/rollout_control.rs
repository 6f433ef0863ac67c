//! `meridian rollout pause|retry|skip|take|ungraceful`: a pair driving a rollout. Each is
//! one call through the action library's rollout door (read-only mode, who may, audit);
//! this only reads the flags and says what happened. Exit codes as for every rollout
//! command: 0 done, 2 usage, 3 refused.

use super::args::{GlobalArgs, RolloutCommand};
use super::rollout::refuse;
use super::rollout_show::print_status;
use super::{Exit, Failure};
use crate::actions::rollout::Skipped;
use crate::session::Context;

pub async fn run(
    command: RolloutCommand,
    ctx: &Context,
    global: &GlobalArgs,
) -> Result<Exit, Failure> {
    let reason = global.reason.clone().unwrap_or_default();
    let exec = ctx.executor();
    let (r, said) = match command {
        RolloutCommand::Pause => exec.rollout_pause(&reason).map_err(refuse)?,
        RolloutCommand::Retry => exec.rollout_retry().map_err(refuse)?,
        RolloutCommand::Take => exec.rollout_take(&reason).map_err(refuse)?,
        RolloutCommand::Skip { comment } => {
            let (r, skipped) = exec
                .rollout_skip(comment.as_deref().unwrap_or_default())
                .map_err(refuse)?;
            match skipped {
                Skipped::Done(said) => (r, said),
                // Not done yet: the second person is the one to run `approve`; exit 3 so
                // a runbook does not go on as if the step were skipped.
                Skipped::Waiting(said) => {
                    super::out(&format!("rollout {}: {said}", r.id));
                    return Ok(Exit::Refused);
                }
            }
        }
        RolloutCommand::Ungraceful => {
            let (r, left_out) = exec.rollout_ungraceful(&reason).map_err(refuse)?;
            let said = if left_out.is_empty() {
                "ungraceful now; no step left needed the old region".to_string()
            } else {
                format!("ungraceful now; {}", left_out.join("; "))
            };
            (r, said)
        }
        other => {
            return Err(Failure::new(
                Exit::Failed,
                format!("rollout {other:?} is not a control command"),
            ));
        }
    };
    super::out(&format!("rollout {}: {said}", r.id));
    if global.json {
        print_status(ctx, &r, true).await;
    }
    Ok(Exit::Done)
}
