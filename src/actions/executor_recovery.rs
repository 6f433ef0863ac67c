//! The executor reads the recovery clock after a verified drain or promote: the reading
//! that verified the change (every region's weight and health, read once after it) says
//! whether the fleet is healthy again at the intended weights, and how long that took from
//! the action's start, against the RTO. No further read: an action reads what its plan and
//! verification need, once before and once after (Route 53 allows 5 calls a second per
//! account, shared with the failover itself).

use super::executor::Executor;
use super::plan::{Operation, Plan};
use super::recovery::{self, Recovery};
use super::temporary::{self, WeightMap};
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
        // Never waits for a slow recovery: still under the lock, that would keep everyone
        // else from acting during the incident.
        let clock = recovery::measure(&self.fleet, after, &intended, started_ms, now_ms());
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
