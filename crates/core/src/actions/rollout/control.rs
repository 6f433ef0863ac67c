//! A pair driving a rollout: pausing and resuming it, handing the driver's seat over,
//! retrying a failed step, skipping one with a comment (a second person approves in
//! production), switching a failover to ungraceful. Pure methods taking who and when,
//! like the rest of the rollout; the executor's door checks identities and audits.

use std::time::Duration;

use meridian_model::fleet::rollout::GateSpec;
use meridian_model::fleet::rollout::{RolloutStep, RunMode, span};
use meridian_model::state::{FleetState, Millis, elapsed};

use super::gate::{GateVerdict, evaluate, with_timeout};
use super::state::{
    Exception, ExceptionKind, Next, Pause, Rollout, RolloutError, RolloutStatus, SkipRequest,
    StepState,
};
use crate::actions::approvals::{same_person, second_person};

/// What asking to skip came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// The step is skipped.
    Done(String),
    /// In production a second person approves first: `meridian rollout approve`.
    Waiting(String),
}

impl Rollout {
    fn usage_if_finished(&self) -> Result<usize, RolloutError> {
        match self.current() {
            Some(i) if !self.status.finished() => Ok(i),
            _ => Err(RolloutError::Usage(format!(
                "rollout {} is {}: nothing to do",
                self.id,
                self.status.as_str()
            ))),
        }
    }

    /// Pause: no step runs and no gate counts down until someone resumes. Anyone may.
    pub fn pause(&mut self, by: &str, reason: &str, now: Millis) -> Result<String, RolloutError> {
        self.usage_if_finished()?;
        if reason.trim().is_empty() {
            return Err(RolloutError::Usage(
                "pausing needs --reason TEXT: everyone sees why it stopped".into(),
            ));
        }
        if let Some(p) = &self.paused {
            return Err(RolloutError::Usage(format!(
                "rollout {} is already paused by {} ({})",
                self.id, p.by, p.reason
            )));
        }
        self.paused = Some(Pause {
            by: by.to_string(),
            at: now,
            reason: reason.trim().to_string(),
        });
        Ok(format!("paused by {by}: {}", reason.trim()))
    }

    /// Resume a paused rollout: a gate goes on counting from where it stood when paused.
    /// The driver or whoever paused it may.
    pub fn unpause(&mut self, by: &str, now: Millis) -> Result<String, RolloutError> {
        let Some(p) = self.paused.clone() else {
            return Err(RolloutError::Usage(format!(
                "rollout {} is not paused",
                self.id
            )));
        };
        if !same_person(by, &p.by) {
            self.may_drive(by).map_err(|_| {
                RolloutError::Refused(format!(
                    "{} paused rollout {} and {} drives it: one of them resumes it",
                    p.by,
                    self.id,
                    self.driver()
                ))
            })?;
        }
        // The time paused does not count: a waiting gate's start moves on by it (only
        // the part after the gate started, if it started during the pause).
        if let Some(i) = self.current()
            && let StepState::Waiting { since } = &mut self.steps[i].state
        {
            *since += elapsed(now, p.at.max(*since));
        }
        self.paused = None;
        Ok(format!(
            "resumed by {by} after {} paused",
            span(Duration::from_millis(elapsed(now, p.at) as u64))
        ))
    }

    /// Hand the driver's seat to `by` (audited by the door).
    pub fn take(&mut self, by: &str, reason: &str) -> Result<String, RolloutError> {
        self.usage_if_finished()?;
        if reason.trim().is_empty() {
            return Err(RolloutError::Usage(
                "taking over needs --reason TEXT: the hand-over is audited".into(),
            ));
        }
        if same_person(by, self.driver()) {
            return Err(RolloutError::Usage(format!(
                "{by} already drives rollout {}",
                self.id
            )));
        }
        let from = self.driver().to_string();
        self.driver = Some(by.to_string());
        Ok(format!("{by} drives now (took over from {from})"))
    }

    /// Try a failed step again: an action is planned again, a gate counts from now.
    pub fn retry(&mut self, now: Millis) -> Result<String, RolloutError> {
        let index = self.usage_if_finished()?;
        let StepState::Failed { reason, .. } = self.steps[index].state.clone() else {
            return Err(RolloutError::Usage(format!(
                "step {} ({}) has not failed: it is {}",
                index + 1,
                self.steps[index].step.label(),
                state_word(&self.steps[index].state)
            )));
        };
        self.steps[index].state = match self.steps[index].step {
            RolloutStep::Gate(_) => StepState::Waiting { since: now },
            RolloutStep::Action(_) => StepState::Pending,
        };
        self.reopen();
        Ok(format!(
            "step {} ({}) will be tried again (it had failed: {reason})",
            index + 1,
            self.steps[index].step.label()
        ))
    }

    /// A failed rollout goes on again.
    fn reopen(&mut self) {
        if self.status == RolloutStatus::Failed {
            self.status = if self.steps.iter().any(|s| s.rollback) {
                RolloutStatus::RollingBack
            } else {
                RolloutStatus::Running
            };
        }
    }

