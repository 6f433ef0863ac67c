//! When a simulated app drifts (someone changed its live objects by hand), and which apps of
//! a region start or stop drifting between two moments. An idle dashboard asks the second
//! question of every region every two seconds; answering it by drawing every app's odds
//! twice made the simulator the dashboard's biggest idle cost on a 100 x 1,000 fleet, so
//! each region's drift boundaries are worked out once per epoch and looked up by tick.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::dynamics::unit;

/// Drifts are drawn per epoch of this many simulated seconds: at most one per app each.
pub const EPOCH: u64 = 1800;
/// The chance that an app drifts at some point in an epoch.
const DRIFT_CHANCE: f64 = 0.5;

/// The ticks within `epoch` during which an app drifts, if it does: a short while when
/// auto-sync heals it, minutes when nobody does.
fn window(seed: u64, epoch: u64, subject: u64, auto_sync: bool) -> Option<(u64, u64)> {
    if unit(seed, epoch, subject, 11) >= DRIFT_CHANCE {
        return None;
    }
    let start = (unit(seed, epoch, subject, 12) * (EPOCH - 300) as f64) as u64;
    let lasts = if auto_sync {
        20
    } else {
        60 + (unit(seed, epoch, subject, 13) * 240.0) as u64
    };
    Some((start, start + lasts))
}

/// Is the app drifted at `tick`?
pub fn drifted(seed: u64, subject: u64, tick: u64, auto_sync: bool) -> bool {
    window(seed, tick / EPOCH, subject, auto_sync)
        .is_some_and(|(start, end)| (start..end).contains(&(tick % EPOCH)))
}

/// One region's drift boundaries in one epoch: (tick within the epoch, app index), sorted.
/// A tick within an epoch fits 16 bits: 8 bytes a boundary, as 100 regions of 1,000 apps
/// keep about 100,000 of them.
#[derive(Debug)]
struct Boundaries {
    epoch: u64,
    ticks: Vec<(u16, u32)>,
}

const _: () = assert!(EPOCH <= u16::MAX as u64);

/// Each region's boundaries for the epoch last asked about.
#[derive(Debug, Default)]
pub struct Schedules(Mutex<HashMap<String, Arc<Boundaries>>>);

impl Schedules {
    /// The indexes (into `apps`, the region's `(subject, auto_sync)` in catalog order) of
    /// the apps that may read differently at `to` than at `from`: a superset, to be checked
    /// with `drifted`. `None` when the two ticks are in different epochs (check them all).
    pub fn candidates(
        &self,
        seed: u64,
        region: &str,
        apps: impl ExactSizeIterator<Item = (u64, bool)>,
        from: u64,
        to: u64,
    ) -> Option<Vec<usize>> {
        let epoch = from / EPOCH;
        if to / EPOCH != epoch || to < from {
            return None;
        }
        let boundaries = {
            let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
            match all.get(region) {
                Some(b) if b.epoch == epoch => b.clone(),
                _ => {
                    let b = Arc::new(boundaries(seed, epoch, apps));
                    all.insert(region.to_string(), b.clone());
                    b
                }
            }
        };
        // A state changes at a boundary tick: on at `start`, off at `end`.
        let (lo, hi) = (from % EPOCH, to % EPOCH);
        let first = boundaries
            .ticks
            .partition_point(|(t, _)| u64::from(*t) <= lo);
        let last = boundaries
            .ticks
            .partition_point(|(t, _)| u64::from(*t) <= hi);
        let mut hit: Vec<usize> = boundaries.ticks[first..last]
            .iter()
            .map(|(_, i)| *i as usize)
            .collect();
        hit.sort_unstable();
        hit.dedup();
        Some(hit)
    }
}

fn boundaries(seed: u64, epoch: u64, apps: impl Iterator<Item = (u64, bool)>) -> Boundaries {
    let mut ticks = Vec::new();
    for (i, (subject, auto_sync)) in apps.enumerate() {
        // Both ends are inside the epoch (`window`), so they fit.
        if let Some((start, end)) = window(seed, epoch, subject, auto_sync) {
            ticks.push((start as u16, i as u32));
            ticks.push((end as u16, i as u32));
        }
    }
    ticks.sort_unstable();
    ticks.shrink_to_fit();
    Boundaries { epoch, ticks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_exactly_the_apps_whose_drift_changed() {
        let apps: Vec<(u64, bool)> = (0..500u64).map(|i| (i * 7919 + 13, i % 3 != 0)).collect();
        let schedules = Schedules::default();
        for (from, to) in [(0, 2), (100, 102), (640, 900), (1500, 1799), (3600, 3700)] {
            let got = schedules
                .candidates(9, "r", apps.iter().copied(), from, to)
                .unwrap_or_else(|| panic!("{from}..{to} is within one epoch"));
            let changed: Vec<usize> = apps
                .iter()
                .enumerate()
                .filter(|(_, (s, a))| drifted(9, *s, from, *a) != drifted(9, *s, to, *a))
                .map(|(i, _)| i)
                .collect();
            for i in &changed {
                assert!(
                    got.contains(i),
                    "{from}..{to}: app {i} changed but was not named"
                );
            }
            if to - from <= 2 {
                assert!(
                    got.len() <= 10,
                    "{from}..{to}: a few apps, not {}",
                    got.len()
                );
            }
        }
        assert!(
            schedules
                .candidates(9, "r", apps.iter().copied(), 1799, 1801)
                .is_none()
        );
    }
}
