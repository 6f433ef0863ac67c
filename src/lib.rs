//! meridian: a terminal operations console for multi-region deployments.
//!
//! The library holds everything but the binary's argument handling: the fleet file
//! (`fleet`), observed state (`state`), providers per capability (`providers`), the engine
//! that reads them (`engine`), the action library (`actions`) and the two front ends
//! (`cli`, `tui`). `traffic` is the provider-neutral weight model the planner and the
//! traffic providers share.

pub mod actions;
pub mod cli;
pub mod engine;
pub mod fleet;
pub mod host;
pub mod pace;
pub mod paths;
pub mod providers;
pub mod signals;
pub mod state;
pub mod synthetic;
pub mod traffic;
pub mod tui;

#[cfg(test)]
mod names_tests;
