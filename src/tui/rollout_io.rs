//! The dashboard's side of the rollout's document in the shared store: read it when it
//! changes (a partner's steps show live), and record what happened here (an action step, a
//! gate, an approval) through the same compare-and-swap as the CLI. Only the main loop and
//! the records task call these.

use crate::actions::rollout::{GateVerdict, Rollout, RolloutError, RolloutStore, rollout_now};
use crate::actions::{Execution, Executor, Request};
use crate::host::whoami;

/// The rollout store of the executor's fleet, in its shared store.
pub fn store(executor: &Executor) -> RolloutStore {
    RolloutStore::new(
        executor.shared_store(),
        &executor.state_dir(),
        executor.read_only,
    )
}

/// The rollout as stored now; a damaged file is logged, not fatal to the dashboard.
pub fn load(store: &RolloutStore) -> Option<Box<Rollout>> {
    match store.load() {
        Ok(r) => r.map(Box::new),
        Err(e) => {
            log::warn!("{e}");
            None
        }
    }
}

/// Change the stored rollout with `f`, logging what went wrong.
fn change(store: &RolloutStore, f: impl FnMut(&mut Rollout) -> Result<String, String>) {
    // `f` runs once, or again on a partner's newer version (a compare-and-swap retry).
    let mut f = f;
    let result = store
        .change(|r| f(r).map_err(RolloutError::Refused))
        .map(|(r, said)| format!("rollout {}: {said}", r.id))
        .map_err(|e| e.to_string());
    match result {
        Ok(said) => log::info!("{said}"),
        Err(e) => log::warn!("rollout: {e}"),
    }
}

/// An action step is about to run.
pub fn started(store: &RolloutStore, request: &Request) {
    if let Some(x) = &request.rollout {
        change(store, |r| {
            if r.id != x.id {
                return Err(format!("the rollout changed to {} meanwhile", r.id));
            }
            r.mark_running(x.step, &whoami(), rollout_now());
            Ok(format!("step {} running", x.step + 1))
        });
    }
}

/// An action step finished (or was refused).
pub fn finished(store: &RolloutStore, request: &Request, done: &Execution) {
    if let Some(x) = &request.rollout {
        change(store, |r| {
            if r.id != x.id {
                return Err(format!("the rollout changed to {} meanwhile", r.id));
            }
            let detail = done.detail.clone();
            r.record_action(
                x.step,
                done.outcome,
                detail,
                &done.audit_id,
                &whoami(),
                rollout_now(),
            );
            Ok(format!("step {} {}", x.step + 1, done.outcome.as_str()))
        });
    }
}

pub fn approve(store: &RolloutStore) {
    change(store, |r| {
        r.approve(&whoami(), rollout_now())
            .map_err(|e| e.to_string())
    });
}

pub fn gate(store: &RolloutStore, index: usize, verdict: &GateVerdict) {
    change(store, |r| {
        r.record_gate(index, verdict, rollout_now());
        Ok(format!("step {} {}", index + 1, verdict.describe()))
    });
}
