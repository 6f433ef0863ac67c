//! A started rollout and how it moves: each change is a pure method taking who and when,
//! so the CLI and the TUI move it the same way and tests need no clock or terminal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::actions::action::{Action, Request, RolloutRef};
use crate::actions::audit::AuditOutcome;
use meridian_model::fleet::Fleet;
use meridian_model::fleet::rollout::{GateSpec, RolloutStep, RunMode, StepMeta, TemplateKind};
use meridian_model::state::Millis;

/// Why a rollout command did not do what was asked; maps onto the CLI's exit codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolloutError {
    /// A wrong id, parameter or command for the rollout's state (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Not allowed now: read-only, the same person approving, a rollout already running (exit 3).
    #[error("{0}")]
    Refused(String),
    /// The state file could not be read or written (exit 1).
    #[error("{0}")]
    Store(String),
}

/// Where the rollout as a whole stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum RolloutStatus {
    Running,
    /// A step or gate failed: nothing moves until a person resumes or aborts.
    Failed,
    /// Stepping through the rollback path after `abort --rollback`.
    RollingBack,
    Done,
    Aborted,
    RolledBack,
}

impl RolloutStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Over: a new rollout may start.
    pub fn finished(self) -> bool {
        matches!(
            self,
            RolloutStatus::Done | RolloutStatus::Aborted | RolloutStatus::RolledBack
        )
    }
}

/// One step's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum StepState {
    Pending,
    /// An action is executing (or was, when the process died: `resume` settles it).
    Running {
        by: String,
        since: Millis,
    },
    /// A gate is counting or waiting, since this time.
    Waiting {
        since: Millis,
    },
    Done {
        by: String,
        at: Millis,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audit_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Failed {
        at: Millis,
        reason: String,
    },
    /// Left out by an abort (or not part of the mode the rollout runs in).
    Skipped,
    /// Skipped by a person with a comment (in production once a second person approved),
    /// or left out when a failover went ungraceful: an exception in its outcome.
    SkippedByPerson {
        by: String,
        at: Millis,
        comment: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approved_by: Option<String>,
    },
}

impl StepState {
    /// Passed over: the rollout goes on after it (done, or skipped one way or another).
    pub fn passed(&self) -> bool {
        matches!(
            self,
            StepState::Done { .. } | StepState::Skipped | StepState::SkippedByPerson { .. }
        )
    }
}

/// A step and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepEntry {
    pub step: RolloutStep,
    pub state: StepState,
    /// Added by `abort --rollback`.
    #[serde(default)]
    pub rollback: bool,
    /// A weights step meant to hold only this long: its change is recorded as temporary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_ms: Option<u64>,
    /// Its timeout and mode, from the template.
    #[serde(default, skip_serializing_if = "is_default")]
    pub meta: StepMeta,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Who paused the rollout, when and why: shown to everyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub by: String,
    pub at: Millis,
    pub reason: String,
}

/// A skip waiting for a second person's approval (production).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipRequest {
    /// The step's index, from 0.
    pub step: usize,
    pub by: String,
    pub at: Millis,
    pub comment: String,
}

/// A step that did not go as planned but the rollout went on: what makes its outcome
/// "succeeded with exceptions".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    /// The step's index, from 0.
    pub step: usize,
    pub kind: ExceptionKind,
    pub by: String,
    pub at: Millis,
    /// The comment, the guards overridden, or why ungraceful mode left it out.
    pub why: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// How a step was an exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ExceptionKind {
    /// Skipped with a comment.
    Skipped,
    /// Ran with a guard overridden.
    Overridden,
    /// Left out by ungraceful mode (it needed the old region).
    Ungraceful,
    /// A gate a practice did not run (its command, or CloudWatch): passed by the driver.
    NotRunInPractice,
}

/// A started rollout, as persisted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollout {
    /// The template id and the start time: what audit records carry.
    pub id: String,
    pub template: String,
    pub name: String,
    pub params: BTreeMap<String, String>,
    pub reason: String,
    /// `user@host` of whoever started it.
    pub started_by: String,
    pub started_at: Millis,
    pub status: RolloutStatus,
    pub steps: Vec<StepEntry>,
    /// What the template is for: the recovery clock runs for failovers and recoveries.
    #[serde(default)]
    pub kind: TemplateKind,
    /// The mode it runs in (a failover may switch to ungraceful mid-run).
    #[serde(default)]
    pub mode: RunMode,
    /// The modes its template allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modes: Vec<RunMode>,
    /// Who runs its steps now; None: whoever started it. Others approve, pause or abort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Paused: no step runs and no gate counts down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<Pause>,
    /// A skip waiting for a second person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_request: Option<SkipRequest>,
    /// Steps skipped, overridden or left out by ungraceful mode, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Exception>,
    /// A rehearsal against a simulated copy of the fleet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub practice: bool,
}

