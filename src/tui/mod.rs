//! The dashboard: a live fleet console whose actions go through plan-backed confirmation
//! modals. `App` is the state and its pure update; `view` draws it; `runner` is the loop.

pub mod actions;
pub mod app;
mod cadence;
pub mod command;
pub mod config_error;
mod effects;
pub mod evidence;
pub mod filter;
pub mod findings;
pub mod fixture;
pub mod keymap;
mod logging;
pub mod message;
pub mod mouse;
pub mod nav;
mod observe;
pub mod overlay;
pub mod pace;
pub mod preflight;
mod record;
mod records;
pub mod replay;
pub mod replay_window;
mod rollout;
mod rollout_drive;
pub mod runner;
mod screen;
pub mod svg;
pub mod symbols;
pub mod terminal;
pub mod theme;
pub mod view;

pub use app::{App, Effect, Msg, Pane};
pub use runner::run;
