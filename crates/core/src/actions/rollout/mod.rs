//! Rollouts: a template's steps stepped through one at a time. Each action step becomes an
//! ordinary `Request` (planned, guarded, confirmed, locked, executed, verified, audited
//! with the rollout's id); each gate is decided by `gate::evaluate`. The state is one
//! document in the fleet's shared store (files in the state directory, or ConfigMaps next
//! to the fleet's Lease), changed by compare-and-swap and replaced atomically, so a crash
//! or `kill -9` resumes exactly where it was and a partner on another machine sees it.

mod control;
mod control_freeze;
pub mod gate;
mod gate_alarms;
mod gate_command;
mod gate_practice;
mod recovery;
mod state;
mod store;
pub mod view;

pub use control::{Outcome, Skipped, state_word};
pub use gate::{CLOCK_SKEW_ENV, GateVerdict, evaluate, rollout_now, with_timeout};
pub use gate_alarms::{ALARMS_GATE_DEADLINE, alarms_gate, alarms_verdict, decide_alarms_gate};
pub use gate_command::{COMMAND_GATE_TIMEOUT, command_gate, command_gate_output};
pub use gate_practice::{PRACTICE_NOT_RUN, in_practice, not_run_in_practice, practice_verdict};
pub use state::{
    Exception, ExceptionKind, Next, Pause, Rollout, RolloutError, RolloutStatus, SkipRequest,
    StepEntry, StepState,
};
pub use store::RolloutStore;

#[cfg(test)]
mod control_tests;
#[cfg(test)]
mod tests;
