//! The fleet lock: one action at a time per fleet. For now a lock file in the state
//! directory, created atomically; a lock left by a process that died on this host is
//! taken over.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::audit::{hostname, whoami};
use crate::state::{Millis, now_ms, rfc3339};

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

/// The lock of one fleet: a lock file, or a remote lock (see `lock_remote`).
#[derive(Debug, Clone)]
pub struct FleetLock {
    pub path: PathBuf,
    pub remote: Option<std::sync::Arc<dyn super::lock_remote::RemoteLock>>,
}

/// Held while an action runs; dropping it releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    path: PathBuf,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

impl FleetLock {
    pub fn new(path: &Path) -> FleetLock {
        FleetLock {
            path: path.to_path_buf(),
            remote: None,
        }
    }

    /// Take the lock, or say who holds it.
    pub fn acquire(&self, action: &str) -> Result<LockGuard, LockError> {
        let io = |source| LockError::Io {
            path: self.path.display().to_string(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let me = LockHolder {
            user: whoami(),
            host: hostname(),
            pid: std::process::id(),
            action: action.to_string(),
            since_ms: now_ms(),
            expires_ms: None,
        };
        for _ in 0..2 {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&self.path)
            {
                Ok(mut f) => {
                    let text =
                        serde_json::to_string(&me).map_err(|e| io(std::io::Error::other(e)))?;
                    f.write_all(text.as_bytes()).map_err(io)?;
                    f.sync_data().map_err(io)?;
                    return Ok(LockGuard {
                        path: self.path.clone(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match self.holder() {
                    Some(h) if !is_dead(&h) => return Err(LockError::Held(h)),
                    // A dead holder on this host, or an unreadable file: take it over.
                    _ => {
                        log::warn!("taking over a stale fleet lock at {}", self.path.display());
                        let _ = fs::remove_file(&self.path);
                    }
                },
                Err(e) => return Err(io(e)),
            }
        }
        Err(io(std::io::Error::other("lock file keeps reappearing")))
    }

    /// Who holds the lock now, if anyone.
    pub fn holder(&self) -> Option<LockHolder> {
        let text = fs::read_to_string(&self.path).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// A holder on this host whose process no longer exists.
fn is_dead(h: &LockHolder) -> bool {
    if h.host != hostname() {
        return false;
    }
    // SAFETY: kill with signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(h.pid as libc::pid_t, 0) };
    rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FleetLock::new(&dir.path().join("fleet.lock"));
        let guard = lock.acquire("drain").unwrap();
        match lock.acquire("promote") {
            Err(LockError::Held(h)) => assert_eq!(h.action, "drain"),
            other => panic!("expected Held, got {other:?}"),
        }
        drop(guard);
        assert!(lock.acquire("promote").is_ok());
    }

    #[test]
    fn a_dead_holder_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fleet.lock");
        let dead = LockHolder {
            user: "x@y".into(),
            host: hostname(),
            pid: 999_999_999,
            action: "drain".into(),
            since_ms: 0,
            expires_ms: None,
        };
        fs::write(&path, serde_json::to_string(&dead).unwrap()).unwrap();
        assert!(FleetLock::new(&path).acquire("restore").is_ok());
    }
}
