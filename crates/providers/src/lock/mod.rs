//! The fleet lock: one action at a time per fleet. Two backends keep it: a lock file in
//! the state directory (`FleetLock`, in `file`), and a lock held in another system (a
//! Kubernetes Lease, `kube::lease`) behind `RemoteLock`. The executor takes it with
//! `FleetLock::take`, whatever the backend.

mod file;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use file::{FleetLock, LockGuard, stale_because};

use meridian_model::state::{Millis, rfc3339};

/// Who holds the lock and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub action: String,
    pub since_ms: Millis,
    /// When a lease-based lock expires unless renewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<Millis>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (pid {}, {} since {})",
            self.user,
            self.pid,
            self.action,
            rfc3339(self.since_ms)
        )?;
        match self.expires_ms {
            Some(e) => write!(f, ", expires {}", rfc3339(e)),
            None => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the fleet lock is held by {0}")]
    Held(LockHolder),
    #[error("cannot use the fleet lock {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A remote lock (a Kubernetes Lease) could not be read or written.
    #[error("cannot use the fleet lock {0}")]
    Remote(String),
}

/// What the lock file says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockState {
    Free,
    Held(LockHolder),
    /// Left behind: nobody holds it, and the next writer takes it over.
    Stale {
        holder: Option<LockHolder>,
        why: String,
    },
}

/// A stale lock that was taken over, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takeover {
    pub holder: Option<LockHolder>,
    pub why: String,
}

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

    /// Can the lock be reached, and who holds it now? Nothing is written: a Lease is
    /// read; for the lock file, its directory must exist (or be creatable under an
    /// existing one) and not be read-only.
    pub async fn probe(&self) -> Result<Option<LockHolder>, String> {
        if let Some(r) = &self.remote {
            return r.holder().await.map_err(|e| e.to_string());
        }
        let mut dir = self.path.parent();
        while let Some(d) = dir {
            match std::fs::metadata(d) {
                Ok(m) if m.permissions().readonly() => {
                    return Err(format!("{} is read-only", d.display()));
                }
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => dir = d.parent(),
                Err(e) => return Err(format!("{}: {e}", d.display())),
            }
        }
        Ok(self.holder())
    }

    /// Where the lock lives, in words.
    pub fn place(&self) -> String {
        match &self.remote {
            Some(r) => format!("{r:?}"),
            None => format!("lock file {}", self.path.display()),
        }
    }
}
