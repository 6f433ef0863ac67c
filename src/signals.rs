//! The signals that end meridian: Ctrl-C (SIGINT), `kill` (SIGTERM), a closed terminal or
//! SSH session (SIGHUP) and Ctrl-\ (SIGQUIT). Both front ends wait on all four the same
//! way, so each one restores the terminal and records an honest outcome.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Listens for the ending signals from the moment it is made.
pub struct Endings {
    listeners: Vec<(&'static str, Signal)>,
}

impl Endings {
    /// Start listening. A signal that cannot be listened to keeps its default behaviour.
    pub fn listen() -> Endings {
        let kinds = [
            ("SIGINT", SignalKind::interrupt()),
            ("SIGTERM", SignalKind::terminate()),
            ("SIGHUP", SignalKind::hangup()),
            ("SIGQUIT", SignalKind::quit()),
        ];
        let listeners = kinds
            .into_iter()
            .filter_map(|(name, kind)| signal(kind).ok().map(|s| (name, s)))
            .collect();
        Endings { listeners }
    }

    /// The name of the next ending signal to arrive. Polled in place (no future per
    /// listener): the dashboard's loop asks again every time a reading wakes it.
    pub async fn next(&mut self) -> &'static str {
        std::future::poll_fn(|cx| {
            for (name, s) in self.listeners.iter_mut() {
                if s.poll_recv(cx).is_ready() {
                    return std::task::Poll::Ready(*name);
                }
            }
            // With no listener at all this never resolves, as a default-handled signal
            // ends the process by itself.
            std::task::Poll::Pending
        })
        .await
    }
}
