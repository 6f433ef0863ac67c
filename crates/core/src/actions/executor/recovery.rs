//! The executor reads the recovery clock after a verified drain or promote: the reading
//! that verified the change (every region's weight and health, read once after it) says
//! whether the fleet is healthy again at the intended weights, and how long that took from
//! the action's start, against the RTO. Only what that reading lacks is read again (a
//! promote's verification reads databases, not every region's health): an action reads
//! what its plan and verification need, once before and once after (Route 53 allows 5
//! calls a second per account, shared with the failover itself).

use super::Executor;
use super::recheck::{Checked, Run};
use super::record::Started;
use crate::actions::plan::Operation;
use crate::actions::recovery::{self, Recovery};
use crate::actions::recovery_open::{self, OpenClock};
use crate::actions::temporary::{self, WeightMap};
use crate::engine::{Subject, poll_subjects};
use meridian_model::host::whoami;
use meridian_model::state::{FleetState, now_ms};

impl Executor {
    /// None when the clock does not run for this plan.
    pub(super) async fn recovery_clock(
        &self,
        run: &Run<'_>,
        checked: &Checked,
        after: &FleetState,
        started: &Started,
    ) -> Option<Recovery> {
        let (plan, progress, before) = (run.plan, run.progress, &checked.fresh);
        if !recovery::applies(&plan.action) {
            return None;
        }
        let intended = intended(&self.fleet, &checked.operation, before)?;
        // What verification did not read (a promote reads databases, not every region's
        // health) is read now, once; a drain's verification already read it all.
        let unread = unread(&self.fleet, after);
        let reading = match unread.is_empty() {
            true => None,
            false => Some(poll_subjects(&self.fleet, &self.providers, &unread, Some(after)).await),
        };
        // Never waits for a slow recovery: still under the lock, that would keep everyone
        // else from acting during the incident.
        let state = reading.as_ref().unwrap_or(after);
        let started_ms = started.time_ms;
        // The clock runs from the first sign of the trouble this action answers, as read
        // before it: a drain 28 minutes into an outage did not recover anything in 0 s.
        let trouble = recovery::first_trouble(&self.fleet, before, &plan.action);
        let clock = recovery::measure(
            &self.fleet,
            state,
            &intended,
            started_ms,
            trouble.as_ref(),
            now_ms(),
        );
        progress.say(&clock.text());
        if !clock.recovered {
            // It keeps running: the dashboard or `meridian wait recovered` stops it.
            let open = OpenClock {
                id: started.id.clone(),
                action: plan.name.to_string(),
                target: plan.target.clone(),
                started_ms,
                intended,
                started_by: whoami(),
                rollout: None,
                trouble,
            };
            match recovery_open::open(&*self.shared_store(), &open) {
                Ok(()) => progress.say(
                    "the recovery clock keeps running: the dashboard or `meridian wait recovered` stops it",
                ),
                Err(e) => progress.say(&format!("the recovery clock could not be left running: {e}")),
            }
        }
        Some(clock)
    }
}

/// The weights and health readings `state` lacks.
fn unread(fleet: &meridian_model::fleet::Fleet, state: &FleetState) -> Vec<Subject> {
    let mut subjects = Vec::new();
    let region = |id: &str| state.region(id);
    if fleet
        .regions
        .iter()
        .any(|r| region(&r.id).is_none_or(|s| s.weight.at.is_none()))
    {
        subjects.push(Subject::Weights);
    }
    subjects.extend(
        fleet
            .regions
            .iter()
            .filter(|r| region(&r.id).is_none_or(|s| s.health.at.is_none()))
            .map(|r| Subject::Health(r.id.clone())),
    );
    subjects
}

/// The weights the fleet should serve once the action is done.
fn intended(
    fleet: &meridian_model::fleet::Fleet,
    op: &Operation,
    before: &FleetState,
) -> Option<WeightMap> {
    let mut weights = temporary::current(fleet, before)?;
    for (region, w) in op.weights_set() {
        weights.insert(region.clone(), w.effective());
    }
    Some(weights)
}
