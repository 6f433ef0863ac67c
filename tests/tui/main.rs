//! The dashboard: key sequences, modals, the mouse, whole-screen snapshots and screenshots from the real renderer, and end to end under tmux.

// A test's panic with the value is its report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod alarms_gate;
mod config;
mod e2e;
mod findings;
mod hooks_homes;
mod keys;
mod modals;
mod mouse;
mod phase_run;
mod replay;
mod restore;
mod rollout;
mod rollout_control;
mod rollout_drive;
mod rollout_drive_e2e;
mod routing_commands;
mod screenshots;
mod snapshots;
mod traffic_e2e;
mod weights;
mod wrap;
