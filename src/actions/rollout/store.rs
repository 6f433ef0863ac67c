//! The rollout's file in the fleet's state directory, next to the audit log. Written to a
//! temporary file, flushed and renamed, so a reader (or a restart after `kill -9`) sees the
//! old state or the new one, never half of either.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::state::{Rollout, RolloutError};

/// Where one fleet's rollout is kept; refuses every write in read-only mode.
#[derive(Debug, Clone)]
pub struct RolloutStore {
    pub path: PathBuf,
    pub read_only: bool,
}

impl RolloutStore {
    /// The store for a fleet's state directory.
    pub fn new(dir: &Path, read_only: bool) -> RolloutStore {
        RolloutStore {
            path: dir.join("rollout.json"),
            read_only,
        }
    }

    /// The current (or last) rollout, if one was ever started.
    pub fn load(&self) -> Result<Option<Rollout>, RolloutError> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io("read", e)),
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            RolloutError::Store(format!(
                "{} is not a rollout state file ({e}); move it aside to start afresh",
                self.path.display()
            ))
        })
    }

    /// The rollout, or an error saying how to start one.
    pub fn current(&self) -> Result<Rollout, RolloutError> {
        self.load()?.ok_or_else(|| {
            RolloutError::Usage(
                "no rollout has been started in this fleet: `meridian rollout start ID --reason TEXT`"
                    .into(),
            )
        })
    }

    /// Refused in read-only mode: every command that moves a rollout asks first.
    pub fn writable(&self) -> Result<(), RolloutError> {
        if self.read_only {
            return Err(RolloutError::Refused(
                "read-only mode: rollouts are shown, not moved (no start, next, approve, abort or resume)".into(),
            ));
        }
        Ok(())
    }

    /// Replace the stored rollout atomically.
    pub fn save(&self, rollout: &Rollout) -> Result<(), RolloutError> {
        self.writable()?;
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| self.io("create the directory of", e))?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(rollout)
            .map_err(|e| RolloutError::Store(format!("cannot encode the rollout: {e}")))?;
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            // Durable before the rename: after a power cut the file is old or new, not empty.
            f.sync_all()?;
            fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| self.io("write", e))
    }

    fn io(&self, what: &str, e: std::io::Error) -> RolloutError {
        RolloutError::Store(format!(
            "cannot {what} {}: {e}; check the state directory (`meridian paths`)",
            self.path.display()
        ))
    }
}
