//! The executor: the only code that changes a fleet. Lock, re-check, record, execute
//! through the providers, verify by reading back, record the outcome.

use serde_json::{Value, json};

use super::action::Request;
use super::audit::{AuditLog, AuditOutcome, new_id, record};
use super::interrupt::{InFlight, Stop};
use super::lock::{FleetLock, LockError};
use super::plan::{Operation, Plan};
use super::planner::plan as make_plan;
use crate::engine::{for_action, poll_subjects, to_verify};
use crate::fleet::{Fleet, Role};
use crate::providers::{PhaseRun, Progress, ProviderError, Providers};
use crate::state::{FleetState, PhaseStatus, now_ms};

/// A plan made from state at most this old needs no re-read before it runs.
const FRESH_ENOUGH_MS: i64 = 5_000;

/// What became of an executed (or refused) plan.
#[derive(Debug, Clone)]
pub struct Execution {
    pub audit_id: String,
    pub outcome: AuditOutcome,
    pub detail: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Runs plans against one fleet.
#[derive(Clone)]
pub struct Executor {
    pub fleet: Fleet,
    pub providers: Providers,
    pub audit: AuditLog,
    pub lock: FleetLock,
    /// Enforced here, whatever the front end shows.
    pub read_only: bool,
}

impl Executor {
    /// Record that the operator declined a plan.
    pub fn record_declined(&self, plan: &Plan) -> Execution {
        self.finish_without_running(plan, AuditOutcome::Declined, Some("not confirmed".into()))
    }

    /// Record a refusal decided outside the executor (e.g. no terminal to confirm on).
    pub fn record_refused(&self, plan: &Plan, why: &str) -> Execution {
        self.finish_without_running(plan, AuditOutcome::Refused, Some(why.to_string()))
    }

