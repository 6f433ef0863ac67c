//! The shared records a dashboard shows beside what it reads from the fleet: the rollout
//! and the weights' records (temporary changes, drift first seen). A partner's meridian may
//! change them at any moment. They are read in a task (the event loop does no store I/O of
//! its own): once a second from files, and at once when a watched store (ConfigMaps next
//! to the fleet's Lease) says something changed; such a store reads from its watch's cache,
//! so the API server is not polled.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::app::Msg;
use crate::actions::approvals;
use crate::actions::recovery_open;
use crate::actions::rollout::{Rollout, RolloutStore};
use crate::actions::temporary::{self, WeightMap};
use crate::engine::schedule::{next_slot, origin};
use crate::fleet::Fleet;
use crate::providers::store::SharedStore;
use crate::state::now_ms;

/// Read the records every second, and whenever the store says they changed, and send them
/// to the loop until it stops listening. `weights` carries the weights the loop last
/// merged, to compare the records with.
pub fn watch_records(
    fleet: Fleet,
    rollouts: RolloutStore,
    shared: Arc<dyn SharedStore>,
    mut weights: watch::Receiver<Option<WeightMap>>,
    tx: mpsc::UnboundedSender<Msg>,
    read_only: bool,
) {
    // Shared, not copied each second: a 1,000-tenant fleet is a lot to clone.
    let fleet = Arc::new(fleet);
    tokio::spawn(async move {
        let mut changes = shared.changes();
        loop {
            // Store reads block (a file, or a wait on the store's own thread): not on a
            // worker of the dashboard's runtime.
            let rollouts2 = rollouts.clone();
            let shared2 = shared.clone();
            let fleet2 = fleet.clone();
            let now_weights = weights.borrow_and_update().clone();
            let read = tokio::task::spawn_blocking(move || {
                let rollout = load_rollout(&rollouts2);
                let standing =
                    temporary::standing_seen(&*shared2, &fleet2, now_weights, now_ms(), read_only)
                        .ok();
                let clocks = recovery_open::running(&*shared2).unwrap_or_default();
                let pending = approvals::pending(&*shared2, now_ms()).unwrap_or_default();
                let frozen = crate::actions::freeze::read(&*shared2, now_ms());
                (rollout, standing, clocks, pending, frozen)
            })
            .await;
            let Ok((rollout, standing, clocks, pending, frozen)) = read else {
                return;
            };
            // A freeze set from another state directory shows within a second.
            if tx.send(Msg::Freeze(frozen)).is_err() {
                return;
            }
            if tx.send(Msg::Rollout(rollout)).is_err() {
                return;
            }
            if tx.send(Msg::Weights(standing)).is_err() {
                return;
            }
            if tx.send(Msg::Clocks(clocks)).is_err() {
                return;
            }
            if tx.send(Msg::Pending(pending)).is_err() {
                return;
            }
            // On the process's grid: read with the clock's second, not a second after the
            // last read (which wandered off it and woke the runtime once more a second).
            let tick = tokio::time::sleep_until(next_slot(
                origin(),
                Duration::from_secs(1),
                tokio::time::Instant::now(),
            ));
            match changes.as_mut() {
                Some(c) => tokio::select! {
                    _ = tick => {}
                    changed = c.changed() => if changed.is_err() { changes = None },
                },
                None => tick.await,
            }
        }
    });
}

/// The rollout as stored now; a damaged document is logged, not fatal to the dashboard.
pub fn load_rollout(store: &RolloutStore) -> Option<Box<Rollout>> {
    match store.load() {
        Ok(r) => r.map(Box::new),
        Err(e) => {
            log::warn!("{e}");
            None
        }
    }
}