    /// Skip the current step with a comment. With `needs_second`, the skip waits for a
    /// second person (`approve`); else it is done now.
    pub fn skip(
        &mut self,
        by: &str,
        comment: &str,
        needs_second: bool,
        now: Millis,
    ) -> Result<Skipped, RolloutError> {
        let index = self.usage_if_finished()?;
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(RolloutError::Usage(
                "a skip needs --comment TEXT: why the step is left out goes into the outcome"
                    .into(),
            ));
        }
        if let StepState::Running { by: them, .. } = &self.steps[index].state {
            return Err(RolloutError::Refused(format!(
                "step {} is running (by {them}): wait for it, or abort",
                index + 1
            )));
        }
        let label = self.steps[index].step.label();
        if needs_second {
            self.skip_request = Some(SkipRequest {
                step: index,
                by: by.to_string(),
                at: now,
                comment: comment.to_string(),
            });
            return Ok(Skipped::Waiting(format!(
                "skipping step {} ({label}) touches production: it waits for a second person's approval (`meridian rollout approve`)",
                index + 1
            )));
        }
        self.skip_now(index, by, comment, None, now);
        Ok(Skipped::Done(format!(
            "step {} ({label}) skipped by {by}: {comment}",
            index + 1
        )))
    }

    fn skip_now(
        &mut self,
        index: usize,
        by: &str,
        comment: &str,
        approved_by: Option<String>,
        now: Millis,
    ) {
        self.steps[index].state = StepState::SkippedByPerson {
            by: by.to_string(),
            at: now,
            comment: comment.to_string(),
            approved_by: approved_by.clone(),
        };
        self.exceptions.push(Exception {
            step: index,
            kind: ExceptionKind::Skipped,
            by: by.to_string(),
            at: now,
            why: comment.to_string(),
            approved_by,
        });
        self.skip_request = None;
        self.reopen();
        self.arm(now);
    }

    /// A second person approves the skip waiting for them.
    pub(super) fn approve_skip(&mut self, by: &str, now: Millis) -> Result<String, RolloutError> {
        let Some(req) = self.skip_request.clone() else {
            return Err(RolloutError::Usage("no skip is waiting".into()));
        };
        if self.current() != Some(req.step) {
            self.skip_request = None;
            return Err(RolloutError::Usage(format!(
                "the skip of step {} asked by {} no longer applies: the rollout moved on",
                req.step + 1,
                req.by
            )));
        }
        if let Err(why) = second_person(&req.by, by) {
            return Err(RolloutError::Refused(format!(
                "the skip of step {} asked by {} needs a second person to approve: {why}",
                req.step + 1,
                req.by
            )));
        }
        let label = self.steps[req.step].step.label();
        self.skip_now(req.step, &req.by, &req.comment, Some(by.to_string()), now);
        Ok(format!(
            "step {} ({label}) skipped by {} (approved by {by}): {}",
            req.step + 1,
            req.by,
            req.comment
        ))
    }

    /// An action step ran with guards overridden: an exception of the outcome.
    pub fn note_overrides(&mut self, index: usize, guards: &[String], by: &str, now: Millis) {
        if guards.is_empty() {
            return;
        }
        self.exceptions.push(Exception {
            step: index,
            kind: ExceptionKind::Overridden,
            by: by.to_string(),
            at: now,
            why: format!("overrode {}", guards.join(", ")),
            approved_by: None,
        });
    }

    /// Switch a failover to ungraceful: every step not yet done that needs the graceful
    /// mode (the old region answering) is left out, and says so. Returns what was left out.
    pub fn go_ungraceful(
        &mut self,
        by: &str,
        reason: &str,
        now: Millis,
    ) -> Result<Vec<String>, RolloutError> {
        self.usage_if_finished()?;
        if !self.modes.contains(&RunMode::Ungraceful) {
            return Err(RolloutError::Usage(format!(
                "rollout {} ({}) has no ungraceful mode: its template declares modes = [\"graceful\", \"ungraceful\"] for that",
                self.id, self.template
            )));
        }
        if self.mode == RunMode::Ungraceful {
            return Err(RolloutError::Usage(format!(
                "rollout {} already runs ungraceful",
                self.id
            )));
        }
        if reason.trim().is_empty() {
            return Err(RolloutError::Usage(
                "going ungraceful needs --reason TEXT (why the old region cannot answer)".into(),
            ));
        }
        self.mode = RunMode::Ungraceful;
        let mut said = Vec::new();
        for i in 0..self.steps.len() {
            let entry = &self.steps[i];
            let waiting = matches!(
                entry.state,
                StepState::Pending | StepState::Waiting { .. } | StepState::Failed { .. }
            );
            match entry.meta.only {
                Some(RunMode::Graceful) if waiting => {
                    let why = format!(
                        "ungraceful mode: it runs only while the old region answers ({})",
                        reason.trim()
                    );
                    said.push(format!(
                        "step {} ({}) skipped: {why}",
                        i + 1,
                        entry.step.label()
                    ));
                    self.steps[i].state = StepState::SkippedByPerson {
                        by: by.to_string(),
                        at: now,
                        comment: why.clone(),
                        approved_by: None,
                    };
                    self.exceptions.push(Exception {
                        step: i,
                        kind: ExceptionKind::Ungraceful,
                        by: by.to_string(),
                        at: now,
                        why,
                        approved_by: None,
                    });
                }
                Some(RunMode::Ungraceful) if entry.state == StepState::Skipped => {
                    self.steps[i].state = StepState::Pending;
                }
                _ => {}
            }
        }
        self.skip_request = None;
        self.reopen();
        self.arm(now);
        Ok(said)
    }

    /// How the rollout ended (or stands), as precisely as ARC says it.
    pub fn outcome(&self) -> Outcome {
        match self.status {
            RolloutStatus::Done if self.exceptions.is_empty() => Outcome::Succeeded,
            RolloutStatus::Done => Outcome::SucceededWithExceptions,
            RolloutStatus::Aborted => Outcome::Aborted,
            RolloutStatus::RolledBack => Outcome::RolledBack,
            RolloutStatus::Failed => Outcome::FailedAt {
                step: self.current().map(|i| i + 1).unwrap_or(0),
            },
            RolloutStatus::Running | RolloutStatus::RollingBack if self.paused.is_some() => {
                Outcome::Paused
            }
            RolloutStatus::Running | RolloutStatus::RollingBack => Outcome::InProgress,
        }
    }

    /// The exceptions, one line each: "step 3 (sync x in y) skipped by bo: flaky probe".
    pub fn exception_lines(&self) -> Vec<String> {
        self.exceptions
            .iter()
            .map(|e| {
                let label = self
                    .steps
                    .get(e.step)
                    .map(|s| s.step.label())
                    .unwrap_or_default();
                let how = match e.kind {
                    ExceptionKind::Skipped => format!("skipped by {}: {}", e.by, e.why),
                    ExceptionKind::Overridden => format!("{} by {}", e.why, e.by),
                    ExceptionKind::Ungraceful => format!("left out: {}", e.why),
                    ExceptionKind::NotRunInPractice => format!("{} by {}", e.why, e.by),
                };
                let approved = e
                    .approved_by
                    .as_ref()
                    .map(|a| format!(" (approved by {a})"))
                    .unwrap_or_default();
                format!("step {} ({label}) {how}{approved}", e.step + 1)
            })
            .collect()
    }

    /// The step a gate waits at, paused or not, with when it started.
    pub fn waiting_gate(&self) -> Option<(usize, Millis)> {
        let i = self.current()?;
        match self.steps[i].state {
            StepState::Waiting { since } => Some((i, since)),
            _ => None,
        }
    }

    /// The live verdict of the gate the rollout waits at, its timeout applied; None when
    /// it waits at no gate, is paused, or the gate is a command's (that runs a process:
    /// see `timed`).
    pub fn gate_verdict(&self, state: &FleetState, now: Millis) -> Option<(usize, GateVerdict)> {
        match self.next() {
            Next::Gate {
                gate: GateSpec::Command { .. },
                ..
            } => None,
            Next::Gate { index, gate, since } => {
                let v = evaluate(&gate, state, since, now);
                Some((
                    index,
                    with_timeout(v, self.steps[index].meta.timeout, since, now),
                ))
            }
            _ => None,
        }
    }

    /// A verdict reached elsewhere (a command gate's) with step `index`'s timeout applied.
    pub fn timed(&self, index: usize, verdict: GateVerdict, now: Millis) -> GateVerdict {
        match self.steps.get(index).map(|s| (&s.state, s.meta.timeout)) {
            Some((StepState::Waiting { since }, timeout)) => {
                with_timeout(verdict, timeout, *since, now)
            }
            _ => verdict,
        }
    }

    /// Is the next thing to do an action step whose run may start (not paused or stopped)?
    pub fn runnable(&self) -> bool {
        matches!(self.next(), Next::Action { .. })
    }
}

