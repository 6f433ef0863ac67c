//! Phase state of the shell runner, kept in the fleet's state directory (`phases.json`) so
//! the CLI, the dashboard and a restarted meridian all see the same thing. Every change is
//! a read-modify-write under an exclusive `flock`, written to a temporary file and renamed.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use meridian_model::state::{Millis, PhaseOwner, PhaseStatus};

/// One phase in one region, as the runner last recorded it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseRecord {
    pub state: PhaseStatus,
    pub step_index: Option<usize>,
    pub step_name: Option<String>,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub error: Option<String>,
    pub owner: Option<PhaseOwner>,
    /// Process group of the command running now (for cancel from any process).
    pub pgid: Option<i32>,
    /// Who asked to cancel, once someone has.
    pub cancel: Option<String>,
    pub evidence: Option<String>,
}

/// Region id -> phase id -> record.
pub type Records = BTreeMap<String, BTreeMap<String, PhaseRecord>>;

/// The runner's state file.
pub struct Store {
    path: PathBuf,
    lock: PathBuf,
}

/// The state file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("phase state {path}: {message}")]
pub struct StoreError {
    pub path: String,
    pub message: String,
}

impl Store {
    pub fn new(dir: &Path) -> Store {
        Store {
            path: dir.join("phases.json"),
            lock: dir.join("phases.lock"),
        }
    }

    fn error(&self, message: impl std::fmt::Display) -> StoreError {
        StoreError {
            path: self.path.display().to_string(),
            message: message.to_string(),
        }
    }

    /// Every record (none yet: empty).
    pub fn read(&self) -> Result<Records, StoreError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                self.error(format!(
                    "not valid JSON ({e}); move it aside to start afresh"
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Records::new()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Change the records under the lock; `f`'s answer is returned.
    pub fn update<T>(&self, f: impl FnOnce(&mut Records) -> T) -> Result<T, StoreError> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| self.error(e))?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock)
            .map_err(|e| self.error(e))?;
        // SAFETY: flock on a descriptor we own; released when `lock` is closed.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(self.error(std::io::Error::last_os_error()));
        }
        let mut records = self.read()?;
        let out = f(&mut records);
        let text = serde_json::to_string_pretty(&records).map_err(|e| self.error(e))?;
        let tmp = self.path.with_extension("json.tmp");
        fs::write(&tmp, text)
            .and_then(|_| fs::rename(&tmp, &self.path))
            .map_err(|e| self.error(e))?;
        Ok(out)
    }

    /// Change one phase's record.
    pub fn update_phase<T>(
        &self,
        region: &str,
        phase: &str,
        f: impl FnOnce(&mut PhaseRecord) -> T,
    ) -> Result<T, StoreError> {
        self.update(|all| {
            let r = all
                .entry(region.to_string())
                .or_default()
                .entry(phase.to_string())
                .or_default();
            f(r)
        })
    }
}
