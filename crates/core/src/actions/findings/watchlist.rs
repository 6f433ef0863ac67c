//! The tenant cells worth judging, kept current on change: the apps rule then looks at a
//! handful of cells a second instead of every cell of the fleet (100,000 on a 100 x 1,000
//! fleet). A caller that merges readings (the dashboard) tells the list which cells a
//! reading touched (`update`); one that judges once (the CLI) passes none and every cell
//! is judged.

use std::collections::BTreeSet;

use meridian_model::fleet::Fleet;
use meridian_model::state::FleetState;

use super::apps::worth_judging;

/// The cells (tenant index, index in the tenant's regions) whose app could raise a
/// finding (`apps::worth_judging`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watchlist {
    cells: BTreeSet<(u32, u32)>,
}

impl Watchlist {
    /// Every cell of the fleet judged once.
    pub fn scan(fleet: &Fleet, state: &FleetState) -> Watchlist {
        let mut list = Watchlist::default();
        let every = fleet
            .tenants
            .iter()
            .enumerate()
            .flat_map(|(ti, t)| (0..t.regions.len()).map(move |ci| (ti, ci)));
        list.update(fleet, state, every);
        list
    }

    /// Judge again whether these cells (a reading just changed them) are worth judging.
    pub fn update(
        &mut self,
        fleet: &Fleet,
        state: &FleetState,
        cells: impl IntoIterator<Item = (usize, usize)>,
    ) {
        for (ti, ci) in cells {
            let worth = fleet.tenants.get(ti).is_some_and(|t| {
                let ts = state.tenant_at(ti, &t.id);
                let region = t.regions.get(ci);
                matches!((ts, region), (Some(ts), Some(r)) if worth_judging(t, ts, ci, r))
            });
            // A fleet of four billion tenants or regions cannot be loaded.
            let key = (ti as u32, ci as u32);
            if worth {
                self.cells.insert(key);
            } else {
                self.cells.remove(&key);
            }
        }
    }

    /// The cells to judge, in tenant order.
    pub fn cells(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.cells
            .iter()
            .map(|&(ti, ci)| (ti as usize, ci as usize))
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}
