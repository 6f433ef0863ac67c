//! The rollout's shared document changes only through here, for both front ends: starting,
//! approving, aborting and resuming a rollout, recording a gate's verdict, and booking and
//! recording an action step. Each refuses in read-only mode, writes by compare-and-swap on
//! what is stored now (so two people on two dashboards cannot both move the same step), and
//! leaves an audit record.

use std::collections::BTreeMap;

use super::{Execution, Executor};
use crate::actions::action::RolloutRef;
use crate::actions::approvals;
use crate::actions::audit::{AuditOutcome, AuditRecord, event, new_id};
use crate::actions::recovery_open;
use crate::actions::rollout::{
    GateVerdict, Rollout, RolloutError, RolloutStore, StepState, rollout_now,
};
use meridian_model::host::whoami;

impl Executor {
    /// The fleet's rollout document, in its shared store.
    pub fn rollouts(&self) -> RolloutStore {
        RolloutStore::new(self.shared_store(), &self.state_dir(), self.read_only)
    }

    /// Start a rollout from a template: refused while another is unfinished. Its recovery
    /// clock runs from now until it is done.
    pub fn rollout_start(
        &self,
        template: &str,
        params: BTreeMap<String, String>,
        reason: &str,
    ) -> Result<Rollout, RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        // Checked here for a clear answer, and again by `store.start` as it writes.
        if let Some(r) = store.load()?
            && !r.status.finished()
        {
            return Err(RolloutError::Refused(format!(
                "rollout {} is {} (started by {}): finish it, or `meridian rollout abort`, before starting another",
                r.id,
                r.status.as_str(),
                r.started_by
            )));
        }
        let who = approvals::identity(&self.fleet);
        let r = Rollout::start(&self.fleet, template, params, reason, &who, rollout_now())?;
        store.start(&r)?;
        self.audit_rollout(&r, "rollout-start", AuditOutcome::Succeeded, &r.name);
        let clock = recovery_open::rollout_clock(&self.fleet, &r.id, r.started_at);
        if let Err(e) = recovery_open::open(&*self.shared_store(), &clock) {
            log::warn!("the rollout's recovery clock could not be started: {e}");
        }
        Ok(r)
    }

    /// Approve the approval gate the rollout waits at, as this person.
    pub fn rollout_approve(&self) -> Result<(Rollout, String), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let by = approvals::identity(&self.fleet);
        match store.change(|r| r.approve(&by, rollout_now())) {
            Ok((r, said)) => {
                self.audit_rollout(&r, "rollout-approve", AuditOutcome::Succeeded, &said);
                Ok((r, said))
            }
            Err(e) => {
                if matches!(e, RolloutError::Refused(_))
                    && let Ok(Some(r)) = store.load()
                {
                    self.audit_rollout(
                        &r,
                        "rollout-approve",
                        AuditOutcome::Refused,
                        &e.to_string(),
                    );
                }
                Err(e)
            }
        }
    }

    /// Abort the rollout, adding rollback steps for what it synced when asked.
    pub fn rollout_abort(&self, rollback: bool) -> Result<(Rollout, String), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let (r, n) = store.change(|r| r.abort(rollback, rollout_now()))?;
        let said = match (rollback, n) {
            (true, 0) => {
                "aborted; nothing was synced, so there is nothing to roll back".to_string()
            }
            (true, n) => {
                format!("aborted; {n} rollback step(s) added: run `meridian rollout next` for each")
            }
            (false, _) => "aborted; weights and releases are left as they are".to_string(),
        };
        self.audit_rollout(&r, "rollout-abort", AuditOutcome::Succeeded, &said);
        Ok((r, said))
    }

    /// Let a stopped rollout go on: what the audit log says became of its steps decides.
    pub fn rollout_resume(&self) -> Result<(Rollout, Vec<String>), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let (records, _) = self
            .audit
            .read()
            .map_err(|e| RolloutError::Store(e.to_string()))?;
        let (r, said) = store.change(|r| Ok(r.resume(&records, rollout_now())))?;
        self.audit_rollout(
            &r,
            "rollout-resume",
            AuditOutcome::Succeeded,
            &said.join("; "),
        );
        Ok((r, said))
    }

    /// Record a gate's verdict on step `index` (of rollout `id`, when the caller knows
    /// which it saw), only while the stored rollout still waits at that step; a failed gate
    /// is audited.
    pub fn rollout_gate(
        &self,
        id: Option<&str>,
        index: usize,
        verdict: &GateVerdict,
    ) -> Result<Rollout, RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        // A verdict that changes nothing (still waiting) is not written.
        let current = store.current()?;
        if !current.clone().record_gate(index, verdict, rollout_now()) {
            return Ok(current);
        }
        let (r, ()) = store.change(|fresh| {
            at_step(fresh, id.unwrap_or(&current.id), index)?;
            fresh.record_gate(index, verdict, rollout_now());
            Ok(())
        })?;
        if let GateVerdict::Failed { reason } = verdict {
            self.audit_rollout(&r, "rollout-gate", AuditOutcome::Failed, reason);
        }
        Ok(r)
    }

    /// Book the step a run is (`request.rollout`): only if the stored rollout is still at
    /// that step and nobody is running it. Of two people pressing Enter on the same step at
    /// once, exactly one books it; the other is told who runs it.
    pub(super) fn book_step(&self, at: &RolloutRef) -> Result<(), String> {
        let by = whoami();
        self.rollouts()
            .change(|fresh| {
                at_step(fresh, &at.id, at.step)?;
                if let StepState::Running { by: them, .. } = &fresh.steps[at.step].state {
                    return Err(RolloutError::Refused(format!(
                        "step {} of rollout {} is already being run by {them}; see `meridian rollout status`",
                        at.step + 1,
                        fresh.id
                    )));
                }
                fresh.mark_running(at.step, &by, rollout_now());
                Ok(())
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// What became of a booked step, on top of what is stored now (a partner may have
    /// approved or aborted while it ran). A problem doing so is said, not fatal: the
    /// action's own outcome is in the audit log.
    pub(super) fn record_step(&self, at: &RolloutRef, done: &Execution) -> Option<String> {
        let by = whoami();
        self.rollouts()
            .change(|fresh| {
                if fresh.id != at.id {
                    return Err(RolloutError::Store(format!(
                        "rollout {} was replaced by {} while its step ran; the step's outcome is in the audit log ({})",
                        at.id, fresh.id, done.audit_id
                    )));
                }
                fresh.record_action(
                    at.step,
                    done.outcome,
                    done.detail.clone(),
                    &done.audit_id,
                    &by,
                    rollout_now(),
                );
                Ok(())
            })
            .err()
            .map(|e| e.to_string())
    }

    /// An audit record for a rollout event that is not an action (start, approve, abort,
    /// resume, a failed gate).
    fn audit_rollout(&self, r: &Rollout, action: &str, outcome: AuditOutcome, detail: &str) {
        let mut rec: AuditRecord = event(
            &new_id(),
            &self.fleet.name,
            action,
            &r.id,
            outcome,
            Some(detail.into()),
        );
        rec.reason = Some(r.reason.clone());
        rec.rollout = Some(RolloutRef {
            id: r.id.clone(),
            step: r.current().unwrap_or(r.steps.len()),
        });
        if let Err(e) = self.audit.append(&rec) {
            log::warn!("{e}");
        }
    }
}

/// The stored rollout must be rollout `id`, at step `index`; else someone moved it.
fn at_step(fresh: &Rollout, id: &str, index: usize) -> Result<(), RolloutError> {
    if fresh.id != id || fresh.current() != Some(index) {
        let now = fresh
            .current()
            .map(|i| format!("step {} is {}", i + 1, state_word(&fresh.steps[i].state)))
            .unwrap_or_else(|| fresh.status.as_str().to_string());
        return Err(RolloutError::Refused(format!(
            "rollout {} moved meanwhile (someone else changed it: {now}); see `meridian rollout status` and run again",
            fresh.id
        )));
    }
    Ok(())
}

fn state_word(s: &StepState) -> String {
    match s {
        StepState::Pending => "pending".into(),
        StepState::Running { by, .. } => format!("running (by {by})"),
        StepState::Waiting { .. } => "waiting".into(),
        StepState::Done { by, .. } => format!("done (by {by})"),
        StepState::Failed { .. } => "failed".into(),
        StepState::Skipped => "skipped".into(),
    }
}