/// What the rollout needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Action {
        index: usize,
        request: Request,
    },
    Gate {
        index: usize,
        gate: GateSpec,
        since: Millis,
    },
    /// Nothing moves until a person resumes or aborts.
    Stopped {
        index: usize,
        reason: String,
    },
    Finished,
    /// Paused by a person: no step runs, no gate counts.
    Paused {
        index: usize,
        by: String,
        reason: String,
    },
}

/// The user part of `user@host`: one person on two machines is still one person.
impl Rollout {
    /// A new rollout of template `id` with these parameters.
    pub fn start(
        fleet: &Fleet,
        template: &str,
        params: BTreeMap<String, String>,
        reason: &str,
        by: &str,
        now: Millis,
    ) -> Result<Rollout, RolloutError> {
        let Some(t) = fleet.rollouts.iter().find(|t| t.id == template) else {
            let ids: Vec<&str> = fleet.rollouts.iter().map(|t| t.id.as_str()).collect();
            return Err(RolloutError::Usage(format!(
                "fleet {} has no rollout \"{template}\"; its rollouts: {}",
                fleet.name,
                if ids.is_empty() {
                    "none (add [[rollouts]] to the fleet file)".to_string()
                } else {
                    ids.join(", ")
                }
            )));
        };
        if reason.trim().is_empty() {
            return Err(RolloutError::Usage(
                "a rollout needs --reason TEXT (a change or ticket id): every step is audited with it".into(),
            ));
        }
        let steps = t
            .resolve_steps(fleet, &params)
            .map_err(|e| RolloutError::Usage(e.0))?;
        let mut r = Rollout {
            id: format!("{}-{now}", t.id),
            template: t.id.clone(),
            name: t.name.clone(),
            params,
            reason: reason.trim().to_string(),
            started_by: by.to_string(),
            started_at: now,
            status: RolloutStatus::Running,
            steps: steps
                .into_iter()
                .map(|s| StepEntry {
                    step: s.step,
                    state: if s.meta.only.is_some_and(|m| m != RunMode::Graceful) {
                        StepState::Skipped
                    } else {
                        StepState::Pending
                    },
                    rollback: false,
                    temporary_ms: s.hold.map(|h| h.as_millis() as u64),
                    meta: s.meta,
                })
                .collect(),
            kind: t.kind,
            mode: RunMode::Graceful,
            modes: t.modes.clone(),
            driver: None,
            paused: None,
            skip_request: None,
            exceptions: Vec::new(),
            practice: false,
        };
        r.arm(now);
        Ok(r)
    }

    /// Who runs its steps now.
    pub fn driver(&self) -> &str {
        self.driver.as_deref().unwrap_or(&self.started_by)
    }

    /// Only the driver runs steps (actions, gates, skips, retries); refused for anyone
    /// else, saying how to take over.
    pub fn may_drive(&self, who: &str) -> Result<(), RolloutError> {
        if crate::actions::approvals::same_person(who, self.driver()) {
            return Ok(());
        }
        Err(RolloutError::Refused(format!(
            "{} drives rollout {}: only the driver runs its steps (you may approve, pause or abort); `meridian rollout take --reason TEXT` takes over, audited",
            self.driver(),
            self.id
        )))
    }

    /// The first step not yet done or skipped.
    pub fn current(&self) -> Option<usize> {
        self.steps.iter().position(|s| !s.state.passed())
    }

    /// A gate starts counting when it becomes the current step.
    pub(super) fn arm(&mut self, now: Millis) {
        if let Some(i) = self.current()
            && matches!(self.steps[i].step, RolloutStep::Gate(_))
            && self.steps[i].state == StepState::Pending
        {
            self.steps[i].state = StepState::Waiting { since: now };
        }
        if self.current().is_none() && !self.status.finished() {
            self.status = if self.status == RolloutStatus::RollingBack {
                RolloutStatus::RolledBack
            } else {
                RolloutStatus::Done
            };
        }
    }

    /// What comes next, with the request an action step runs as.
    pub fn next(&self) -> Next {
        let Some(index) = self.current() else {
            return Next::Finished;
        };
        let entry = &self.steps[index];
        if let StepState::Failed { reason, .. } = &entry.state {
            return Next::Stopped {
                index,
                reason: reason.clone(),
            };
        }
        if matches!(self.status, RolloutStatus::Aborted) || self.status.finished() {
            return Next::Finished;
        }
        if let Some(p) = &self.paused {
            return Next::Paused {
                index,
                by: p.by.clone(),
                reason: p.reason.clone(),
            };
        }
        match (&entry.step, &entry.state) {
            (RolloutStep::Gate(g), StepState::Waiting { since }) => Next::Gate {
                index,
                gate: g.clone(),
                since: *since,
            },
            (RolloutStep::Gate(g), _) => Next::Gate {
                index,
                gate: g.clone(),
                since: self.started_at,
            },
            (RolloutStep::Action(a), _) => Next::Action {
                index,
                request: self.request(index, a),
            },
        }
    }

