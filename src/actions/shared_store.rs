//! Shared state that two people's meridians must both see: approval requests and
//! approvals, temporary-weight records, the rollout. Documents are small JSON values
//! addressed by a kind and a key. Two stores sit behind the trait: files in the fleet's
//! state directory (`DirStore`, for a fleet without a cluster, e.g. a shared bastion), and
//! ConfigMaps next to the fleet's Lease (`providers::kube::shared::KubeStore`, for
//! `[lock] provider = "kube"`); `open` picks one from the fleet.
//!
//! Read-modify-write goes through `update`: a versioned read and a compare-and-swap write
//! (`put_if`), retried on the fresh document when someone else wrote in between, so two
//! writers never silently overwrite each other.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

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
            let jitter = crate::state::now_ms().rem_euclid(7) as u64;
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
    fleet: &crate::fleet::Fleet,
    fleet_dir: &Path,
    read_only: bool,
) -> Arc<dyn SharedStore> {
    let inner: Arc<dyn SharedStore> =
        match crate::providers::kube::shared::KubeStore::for_fleet(fleet) {
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

/// Documents as `<dir>/<kind>/<key>.json`.
#[derive(Debug, Clone)]
pub struct DirStore {
    pub dir: PathBuf,
}

impl DirStore {
    /// The store in a fleet's state directory.
    pub fn in_state_dir(fleet_dir: &Path) -> DirStore {
        DirStore {
            dir: fleet_dir.join("shared"),
        }
    }

    fn path(&self, kind: &str, key: &str) -> Result<PathBuf, StoreError> {
        // Keys come from the command line (a hash the user typed): never a path.
        let plain = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if !plain(kind) || !plain(key) {
            return Err(StoreError {
                what: format!("{kind}/{key}"),
                why: "not a plain name (letters, digits, '-', '_', '.')".into(),
            });
        }
        Ok(self.dir.join(kind).join(format!("{key}.json")))
    }
}

/// The version of a document file: a digest of its bytes.
fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl DirStore {
    /// Hold the kind's lock file while `f` runs: writers of one kind (on this host, or on
    /// hosts sharing the directory with working `flock`) take turns, so a compare and the
    /// rename after it are one step.
    fn locked<T>(
        &self,
        kind: &str,
        f: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let dir = self.dir.join(kind);
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let path = dir.join(".lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        file.lock().map_err(|e| io_err(&path, e))?;
        let out = f();
        drop(file);
        out
    }

    fn read(&self, path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
        match fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(path, e)),
        }
    }

    fn write(&self, kind: &str, key: &str, path: &Path, doc: &Value) -> Result<(), StoreError> {
        let dir = self.dir.join(kind);
        let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
        let text = serde_json::to_vec_pretty(doc).map_err(|e| io_err(path, e))?;
        fs::write(&tmp, text)
            .and_then(|_| fs::File::open(&tmp).and_then(|f| f.sync_all()))
            .and_then(|_| fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = fs::remove_file(&tmp);
                io_err(path, e)
            })
    }
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError {
        what: path.display().to_string(),
        why: e.to_string(),
    }
}

impl SharedStore for DirStore {
    fn get_versioned(&self, kind: &str, key: &str) -> Result<Option<Versioned>, StoreError> {
        let path = self.path(kind, key)?;
        let Some(bytes) = self.read(&path)? else {
            return Ok(None);
        };
        let doc = serde_json::from_slice(&bytes)
            .map_err(|e| io_err(&path, format!("{e}; delete the file to start afresh")))?;
        Ok(Some(Versioned {
            doc,
            version: digest(&bytes),
        }))
    }

    fn put(&self, kind: &str, key: &str, doc: &Value) -> Result<(), StoreError> {
        let path = self.path(kind, key)?;
        self.locked(kind, || self.write(kind, key, &path, doc))
    }

    fn put_if(
        &self,
        kind: &str,
        key: &str,
        doc: &Value,
        expected: Option<&str>,
    ) -> Result<Swap, StoreError> {
        let path = self.path(kind, key)?;
        self.locked(kind, || {
            let now = self.read(&path)?.map(|b| digest(&b));
            if now.as_deref() != expected {
                return Ok(Swap::Conflict);
            }
            self.write(kind, key, &path, doc).map(|_| Swap::Written)
        })
    }

    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    fn list(&self, kind: &str) -> Result<Vec<(String, Value)>, StoreError> {
        let dir = self.dir.join(kind);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(key) = name.strip_suffix(".json") else {
                continue;
            };
            if key.starts_with('.') {
                continue;
            }
            if let Ok(Some(doc)) = self.get(kind, key) {
                out.push((key.to_string(), doc));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn remove(&self, kind: &str, key: &str) -> Result<(), StoreError> {
        let path = self.path(kind, key)?;
        if !path.exists() {
            return Ok(());
        }
        self.locked(kind, || match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path, e)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_and_keys_cannot_escape() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::in_state_dir(dir.path());
        let doc = serde_json::json!({ "a": 1 });
        store.put("approvals", "abc", &doc).unwrap();
        assert_eq!(store.get("approvals", "abc").unwrap(), Some(doc.clone()));
        assert_eq!(
            store.list("approvals").unwrap(),
            vec![("abc".to_string(), doc)]
        );
        assert!(store.get("approvals", "../x").is_err());
        store.remove("approvals", "abc").unwrap();
        assert_eq!(store.get("approvals", "abc").unwrap(), None);
    }

    #[test]
    fn put_if_refuses_a_stale_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::in_state_dir(dir.path());
        let one = serde_json::json!({ "n": 1 });
        assert_eq!(store.put_if("k", "d", &one, None).unwrap(), Swap::Written);
        assert_eq!(store.put_if("k", "d", &one, None).unwrap(), Swap::Conflict);
        let v = store.get_versioned("k", "d").unwrap().unwrap();
        let two = serde_json::json!({ "n": 2 });
        assert_eq!(
            store.put_if("k", "d", &two, Some(&v.version)).unwrap(),
            Swap::Written
        );
        assert_eq!(
            store.put_if("k", "d", &one, Some(&v.version)).unwrap(),
            Swap::Conflict,
            "the version read before the last write is stale"
        );
        assert_eq!(store.get("k", "d").unwrap(), Some(two));
    }

    #[test]
    fn concurrent_updates_are_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::in_state_dir(dir.path());
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10 {
                        update::<(), StoreError>(&store, "k", "counter", |doc| {
                            let n = doc.and_then(|d| d["n"].as_u64()).unwrap_or(0);
                            Ok(Some((serde_json::json!({ "n": n + 1 }), ())))
                        })
                        .unwrap();
                    }
                });
            }
        });
        assert_eq!(
            store.get("k", "counter").unwrap(),
            Some(serde_json::json!({ "n": 40 }))
        );
    }

    #[test]
    fn read_only_refuses_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let inner: Arc<dyn SharedStore> = Arc::new(DirStore::in_state_dir(dir.path()));
        inner.put("k", "d", &serde_json::json!(1)).unwrap();
        let ro = ReadOnly(inner);
        assert_eq!(ro.get("k", "d").unwrap(), Some(serde_json::json!(1)));
        let e = ro.put("k", "d", &serde_json::json!(2)).unwrap_err();
        assert!(e.to_string().contains("read-only"), "{e}");
        assert!(ro.put_if("k", "d", &serde_json::json!(2), None).is_err());
        assert!(ro.remove("k", "d").is_err());
        assert_eq!(ro.get("k", "d").unwrap(), Some(serde_json::json!(1)));
    }
}
