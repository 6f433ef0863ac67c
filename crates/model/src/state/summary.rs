//! Per-region Argo CD counts: the region table of `status` and the dashboard's board show
//! them. Counting is per cell (`ArgoSummary::add`); `status` sums a whole state in one pass,
//! the dashboard one region at a time as readings arrive (`Merger::argo_summary`).

use std::collections::HashMap;

use super::{AppState, FleetState, Observed, SyncStatus};
use crate::fleet::{Fleet, Tenant};

/// One region's apps: how many there are, how many are Synced, how many OutOfSync, and
/// how many are known and how many failed their latest read. A cell whose read failed is
/// counted by the value it keeps, so the counts hold still while a cluster is unreachable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArgoSummary {
    pub synced: usize,
    pub total: usize,
    /// A count, not a flag, so a change to a few cells can be counted in and out.
    pub out_of_sync: usize,
    /// Cells with a value (read at least once).
    pub known: usize,
    /// Cells whose latest read failed (their value, if any, is stale).
    pub failed: usize,
}

impl ArgoSummary {
    /// Count tenant `t`'s cell in this region. A Helm tenant without an Argo CD application
    /// (no app and no error reading one) has nothing to count.
    pub fn add(&mut self, t: &Tenant, cell: Option<&Observed<AppState>>) {
        if t.helm.is_some() && cell.is_some_and(|o| o.value.is_none() && o.error.is_none()) {
            return;
        }
        self.total += 1;
        if cell.is_some_and(|o| o.error.is_some()) {
            self.failed += 1;
        }
        match cell.and_then(|o| o.value.as_ref()).map(|a| a.sync) {
            Some(SyncStatus::Synced) => self.synced += 1,
            Some(SyncStatus::OutOfSync) => self.out_of_sync += 1,
            _ => {}
        }
        if cell.is_some_and(|o| o.value.is_some()) {
            self.known += 1;
        }
    }

    /// The ARGO column, the same in `status` and the dashboard: `2/3`, `2/3 ≠` when an app
    /// is OutOfSync, `?` when no app has been read, `-` when the region has none; `stale`
    /// marks counts kept from before a failed read (`◷` on the dashboard, `~` in `status`).
    pub fn text(&self, stale: &str) -> String {
        if self.total == 0 {
            return "-".into();
        }
        if self.known == 0 {
            return "?".into();
        }
        let mark = if self.failed > 0 { stale } else { "" };
        let drift = if self.drifted() { " ≠" } else { "" };
        format!("{mark}{}/{}{drift}", self.synced, self.total)
    }

    /// Is any app OutOfSync?
    pub fn drifted(&self) -> bool {
        self.out_of_sync > 0
    }

    /// Recount some cells: `old` counted them before a change, `new` after it.
    pub fn replace(&mut self, old: &ArgoSummary, new: &ArgoSummary) {
        let shift = |n: usize, o: usize, w: usize| (n + w).saturating_sub(o);
        self.synced = shift(self.synced, old.synced, new.synced);
        self.total = shift(self.total, old.total, new.total);
        self.out_of_sync = shift(self.out_of_sync, old.out_of_sync, new.out_of_sync);
        self.known = shift(self.known, old.known, new.known);
        self.failed = shift(self.failed, old.failed, new.failed);
    }
}

/// The summary of every region, in fleet order, in one pass over the cells.
pub fn argo_summaries(fleet: &Fleet, state: &FleetState) -> Vec<ArgoSummary> {
    let index: HashMap<&str, usize> = fleet
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut out = vec![ArgoSummary::default(); fleet.regions.len()];
    for (ti, t) in fleet.tenants.iter().enumerate() {
        let ts = state.tenant_at(ti, &t.id);
        for (ci, region) in t.regions.iter().enumerate() {
            if let Some(o) = index.get(region.as_str()).and_then(|&ri| out.get_mut(ri)) {
                o.add(t, ts.and_then(|ts| ts.app_at(ci, region)));
            }
        }
    }
    out
}
