//! Which tenant cells a reading merged since the last record: the recorder compares only
//! those (a few on a quiet fleet) instead of every app (100,000 on 100 x 1,000).

use std::collections::BTreeSet;

/// The cells (tenant index, region index in the tenant's list) merged since the last
/// record, or "all of them" (a whole new snapshot, or nothing known yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    all: bool,
    cells: BTreeSet<(u32, u32)>,
}

impl Touched {
    /// Every cell: compare the whole fleet.
    pub fn everything() -> Touched {
        Touched {
            all: true,
            cells: BTreeSet::new(),
        }
    }

    /// A whole snapshot replaced the state: every cell may have changed.
    pub fn mark_all(&mut self) {
        self.all = true;
        self.cells.clear();
    }

    /// A reading merged these cells.
    pub fn add(&mut self, cells: impl IntoIterator<Item = (usize, usize)>) {
        if self.all {
            return;
        }
        // A fleet of four billion tenants or regions cannot be loaded.
        self.cells
            .extend(cells.into_iter().map(|(t, c)| (t as u32, c as u32)));
    }

    pub fn is_all(&self) -> bool {
        self.all
    }

    /// The cells, in tenant order (the order a whole comparison records them in).
    pub fn cells(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.cells.iter().map(|&(t, c)| (t as usize, c as usize))
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.cells.is_empty()
    }
}
