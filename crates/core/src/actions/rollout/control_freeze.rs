//! A rollout started during a change freeze, overriding it, in production: it is started
//! (everyone sees it) but its first step is a second person's approval, so nothing moves
//! on one person's word, as for any plan that overrides a freeze in production.

use meridian_model::fleet::rollout::{GateSpec, RolloutStep, StepMeta};
use meridian_model::state::Millis;

use super::state::{Exception, ExceptionKind, Rollout, StepEntry, StepState};

impl Rollout {
    /// Put a second person's approval before every other step, and note the override as
    /// an exception of the outcome. Called right after `start`, before anything ran.
    pub fn second_person_first(&mut self, by: &str, why: &str, now: Millis) {
        // The step `start` armed waits again until its turn comes.
        for s in &mut self.steps {
            if matches!(s.state, StepState::Waiting { .. }) {
                s.state = StepState::Pending;
            }
        }
        for e in &mut self.exceptions {
            e.step += 1;
        }
        self.steps.insert(
            0,
            StepEntry {
                step: RolloutStep::Gate(GateSpec::Approval {
                    second_person: true,
                    artifact: None,
                }),
                state: StepState::Pending,
                rollback: false,
                temporary_ms: None,
                meta: StepMeta::default(),
            },
        );
        self.exceptions.push(Exception {
            step: 0,
            kind: ExceptionKind::Overridden,
            by: by.to_string(),
            at: now,
            why: why.to_string(),
            approved_by: None,
        });
        self.arm(now);
    }
}
