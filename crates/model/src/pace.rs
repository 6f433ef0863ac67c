//! The slot grid: readings of one kind start together at the same instants, so the runtime
//! wakes once for a batch of regions instead of once per region. The engine's schedule
//! places readings on it; what else ticks on its own (the dashboard's clock, its shared
//! records, the simulated watch) counts from the same `origin`, so it wakes with them.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

/// Readings of one kind are spread across their interval in slots at least this wide, and
/// every reading in a slot starts at the same instant: the runtime wakes once for a batch
/// of regions instead of once per region (on 100 regions read every 2 s, 50 wake-ups a
/// second became 4), while calls to one backend still do not all land at once.
pub const SLOT: Duration = Duration::from_millis(250);

/// The instant every periodic wake of this process counts from: set by the first caller.
/// Each clock counting from its own start put the idle dashboard's wakes at five or six
/// different instants of every second; counting whole `SLOT`s from one instant, they fall
/// on at most four, and what is due together runs in one wake.
pub fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// A clock that ticks every `every` on the process's grid (counted from `origin`, the first
/// tick at least half a period away); a late tick skips to the grid's next one instead of
/// moving the clock off it. `every` must not be zero.
pub fn grid_clock(every: Duration) -> tokio::time::Interval {
    let mut clock = tokio::time::interval_at(next_slot(origin(), every, Instant::now()), every);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    clock
}

/// When to read next: the first of a reader's slots (`anchor`, then every period after
/// it) that leaves at least half a period of rest. A reading that ran long skips a slot
/// rather than go again at once; one that came early (a refresh asked for it) keeps the
/// next slot unless it is too close.
pub fn next_slot(anchor: Instant, every: Duration, now: Instant) -> Instant {
    let earliest = now + every / 2;
    if earliest <= anchor {
        return anchor;
    }
    let periods = (earliest - anchor)
        .as_nanos()
        .div_ceil(every.as_nanos().max(1));
    u32::try_from(periods)
        .ok()
        .and_then(|n| every.checked_mul(n))
        .and_then(|d| anchor.checked_add(d))
        .unwrap_or(earliest)
}
