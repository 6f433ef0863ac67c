//! Per-region Argo CD counts, worked out in one pass over the apps: the region table of
//! `status` and the dashboard's board both show them, and on 100 regions x 1,000 tenants a
//! lookup per region and tenant cost seconds.

use std::collections::HashMap;

use super::{FleetState, SyncStatus};
use crate::fleet::Fleet;

/// One region's apps: how many there are, how many are Synced, whether any is OutOfSync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArgoSummary {
    pub synced: usize,
    pub total: usize,
    pub out_of_sync: bool,
}

/// Each tenant's cells as positions of their regions in the fleet: worked out once per
/// fleet, so summing a 100,000-cell state needs no lookups by name.
#[derive(Debug, Clone, Default)]
pub struct CellRegions(Vec<Vec<usize>>);

impl CellRegions {
    pub fn new(fleet: &Fleet) -> CellRegions {
        let index: HashMap<&str, usize> = fleet
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        CellRegions(
            fleet
                .tenants
                .iter()
                .map(|t| {
                    t.regions
                        .iter()
                        .filter_map(|r| index.get(r.as_str()).copied())
                        .collect()
                })
                .collect(),
        )
    }
}

/// The summary of every region, in fleet order.
pub fn argo_summaries(fleet: &Fleet, state: &FleetState) -> Vec<ArgoSummary> {
    argo_summaries_with(&CellRegions::new(fleet), fleet, state)
}

/// The same, with the cells' regions already worked out.
pub fn argo_summaries_with(
    cells: &CellRegions,
    fleet: &Fleet,
    state: &FleetState,
) -> Vec<ArgoSummary> {
    let mut out = vec![ArgoSummary::default(); fleet.regions.len()];
    for (ti, t) in fleet.tenants.iter().enumerate() {
        let ts = state.tenant_at(ti, &t.id);
        let positions = cells.0.get(ti).map(Vec::as_slice).unwrap_or_default();
        for (ci, (region, &ri)) in t.regions.iter().zip(positions).enumerate() {
            let Some(o) = out.get_mut(ri) else { continue };
            let app = ts.and_then(|ts| ts.app_at(ci, region));
            if !counts(t, app) {
                continue;
            }
            o.total += 1;
            match app.and_then(|a| a.value.as_ref()).map(|a| a.sync) {
                Some(SyncStatus::Synced) => o.synced += 1,
                Some(SyncStatus::OutOfSync) => o.out_of_sync = true,
                _ => {}
            }
        }
    }
    out
}

/// Does a cell count as an Argo CD app? A Helm tenant without an Argo CD application (no
/// app and no error reading one) has nothing to count.
pub fn counts(t: &crate::fleet::Tenant, cell: Option<&super::Observed<super::AppState>>) -> bool {
    t.helm.is_none() || cell.is_none_or(|o| o.value.is_some() || o.error.is_some())
}
