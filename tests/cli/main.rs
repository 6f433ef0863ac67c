//! The headless CLI through the real binary, on the demo fleet and on fleet files: every command's output, exit codes and audit records, configuration errors, the schema, rollouts, runbook conventions, faults and the parsers under fuzzing.

// A test's panic with the value is its report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod approvals;
mod artifact_support;
mod artifacts;
mod commands;
mod config_alarms_gate;
mod config_errors;
mod config_rollouts;
mod config_schema;
mod config_traffic;
mod conventions;
mod deploy;
mod faults;
mod findings;
mod freeze;
mod freeze_rollout;
mod fuzz_parsers;
mod layers;
mod names;
mod phase_artifacts;
mod practice;
mod practice_gates;
mod preflight;
mod report;
mod rollout;
mod rollout_control;
mod rollout_gates;
mod rollout_ungraceful;
mod runbook;
mod seeds;
mod seeds_release_failover;
mod stores_sim;
mod tenant_routing;
mod weights_recovery;
