//! meridian's core: the engine, which reads the fleet through its providers (each subject
//! on its own schedule and deadline) and merges what comes back into state; and the action
//! library, the only door to the fleet: requests are planned (pure), guarded, confirmed by
//! a front end, then executed under the lock, verified and audited here.

pub mod actions;
pub mod engine;
pub mod recording;
