//! Where one fleet's rollout is kept: a document (`rollout/current`) in the fleet's shared
//! store, so a partner's meridian on another machine sees and moves the same rollout (files
//! under `<state>/shared/` for a fleet without a cluster; ConfigMaps next to the fleet's
//! Lease with `[lock] provider = "kube"`).
//!
//! Every change is a compare-and-swap (`shared_store::update`): read the rollout with its
//! version, apply the change to what was read, write only if nobody wrote in between, else
//! apply it again to their version. The changes re-check the state they are given (whose
//! turn, which step, who approves), so of two people moving the rollout at once each change
//! lands on top of the other or is refused, never lost. This rather than holding the fleet
//! lock: an action step takes the fleet lock itself while it runs (for minutes), and an
//! approval must not wait for it.
//!
//! Before the shared store, the rollout was `<state>/rollout.json`: it is still read when
//! the store has none, and the first change moves it into the store (the old file is kept
//! as `rollout.json.migrated`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::state::{Rollout, RolloutError};
use meridian_providers::store::{self, SharedStore, StoreError};

/// The rollout's document in the shared store.
pub const KIND: &str = "rollout";
pub const KEY: &str = "current";

impl From<StoreError> for RolloutError {
    fn from(e: StoreError) -> RolloutError {
        RolloutError::Store(e.to_string())
    }
}

/// Where one fleet's rollout is kept; refuses every write in read-only mode.
#[derive(Clone)]
pub struct RolloutStore {
    pub shared: Arc<dyn SharedStore>,
    /// The file of meridian versions before the shared store, read when the store is empty.
    pub legacy: PathBuf,
    pub read_only: bool,
}

impl std::fmt::Debug for RolloutStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rollout in {}", self.shared.describe())
    }
}

fn decode(doc: Value, from: &str) -> Result<Rollout, RolloutError> {
    serde_json::from_value(doc).map_err(|e| {
        RolloutError::Store(format!(
            "{from} is not a rollout ({e}); move it aside (or delete it) to start afresh"
        ))
    })
}

fn encode(r: &Rollout) -> Result<Value, RolloutError> {
    serde_json::to_value(r)
        .map_err(|e| RolloutError::Store(format!("cannot encode rollout {}: {e}", r.id)))
}

impl RolloutStore {
    /// The rollout in `shared`, with `<dir>/rollout.json` as the file to migrate from.
    pub fn new(shared: Arc<dyn SharedStore>, dir: &Path, read_only: bool) -> RolloutStore {
        RolloutStore {
            shared,
            legacy: dir.join("rollout.json"),
            read_only,
        }
    }

    /// The rollout of a fleet whose state directory is `dir`, in the fleet's shared store.
    pub fn for_fleet(
        fleet: &meridian_model::fleet::Fleet,
        dir: &Path,
        read_only: bool,
    ) -> RolloutStore {
        RolloutStore::new(store::open(fleet, dir, read_only), dir, read_only)
    }

    fn what(&self) -> String {
        format!("{KIND}/{KEY} in {}", self.shared.describe())
    }

    /// The old `rollout.json`, if there is one.
    fn load_legacy(&self) -> Result<Option<Rollout>, RolloutError> {
        let bytes = match std::fs::read(&self.legacy) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(RolloutError::Store(format!(
                    "cannot read {}: {e}; check the state directory (`meridian paths`)",
                    self.legacy.display()
                )));
            }
        };
        let doc: Value = serde_json::from_slice(&bytes).map_err(|e| {
            RolloutError::Store(format!(
                "{} is not a rollout state file ({e}); move it aside to start afresh",
                self.legacy.display()
            ))
        })?;
        decode(doc, &self.legacy.display().to_string()).map(Some)
    }

    /// The stored document, else the old file.
    fn read(&self, doc: Option<Value>) -> Result<Option<Rollout>, RolloutError> {
        match doc {
            Some(d) => decode(d, &self.what()).map(Some),
            None => self.load_legacy(),
        }
    }

    /// The current (or last) rollout, if one was ever started.
    pub fn load(&self) -> Result<Option<Rollout>, RolloutError> {
        let doc = self.shared.get(KIND, KEY)?;
        self.read(doc)
    }

    /// The rollout, or an error saying how to start one.
    pub fn current(&self) -> Result<Rollout, RolloutError> {
        self.load()?.ok_or_else(no_rollout)
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

    /// The old file has been copied into the store: keep it aside, not in the way.
    fn retire_legacy(&self) {
        if self.legacy.exists() {
            let aside = self.legacy.with_extension("json.migrated");
            if let Err(e) = std::fs::rename(&self.legacy, &aside) {
                log::warn!(
                    "the rollout is now in {}; {} could not be renamed to {}: {e}",
                    self.shared.describe(),
                    self.legacy.display(),
                    aside.display()
                );
            }
        }
    }

    /// Change the stored rollout with `f`, by compare-and-swap: `f` runs on the rollout as
    /// stored now, again on a partner's version if they wrote in between, and its error
    /// stops the change. Returns the rollout as written and what `f` said.
    pub fn change<T>(
        &self,
        mut f: impl FnMut(&mut Rollout) -> Result<T, RolloutError>,
    ) -> Result<(Rollout, T), RolloutError> {
        self.writable()?;
        let done = store::update(&*self.shared, KIND, KEY, |doc| {
            let mut r = self.read(doc)?.ok_or_else(no_rollout)?;
            let out = f(&mut r)?;
            Ok::<_, RolloutError>(Some((encode(&r)?, (r, out))))
        })?;
        self.retire_legacy();
        done.ok_or_else(no_rollout)
    }

    /// Store a new rollout, unless one is still going (checked against what is stored at
    /// the moment of writing, so two people starting at once cannot both succeed).
    pub fn start(&self, new: &Rollout) -> Result<(), RolloutError> {
        self.writable()?;
        store::update(&*self.shared, KIND, KEY, |doc| {
            if let Some(r) = self.read(doc)?
                && !r.status.finished()
            {
                return Err(RolloutError::Refused(format!(
                    "rollout {} is {} (started by {}): finish it, or `meridian rollout abort`, before starting another",
                    r.id,
                    r.status.as_str(),
                    r.started_by
                )));
            }
            Ok(Some((encode(new)?, ())))
        })?;
        self.retire_legacy();
        Ok(())
    }

    /// Replace the stored rollout whatever it is (tests and tools; commands use `change`).
    pub fn save(&self, rollout: &Rollout) -> Result<(), RolloutError> {
        self.writable()?;
        self.shared.put(KIND, KEY, &encode(rollout)?)?;
        self.retire_legacy();
        Ok(())
    }
}

fn no_rollout() -> RolloutError {
    RolloutError::Usage(
        "no rollout has been started in this fleet: `meridian rollout start ID --reason TEXT`"
            .into(),
    )
}
