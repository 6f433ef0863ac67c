//! The change freeze a person sets: one document (`freeze/current`) in the fleet's shared
//! store, so every operator's meridian (another state directory, another laptop) sees it
//! at its next read: the dashboard within a second, the executor just before it acts.

use meridian_model::state::freeze::Freeze;
use meridian_model::state::{Millis, Observed};
use meridian_providers::store::{SharedStore, StoreError};

const KIND: &str = "freeze";
const KEY: &str = "current";

/// The stored freeze, as an observation: none, one, or why it could not be read. One that
/// has ended by itself reads as none.
pub fn read(store: &dyn SharedStore, now: Millis) -> Observed<Freeze> {
    match store.get(KIND, KEY) {
        Ok(None) => Observed::default(),
        Ok(Some(doc)) => match serde_json::from_value::<Freeze>(doc) {
            Ok(f) if f.holds(now) => Observed::ok(f, now),
            Ok(_) => Observed {
                value: None,
                at: Some(now),
                error: None,
            },
            Err(e) => Observed {
                value: None,
                at: None,
                error: Some(
                    format!(
                        "the freeze document in {} is unreadable ({e}); `meridian unfreeze --reason TEXT` replaces it",
                        store.describe()
                    )
                    .into(),
                ),
            },
        },
        Err(e) => Observed {
            value: None,
            at: None,
            error: Some(e.to_string().into()),
        },
    }
}

/// Set (or replace) the freeze.
pub fn set(store: &dyn SharedStore, freeze: &Freeze) -> Result<(), StoreError> {
    let doc = serde_json::to_value(freeze).map_err(|e| StoreError {
        what: format!("{KIND}/{KEY}"),
        why: e.to_string(),
    })?;
    store.put(KIND, KEY, &doc)
}

/// Lift the freeze; returns the one that was set, if any.
pub fn clear(store: &dyn SharedStore) -> Result<Option<Freeze>, StoreError> {
    let was = store
        .get(KIND, KEY)?
        .and_then(|d| serde_json::from_value(d).ok());
    store.remove(KIND, KEY)?;
    Ok(was)
}
