//! `meridian weights ... --for 2h`: the executor records the change as temporary, with an
//! expiry that the board and `status --check` raise when it passes; and where the weights
//! stand, for `status`.

use std::time::Duration;

use crate::actions::temporary::{self, Standing};
use crate::session::Context;
use crate::state::{FleetState, now_ms, rfc3339};

/// Say until when the weights just set (and recorded as temporary by the executor) hold.
pub fn say_until(how_long: Duration) {
    let until = now_ms().saturating_add(how_long.as_millis().min(i64::MAX as u128) as i64);
    super::note(&format!(
        "temporary until {} ({}); `meridian restore` puts the steady weights back",
        temporary::clock(until),
        rfc3339(until)
    ));
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
