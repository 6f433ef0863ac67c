//! A fleet lock kept somewhere other than the state directory (a Kubernetes Lease), behind
//! the same `FleetLock`: the executor takes it with `take`, whatever the backend.

use std::sync::Arc;

use async_trait::async_trait;

use super::lock::{FleetLock, LockError, LockGuard, LockHolder, Takeover};

/// A lock held in another system.
#[async_trait]
pub trait RemoteLock: Send + Sync + std::fmt::Debug {
    /// Take the lock for `action`, or say who holds it (and until when).
    async fn acquire(&self, action: &str) -> Result<Box<dyn RemoteHeld>, LockError>;
    /// Who holds the lock now, if anyone (`Err`: it could not be read).
    async fn holder(&self) -> Result<Option<LockHolder>, LockError>;
}

/// A remote lock while it is held: renewed in the background until released.
#[async_trait]
pub trait RemoteHeld: Send + Sync {
    /// An expired holder whose lock was taken over (for the audit record).
    fn took_over(&self) -> Option<Takeover>;
    /// Give the lock back.
    async fn release(self: Box<Self>);
}

/// The fleet lock while an action runs.
pub enum Held {
    File(Box<LockGuard>),
    Remote(Box<dyn RemoteHeld>),
}

impl Held {
    /// A stale or expired holder this acquisition took over, if any.
    pub fn took_over(&self) -> Option<Takeover> {
        match self {
            Held::File(g) => g.took_over.clone(),
            Held::Remote(r) => r.took_over(),
        }
    }

    /// Release the lock (a file lock is also released when dropped).
    pub async fn release(self) {
        match self {
            Held::File(g) => drop(g),
            Held::Remote(r) => r.release().await,
        }
    }
}

impl FleetLock {
    /// The same lock, kept in `remote` instead of the lock file.
    pub fn with_remote(mut self, remote: Arc<dyn RemoteLock>) -> FleetLock {
        self.remote = Some(remote);
        self
    }

    /// Take the lock for `action` from whichever backend keeps it.
    pub async fn take(&self, action: &str) -> Result<Held, LockError> {
        match &self.remote {
            Some(r) => r.acquire(action).await.map(Held::Remote),
            None => self.acquire(action).map(|g| Held::File(Box::new(g))),
        }
    }

    /// Who holds the lock now, from whichever backend keeps it.
    pub async fn current_holder(&self) -> Option<LockHolder> {
        match &self.remote {
            Some(r) => r.holder().await.ok().flatten(),
            None => self.holder(),
        }
    }
}
