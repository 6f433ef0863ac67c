//! The door for changes that are not planned fleet actions: stopping a running phase,
//! approving someone else's plan, stopping recovery clocks, and asking the backends how
//! they would carry out a plan. Like a planned action, each is refused in read-only mode
//! and leaves an audit record; a front end asks here and never reaches past to a provider.
//!
//! Stopping a phase takes no lock: the run it stops holds the fleet lock for as long as it
//! runs, and the runner's own state (the running step's process group) is what it acts on.

use super::{Execution, Executor};
use crate::actions::approvals::{self, ApprovalRequest, Approved};
use crate::actions::audit::{AuditOutcome, event, new_id};
use crate::actions::plan::Plan;
use crate::actions::recovery_open::{self, ClockReading};
use meridian_model::state::now_ms;
use meridian_providers::Progress;

impl Executor {
    /// Stop a running phase: SIGTERM to its step's process group, SIGKILL after the grace
    /// period. Refused in read-only mode; audited either way.
    pub async fn cancel_phase(
        &self,
        region: &str,
        phase: &str,
        reason: Option<String>,
        progress: &Progress,
    ) -> Execution {
        let target = format!("{phase} in {region}");
        if self.read_only {
            return self.record_event(
                "cancel-phase",
                &target,
                reason,
                AuditOutcome::Refused,
                "read-only mode: nothing is changed".into(),
            );
        }
        if self.fleet.region(region).is_none() || self.fleet.phase_index(phase).is_none() {
            return self.record_event(
                "cancel-phase",
                &target,
                reason,
                AuditOutcome::Refused,
                format!("unknown region or phase: {region} {phase}"),
            );
        }
        let said = self
            .providers
            .runner
            .cancel(&self.fleet, region, phase, progress)
            .await;
        match said {
            Ok(m) => self.record_event("cancel-phase", &target, reason, AuditOutcome::Succeeded, m),
            Err(e) => self.record_event(
                "cancel-phase",
                &target,
                reason,
                AuditOutcome::Failed,
                e.to_string(),
            ),
        }
    }

    /// Approve a plan someone else asked to run, as this person (the library refuses the
    /// requester themself, an expired request, read-only mode); audited either way.
    pub fn approve_plan(&self, req: &ApprovalRequest, reason: Option<String>) -> Approved {
        if self.read_only {
            return Approved::Refused(
                self.refuse_approval(req, "read-only mode: nothing is approved"),
            );
        }
        let me = approvals::identity(&self.fleet);
        approvals::approve_audited(
            &*self.shared_store(),
            &self.audit,
            &self.fleet,
            req,
            &me,
            reason,
            now_ms(),
        )
    }

    /// Record that an approval was refused before the library was asked (not confirmed,
    /// read-only); returns why, as recorded.
    pub fn refuse_approval(&self, req: &ApprovalRequest, why: &str) -> String {
        approvals::refused_audited(&self.audit, &self.fleet, req, &why)
    }

    /// Stop the recovery clocks a reading found recovered: each is claimed by
    /// compare-and-swap (of two meridians seeing it at once exactly one stops it), audited
    /// once, and removed. Returns what was stopped, and the problems.
    pub fn stop_recovery(&self, readings: &[ClockReading]) -> (Vec<String>, Vec<String>) {
        let store = self.shared_store();
        let mut stopped = Vec::new();
        let mut problems = Vec::new();
        for r in readings {
            match recovery_open::stop(&*store, &self.audit, &self.fleet, r) {
                Ok(true) => stopped.push(r.text()),
                Ok(false) => {}
                Err(e) => problems.push(format!("recovery clock {}: {e}", r.clock.id)),
            }
        }
        (stopped, problems)
    }

    /// How the backends will carry out the plan, in their own words (the exact Route 53
    /// change batch, what a restore puts back).
    pub async fn describe_backends(&self, plan: &Plan) -> Vec<String> {
        // Unreadable, the book reads as empty here: the plan is still shown, and the change
        // itself refuses to go ahead without it.
        let book =
            meridian_providers::drains::DrainBook::load(&*self.shared_store()).unwrap_or_default();
        crate::actions::describe::describe(&self.providers, &self.fleet, plan, &book).await
    }

    /// How the backends would carry out a plan, in their own words, and whether it waits
    /// for a second person's approval. Reads, never changes.
    pub async fn describe(&self, plan: &Plan) -> Vec<String> {
        let mut notes = self.describe_backends(plan).await;
        notes.extend(approvals::note(
            &*self.shared_store(),
            &self.fleet,
            plan,
            &meridian_model::host::whoami(),
            now_ms(),
        ));
        notes
    }

    /// One audit record for a change that is not a plan.
    pub(super) fn record_event(
        &self,
        action: &str,
        target: &str,
        reason: Option<String>,
        outcome: AuditOutcome,
        detail: String,
    ) -> Execution {
        let id = new_id();
        let mut rec = event(
            &id,
            &self.fleet.name,
            action,
            target,
            outcome,
            Some(detail.clone()),
        );
        rec.reason = reason;
        let detail = match self.audit.append(&rec) {
            Ok(()) => detail,
            Err(e) => format!("{detail}; and {e}"),
        };
        Execution {
            audit_id: id,
            outcome,
            detail: Some(detail),
            before: None,
            after: None,
            recovery: None,
        }
    }
}
