//! Shared state that two people's meridians must both see: approval requests and
//! approvals, temporary-weight records, the rollout. Documents are small JSON values
//! addressed by a kind and a key. Two stores sit behind the trait: files in the fleet's
//! state directory (`DirStore`, for a fleet without a cluster, e.g. a shared bastion), and
//! ConfigMaps next to the fleet's Lease (`kube::shared::KubeStore`, for
//! `[lock] provider = "kube"`); `open` picks one from the fleet.
//!
//! Read-modify-write goes through `update`: a versioned read and a compare-and-swap write
//! (`put_if`), retried on the fresh document when someone else wrote in between, so two
//! writers never silently overwrite each other.

mod dir;

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

pub use dir::DirStore;

/// A shared document could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("shared state {what}: {why}")]
pub struct StoreError {
    pub what: String,
    pub why: String,
}

/// A document and the version it was read at (a Kubernetes resourceVersion, or a digest
/// of the file), for a later `put_if`.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    pub doc: Value,
    pub version: String,
}

/// What a compare-and-swap write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    Written,
    /// The document is not at the version given (someone else wrote it): re-read and retry.
    Conflict,
}

/// Small JSON documents by kind and key.
///
/// The trait is synchronous: its callers are the executor's sync helpers, the CLI, and the
/// dashboard's main loop, which do a handful of small reads and writes per action. The
/// directory store blocks on local files; the Kubernetes store runs its calls on a runtime
/// of its own (see there) with a deadline, so a caller on any runtime (or none) may call it.
pub trait SharedStore: Send + Sync {
    fn get(&self, kind: &str, key: &str) -> Result<Option<Value>, StoreError> {
        Ok(self.get_versioned(kind, key)?.map(|v| v.doc))
    }
    /// The document and its version.
    fn get_versioned(&self, kind: &str, key: &str) -> Result<Option<Versioned>, StoreError>;
    /// Replace the document, atomically: a reader sees the old or the new one, never half.
    fn put(&self, kind: &str, key: &str, doc: &Value) -> Result<(), StoreError>;
    /// Write the document only if it is still at `expected` (`None`: only if there is none).
    fn put_if(
        &self,
        kind: &str,
        key: &str,
        doc: &Value,
        expected: Option<&str>,
    ) -> Result<Swap, StoreError>;
    /// Every document of a kind, by key (unreadable ones are skipped: they are reported
    /// by `get` when asked for by name).
    fn list(&self, kind: &str) -> Result<Vec<(String, Value)>, StoreError>;
    fn remove(&self, kind: &str, key: &str) -> Result<(), StoreError>;
    /// A counter that moves when a document may have changed, for a store that is watched
    /// (the Kubernetes one); `None`: re-read on a timer.
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
    /// Where the documents live, for messages.
    fn describe(&self) -> String;
}

/// How often `update` re-reads and re-applies after a conflict before giving up.
const UPDATE_TRIES: usize = 10;

/// Read-modify-write one document by compare-and-swap: `f` gets the document as stored now
/// (or `None`) and returns the new one, or `Ok(None)` to write nothing, or an error to stop.
/// When someone else wrote in between, `f` runs again on their version, so it must decide
/// from what it is given (it is, for every caller: the rollout's and approvals' rules
/// re-check the fresh state), which is what makes the retry safe.
pub fn update<T, E: From<StoreError>>(
    store: &dyn SharedStore,
    kind: &str,
    key: &str,
    mut f: impl FnMut(Option<Value>) -> Result<Option<(Value, T)>, E>,
) -> Result<Option<T>, E> {
    for attempt in 0..UPDATE_TRIES {
        if attempt > 0 {
            // Someone else wrote meanwhile: let them finish, with a little jitter so two
            // retrying writers do not stay in step.
            let jitter = meridian_model::state::now_ms().rem_euclid(7) as u64;
            std::thread::sleep(std::time::Duration::from_millis(
                2 * attempt as u64 + jitter,
            ));
        }
        let current = store.get_versioned(kind, key)?;
        let (doc, version) = match current {
            Some(v) => (Some(v.doc), Some(v.version)),
            None => (None, None),
        };
        let Some((new, out)) = f(doc)? else {
            return Ok(None);
        };
        match store.put_if(kind, key, &new, version.as_deref())? {
            Swap::Written => return Ok(Some(out)),
            Swap::Conflict => continue,
        }
    }
    Err(E::from(StoreError {
        what: format!("{kind}/{key} in {}", store.describe()),
        why: format!(
            "it was changed by someone else {UPDATE_TRIES} times while this was written; re-read it and try again"
        ),
    }))
}

/// The fleet's shared store: ConfigMaps next to its Lease when `[lock] provider = "kube"`,
/// else files under `<fleet_dir>/shared/`. In read-only mode every write is refused.
pub fn open(
    fleet: &meridian_model::fleet::Fleet,
    fleet_dir: &Path,
    read_only: bool,
) -> Arc<dyn SharedStore> {
    let inner: Arc<dyn SharedStore> = match super::kube::shared::KubeStore::for_fleet(fleet) {
        Some(kube) => kube,
        None => Arc::new(DirStore::in_state_dir(fleet_dir)),
    };
    if read_only {
        Arc::new(ReadOnly(inner))
    } else {
        inner
    }
}

/// A store in read-only mode: reads pass, every write is refused.
pub struct ReadOnly(pub Arc<dyn SharedStore>);

impl ReadOnly {
    fn refuse(&self, kind: &str, key: &str) -> StoreError {
        StoreError {
            what: format!("{kind}/{key} in {}", self.0.describe()),
            why: "read-only mode: shared state is shown, not written (run without --read-only to change it)".into(),
        }
    }
}

impl SharedStore for ReadOnly {
    fn get(&self, kind: &str, key: &str) -> Result<Option<Value>, StoreError> {
        self.0.get(kind, key)
    }
    fn get_versioned(&self, kind: &str, key: &str) -> Result<Option<Versioned>, StoreError> {
        self.0.get_versioned(kind, key)
    }
    fn put(&self, kind: &str, key: &str, _doc: &Value) -> Result<(), StoreError> {
        Err(self.refuse(kind, key))
    }
    fn put_if(
        &self,
        kind: &str,
        key: &str,
        _doc: &Value,
        _expected: Option<&str>,
    ) -> Result<Swap, StoreError> {
        Err(self.refuse(kind, key))
    }
    fn list(&self, kind: &str) -> Result<Vec<(String, Value)>, StoreError> {
        self.0.list(kind)
    }
    fn remove(&self, kind: &str, key: &str) -> Result<(), StoreError> {
        Err(self.refuse(kind, key))
    }
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.0.changes()
    }
    fn describe(&self) -> String {
        format!("{} (read-only)", self.0.describe())
    }
}
