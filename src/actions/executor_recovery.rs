//! The executor runs the recovery clock after a verified drain or promote: it reads the
//! fleet's weights and health until every serving region is healthy at the intended
//! weights, or the RTO has passed, so the result and the audit record say how long
//! recovery took against the RTO.

use super::executor::Executor;
use super::plan::{Operation, Plan};
use super::recovery::{self, POLL_MS, Recovery};
use super::temporary::{self, WeightMap};
use crate::engine::{Subject, poll_subjects};
use crate::providers::Progress;
use crate::state::{FleetState, Millis, now_ms};

impl Executor {
    /// None when the clock does not run for this plan.
    pub(super) async fn recovery_clock(
        &self,
        plan: &Plan,
        operation: &Operation,
        before: &FleetState,
        after: &FleetState,
        started_ms: Millis,
        progress: &Progress,
    ) -> Option<Recovery> {
        if !recovery::applies(&plan.action) {
            return None;
        }
        let intended = intended(&self.fleet, operation, before)?;
        let mut subjects = vec![Subject::Weights];
        subjects.extend(
            self.fleet
                .regions
                .iter()
                .map(|r| Subject::Health(r.id.clone())),
        );
        let deadline = started_ms + self.fleet.policy.rto.as_millis() as Millis;
        let mut last = after.clone();
        loop {
            last = poll_subjects(&self.fleet, &self.providers, &subjects, Some(&last)).await;
            let clock = recovery::measure(&self.fleet, &last, &intended, started_ms, now_ms());
            if clock.recovered || now_ms() >= deadline {
                progress.say(&clock.text());
                return Some(clock);
            }
            progress.say(&format!(
                "waiting for the fleet to be healthy again: {}",
                clock.waiting_on.join(", ")
            ));
            tokio::time::sleep(std::time::Duration::from_millis(POLL_MS)).await;
        }
    }
}

/// The weights the fleet should serve once the action is done.
fn intended(fleet: &crate::fleet::Fleet, op: &Operation, before: &FleetState) -> Option<WeightMap> {
    let mut weights = temporary::current(fleet, before)?;
    if let Operation::SetWeights { weights: set } = op {
        for (region, w) in set {
            weights.insert(region.clone(), w.effective());
        }
    }
    Some(weights)
}
