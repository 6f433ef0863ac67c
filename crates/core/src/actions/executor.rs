//! The executor: the only code that changes a fleet. Lock, re-check, record, execute
//! through the providers, verify by reading back, record the outcome.

use serde_json::Value;

use super::action::Request;
use super::approvals::Approval;
use super::audit::{AuditLog, AuditOutcome, new_id, record};
use super::interrupt::{InFlight, Stop};
use super::plan::{Operation, Plan};
use super::planner::plan as make_plan;
use super::verify::to_verify;
use crate::engine::{for_action, poll_subjects};
use meridian_model::fleet::Fleet;
use meridian_model::host::whoami;
use meridian_model::state::{FleetState, now_ms};
use meridian_providers::lock::{FleetLock, LockError};
use meridian_providers::{
    ChangeNote, ErrorKind, PhaseRun, Progress, ProviderError, Providers, ResumeRequest,
    RollbackRequest, SyncRequest,
};

pub use super::verify::{snapshot, verify};

/// How often a write refused as a conflict is re-planned before giving up.
const MAX_REPLANS: u32 = 3;

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
        let done = tokio::select! {
            done = self.locked(request, plan, &operation, approval.as_ref(), basis, progress, &journal) => done,
            why = stop.requested() => {
                self.interrupted(plan, &operation, &journal, &why, progress).await
            }
        };
        drop(journal);
        held.release().await;
        done
    }

    /// Everything done while holding the lock: re-check, record, act, verify, record.
    // Each argument is one thing the run was confirmed on; bundling them would only hide that.
    #[allow(clippy::too_many_arguments)]
    async fn locked(
        &self,
        request: &Request,
        plan: &Plan,
        operation: &Operation,
        approval: Option<&Approval>,
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
        // The re-check's operation carries the object versions it read: writes carry them.
        let checked = match make_plan(request, &self.fleet, &fresh, now_ms()) {
            Ok(recheck) => {
                if let Some(block) = recheck.blocking().next() {
                    let why = format!(
                        "conditions changed since the plan was made: {}: {}",
                        block.guard.name(),
                        block.reason
                    );
                    return self.record_refused(&recheck, &why);
                }
                if let Some(a) = approval
                    && let Err(why) = self.still_approved(a, &recheck)
                {
                    return self.record_refused(&recheck, &why);
                }
                match recheck.operation {
                    Some(op) if op.same_change(operation) => op,
                    _ => {
                        let why = "conditions changed since the plan was made: it would now do something else; plan and confirm again";
                        return self.record_refused(&recheck, why);
                    }
                }
            }
            Err(e) => return self.record_refused(plan, &e.to_string()),
        };
        let operation = &checked;
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
        started.approval = approval.map(|a| serde_json::to_value(a).unwrap_or(Value::Null));
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
        if let Some(problem) = approval.and_then(|a| self.spend(a)) {
            progress.say(&problem);
        }
        #[cfg(debug_assertions)]
        super::interrupt::forced_panic("action");
        let result = if plan.is_noop() {
            progress.say("nothing to change");
            Ok(None)
        } else if let Some(run) = &phase_run {
            if let Some(dir) = &evidence {
                progress.say(&format!("evidence: {dir}"));
            }
            self.providers
                .runner
                .run_phase(&self.fleet, run, progress)
                .await
                .map(|()| None)
        } else {
            self.run_replanning(request, plan, operation, &subjects, progress)
                .await
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
            // Done, with what still needs an operator (a replica not re-pointed).
            Ok(note) => match verify(operation, &after_state) {
                Ok(()) => (AuditOutcome::Succeeded, note),
                Err(why) => (AuditOutcome::Unverified, Some(why)),
            },
        };
        progress.say(&match &detail {
            Some(d) => format!("{}: {d}", outcome.as_str()),
            None => format!("{} {}: verified", plan.name, outcome.as_str()),
        });
        if outcome == AuditOutcome::Succeeded && operation.sets_weights() {
            self.note_intended(plan, request.temporary_ms, &after_state, progress);
        }
        let clock = match outcome {
            AuditOutcome::Succeeded => {
                self.recovery_clock(plan, operation, &fresh, &after_state, &started, progress)
                    .await
            }
            _ => None,
        };
        let mut after = after;
        if let (Some(c), Value::Object(m)) = (&clock, &mut after) {
            // The result carries it beside what was read back.
            m.insert(
                "recovery".into(),
                serde_json::to_value(c).unwrap_or(Value::Null),
            );
        }
        let mut done = record(&id, &self.fleet.name, plan, outcome, detail.clone());
        done.recovery = clock.map(|c| serde_json::to_value(c).unwrap_or(Value::Null));
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

    /// Run the operation. When the backend refuses a write because the object changed
    /// since it was read (409, nothing written), read again and plan again: the same change
    /// with no new block is what was confirmed, so it goes ahead with the new version;
    /// anything else must be confirmed again. Never a blind retry.
    async fn run_replanning(
        &self,
        request: &Request,
        plan: &Plan,
        operation: &Operation,
        subjects: &[crate::engine::Subject],
        progress: &Progress,
    ) -> Result<Option<String>, ProviderError> {
        let note = ChangeNote {
            user: whoami(),
            reason: request.given_reason().map(str::to_string),
        };
        let mut operation = operation.clone();
        let mut replans = 0;
        loop {
            let result = self.run(&operation, plan, &note, progress).await;
            let conflict = match result {
                Err(e) if e.kind == ErrorKind::Conflict && replans < MAX_REPLANS => e,
                other => return other,
            };
            replans += 1;
            progress.say(&format!("{conflict}: re-reading and re-planning"));
            let again = poll_subjects(&self.fleet, &self.providers, subjects, None).await;
            let replanned = make_plan(request, &self.fleet, &again, now_ms());
            let why = match &replanned {
                Ok(p) => match (p.blocking().next(), &p.operation) {
                    (None, Some(op)) if op.same_change(&operation) => {
                        progress.say("the same change as confirmed: going ahead");
                        operation = op.clone();
                        continue;
                    }
                    (Some(b), _) => format!("{}: {}", b.guard.name(), b.reason),
                    _ => "it would now do something else".to_string(),
                },
                Err(e) => e.to_string(),
            };
            return Err(ProviderError::new(
                None,
                "re-plan after a conflict",
                format!("the object changed while acting and the plan changed with it ({why}); nothing was written"),
            )
            .with_hint("plan and confirm again"));
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
                user: whoami(),
                reason: plan.reason.clone(),
            }),
            _ => None,
        }
    }

    async fn run(
        &self,
        op: &Operation,
        plan: &Plan,
        note: &ChangeNote,
        progress: &Progress,
    ) -> Result<Option<String>, ProviderError> {
        let fleet = &self.fleet;
        if let Operation::Promote {
            region, drain_old, ..
        } = op
        {
            let r = fleet
                .region(region)
                .ok_or_else(|| ProviderError::new(Some(region), "promote", "unknown region"))?;
            let db = self.providers.database.get(region).ok_or_else(|| {
                ProviderError::new(Some(region), "promote", "no database provider")
            })?;
            let report = db
                .promote_accepting(fleet, r, plan.accept_data_loss, progress)
                .await?;
            let app = self.promote_phase(r, note, progress).await;
            let mut notes: Vec<String> = report.summary().into_iter().chain(app).collect();
            // Declined or impossible: the record says what traffic was left on it.
            if let Some(old) = plan.old_writer.as_ref().filter(|o| !o.drain) {
                notes.push(format!(
                    "{} (the old writer, which takes no writes now) still carries {} of traffic: `meridian drain {}` moves it",
                    old.region,
                    meridian_model::traffic::percent(old.share),
                    old.region
                ));
            }
            if !drain_old.is_empty() {
                // The promotion stands whatever happens to the drain: a failure says so.
                progress.say("last step: drain the old writer, which takes no writes now");
                if let Err(e) = self
                    .providers
                    .traffic
                    .apply_weights(fleet, drain_old, progress)
                    .await
                {
                    let done = match notes.is_empty() {
                        true => String::new(),
                        false => format!(" ({})", notes.join("; ")),
                    };
                    return Err(ProviderError::new(
                        Some(region),
                        "drain the old writer",
                        format!("{region} is the writer now{done}, but draining the old writer failed: {e}"),
                    )
                    .with_hint("drain it with `meridian drain REGION`"));
                }
            }
            return Ok((!notes.is_empty()).then(|| notes.join("; ")));
        }
        self.run_change(op, note, progress).await.map(|()| None)
    }

    /// The phase that points the application at the new writer (`promote_phase`), run in
    /// the promoted region as the promotion's last step. The promotion is done either way;
    /// a failure is said, with what to do, not undone.
    async fn promote_phase(
        &self,
        region: &meridian_model::fleet::Region,
        note: &ChangeNote,
        progress: &Progress,
    ) -> Option<String> {
        let phase = region.database.settings.get("promote_phase")?.as_str()?;
        progress.say(&format!(
            "last step: phase {phase} in {} points the application at the new writer",
            region.id
        ));
        let run = PhaseRun {
            region: region.id.clone(),
            phase: phase.to_string(),
            from: 0,
            run_id: new_id(),
            user: note.user.clone(),
            reason: note.reason.clone(),
        };
        match self
            .providers
            .runner
            .run_phase(&self.fleet, &run, progress)
            .await
        {
            Ok(()) => None,
            Err(e) => Some(format!(
                "the application may still write to the old primary: phase {phase} failed ({e}); run `meridian phase run {} {phase}` or change it by hand",
                region.id
            )),
        }
    }

    /// Every operation but promotion: done or failed, with nothing more to say.
    async fn run_change(
        &self,
        op: &Operation,
        note: &ChangeNote,
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
            Operation::Rejoin { region, .. } => {
                let r = fleet
                    .region(region)
                    .ok_or_else(|| ProviderError::new(Some(region), "rejoin", "unknown region"))?;
                let db = self.providers.database.get(region).ok_or_else(|| {
                    ProviderError::new(Some(region), "rejoin", "no database provider")
                })?;
                db.rejoin(fleet, r, progress).await
            }
            Operation::Promote { region, .. } => Err(ProviderError::new(
                Some(region),
                "promote",
                "a promotion reports its replicas through `run` (this is a bug)",
            )),
            Operation::Rollback {
                tenant,
                region,
                history_id,
                revision,
                pause_auto_sync,
                resource_version,
            } => {
                let req = RollbackRequest {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    history_id: *history_id,
                    revision: revision.clone(),
                    pause_auto_sync: *pause_auto_sync,
                    resource_version: resource_version.clone(),
                    note: note.clone(),
                };
                self.providers.gitops.rollback(fleet, &req, progress).await
            }
            Operation::Sync {
                tenant,
                region,
                revision,
                resource_version,
                ..
            } => {
                let req = SyncRequest {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    revision: revision.clone(),
                    resource_version: resource_version.clone(),
                    note: note.clone(),
                };
                self.providers.gitops.sync(fleet, &req, progress).await
            }
            Operation::ResumeAutoSync {
                tenant,
                region,
                automated,
                resource_version,
                ..
            } => {
                let req = ResumeRequest {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    automated: automated.clone(),
                    resource_version: resource_version.clone(),
                    note: note.clone(),
                };
                self.providers
                    .gitops
                    .resume_auto_sync(fleet, &req, progress)
                    .await
            }
            Operation::HelmRollback {
                tenant,
                region,
                revision,
                ..
            } => {
                self.providers
                    .releases
                    .rollback_release(fleet, tenant, region, *revision, progress)
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
