//! The shared store in files: documents as `<dir>/<kind>/<key>.json` in the fleet's state
//! directory, for a fleet without a cluster (one host, or a shared bastion directory).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{SharedStore, StoreError, Swap, Versioned};

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
    use std::sync::Arc;

    use super::super::{ReadOnly, update};
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
