//! The executor reads the recovery clock after a verified drain or promote: one more
//! reading of every region's weight and health says whether the fleet is healthy again at
//! the intended weights, and how long that took from the action's start, against the RTO.

use super::executor::Executor;
use super::plan::{Operation, Plan};
use super::recovery::{self, Recovery};
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
        // One reading, still under the lock: waiting here for a slow recovery would keep
        // everyone else from acting during the incident.
        let reading = poll_subjects(&self.fleet, &self.providers, &subjects, Some(after)).await;
        let clock = recovery::measure(&self.fleet, &reading, &intended, started_ms, now_ms());
        progress.say(&clock.text());
        Some(clock)
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