/// How a rollout ended or stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum Outcome {
    InProgress,
    Paused,
    Succeeded,
    /// A step was skipped, overridden or left out by ungraceful mode (listed).
    SucceededWithExceptions,
    FailedAt {
        step: usize,
    },
    Aborted,
    RolledBack,
}

impl Outcome {
    /// "succeeded with exceptions", "failed at step 4".
    pub fn describe(self) -> String {
        match self {
            Outcome::InProgress => "in progress".into(),
            Outcome::Paused => "paused".into(),
            Outcome::Succeeded => "succeeded".into(),
            Outcome::SucceededWithExceptions => "succeeded with exceptions".into(),
            Outcome::FailedAt { step } => format!("failed at step {step}"),
            Outcome::Aborted => "aborted".into(),
            Outcome::RolledBack => "rolled back".into(),
        }
    }
}

/// A step's state in a word, for messages.
pub fn state_word(s: &StepState) -> String {
    match s {
        StepState::Pending => "pending".into(),
        StepState::Running { by, .. } => format!("running (by {by})"),
        StepState::Waiting { .. } => "waiting".into(),
        StepState::Done { by, .. } => format!("done (by {by})"),
        StepState::Failed { .. } => "failed".into(),
        StepState::Skipped => "skipped".into(),
        StepState::SkippedByPerson { by, .. } => format!("skipped (by {by})"),
    }
}
