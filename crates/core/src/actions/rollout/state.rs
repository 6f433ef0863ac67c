//! A started rollout and how it moves: each change is a pure method taking who and when,
//! so the CLI and the TUI move it the same way and tests need no clock or terminal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::actions::action::{Action, Request, RolloutRef};
use crate::actions::audit::AuditOutcome;
use meridian_model::fleet::Fleet;
use meridian_model::fleet::rollout::{GateSpec, RolloutStep};
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
    /// Left out by an abort.
    Skipped,
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
            .resolve(fleet, &params)
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
                .map(|(step, hold)| StepEntry {
                    step,
                    state: StepState::Pending,
                    rollback: false,
                    temporary_ms: hold.map(|h| h.as_millis() as u64),
                })
                .collect(),
        };
        r.arm(now);
        Ok(r)
    }

    /// The first step not yet done or skipped.
    pub fn current(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| !matches!(s.state, StepState::Done { .. } | StepState::Skipped))
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
        let index = match self.next() {
            Next::Gate {
                index,
                gate: GateSpec::Approval { second_person },
                ..
            } => {
                if second_person && crate::actions::approvals::same_person(by, &self.started_by) {
                    return Err(RolloutError::Refused(format!(
                        "{by} started rollout {}: this gate needs a second person to approve (a guard against mistakes, not authentication)",
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
