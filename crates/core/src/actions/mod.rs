//! The action library: actions, pure plans and guards, the executor, the audit log and
//! the fleet lock. The TUI and the CLI only call into this module.

pub mod action;
pub mod approvals;
pub mod audit;
pub mod describe;
pub mod executor;
pub mod findings;
pub mod freeze;
pub mod gates;
pub mod guards;
pub mod guards_deploy;
pub mod guards_freeze;
pub mod guards_gitops;
pub mod guards_replication;
pub mod guards_routing;
pub mod guards_stores;
pub mod homes;
pub mod plan;
pub mod planner;
pub mod practice;
pub mod preflight;
pub mod recovery;
pub mod recovery_open;
pub mod rollout;
pub mod stores_check;
pub mod temporary;

pub use action::{Action, Request, RolloutRef, Via};
pub use audit::{AuditLog, AuditOutcome, AuditRecord};
pub use executor::interrupt::{Stop, StopHandle, stop_pair};
pub use executor::orphans::settle_orphans;
pub use executor::{Execution, Executor};
pub use gates::Gate;
pub use meridian_providers::lock::{FleetLock, LockHolder, LockState};
pub use plan::{BlastRadius, Change, Check, Guard, Operation, Plan, Verdict};
pub use planner::{PlanError, plan};

#[cfg(test)]
mod freeze_windows_tests;
#[cfg(test)]
pub(crate) mod testkit;
