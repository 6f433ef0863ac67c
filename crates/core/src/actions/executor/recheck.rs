//! Step one under the lock: conditions may have changed while the operator read the plan,
//! so it is made again from fresh state; a new block, another change, or a plan that is no
//! longer the approved one refuses the run.

use super::{Execution, Executor};
use crate::actions::action::Request;
use crate::actions::approvals::Approval;
use crate::actions::plan::{Operation, Plan};
use crate::actions::planner::plan as make_plan;
use crate::engine::{Subject, for_action, poll_subjects};
use meridian_model::state::{FleetState, now_ms};
use meridian_providers::Progress;

use super::interrupt::InFlight;

/// A plan made from state at most this old needs no re-read before it runs.
const FRESH_ENOUGH_MS: i64 = 5_000;

/// One confirmed run: what was asked and confirmed, and where it reports.
pub(super) struct Run<'a> {
    pub request: &'a Request,
    pub plan: &'a Plan,
    pub approval: Option<&'a Approval>,
    /// The state the plan was made from moments ago, if the front end kept it.
    pub basis: Option<&'a FleetState>,
    pub progress: &'a Progress,
    pub journal: &'a InFlight<'a>,
}

/// The plan made again under the lock: the operation to run (carrying the object versions
/// it read), the state it was made from, and what the action reads.
pub(super) struct Checked {
    pub operation: Operation,
    pub fresh: FleetState,
    pub subjects: Vec<Subject>,
}

impl Executor {
    pub(super) async fn recheck(&self, run: &Run<'_>) -> Result<Checked, Box<Execution>> {
        // Read only what this action's plan and verification need.
        let subjects = for_action(&self.fleet, &run.request.action);
        let mut fresh = match run
            .basis
            .filter(|b| now_ms() - b.observed_at <= FRESH_ENOUGH_MS)
        {
            Some(b) => b.clone(),
            None => {
                run.progress.say("re-checking guards against fresh state");
                poll_subjects(&self.fleet, &self.providers, &subjects, None).await
            }
        };
        // A freeze set a moment ago by someone else (another state directory, another
        // laptop) refuses this run: the shared store is read now, whatever the basis.
        fresh.freeze = self.freeze_reading();
        let recheck = match make_plan(run.request, &self.fleet, &fresh, now_ms()) {
            Ok(p) => p,
            Err(e) => return Err(Box::new(self.record_refused(run.plan, &e.to_string()))),
        };
        if let Some(block) = recheck.blocking().next() {
            let why = format!(
                "conditions changed since the plan was made: {}: {}",
                block.guard.name(),
                block.reason
            );
            return Err(Box::new(self.record_refused(&recheck, &why)));
        }
        if let Some(a) = run.approval
            && let Err(why) = self.still_approved(a, &recheck)
        {
            return Err(Box::new(self.record_refused(&recheck, &why)));
        }
        let confirmed = run.plan.operation.as_ref();
        match recheck.operation {
            // The re-check's operation carries the object versions it read: writes carry them.
            Some(op) if confirmed.is_some_and(|c| op.same_change(c)) => Ok(Checked {
                operation: op,
                fresh,
                subjects,
            }),
            _ => Err(Box::new(self.record_refused(
                &recheck,
                "conditions changed since the plan was made: it would now do something else; plan and confirm again",
            ))),
        }
    }
}
