//! Leaving the happy path: aborting (with the rollback path) and resuming after a crash
//! or a failure a person has dealt with.

use crate::actions::action::Action;
use crate::actions::audit::{AuditOutcome, AuditRecord};
use meridian_model::fleet::rollout::RolloutStep;
use meridian_model::state::Millis;

use super::state::{Rollout, RolloutError, RolloutStatus, StepEntry, StepState};

impl Rollout {
    /// Stop the rollout. With `rollback`, append the rollback path: the previous release
    /// of every app a sync step of this rollout changed, newest first. Weights are left as
    /// they are, so traffic stays on the regions that are serving.
    pub fn abort(&mut self, rollback: bool, now: Millis) -> Result<usize, RolloutError> {
        if self.status.finished() {
            return Err(RolloutError::Usage(format!(
                "rollout {} is already {}",
                self.id,
                self.status.as_str()
            )));
        }
        let mut undo = Vec::new();
        for s in self.steps.iter_mut() {
            match (&s.step, &s.state) {
                (
                    RolloutStep::Action(Action::Sync { tenant, region, .. }),
                    StepState::Done { .. },
                ) if !s.rollback => undo.push(Action::Rollback {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    to: None,
                    via: None,
                }),
                (_, StepState::Done { .. } | StepState::SkippedByPerson { .. }) => {}
                _ => s.state = StepState::Skipped,
            }
        }
        undo.reverse();
        self.paused = None;
        self.skip_request = None;
        let n = if rollback { undo.len() } else { 0 };
        if n == 0 {
            self.status = RolloutStatus::Aborted;
        } else {
            self.status = RolloutStatus::RollingBack;
            self.steps.extend(undo.into_iter().map(|a| StepEntry {
                step: RolloutStep::Action(a),
                state: StepState::Pending,
                rollback: true,
                temporary_ms: None,
                meta: Default::default(),
            }));
            self.arm(now);
        }
        Ok(n)
    }

    /// Pick up after a crash or a failure a person has dealt with: a step left running is
    /// settled from the audit log (done if its change succeeded, else planned again); a
    /// failed gate starts counting again from now; a failed action is planned again.
    pub fn resume(&mut self, audit: &[AuditRecord], now: Millis) -> Vec<String> {
        let mut said = Vec::new();
        let Some(index) = self.current() else {
            return said;
        };
        let label = self.steps[index].step.label();
        match self.steps[index].state.clone() {
            StepState::Running { by, since } => {
                let done = audit.iter().rev().find(|r| {
                    r.rollout
                        .as_ref()
                        .is_some_and(|x| x.id == self.id && x.step == index)
                        && r.time_ms >= since
                        && r.outcome != AuditOutcome::Started
                });
                match done {
                    Some(r) if r.outcome == AuditOutcome::Succeeded => {
                        self.steps[index].state = StepState::Done {
                            by,
                            at: r.time_ms,
                            audit_id: Some(r.id.clone()),
                            note: Some("settled from the audit log on resume".into()),
                        };
                        said.push(format!(
                            "step {} ({label}) had succeeded (audit {})",
                            index + 1,
                            r.id
                        ));
                    }
                    other => {
                        self.steps[index].state = StepState::Pending;
                        let how = other
                            .map(|r| r.outcome.as_str())
                            .unwrap_or("never finished");
                        said.push(format!("step {} ({label}) was interrupted ({how}): it will be planned again from the fleet's current state", index + 1));
                    }
                }
            }
            StepState::Failed { reason, .. } => {
                let again = if matches!(self.steps[index].step, RolloutStep::Gate(_)) {
                    StepState::Waiting { since: now }
                } else {
                    StepState::Pending
                };
                self.steps[index].state = again;
                said.push(format!(
                    "step {} ({label}) had failed ({reason}); it starts again now",
                    index + 1
                ));
            }
            _ => said.push(format!("step {} ({label}) is next", index + 1)),
        }
        if self.status == RolloutStatus::Failed {
            let rolling_back = self.steps.iter().any(|s| s.rollback);
            self.status = if rolling_back {
                RolloutStatus::RollingBack
            } else {
                RolloutStatus::Running
            };
        }
        self.arm(now);
        said
    }
}
