//! The shared records a dashboard shows beside what it reads from the fleet: the rollout
//! (`rollout.json`) and the weights' records (temporary changes, drift first seen). They are
//! files a partner's meridian may change at any moment, so they are read once a second, in a
//! task: the event loop does no file I/O of its own.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::app::Msg;
use super::rollout_io;
use crate::actions::rollout::RolloutStore;
use crate::actions::shared_store::DirStore;
use crate::actions::temporary::{self, WeightMap};
use crate::fleet::Fleet;
use crate::state::now_ms;

/// Read the records every second and send them to the loop until it stops listening.
/// `weights` carries the weights the loop last merged, to compare the records with.
pub fn watch_records(
    fleet: Fleet,
    rollouts: RolloutStore,
    shared: DirStore,
    weights: watch::Receiver<Option<WeightMap>>,
    tx: mpsc::UnboundedSender<Msg>,
    read_only: bool,
) {
    tokio::spawn(async move {
        loop {
            if tx.send(Msg::Rollout(rollout_io::load(&rollouts))).is_err() {
                return;
            }
            let now_weights = weights.borrow().clone();
            let standing =
                temporary::standing_seen(&shared, &fleet, now_weights, now_ms(), read_only).ok();
            if tx.send(Msg::Weights(standing)).is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}