    fn request(&self, index: usize, action: &Action) -> Request {
        let mut r = Request::new(action.clone()).reason(format!(
            "{} (rollout {} step {})",
            self.reason,
            self.id,
            index + 1
        ));
        r.rollout = Some(RolloutRef {
            id: self.id.clone(),
            step: index,
        });
        r.temporary_ms = self.steps.get(index).and_then(|s| s.temporary_ms);
        r
    }

    /// An action step is about to execute.
    pub fn mark_running(&mut self, index: usize, by: &str, now: Millis) {
        self.steps[index].state = StepState::Running {
            by: by.to_string(),
            since: now,
        };
    }

    /// What the executor recorded for an action step. A refusal or a decline leaves the
    /// step to plan again; a failed or unverified change stops the rollout.
    pub fn record_action(
        &mut self,
        index: usize,
        outcome: AuditOutcome,
        detail: Option<String>,
        audit_id: &str,
        by: &str,
        now: Millis,
    ) {
        self.steps[index].state = match outcome {
            AuditOutcome::Succeeded => StepState::Done {
                by: by.to_string(),
                at: now,
                audit_id: Some(audit_id.to_string()),
                note: None,
            },
            AuditOutcome::Refused | AuditOutcome::Declined | AuditOutcome::LockHeld => {
                StepState::Pending
            }
            other => {
                self.status = RolloutStatus::Failed;
                StepState::Failed {
                    at: now,
                    reason: format!(
                        "{} {}{}",
                        self.steps[index].step.label(),
                        other.as_str(),
                        detail.map(|d| format!(": {d}")).unwrap_or_default()
                    ),
                }
            }
        };
        self.arm(now);
    }

    /// A gate's verdict: met moves on, failed stops the rollout, waiting changes nothing.
    /// Returns whether anything changed (and needs saving).
    pub fn record_gate(&mut self, index: usize, verdict: &super::GateVerdict, now: Millis) -> bool {
        match verdict {
            super::GateVerdict::Met { reason } => {
                if self.practice && super::not_run_in_practice(verdict) {
                    self.exceptions.push(Exception {
                        step: index,
                        kind: ExceptionKind::NotRunInPractice,
                        by: self.driver().to_string(),
                        at: now,
                        why: reason.clone(),
                        approved_by: None,
                    });
                }
                self.steps[index].state = StepState::Done {
                    by: "gate".into(),
                    at: now,
                    audit_id: None,
                    note: Some(reason.clone()),
                };
                self.arm(now);
                true
            }
            super::GateVerdict::Failed { reason } => {
                self.steps[index].state = StepState::Failed {
                    at: now,
                    reason: reason.clone(),
                };
                self.status = RolloutStatus::Failed;
                true
            }
            super::GateVerdict::Waiting { .. } => false,
        }
    }

    /// Approve the current approval gate as `by`.
    pub fn approve(&mut self, by: &str, now: Millis) -> Result<String, RolloutError> {
        if self.skip_request.is_some() {
            return self.approve_skip(by, now);
        }
        let index = match self.next() {
            Next::Gate {
                index,
                gate:
                    GateSpec::Approval {
                        artifact: Some(name),
                        ..
                    },
                ..
            } => {
                return Err(RolloutError::Usage(format!(
                    "step {} of rollout {} waits for a second person to approve artifact {name} itself: `meridian approve --artifact` lists it with its hash, `meridian approve --artifact HASH` approves it, then the driver runs `meridian rollout next`",
                    index + 1,
                    self.id
                )));
            }
            Next::Gate {
                index,
                gate: GateSpec::Approval { second_person, .. },
                ..
            } => {
                let not_second = [self.started_by.as_str(), self.driver()]
                    .into_iter()
                    .find_map(|other| crate::actions::approvals::second_person(other, by).err());
                if second_person && let Some(why) = not_second {
                    return Err(RolloutError::Refused(format!(
                        "{by} cannot approve step {} of rollout {}: this gate needs a second person ({why})",
                        index + 1,
                        self.id
                    )));
                }
                index
            }
            Next::Finished => {
                return Err(RolloutError::Usage(format!(
                    "rollout {} is {}: nothing to approve",
                    self.id,
                    self.status.as_str()
                )));
            }
            _ => {
                let what = self
                    .current()
                    .map(|i| self.steps[i].step.label())
                    .unwrap_or_default();
                return Err(RolloutError::Usage(format!(
                    "rollout {} is not waiting for an approval: its next step is {what}",
                    self.id
                )));
            }
        };
        self.steps[index].state = StepState::Done {
            by: by.to_string(),
            at: now,
            audit_id: None,
            note: Some("approved".into()),
        };
        self.arm(now);
        Ok(format!("step {} approved by {by}", index + 1))
    }
}
