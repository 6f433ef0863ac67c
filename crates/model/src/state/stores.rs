//! A region's further data stores (`databases = [...]`, `cache`): each one's role and lag,
//! beside the region's own database. A whole-region failover moves all of them; the board
//! shows each, and a fleet whose stores have their writers in different regions is split.

use serde::{Deserialize, Serialize};

use super::{FleetState, Observed, RegionState};
use crate::fleet::Role;

/// One further data store of a region, as last observed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreState {
    pub name: String,
    pub role: Observed<Role>,
    /// Seconds behind its writer; `None` without error for the writer itself.
    pub lag: Observed<f64>,
}

impl RegionState {
    /// Role and lag of data store `index`: 0 is the region's database, k its k-th further
    /// store (the fleet's order).
    pub fn store(&self, index: usize) -> Option<(&Observed<Role>, &Observed<f64>)> {
        match index {
            0 => Some((&self.role, &self.lag)),
            k => self.stores.get(k - 1).map(|s| (&s.role, &s.lag)),
        }
    }
}

impl FleetState {
    /// The region whose data store `index` is the writer (0: the database).
    pub fn store_primary(&self, index: usize) -> Option<&RegionState> {
        self.regions.iter().find(|r| {
            r.store(index)
                .is_some_and(|(role, _)| role.value == Some(Role::Primary))
        })
    }

    /// Data stores whose writer is not where the database's is: `(store index, writer)`.
    /// A region failover that stopped part-way leaves the application writing to one
    /// store in one region and another store in another.
    pub fn split_writers(&self) -> Vec<(usize, String)> {
        let Some(db) = self.primary().map(|r| r.id.clone()) else {
            return Vec::new();
        };
        let n = self
            .regions
            .iter()
            .map(|r| r.stores.len())
            .max()
            .unwrap_or(0);
        (1..=n)
            .filter_map(|k| {
                let w = self.store_primary(k)?;
                (w.id != db).then(|| (k, w.id.clone()))
            })
            .collect()
    }
}
