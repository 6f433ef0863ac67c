//! One-shot reads: every subject (or just those an action needs) read concurrently, each
//! under its own deadline, and merged over the previous state so a failing read keeps the
//! last value and its age. A one-shot answer therefore comes within the longest deadline.

use std::collections::HashMap;

use futures::future::join_all;

use super::observation::Merger;
use super::{Subject, read, schedule};
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, now_ms};
use meridian_providers::Providers;

/// Read everything once. `previous` supplies the last good values for reads that fail.
pub async fn poll(
    fleet: &Fleet,
    providers: &Providers,
    previous: Option<&FleetState>,
) -> FleetState {
    poll_subjects(fleet, providers, &Subject::all(fleet), previous).await
}

/// Read only `subjects`; everything else keeps what `previous` says (or nothing).
pub async fn poll_subjects(
    fleet: &Fleet,
    providers: &Providers,
    subjects: &[Subject],
    previous: Option<&FleetState>,
) -> FleetState {
    providers.begin_round().await;
    let (plan, _) = schedule::plan(fleet);
    let deadlines: HashMap<&Subject, std::time::Duration> =
        plan.iter().map(|(s, sch)| (s, sch.deadline)).collect();
    let readings = join_all(subjects.iter().map(|s| {
        let deadline = deadlines
            .get(s)
            .copied()
            .unwrap_or(schedule::DEFAULT_DEADLINE);
        read::read(fleet, providers, s, deadline)
    }))
    .await;
    let mut state = previous
        .cloned()
        .unwrap_or_else(|| FleetState::skeleton(fleet, now_ms()));
    let merger = Merger::new(fleet);
    for obs in readings {
        merger.apply(&mut state, obs);
    }
    state.observed_at = now_ms();
    state
}
