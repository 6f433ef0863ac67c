//! The executor: the only code that changes a fleet or its shared state. A planned action
//! runs through small named steps: refuse what may not run (read-only, a block, a missing
//! approval), take the lock, re-check against fresh state (`recheck`), record `started`
//! (`record`), act through the providers (`act`), verify by reading back (`verify`), record
//! the outcome. Changes that are not planned actions (cancelling a phase, booking a rollout
//! step, approving, recording a gate) go through `door`, with the same read-only rule and
//! an audit record each.

mod act;
mod approval;
mod artifacts;
pub mod door;
mod freeze;
pub mod interrupt;
pub mod orphans;
mod phase_artifacts;
mod practice_gates;
mod preflight;
mod promote_stores;
mod recheck;
mod record;
mod recovery;
mod render;
mod rollout;
mod settle;
mod verify;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use serde_json::Value;

use super::action::Request;
use super::audit::{AuditLog, AuditOutcome};
use super::plan::Plan;
use super::recovery::Recovery;
use interrupt::{InFlight, Stop};
use meridian_model::fleet::Fleet;
use meridian_model::state::FleetState;
use meridian_providers::Progress;
use meridian_providers::Providers;
use meridian_providers::lock::{FleetLock, LockError, LockHolder};

pub use rollout::{StartOptions, rollout_production, step_production};
pub use verify::{snapshot, to_verify, verify};

/// What became of an executed (or refused) plan.
#[derive(Debug, Clone)]
pub struct Execution {
    pub audit_id: String,
    pub outcome: AuditOutcome,
    pub detail: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// A drain's or promote's recovery clock, read once the change was verified.
    pub recovery: Option<Recovery>,
}

/// Runs plans and changes against one fleet. Its parts are its own: a front end asks, it
/// never reaches past it to a provider.
#[derive(Clone)]
pub struct Executor {
    fleet: Fleet,
    providers: Providers,
    audit: AuditLog,
    lock: FleetLock,
    /// Enforced here, whatever the front end shows.
    read_only: bool,
}

impl Executor {
    pub fn new(
        fleet: Fleet,
        providers: Providers,
        audit: AuditLog,
        lock: FleetLock,
        read_only: bool,
    ) -> Executor {
        Executor {
            audit: audit.with_identity(&fleet),
            fleet,
            providers,
            lock,
            read_only,
        }
    }

    /// The fleet's alarm reader (`[alarms]`), for deciding alarms gates: a read, no change.
    pub fn alarm_reader(
        &self,
    ) -> Option<std::sync::Arc<dyn meridian_providers::alarms::AlarmReader>> {
        self.providers.alarms.clone()
    }

    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// Is this executor in read-only mode (every change refused)?
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// The audit log this executor writes.
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// The fleet's state directory: where its audit log is.
    pub fn state_dir(&self) -> PathBuf {
        self.audit
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Who holds the fleet lock now, from whichever backend keeps it.
    pub async fn lock_holder(&self) -> Option<LockHolder> {
        self.lock.current_holder().await
    }

    /// Execute a confirmed plan. `request` is what produced it, so guards can be re-checked
    /// against fresh state just before anything changes.
    pub async fn execute(&self, request: &Request, plan: &Plan, progress: &Progress) -> Execution {
        self.execute_until(request, plan, None, progress, Stop::never())
            .await
    }

    /// Execute a confirmed plan unless `stop` asks it to stop part-way: then nothing more is
    /// sent to the backend, the state is read back, and `interrupted` is recorded with what
    /// was found, before the lock is released. When the plan was made from `basis` moments
    /// ago (a runbook's `--yes`), that reading is the re-check: the backends are not asked
    /// the same thing twice.
    pub async fn execute_until(
        &self,
        request: &Request,
        plan: &Plan,
        basis: Option<&FleetState>,
        progress: &Progress,
        stop: Stop,
    ) -> Execution {
        if self.read_only || plan.read_only {
            return self.record_refused(plan, "read-only mode: nothing is changed");
        }
        if let Some(block) = plan.blocking().next() {
            let why = format!("blocked by {}: {}", block.guard.name(), block.reason);
            return self.record_refused(plan, &why);
        }
        if plan.operation.is_none() {
            return self.record_refused(plan, "the plan has nothing that can be executed");
        }
        // A rollout step is booked on the rollout first: of two people running it at once,
        // one goes ahead and the other is told who runs it.
        let step = request.rollout.as_ref();
        let mut stop = stop;
        let mut progress = progress.clone();
        if let Some(at) = step {
            match self.book_step(at) {
                Err(why) => return self.record_refused(plan, &why),
                // A step with a timeout is stopped when it passes, saying what it was
                // doing then (its last progress line).
                Ok(Some(timeout)) => (stop, progress) = stop.or_after(timeout, progress),
                Ok(None) => {}
            }
        }
        let done = self.run_plan(request, plan, basis, &progress, stop).await;
        let overridden: Vec<String> = plan
            .checks
            .iter()
            .filter(|c| c.overridden)
            .map(|c| c.guard.name().to_string())
            .collect();
        if let Some(problem) = step.and_then(|at| self.record_step(at, &done, &overridden)) {
            progress.say(&problem);
        }
        done
    }

    /// The plan's run, once nothing refuses it outright: approval, lock, then the steps.
    async fn run_plan(
        &self,
        request: &Request,
        plan: &Plan,
        basis: Option<&FleetState>,
        progress: &Progress,
        mut stop: Stop,
    ) -> Execution {
        let approval = match self.approval_for(plan) {
            Ok(a) => a,
            Err(why) => return self.record_refused(plan, &why),
        };
        let held = match self.take_held(plan.name).await {
            Ok(g) => g,
            Err(LockError::Held(h)) => {
                return self.finish_without_running(
                    plan,
                    AuditOutcome::LockHeld,
                    Some(format!("the fleet lock is held by {h}")),
                );
            }
            Err(e) => {
                return self.finish_without_running(
                    plan,
                    AuditOutcome::Failed,
                    Some(e.to_string()),
                );
            }
        };
        // Declared after the lock, so on a panic it records `interrupted` before the lock
        // is released.
        let journal = InFlight::new(&self.audit, &self.fleet.name, plan);
        let run = recheck::Run {
            request,
            plan,
            approval: approval.as_ref(),
            basis,
            progress,
            journal: &journal,
        };
        let done = tokio::select! {
            done = self.locked(&run) => done,
            why = stop.requested() => self.interrupted(&run, &why).await,
        };
        drop(journal);
        held.release().await;
        done
    }

    /// Everything done while holding the lock: re-check, record, act, verify, record.
    async fn locked(&self, run: &recheck::Run<'_>) -> Execution {
        let checked = match self.recheck(run).await {
            Ok(c) => c,
            Err(refused) => return *refused,
        };
        let started = match self.record_started(run, &checked) {
            Ok(s) => s,
            Err(failed) => return *failed,
        };
        let result = self.act(run, &checked, &started).await;
        let after = self.read_back(&checked, result.is_ok()).await;
        self.record_outcome(run, &checked, &started, result, &after)
            .await
    }
}
