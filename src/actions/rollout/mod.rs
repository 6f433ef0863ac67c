//! Rollouts: a template's steps stepped through one at a time. Each action step becomes an
//! ordinary `Request` (planned, guarded, confirmed, locked, executed, verified, audited
//! with the rollout's id); each gate is decided by `gate::evaluate`. The state lives in one
//! JSON file in the fleet's state directory, replaced atomically after every change, so a
//! crash or `kill -9` resumes exactly where it was.

pub mod gate;
mod recovery;
mod state;
mod store;
pub mod view;

pub use gate::{CLOCK_SKEW_ENV, GateVerdict, evaluate, rollout_now};
pub use state::{Next, Rollout, RolloutError, RolloutStatus, StepEntry, StepState};
pub use store::RolloutStore;

#[cfg(test)]
mod tests;
