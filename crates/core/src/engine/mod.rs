//! The engine: reading the fleet through its providers, one subject at a time, each under
//! its own deadline and on its own schedule, and merging what comes back into state.

mod live;
mod observation;
pub mod pace;
mod poll;
pub mod read;
mod read_stores;
pub mod schedule;
mod subject;

pub use live::{Engine, Refresh};
pub use observation::{Merger, Observation, Reading};
pub use poll::{poll, poll_subjects};
pub use subject::{Subject, for_action};
