//! Since when each region has been continuously healthy, remembered across meridian
//! processes (the CLI runs one process per command) in the fleet's state directory, so the
//! health gate means the same from the CLI as from the dashboard.
//!
//! "Continuously" is only as good as the observations: a gap longer than `MAX_GAP` between
//! two healthy readings starts the count again, since the region may have been down unseen.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::state::Millis;

/// The longest gap between two healthy observations that still counts as continuous.
pub const MAX_GAP: Millis = 5 * 60 * 1000;

/// (healthy since, last seen healthy) per region.
type Seen = HashMap<String, (Millis, Millis)>;

pub struct HealthySince {
    path: Option<PathBuf>,
    seen: Mutex<Seen>,
}

impl HealthySince {
    /// Kept in `dir/route53-healthy-since.json`; `None` keeps it in memory only.
    pub fn new(dir: Option<&Path>) -> HealthySince {
        HealthySince::in_file(dir, "route53-healthy-since.json")
    }

    /// Kept in `dir/file` (one file per health source, so sources never share a count).
    pub fn in_file(dir: Option<&Path>, file: &str) -> HealthySince {
        let path = dir.map(|d| d.join(file));
        let seen = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|text| serde_json::from_str::<Seen>(&text).ok())
            .unwrap_or_default();
        HealthySince {
            path,
            seen: Mutex::new(seen),
        }
    }

    /// Record one reading; returns since when the region has been healthy (if it is).
    pub fn observe(&self, region: &str, healthy: bool, now: Millis) -> Option<Millis> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let since = if healthy {
            let since = match seen.get(region) {
                Some((since, last)) if now - last <= MAX_GAP => *since,
                _ => now,
            };
            seen.insert(region.to_string(), (since, now));
            Some(since)
        } else {
            seen.remove(region);
            None
        };
        self.save(&seen);
        since
    }

    fn save(&self, seen: &Seen) {
        let Some(path) = &self.path else { return };
        let Ok(text) = serde_json::to_string(seen) else {
            return;
        };
        // Write then rename, so a concurrent reader never sees half a file. Failing to save
        // only shortens the health gate's memory: warn, never fail the read.
        let tmp = path.with_extension("json.tmp");
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(&tmp, text))
            .and_then(|_| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            log::warn!("cannot save {}: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_since_survives_a_restart_but_not_a_long_gap() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = HealthySince::new(Some(dir.path()));
        assert_eq!(a.observe("eu", true, 1_000), Some(1_000));
        assert_eq!(a.observe("eu", true, 61_000), Some(1_000));
        let b = HealthySince::new(Some(dir.path()));
        assert_eq!(
            b.observe("eu", true, 120_000),
            Some(1_000),
            "a new process remembers"
        );
        assert_eq!(
            b.observe("eu", true, 120_000 + MAX_GAP + 1),
            Some(120_000 + MAX_GAP + 1),
            "a long gap restarts"
        );
        assert_eq!(b.observe("eu", false, 500_000), None);
        assert_eq!(b.observe("eu", true, 501_000), Some(501_000));
    }
}
