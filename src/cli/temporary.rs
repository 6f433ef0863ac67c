//! `meridian weights ... --for 2h`: the weights change is recorded as temporary, with an
//! expiry that the board and `status --check` raise when it passes.

use std::time::Duration;

use super::args::GlobalArgs;
use super::{Exit, Failure};
use crate::actions::temporary::{self, Standing};
use crate::session::Context;
use crate::state::{FleetState, now_ms, rfc3339};

/// Mark the weights the executor just set (and wrote down) as temporary for `how_long`.
pub fn mark(global: &GlobalArgs, how_long: Duration) -> Result<(), Failure> {
    let ctx = Context::load(&global.session())?;
    let store = ctx.executor().shared_store();
    let failed = |e: String| Failure::new(Exit::Failed, format!("the weights were set, but {e}"));
    let Some(intent) = temporary::intent(&*store).map_err(failed)? else {
        return Err(failed(
            "no record of them was found to mark temporary".into(),
        ));
    };
    let now = now_ms();
    let until = now + how_long.as_millis() as i64;
    temporary::record(
        &*store,
        intent.weights,
        &intent.set_by,
        intent.reason,
        now,
        Some(until),
    )
    .map_err(failed)?;
    super::note(&format!(
        "temporary until {} ({}); `meridian restore` puts the steady weights back",
        temporary::clock(until),
        rfc3339(until)
    ));
    Ok(())
}

/// Where the weights stand, for `status`; a store problem is shown, not fatal.
pub fn standing(ctx: &Context, state: &FleetState) -> (Standing, Option<String>) {
    let store = ctx.executor().shared_store();
    let now_weights = temporary::current(&ctx.fleet, state);
    match temporary::standing_seen(&*store, &ctx.fleet, now_weights, now_ms(), ctx.read_only) {
        Ok(s) => (s, None),
        Err(e) => (Standing::Unknown, Some(e)),
    }
}
