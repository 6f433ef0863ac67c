//! The rollout's shared document changes only through here, for both front ends: starting,
//! approving, pausing, resuming, handing over, retrying, skipping, aborting a rollout,
//! recording a gate's verdict, and booking and recording an action step. Each refuses in
//! read-only mode, writes by compare-and-swap on what is stored now (so two people on two
//! dashboards cannot both move the same step), checks who may do it (only the driver runs
//! steps; a second person approves; in production a verified identity when the policy
//! says so), and leaves an audit record.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Execution, Executor};
use crate::actions::action::RolloutRef;
use crate::actions::approvals;
use crate::actions::audit::{AuditOutcome, AuditRecord, event, new_id};
use crate::actions::recovery_open;
use crate::actions::rollout::{
    GateVerdict, Rollout, RolloutError, RolloutStore, Skipped, StepState, rollout_now, state_word,
};
use meridian_model::fleet::Fleet;
use meridian_model::fleet::rollout::{RolloutStep, RunMode};

/// How to start a rollout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartOptions {
    pub template: String,
    pub params: BTreeMap<String, String>,
    pub reason: String,
    /// Start a failover ungraceful (its old region cannot answer).
    pub mode: RunMode,
    /// `--override freeze`: start while a change freeze is in force.
    pub overrides: Vec<String>,
    /// A rehearsal on a simulated copy of the fleet.
    pub practice: bool,
}

impl Executor {
    /// The fleet's rollout document, in its shared store.
    pub fn rollouts(&self) -> RolloutStore {
        RolloutStore::new(self.shared_store(), &self.state_dir(), self.read_only)
    }

    /// Start a rollout from a template: refused while another is unfinished.
    pub fn rollout_start(
        &self,
        template: &str,
        params: BTreeMap<String, String>,
        reason: &str,
    ) -> Result<Rollout, RolloutError> {
        self.rollout_start_with(&StartOptions {
            template: template.to_string(),
            params,
            reason: reason.to_string(),
            ..StartOptions::default()
        })
    }

    /// Start a rollout: refused while another is unfinished, and while a change freeze is
    /// in force (unless overridden). A failover's or recovery's clock (RTO) runs from now
    /// until it is done; an ordinary release has none.
    pub fn rollout_start_with(&self, o: &StartOptions) -> Result<Rollout, RolloutError> {
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
        let overridden = self.not_frozen(&o.overrides, &o.reason)?;
        let who = approvals::identity(&self.fleet);
        let mut r = Rollout::start(
            &self.fleet,
            &o.template,
            o.params.clone(),
            &o.reason,
            &who,
            rollout_now(),
        )?;
        // Overriding a freeze in production takes two people, as it does for a plan: the
        // rollout's first step is a second person's approval.
        if let Some(f) = overridden
            && rollout_production(&self.fleet, &r)
        {
            r.second_person_first(
                &who,
                &format!(
                    "started overriding the change freeze ({}): a second person approves before any step runs",
                    f.describe()
                ),
                rollout_now(),
            );
        }
        r.practice = o.practice;
        if o.mode == RunMode::Ungraceful {
            r.go_ungraceful(&who, "started ungraceful", rollout_now())?;
        }
        store.start(&r)?;
        self.audit_rollout(&r, "rollout-start", AuditOutcome::Succeeded, &r.name);
        if r.kind.is_recovery() {
            let clock = recovery_open::rollout_clock(&self.fleet, &r.id, r.started_at);
            if let Err(e) = recovery_open::open(&*self.shared_store(), &clock) {
                log::warn!("the rollout's recovery clock could not be started: {e}");
            }
        }
        Ok(r)
    }

    /// A change freeze refuses what moves the fleet on, unless overridden with a reason;
    /// the freeze overridden, if one was.
    fn not_frozen(
        &self,
        overrides: &[String],
        reason: &str,
    ) -> Result<Option<meridian_model::state::freeze::ActiveFreeze>, RolloutError> {
        let Some(f) = self.freeze_now() else {
            return Ok(None);
        };
        if overrides.iter().any(|o| o == "freeze") && !reason.trim().is_empty() {
            return Ok(Some(f));
        }
        Err(RolloutError::Refused(format!(
            "blocked by freeze: {}; to go ahead anyway: --override freeze --reason TEXT",
            f.describe()
        )))
    }

    /// In production, may this identity approve or skip? Not when the policy requires a
    /// verified identity and this one is not.
    fn verified_enough(&self, production: bool, what: &str) -> Result<String, RolloutError> {
        let me = approvals::identity_of(&self.fleet);
        if production && self.fleet.policy.identity.require_verified && !me.verified() {
            return Err(RolloutError::Refused(format!(
                "{} cannot {what} in production: [policy] require_verified_identity = true and this identity is not verified{}",
                me.text(),
                me.unverified_because
                    .as_ref()
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default()
            )));
        }
        Ok(me.text())
    }

