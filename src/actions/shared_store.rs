//! Shared state that two people's meridians must both see: approval requests and
//! approvals, temporary-weight records. Documents are small JSON values addressed by a
//! kind and a key, so a store of Kubernetes objects (one per document, next to the
//! fleet's Lease) can sit behind the same trait later; today they are files in the
//! fleet's state directory, written atomically (a temporary file, then a rename).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A shared document could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("shared state {what}: {why}")]
pub struct StoreError {
    pub what: String,
    pub why: String,
}

/// Small JSON documents by kind and key.
pub trait SharedStore: Send + Sync {
    fn get(&self, kind: &str, key: &str) -> Result<Option<Value>, StoreError>;
    /// Replace the document, atomically: a reader sees the old or the new one, never half.
    fn put(&self, kind: &str, key: &str, doc: &Value) -> Result<(), StoreError>;
    /// Every document of a kind, by key (unreadable ones are skipped: they are reported
    /// by `get` when asked for by name).
    fn list(&self, kind: &str) -> Result<Vec<(String, Value)>, StoreError>;
    fn remove(&self, kind: &str, key: &str) -> Result<(), StoreError>;
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

fn io_err(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError {
        what: path.display().to_string(),
        why: e.to_string(),
    }
}

impl SharedStore for DirStore {
    fn get(&self, kind: &str, key: &str) -> Result<Option<Value>, StoreError> {
        let path = self.path(kind, key)?;
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| io_err(&path, format!("{e}; delete the file to start afresh"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path, e)),
        }
    }

    fn put(&self, kind: &str, key: &str, doc: &Value) -> Result<(), StoreError> {
        let path = self.path(kind, key)?;
        let dir = self.dir.join(kind);
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
        let text = serde_json::to_vec_pretty(doc).map_err(|e| io_err(&path, e))?;
        fs::write(&tmp, text)
            .and_then(|_| fs::File::open(&tmp).and_then(|f| f.sync_all()))
            .and_then(|_| fs::rename(&tmp, &path))
            .map_err(|e| {
                let _ = fs::remove_file(&tmp);
                io_err(&path, e)
            })
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
            if let Ok(Some(doc)) = self.get(kind, key) {
                out.push((key.to_string(), doc));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn remove(&self, kind: &str, key: &str) -> Result<(), StoreError> {
        let path = self.path(kind, key)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path, e)),
        }
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
}
