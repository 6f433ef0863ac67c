//! What meridian changed to take a region out of rotation where weights do not steer its
//! traffic (a record pointed at an always-unhealthy health check, a pool or endpoint
//! disabled), so that `restore` puts back exactly what was there, whoever runs it. The
//! executor keeps the book in the fleet's shared store (`traffic/drains`) and hands it to
//! the traffic provider with each change; the provider writes an entry when it drains a
//! region and takes it out when it restores one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{SharedStore, StoreError, update};

const KIND: &str = "traffic";
const KEY: &str = "drains";

/// One region's drain: how it was done, and what restoring needs (provider-specific).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drained {
    /// The provider that did it (`route53`).
    pub provider: String,
    /// What was changed, in words, for the plan and `status`.
    pub how: String,
    /// What restoring needs, in the provider's own terms.
    pub undo: Value,
    /// When, in ms since the epoch.
    pub at_ms: i64,
}

/// Every drained region's entry, by region id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrainBook {
    #[serde(default)]
    pub regions: BTreeMap<String, Drained>,
}

impl DrainBook {
    /// The book as the shared store holds it (empty when there is none).
    pub fn load(store: &dyn SharedStore) -> Result<DrainBook, StoreError> {
        match store.get(KIND, KEY)? {
            None => Ok(DrainBook::default()),
            Some(doc) => serde_json::from_value(doc).map_err(|e| StoreError {
                what: format!("{KIND}/{KEY} in {}", store.describe()),
                why: format!("not a drain book ({e}); restore from the provider's console"),
            }),
        }
    }

    /// Write the entries of `regions` as this book has them (added, changed or gone) over
    /// what the store holds now, leaving other regions' entries as they are.
    pub fn save(&self, store: &dyn SharedStore, regions: &[String]) -> Result<(), StoreError> {
        update(store, KIND, KEY, |doc| {
            let mut stored: DrainBook = doc
                .and_then(|d| serde_json::from_value(d).ok())
                .unwrap_or_default();
            for r in regions {
                match self.regions.get(r) {
                    Some(entry) => {
                        stored.regions.insert(r.clone(), entry.clone());
                    }
                    None => {
                        stored.regions.remove(r);
                    }
                }
            }
            let doc = serde_json::to_value(&stored).map_err(|e| StoreError {
                what: format!("{KIND}/{KEY}"),
                why: e.to_string(),
            })?;
            Ok(Some((doc, ())))
        })
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DirStore;

    #[test]
    fn saving_touches_only_the_regions_changed() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::in_state_dir(dir.path());
        let entry = |how: &str| Drained {
            provider: "route53".into(),
            how: how.into(),
            undo: serde_json::json!({"health_check": null}),
            at_ms: 1,
        };
        let mut a = DrainBook::default();
        a.regions.insert("eu".into(), entry("eu drained"));
        a.save(&store, &["eu".into()]).unwrap();
        // Someone else drains ap meanwhile; this book never saw it.
        let mut b = DrainBook::default();
        b.regions.insert("ap".into(), entry("ap drained"));
        b.save(&store, &["ap".into()]).unwrap();
        // Restoring eu from the first book keeps ap's entry.
        a.regions.remove("eu");
        a.save(&store, &["eu".into()]).unwrap();
        let stored = DrainBook::load(&store).unwrap();
        assert_eq!(stored.regions.keys().collect::<Vec<_>>(), vec!["ap"]);
    }
}
