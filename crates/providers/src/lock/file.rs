//! The fleet lock as a file in the state directory,
//! created whole and at once (written aside, then linked into place), so nobody ever reads
//! half a lock. A lock that cannot be real (its process died on this host, an impossible
//! pid or timestamp, an unreadable file) is stale: it is never shown as held, and the next
//! writer takes it over and says so (the executor audits the takeover).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{LockError, LockHolder, LockState, Takeover};
use meridian_model::host::{PID_MAX_LIMIT, hostname, process_alive, whoami};
use meridian_model::state::{Millis, now_ms, valid_time};

/// How far in the future a lock's timestamp may be (clock skew between hosts) before it is
/// impossible.
const FUTURE_SLACK_MS: Millis = 24 * 3600 * 1000;

/// The lock of one fleet: a lock file, or a remote lock (see `RemoteLock`).
#[derive(Debug, Clone)]
pub struct FleetLock {
    pub path: PathBuf,
    pub remote: Option<std::sync::Arc<dyn super::RemoteLock>>,
}

/// Held while an action runs; dropping it releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    path: PathBuf,
    me: LockHolder,
    /// The stale lock this acquisition replaced, if any.
    pub took_over: Option<Takeover>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Only our own lock: never delete one that someone else has since taken.
        if FleetLock::new(&self.path).parse().ok().flatten().as_ref() == Some(&self.me) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl FleetLock {
    pub fn new(path: &Path) -> FleetLock {
        FleetLock {
            path: path.to_path_buf(),
            remote: None,
        }
    }

    /// Take the lock, or say who holds it. A stale lock is taken over (see `took_over`).
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
        let text = serde_json::to_string(&me).map_err(|e| io(std::io::Error::other(e)))?;
        let mut took_over = None;
        for _ in 0..3 {
            if self.create(&text).map_err(io)? {
                return Ok(LockGuard {
                    path: self.path.clone(),
                    me,
                    took_over,
                });
            }
            match self.state() {
                LockState::Held(h) => return Err(LockError::Held(h)),
                LockState::Free => {}
                LockState::Stale { holder, why } => {
                    if self.remove_if_stale().map_err(io)? {
                        log::warn!("taking over a stale fleet lock: {why}");
                        took_over = Some(Takeover { holder, why });
                    }
                }
            }
        }
        Err(io(std::io::Error::other(
            "the lock file keeps changing; try again",
        )))
    }

    /// Create the lock file with `text` unless it exists: written aside and hard-linked into
    /// place, which either succeeds whole or fails because the file is there.
    fn create(&self, text: &str) -> std::io::Result<bool> {
        let aside = self
            .path
            .with_extension(format!("lock.new.{}", std::process::id()));
        let mut f = fs::File::create(&aside)?;
        f.write_all(text.as_bytes())?;
        f.sync_data()?;
        drop(f);
        let linked = fs::hard_link(&aside, &self.path);
        let _ = fs::remove_file(&aside);
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Remove the lock file if it is still stale, judged again under a guard file so two
    /// processes taking over at once cannot delete each other's fresh lock.
    fn remove_if_stale(&self) -> std::io::Result<bool> {
        let guard = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.path.with_extension("lock.takeover"))?;
        guard.lock()?;
        let removed = match self.state() {
            LockState::Stale { .. } => fs::remove_file(&self.path).map(|_| true),
            _ => Ok(false),
        };
        drop(guard);
        removed
    }

    /// Who holds the lock now, if anyone alive does (a stale lock has no holder).
    pub fn holder(&self) -> Option<LockHolder> {
        match self.state() {
            LockState::Held(h) => Some(h),
            LockState::Free | LockState::Stale { .. } => None,
        }
    }

    /// What the lock file says, judged: free, held, or stale and why.
    pub fn state(&self) -> LockState {
        match self.parse() {
            Ok(None) => LockState::Free,
            Ok(Some(h)) => match stale_because(&h) {
                Some(why) => LockState::Stale {
                    why: format!("{why} (left by {})", describe(&h)),
                    holder: Some(h),
                },
                None => LockState::Held(h),
            },
            Err(why) => LockState::Stale { holder: None, why },
        }
    }

    /// The lock file's holder as written; `Err` when the file exists but is not a lock.
    fn parse(&self) -> Result<Option<LockHolder>, String> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("the lock file cannot be read ({e})")),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| "the lock file is not a lock (damaged, or not written by meridian)".into())
    }
}

