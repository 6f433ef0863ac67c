//! The recording: while a dashboard or `meridian watch` runs, what it observes is kept as
//! compact changes (a region's health, lag crossing the RPO budget's bands, serving share,
//! role, app sync/health/revision, findings raised and cleared) plus periodic samples of
//! traffic and lag, in the fleet's state directory beside the audit log. `meridian report`
//! and `meridian replay` read it.

pub mod facts;
pub mod render;
pub mod replay;
pub mod report;
pub mod store;
pub mod touched;
pub mod when;

pub use facts::Facts;
pub use store::{Limits, Record, Recorder, dir_in, load, prune};
pub use touched::Touched;

#[cfg(test)]
mod report_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod touched_tests;
