//! The live poller: one task that refreshes the whole fleet on an interval, with at most
//! one refresh in flight, and sends each snapshot over a channel. The receiver owns the
//! state; the poller only keeps the previous snapshot to merge failures over.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::poll;
use crate::fleet::Fleet;
use crate::providers::Providers;
use crate::state::FleetState;

/// A running poller. Dropping it stops the task.
pub struct LivePoller {
    nudge: mpsc::Sender<()>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl LivePoller {
    /// Start polling every `interval`; `wrap` turns a snapshot into the receiver's message
    /// (the TUI adds the lock holder). A full channel skips a send rather than queueing
    /// stale snapshots.
    pub fn spawn<M, F>(
        fleet: Fleet,
        providers: Providers,
        interval: Duration,
        tx: mpsc::Sender<M>,
        wrap: F,
    ) -> LivePoller
    where
        M: Send + 'static,
        F: Fn(FleetState) -> M + Send + 'static,
    {
        let (nudge, mut nudged) = mpsc::channel::<()>(1);
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut previous: Option<FleetState> = None;
            loop {
                let refresh = poll(&fleet, &providers, previous.as_ref());
                let state = tokio::select! {
                    s = refresh => s,
                    _ = stopped.changed() => return,
                };
                previous = Some(state.clone());
                if tx.send(wrap(state)).await.is_err() {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    n = nudged.recv() => if n.is_none() { return },
                    _ = stopped.changed() => return,
                }
            }
        });
        LivePoller {
            nudge,
            stop,
            task: Some(task),
        }
    }

    /// Refresh now instead of waiting for the interval (e.g. after an action).
    pub fn refresh_now(&self) {
        // A full channel means a refresh is already asked for.
        let _ = self.nudge.try_send(());
    }

    /// Stop polling; an in-flight refresh is abandoned.
    pub fn stop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

impl Drop for LivePoller {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::sim::SimOptions;
    use crate::providers::{ProviderOptions, Providers};

    #[tokio::test]
    async fn sends_snapshots_and_stops() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let fleet = crate::fleet::demo();
        let providers = Providers::build(
            &fleet,
            dir.path(),
            &ProviderOptions {
                sim: SimOptions {
                    speed: 0.0,
                    seed: Some(1),
                },
            },
        );
        let Ok(providers) = providers else { return };
        let (tx, mut rx) = mpsc::channel(4);
        let mut poller = LivePoller::spawn(
            fleet.clone(),
            providers,
            Duration::from_millis(20),
            tx,
            |s| s,
        );
        let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .ok()
            .flatten();
        assert_eq!(first.map(|s| s.regions.len()), Some(fleet.regions.len()));
        poller.refresh_now();
        assert!(
            tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .ok()
                .flatten()
                .is_some()
        );
        poller.stop();
        // After stopping, the channel closes once buffered snapshots are drained.
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            while rx.recv().await.is_some() {}
        })
        .await;
        assert!(closed.is_ok());
    }
}