/// A holder's pid and time without formatting an impossible time.
fn describe(h: &LockHolder) -> String {
    format!("{} pid {} on {}, {}", h.user, h.pid, h.host, h.action)
}

/// Why a lock holder cannot be real or alive, if it cannot.
pub fn stale_because(h: &LockHolder) -> Option<String> {
    if h.pid == 0 || h.pid > PID_MAX_LIMIT {
        return Some(format!("its process id {} is impossible", h.pid));
    }
    if !valid_time(h.since_ms) || h.since_ms > now_ms().saturating_add(FUTURE_SLACK_MS) {
        return Some(format!("its timestamp {} ms is impossible", h.since_ms));
    }
    if h.host == hostname() && !process_alive(h.pid) {
        return Some(format!("process {} is no longer running", h.pid));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(pid: u32, since_ms: Millis) -> LockHolder {
        LockHolder {
            user: "x@y".into(),
            host: hostname(),
            pid,
            action: "drain".into(),
            since_ms,
            expires_ms: None,
        }
    }

    #[test]
    fn second_acquire_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FleetLock::new(&dir.path().join("fleet.lock"));
        let guard = lock.acquire("drain").unwrap();
        assert_eq!(guard.took_over, None);
        match lock.acquire("promote") {
            Err(LockError::Held(h)) => assert_eq!(h.action, "drain"),
            other => panic!("expected Held, got {other:?}"),
        }
        drop(guard);
        assert!(lock.acquire("promote").is_ok());
        assert!(!lock.path.exists(), "released");
    }

    #[test]
    fn impossible_or_dead_holders_are_stale_never_held_and_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fleet.lock");
        let lock = FleetLock::new(&path);
        let now = now_ms();
        let cases = [
            (holder(0, now), "process id 0 is impossible"),
            (holder(4_294_967_295, now), "process id 4294967295"),
            (holder(PID_MAX_LIMIT + 1, now), "is impossible"),
            (holder(std::process::id(), -5), "timestamp -5 ms"),
            (holder(std::process::id(), i64::MAX), "is impossible"),
            (
                holder(std::process::id(), now + 2 * FUTURE_SLACK_MS),
                "timestamp",
            ),
            (holder(PID_MAX_LIMIT - 1, now), "no longer running"),
        ];
        for (h, why) in cases {
            fs::write(&path, serde_json::to_string(&h).unwrap()).unwrap();
            assert_eq!(lock.holder(), None, "{h:?}");
            let guard = lock.acquire("restore").unwrap();
            let took = guard.took_over.clone().unwrap();
            assert!(took.why.contains(why), "{}", took.why);
            assert_eq!(took.holder, Some(h));
            drop(guard);
        }
        fs::write(&path, "{\"user\": \"half a lo").unwrap();
        assert_eq!(lock.holder(), None);
        let took = lock.acquire("restore").unwrap().took_over.clone().unwrap();
        assert!(took.why.contains("not a lock"), "{}", took.why);
    }

    #[test]
    fn a_live_holder_stays_held_and_release_leaves_others_locks_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fleet.lock");
        let lock = FleetLock::new(&path);
        let guard = lock.acquire("drain").unwrap();
        // Someone removed ours and took the lock: dropping ours must not delete theirs.
        let theirs = holder(std::process::id(), now_ms() - 1);
        fs::write(&path, serde_json::to_string(&theirs).unwrap()).unwrap();
        drop(guard);
        assert_eq!(lock.holder(), Some(theirs));
    }
}