    /// Approve what the rollout waits for: a skip waiting for a second person, else the
    /// approval gate it is at, as this person.
    pub fn rollout_approve(&self) -> Result<(Rollout, String), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let current = store.current()?;
        let production = match &current.skip_request {
            Some(req) => step_production(&self.fleet, &current, req.step),
            None => rollout_production(&self.fleet, &current),
        };
        let by = match self.verified_enough(production, "approve") {
            Ok(by) => by,
            Err(e) => {
                self.audit_rollout(
                    &current,
                    "rollout-approve",
                    AuditOutcome::Refused,
                    &e.to_string(),
                );
                return Err(e);
            }
        };
        let done = store.change(|r| r.approve(&by, rollout_now()));
        self.audited(&store, "rollout-approve", done)
    }

    /// Record what a rollout change came to: the change, or a refusal.
    fn audited<T>(
        &self,
        store: &RolloutStore,
        action: &str,
        done: Result<(Rollout, T), RolloutError>,
    ) -> Result<(Rollout, T), RolloutError>
    where
        T: Said,
    {
        match done {
            Ok((r, said)) => {
                self.audit_rollout(&r, action, AuditOutcome::Succeeded, &said.said());
                Ok((r, said))
            }
            Err(e) => {
                if matches!(e, RolloutError::Refused(_))
                    && let Ok(Some(r)) = store.load()
                {
                    self.audit_rollout(&r, action, AuditOutcome::Refused, &e.to_string());
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

    /// Let a paused or stopped rollout go on: a pause is lifted (by the driver or whoever
    /// paused it); a step left running or failed is settled from the audit log.
    /// `reason` (optional) goes into the audit record with what was settled.
    pub fn rollout_resume(&self, reason: &str) -> Result<(Rollout, Vec<String>), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let (records, _) = self
            .audit
            .read()
            .map_err(|e| RolloutError::Store(e.to_string()))?;
        let by = approvals::identity(&self.fleet);
        let done = store.change(|r| {
            let mut said = Vec::new();
            if r.paused.is_some() {
                said.push(r.unpause(&by, rollout_now())?);
            }
            if !reason.trim().is_empty() {
                said.push(format!("reason: {}", reason.trim()));
            }
            said.extend(r.resume(&records, rollout_now()));
            Ok(said)
        });
        self.audited(&store, "rollout-resume", done)
    }

    /// Pause the rollout: no step runs, no gate counts. Anyone may; audited.
    pub fn rollout_pause(&self, reason: &str) -> Result<(Rollout, String), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let by = approvals::identity(&self.fleet);
        let done = store.change(|r| r.pause(&by, reason, rollout_now()));
        self.audited(&store, "rollout-pause", done)
    }

    /// Take the driver's seat; the hand-over is audited (from whom, to whom, why).
    pub fn rollout_take(&self, reason: &str) -> Result<(Rollout, String), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let by = approvals::identity(&self.fleet);
        // Why is part of the hand-over's audit record, not only of what is printed.
        let done = store.change(|r| {
            r.take(&by, reason)
                .map(|said| format!("{said}; reason: {}", reason.trim()))
        });
        self.audited(&store, "rollout-take", done)
    }

    /// Try the failed step again (the driver).
    pub fn rollout_retry(&self) -> Result<(Rollout, String), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let by = approvals::identity(&self.fleet);
        let done = store.change(|r| {
            r.may_drive(&by)?;
            r.retry(rollout_now())
        });
        self.audited(&store, "rollout-retry", done)
    }

    /// Skip the current step with a comment (the driver). A step touching production waits
    /// for a second person's approval (`rollout_approve`).
    pub fn rollout_skip(&self, comment: &str) -> Result<(Rollout, Skipped), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let current = store.current()?;
        let production = current
            .current()
            .is_some_and(|i| step_production(&self.fleet, &current, i));
        let by = match self.verified_enough(production, "skip a step") {
            Ok(by) => by,
            Err(e) => {
                self.audit_rollout(
                    &current,
                    "rollout-skip",
                    AuditOutcome::Refused,
                    &e.to_string(),
                );
                return Err(e);
            }
        };
        let done = store.change(|r| {
            r.may_drive(&by)?;
            r.skip(&by, comment, production, rollout_now())
        });
        self.audited(&store, "rollout-skip", done)
    }

    /// Switch a failover to ungraceful (the driver): steps that need the old region are
    /// left out, each said.
    pub fn rollout_ungraceful(&self, reason: &str) -> Result<(Rollout, Vec<String>), RolloutError> {
        let store = self.rollouts();
        store.writable()?;
        let by = approvals::identity(&self.fleet);
        let done = store.change(|r| {
            r.may_drive(&by)?;
            r.go_ungraceful(&by, reason, rollout_now())
        });
        self.audited(&store, "rollout-ungraceful", done)
    }

    /// Record a gate's verdict on step `index` (of rollout `id`, when the caller knows
    /// which it saw), only while the stored rollout still waits at that step and is not
    /// paused. A met gate is the driver's to record; a failed one anyone's (it stops the
    /// rollout for everyone). A failed gate is audited.
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
        let by = approvals::identity(&self.fleet);
        let (r, ()) = store.change(|fresh| {
            at_step(fresh, id.unwrap_or(&current.id), index)?;
            if let Some(p) = &fresh.paused {
                return Err(RolloutError::Refused(format!(
                    "rollout {} is paused by {} ({}): no gate counts until it resumes",
                    fresh.id, p.by, p.reason
                )));
            }
            if matches!(verdict, GateVerdict::Met { .. }) {
                fresh.may_drive(&by)?;
            }
            fresh.record_gate(index, verdict, rollout_now());
            Ok(())
        })?;
        if let GateVerdict::Failed { reason } = verdict {
            self.audit_rollout(&r, "rollout-gate", AuditOutcome::Failed, reason);
        }
        Ok(r)
    }

    /// Book the step a run is (`request.rollout`): only if the stored rollout is still at
    /// that step, not paused, nobody is running it, and this person drives. Of two people
    /// pressing Enter on the same step at once, exactly one books it; the other is told
    /// who runs it. Returns the step's timeout.
    pub(super) fn book_step(&self, at: &RolloutRef) -> Result<Option<Duration>, String> {
        let by = approvals::identity(&self.fleet);
        self.rollouts()
            .change(|fresh| {
                at_step(fresh, &at.id, at.step)?;
                if let Some(p) = &fresh.paused {
                    return Err(RolloutError::Refused(format!(
                        "rollout {} is paused by {} ({}): no step runs until it resumes (`meridian rollout resume`)",
                        fresh.id, p.by, p.reason
                    )));
                }
                if let StepState::Running { by: them, .. } = &fresh.steps[at.step].state {
                    return Err(RolloutError::Refused(format!(
                        "step {} of rollout {} is already being run by {them}; see `meridian rollout status`",
                        at.step + 1,
                        fresh.id
                    )));
                }
                fresh.may_drive(&by)?;
                fresh.mark_running(at.step, &by, rollout_now());
                Ok(fresh.steps[at.step].meta.timeout)
            })
            .map(|(_, timeout)| timeout)
            .map_err(|e| e.to_string())
    }

    /// What became of a booked step, on top of what is stored now (a partner may have
    /// approved or aborted while it ran). A problem doing so is said, not fatal: the
    /// action's own outcome is in the audit log.
    pub(super) fn record_step(
        &self,
        at: &RolloutRef,
        done: &Execution,
        overridden: &[String],
    ) -> Option<String> {
        let by = approvals::identity(&self.fleet);
        self.rollouts()
            .change(|fresh| {
                if fresh.id != at.id {
                    return Err(RolloutError::Store(format!(
                        "rollout {} was replaced by {} while its step ran; the step's outcome is in the audit log ({})",
                        at.id, fresh.id, done.audit_id
                    )));
                }
                if done.outcome == AuditOutcome::Succeeded {
                    fresh.note_overrides(at.step, overridden, &by, rollout_now());
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

    /// An audit record for a rollout event that is not an action (start, approve, pause,
    /// take, skip, abort, resume, a failed gate).
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
        rec.practice = r.practice;
        if let Err(e) = self.audit.append(&rec) {
            log::warn!("{e}");
        }
    }
}

/// What a rollout change said, for its audit record.
pub trait Said {
    fn said(&self) -> String;
}

impl Said for String {
    fn said(&self) -> String {
        self.clone()
    }
}

impl Said for Vec<String> {
    fn said(&self) -> String {
        self.join("; ")
    }
}

impl Said for Skipped {
    fn said(&self) -> String {
        match self {
            Skipped::Done(s) | Skipped::Waiting(s) => s.clone(),
        }
    }
}

/// Does step `index` touch a production tenant (its tenant, or the tenants of the regions
/// it acts on)? A gate with no region stands for the whole rollout.
pub fn step_production(fleet: &Fleet, r: &Rollout, index: usize) -> bool {
    let Some(entry) = r.steps.get(index) else {
        return false;
    };
    let tenant = match &entry.step {
        RolloutStep::Action(
            crate::actions::Action::Sync { tenant, .. }
            | crate::actions::Action::Rollback { tenant, .. }
            | crate::actions::Action::ResumeAutoSync { tenant, .. },
        ) => Some(tenant),
        _ => None,
    };
    if let Some(t) = tenant {
        return fleet
            .tenant(t)
            .is_some_and(|t| fleet.is_production(&t.environment));
    }
    let regions = entry.step.regions();
    if regions.is_empty() {
        return rollout_production(fleet, r);
    }
    regions.iter().any(|region| {
        fleet
            .tenants_in(region)
            .any(|t| fleet.is_production(&t.environment))
    })
}

/// Does any step of the rollout touch production?
pub fn rollout_production(fleet: &Fleet, r: &Rollout) -> bool {
    r.steps.iter().any(|s| {
        let regions = s.step.regions();
        regions.iter().any(|region| {
            fleet
                .tenants_in(region)
                .any(|t| fleet.is_production(&t.environment))
        })
    })
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