    pub(super) fn finish_without_running(
        &self,
        plan: &Plan,
        outcome: AuditOutcome,
        detail: Option<String>,
    ) -> Execution {
        let id = new_id();
        let mut detail = detail;
        if let Err(e) = self.audit.append(&record(
            &id,
            &self.fleet.name,
            plan,
            outcome,
            detail.clone(),
        )) {
            detail = Some(format!("{}; and {e}", detail.unwrap_or_default()));
        }
        Execution {
            audit_id: id,
            outcome,
            detail,
            before: None,
            after: None,
        }
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
        mut stop: Stop,
    ) -> Execution {
        if self.read_only || plan.read_only {
            return self.record_refused(plan, "read-only mode: nothing is changed");
        }
        if let Some(block) = plan.blocking().next() {
            let why = format!("blocked by {}: {}", block.guard.name(), block.reason);
            return self.record_refused(plan, &why);
        }
        let Some(operation) = plan.operation.clone() else {
            return self.record_refused(plan, "the plan has nothing that can be executed");
        };
        let _guard = match self.take_lock(plan.name) {
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
        // Declared after the guard, so on a panic it records `interrupted` before the lock
        // is released.
        let journal = InFlight::new(&self.audit, &self.fleet.name, plan);
        let why = tokio::select! {
            done = self.locked(request, plan, &operation, basis, progress, &journal) => return done,
            why = stop.requested() => why,
        };
        self.interrupted(plan, &operation, &journal, &why, progress)
            .await
    }

    /// Everything done while holding the lock: re-check, record, act, verify, record.
    async fn locked(
        &self,
        request: &Request,
        plan: &Plan,
        operation: &Operation,
        basis: Option<&FleetState>,
        progress: &Progress,
        journal: &InFlight<'_>,
    ) -> Execution {
        // Read only what this action's plan and verification need.
        let subjects = for_action(&self.fleet, &request.action);
        let fresh = match basis.filter(|b| now_ms() - b.observed_at <= FRESH_ENOUGH_MS) {
            Some(b) => b.clone(),
            None => {
                // Conditions may have changed while the operator read the plan.
                progress.say("re-checking guards against fresh state");
                poll_subjects(&self.fleet, &self.providers, &subjects, None).await
            }
        };
        match make_plan(request, &self.fleet, &fresh, now_ms()) {
            Ok(recheck) => {
                if let Some(block) = recheck.blocking().next() {
                    let why = format!(
                        "conditions changed since the plan was made: {}: {}",
                        block.guard.name(),
                        block.reason
                    );
                    return self.record_refused(&recheck, &why);
                }
            }
            Err(e) => return self.record_refused(plan, &e.to_string()),
        }
        let before = snapshot(operation, &fresh);
        let id = new_id();
        let phase_run = self.phase_run(operation, &id, plan);
        let evidence = phase_run
            .as_ref()
            .and_then(|r| self.providers.runner.evidence_dir(r))
            .map(|d| d.display().to_string());
        let mut started = record(&id, &self.fleet.name, plan, AuditOutcome::Started, None);
        started.before = Some(before.clone());
        started.evidence = evidence.clone();
        if let Err(e) = self.audit.append(&started) {
            // Without a record nothing may change.
            return Execution {
                audit_id: id,
                outcome: AuditOutcome::Failed,
                detail: Some(e.to_string()),
                before: Some(before),
                after: None,
            };
        }
        journal.started(&id, &before);
        #[cfg(debug_assertions)]
        super::interrupt::forced_panic("action");
        let result = if plan.is_noop() {
            progress.say("nothing to change");
            Ok(())
        } else if let Some(run) = &phase_run {
            if let Some(dir) = &evidence {
                progress.say(&format!("evidence: {dir}"));
            }
            self.providers
                .runner
                .run_phase(&self.fleet, run, progress)
                .await
        } else {
            self.run(operation, plan.accept_data_loss, progress).await
        };
        // Read back only what shows whether it took effect.
        let after_state = poll_subjects(
            &self.fleet,
            &self.providers,
            &to_verify(&self.fleet, operation),
            Some(&fresh),
        )
        .await;
        let after = snapshot(operation, &after_state);
        let (outcome, detail) = match result {
            Err(e) => (AuditOutcome::Failed, Some(e.to_string())),
            Ok(()) => match verify(operation, &after_state) {
                Ok(()) => (AuditOutcome::Succeeded, None),
                Err(why) => (AuditOutcome::Unverified, Some(why)),
            },
        };
        progress.say(&match &detail {
            Some(d) => format!("{}: {d}", outcome.as_str()),
            None => format!("{} {}: verified", plan.name, outcome.as_str()),
        });
        let mut done = record(&id, &self.fleet.name, plan, outcome, detail.clone());
        done.before = Some(before.clone());
        done.after = Some(after.clone());
        done.evidence = evidence;
        let detail = match self.audit.append(&done) {
            Ok(()) => detail,
            Err(e) => Some(format!("{}; and {e}", detail.unwrap_or_default())),
        };
        journal.close();
        Execution {
            audit_id: id,
            outcome,
            detail,
            before: Some(before),
            after: Some(after),
        }
    }

    /// The phase run an operation asks for, named after its audit record.
    fn phase_run(&self, op: &Operation, audit_id: &str, plan: &Plan) -> Option<PhaseRun> {
        match op {
            Operation::RunPhase {
                region,
                phase,
                from,
                ..
            } => Some(PhaseRun {
                region: region.clone(),
                phase: phase.clone(),
                from: *from,
                run_id: audit_id.to_string(),
                user: super::audit::whoami(),
                reason: plan.reason.clone(),
            }),
            _ => None,
        }
    }

    async fn run(
        &self,
        op: &Operation,
        accept_data_loss: bool,
        progress: &Progress,
    ) -> Result<(), ProviderError> {
        let fleet = &self.fleet;
        match op {
            Operation::SetWeights { weights } => {
                self.providers
                    .traffic
                    .apply_weights(fleet, weights, progress)
                    .await
            }
            Operation::Promote { region } => {
                let r = fleet
                    .region(region)
                    .ok_or_else(|| ProviderError::new(Some(region), "promote", "unknown region"))?;
                let db = self.providers.database.get(region).ok_or_else(|| {
                    ProviderError::new(Some(region), "promote", "no database provider")
                })?;
                db.promote_accepting(fleet, r, accept_data_loss, progress)
                    .await
            }
            Operation::Rollback {
                tenant,
                region,
                history_id,
                pause_auto_sync,
                ..
            } => {
                self.providers
                    .gitops
                    .rollback(
                        fleet,
                        tenant,
                        region,
                        *history_id,
                        *pause_auto_sync,
                        progress,
                    )
                    .await
            }
            Operation::RunPhase { region, .. } => Err(ProviderError::new(
                Some(region),
                "run phase",
                "a phase runs through its runner (this is a bug)",
            )),
        }
    }
}

/// The part of the state an operation changes, for the audit record.
pub fn snapshot(op: &Operation, state: &FleetState) -> Value {
    match op {
        Operation::SetWeights { .. } => {
            // Weights stay numbers (provider units) as before; drained regions are listed
            // apart, since Azure keeps a disabled endpoint's weight.
            let weights: serde_json::Map<String, Value> = state
                .regions
                .iter()
                .map(|r| (r.id.clone(), json!(r.weight.value.map(|w| w.units))))
                .collect();
            let drained: Vec<&str> = state
                .regions
                .iter()
                .filter(|r| r.weight.value.is_some_and(|w| w.drained))
                .map(|r| r.id.as_str())
                .collect();
            json!({ "weights": weights, "drained": drained })
        }
        Operation::Promote { region } => {
            let roles: serde_json::Map<String, Value> = state
                .regions
                .iter()
                .map(|r| (r.id.clone(), json!(r.role.value)))
                .collect();
            let lag = state.region(region).and_then(|r| r.lag.value);
            json!({ "roles": roles, "lag_seconds": lag })
        }
        Operation::Rollback { tenant, region, .. } => {
            let app = state
                .tenant(tenant)
                .and_then(|t| t.app(region))
                .and_then(|a| a.value.as_ref());
            json!({ "revision": app.map(|a| a.revision.clone()), "auto_sync": app.map(|a| a.auto_sync), "sync": app.map(|a| a.sync) })
        }
        Operation::RunPhase { region, phase, .. } => {
            let p = state.region(region).and_then(|r| r.phase(phase));
            json!({ "phase": phase, "state": p.map(|p| p.state), "step": p.and_then(|p| p.current_step.clone()), "error": p.and_then(|p| p.error.clone()), "evidence": p.and_then(|p| p.evidence.clone()) })
        }
    }
}

/// Does the state read back show what the operation meant to do?
pub fn verify(op: &Operation, state: &FleetState) -> Result<(), String> {
    match op {
        Operation::SetWeights { weights } => {
            let wrong: Vec<String> = weights
                .iter()
                .filter_map(|(r, w)| {
                    let seen = state.region(r).and_then(|s| s.weight.value);
                    (seen != Some(*w)).then(|| {
                        format!(
                            "{r} reads {} (expected {w})",
                            seen.map(|s| s.to_string()).unwrap_or("unknown".into())
                        )
                    })
                })
                .collect();
            if wrong.is_empty() {
                Ok(())
            } else {
                Err(format!("weights read back differ: {}", wrong.join(", ")))
            }
        }
        Operation::Promote { region } => match state.region(region).and_then(|r| r.role.value) {
            Some(Role::Primary) => Ok(()),
            other => Err(format!(
                "{region} reads as {} after promotion",
                other.map(|r| r.as_str()).unwrap_or("unknown")
            )),
        },
        Operation::Rollback {
            tenant,
            region,
            revision,
            ..
        } => {
            let app = state
                .tenant(tenant)
                .and_then(|t| t.app(region))
                .and_then(|a| a.value.as_ref());
            match app {
                Some(a) if *a.revision == **revision => Ok(()),
                Some(a) => Err(format!(
                    "{tenant} in {region} runs {} (expected {})",
                    &a.revision, revision
                )),
                None => Err(format!("{tenant} in {region} could not be read back")),
            }
        }
        Operation::RunPhase { region, phase, .. } => match state
            .region(region)
            .and_then(|r| r.phase(phase))
            .map(|p| p.state)
        {
            Some(PhaseStatus::Succeeded) => Ok(()),
            other => Err(format!(
                "phase {phase} in {region} reads {}",
                other.map(|s| s.as_str()).unwrap_or("unknown")
            )),
        },
    }
}
