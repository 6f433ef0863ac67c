//! meridian: a terminal operations console for multi-region deployments.
//!
//! This crate is the app: the headless CLI (`cli`), the dashboard (`tui`), what both
//! start from (`session`), the signals that end them (`signals`) and where files live
//! (`paths`). Below it, each a crate of its own so the compiler keeps the layers:
//! `meridian-model` (fleet, state, traffic, host), `meridian-providers` (one trait per
//! capability and the backends behind them), `meridian-core` (the engine and the action
//! library). They are re-exported here under their module names for tests and benches.

pub use meridian_core::{actions, engine, recording};
pub use meridian_model::{fleet, host, pace, state, synthetic, traffic};
pub use meridian_providers as providers;

pub mod alloc;
pub mod cli;
pub mod paths;
pub mod practice;
pub mod session;
pub mod signals;
pub mod tui;
