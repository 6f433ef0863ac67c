//! Since when each region has been continuously healthy, remembered across meridian
//! processes (the CLI runs one process per command) in the fleet's state directory, so the
//! health gate means the same from the CLI as from the dashboard.
//!
//! "Continuously" is only as good as the observations: a gap longer than `MAX_GAP` between
//! two healthy readings starts the count again, since the region may have been down unseen.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use meridian_model::state::Millis;

/// The longest gap between two healthy observations that still counts as continuous.
pub const MAX_GAP: Millis = 5 * 60 * 1000;

/// (healthy since, last seen healthy) per region.
type Seen = HashMap<String, (Millis, Millis)>;

pub struct HealthySince {
    path: Option<PathBuf>,
    seen: Mutex<Seen>,
    /// Per region, the "last seen healthy" the file says now: what another process reads.
    saved: Mutex<HashMap<String, Millis>>,
}

impl HealthySince {
    /// Kept in `dir/route53-healthy-since.json`; `None` keeps it in memory only.
    pub fn new(dir: Option<&Path>) -> HealthySince {
        HealthySince::with_file(dir, "route53-healthy-since.json")
    }

    /// Kept in `dir/file` (one file per health provider); `None` keeps it in memory only.
    pub fn with_file(dir: Option<&Path>, file: &str) -> HealthySince {
        let path = dir.map(|d| d.join(file));
        let seen = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|text| serde_json::from_str::<Seen>(&text).ok())
            .unwrap_or_default();
        let saved = seen
            .iter()
            .map(|(r, (_, last))| (r.clone(), *last))
            .collect();
        HealthySince {
            path,
            seen: Mutex::new(seen),
            saved: Mutex::new(saved),
        }
    }

    /// Record one reading; returns since when the region has been healthy (if it is).
    pub fn observe(&self, region: &str, healthy: bool, now: Millis) -> Option<Millis> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let before = seen.get(region).copied();
        let since = if healthy {
            let since = match before {
                Some((since, last)) if now - last <= MAX_GAP => since,
                _ => now,
            };
            seen.insert(region.to_string(), (since, now));
            Some(since)
        } else {
            seen.remove(region);
            None
        };
        // Write only when the file would say something new: a run starts or ends, or the
        // saved "last seen healthy" is getting old enough that another process could take
        // the gap for an outage. Not once per region on every refresh. What counts is the
        // last-seen the file holds, not this process's own: a long-running watcher that
        // compared with its own last reading would never refresh the file, and every CLI
        // command would then see a gap and count the health gate from zero again.
        let mut saved = self.saved.lock().unwrap_or_else(|p| p.into_inner());
        let stale = saved
            .get(region)
            .is_none_or(|last| now - last > MAX_GAP / 4);
        let changed = match (before, since) {
            (Some((was, _)), Some(now_since)) => was != now_since || stale,
            (None, None) => false,
            _ => true,
        };
        if changed {
            self.save(&seen);
            saved.clear();
            saved.extend(seen.iter().map(|(r, (_, last))| (r.clone(), *last)));
        }
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
    fn a_steady_healthy_region_is_not_rewritten_on_every_reading() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("route53-healthy-since.json");
        let a = HealthySince::new(Some(dir.path()));
        a.observe("eu", true, 1_000);
        let first = std::fs::metadata(&file).and_then(|m| m.modified()).ok();
        std::fs::remove_file(&file).expect("remove");
        for t in 1..10 {
            a.observe("eu", true, 1_000 + t * 2_000);
        }
        assert!(first.is_some());
        assert!(!file.exists(), "nine steady readings wrote nothing");
        a.observe("eu", true, 1_000 + MAX_GAP / 4 + 20_000);
        assert!(file.exists(), "an ageing last-seen is refreshed");
    }

    #[test]
    fn a_long_running_reader_keeps_the_file_fresh_for_other_processes() {
        let dir = tempfile::tempdir().expect("tmp");
        let watcher = HealthySince::new(Some(dir.path()));
        // A reading every 5s for 10 minutes, as `meridian watch` does.
        for t in 0..=120 {
            watcher.observe("eu", true, 1_000 + t * 5_000);
        }
        // A CLI command then: the region has been healthy all along, not since now.
        let cli = HealthySince::new(Some(dir.path()));
        assert_eq!(cli.observe("eu", true, 1_000 + 121 * 5_000), Some(1_000));
    }

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
        assert_eq!(
            HealthySince::new(Some(dir.path())).observe("eu", false, 500_001),
            None,
            "the end of a healthy run is saved"
        );
        assert_eq!(b.observe("eu", true, 501_000), Some(501_000));
    }
}
