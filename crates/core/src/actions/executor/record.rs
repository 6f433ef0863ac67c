//! The audit log's part in a run: a `started` record written and flushed before anything
//! changes (without it nothing may change), the outcome after reading back, and a record
//! for every run that never started (refused, declined, lock held).

use serde_json::Value;

use super::recheck::{Checked, Run};
use super::{Execution, Executor, snapshot, verify};
use crate::actions::audit::{AuditOutcome, new_id, record};
use crate::actions::plan::{Operation, Plan};
use meridian_model::host::whoami;
use meridian_model::state::FleetState;
use meridian_providers::{PhaseRun, ProviderError};

/// A run whose `started` record is written.
pub(super) struct Started {
    pub id: String,
    pub time_ms: meridian_model::state::Millis,
    pub before: Value,
    /// A phase run's evidence folder (named after the audit record).
    pub evidence: Option<String>,
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
            recovery: None,
        }
    }

    /// Write the `started` record (and spend the approval) before anything changes.
    pub(super) fn record_started(
        &self,
        run: &Run<'_>,
        checked: &Checked,
    ) -> Result<Started, Box<Execution>> {
        let before = snapshot(&checked.operation, &checked.fresh);
        let id = new_id();
        let evidence = match &checked.operation {
            Operation::RunPhase {
                region,
                phase,
                from,
                ..
            } => self
                .providers
                .runner
                .evidence_dir(&phase_run(region, phase, *from, &id, run.plan))
                .map(|d| d.display().to_string()),
            _ => None,
        };
        let mut started = record(&id, &self.fleet.name, run.plan, AuditOutcome::Started, None);
        started.before = Some(before.clone());
        started.evidence = evidence.clone();
        started.approval = run
            .approval
            .map(|a| serde_json::to_value(a).unwrap_or(Value::Null));
        if let Err(e) = self.audit.append(&started) {
            // Without a record nothing may change.
            return Err(Box::new(Execution {
                audit_id: id,
                outcome: AuditOutcome::Failed,
                detail: Some(e.to_string()),
                before: Some(before),
                after: None,
                recovery: None,
            }));
        }
        run.journal.started(&id, &before);
        if let Some(problem) = run.approval.and_then(|a| self.spend(a)) {
            run.progress.say(&problem);
        }
        #[cfg(debug_assertions)]
        super::interrupt::forced_panic("action");
        Ok(Started {
            id,
            time_ms: started.time_ms,
            before,
            evidence,
        })
    }

    /// Verify what was read back and write the outcome; a verified weight change writes
    /// down the weights meant, and a drain or promote reads its recovery clock.
    pub(super) async fn record_outcome(
        &self,
        run: &Run<'_>,
        checked: &Checked,
        started: &Started,
        result: Result<Option<String>, ProviderError>,
        after_state: &FleetState,
    ) -> Execution {
        let operation = &checked.operation;
        let after = snapshot(operation, after_state);
        let (outcome, detail) = match result {
            Err(e) => (AuditOutcome::Failed, Some(e.to_string())),
            // Done, with what still needs an operator (a replica not re-pointed).
            Ok(note) => match verify(operation, after_state) {
                Ok(()) => (AuditOutcome::Succeeded, note),
                Err(why) => (AuditOutcome::Unverified, Some(why)),
            },
        };
        run.progress.say(&match &detail {
            Some(d) => format!("{}: {d}", outcome.as_str()),
            None => format!("{} {}: verified", run.plan.name, outcome.as_str()),
        });
        if outcome == AuditOutcome::Succeeded && operation.sets_weights() {
            self.note_intended(
                run.plan,
                run.request.temporary_ms,
                after_state,
                run.progress,
            );
        }
        let clock = match outcome {
            AuditOutcome::Succeeded => {
                self.recovery_clock(run, checked, after_state, started)
                    .await
            }
            _ => None,
        };
        let mut done = record(
            &started.id,
            &self.fleet.name,
            run.plan,
            outcome,
            detail.clone(),
        );
        done.recovery = clock
            .as_ref()
            .map(|c| serde_json::to_value(c).unwrap_or(Value::Null));
        done.before = Some(started.before.clone());
        done.after = Some(after.clone());
        done.evidence = started.evidence.clone();
        let detail = match self.audit.append(&done) {
            Ok(()) => detail,
            Err(e) => Some(format!("{}; and {e}", detail.unwrap_or_default())),
        };
        run.journal.close();
        Execution {
            audit_id: started.id.clone(),
            outcome,
            detail,
            before: Some(started.before.clone()),
            after: Some(after),
            recovery: clock,
        }
    }
}

/// A phase run named after its audit record, so its evidence folder is found from it.
pub(super) fn phase_run(
    region: &str,
    phase: &str,
    from: usize,
    audit_id: &str,
    plan: &Plan,
) -> PhaseRun {
    PhaseRun {
        region: region.to_string(),
        phase: phase.to_string(),
        from,
        run_id: audit_id.to_string(),
        user: whoami(),
        reason: plan.reason.clone(),
        artifacts: Default::default(),
    }
}
