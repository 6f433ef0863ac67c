//! Since when each condition has held, for conditions whose source says no "since" of its
//! own (an app OutOfSync, a replica following the wrong writer). The dashboard and
//! `meridian watch` keep one in memory; one-shot commands share one in the fleet's state
//! directory, so "OutOfSync for 12m" means the same from `status --check` as on the board.
//!
//! A gap longer than `MAX_GAP` between two sightings starts the count again: the
//! condition may have cleared unseen.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use meridian_model::state::Millis;

/// The longest gap between two sightings that still counts as continuous.
pub const MAX_GAP: Millis = 5 * 60_000;

/// A condition still holding is reported as a change (so a caller that saves only on
/// change saves) once its last sighting is this old: well inside `MAX_GAP`, or a
/// condition held for longer than the gap would restart at every load of the file.
pub const REFRESH_LAST: Millis = 60_000;

/// Per condition: (first seen, last seen).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    conditions: BTreeMap<String, (Millis, Millis)>,
}

impl Seen {
    /// Since when `key` has held, if it was seen holding.
    pub fn first(&self, key: &str) -> Option<Millis> {
        self.conditions.get(key).map(|(first, _)| *first)
    }

    /// The conditions that hold at `now`: new ones start now, gone ones are forgotten.
    /// True when a start or an end changed what the file would say. The map is updated in
    /// place: the dashboard calls this at each judgement with every cell worth judging.
    pub fn update(&mut self, holding: &[String], now: Millis) -> bool {
        let mut changed = false;
        for key in holding {
            match self.conditions.get_mut(key.as_str()) {
                Some((_, last)) if now - *last <= MAX_GAP => {
                    changed |= now - *last >= REFRESH_LAST;
                    *last = now;
                }
                Some(gone) => {
                    *gone = (now, now);
                    changed = true;
                }
                None => {
                    self.conditions.insert(key.clone(), (now, now));
                    changed = true;
                }
            }
        }
        let holds: HashSet<&str> = holding.iter().map(String::as_str).collect();
        let before = self.conditions.len();
        self.conditions
            .retain(|key, _| holds.contains(key.as_str()));
        changed | (self.conditions.len() != before)
    }
}

/// A `Seen` kept in a file, shared by the commands run one after another.
pub struct SeenFile {
    path: PathBuf,
}

impl SeenFile {
    /// `dir/findings-seen.json`.
    pub fn in_dir(dir: &Path) -> SeenFile {
        SeenFile {
            path: dir.join("findings-seen.json"),
        }
    }

    /// What the file says; a missing or damaged file is an empty memory (the conditions
    /// then count from now), never an error.
    pub fn load(&self) -> Seen {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Write then rename, so a concurrent reader never sees half a file.
    pub fn save(&self, seen: &Seen) -> Result<(), String> {
        let text = serde_json::to_string(seen).map_err(|e| e.to_string())?;
        let tmp = self.path.with_extension("json.tmp");
        self.path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(&tmp, text))
            .and_then(|_| std::fs::rename(&tmp, &self.path))
            .map_err(|e| format!("cannot save {}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_counts_from_its_first_sighting_until_it_clears_or_goes_unseen() {
        let mut seen = Seen::default();
        let k = vec!["app-out-of-sync/a/b".to_string()];
        assert!(seen.update(&k, 1_000));
        assert!(!seen.update(&k, 3_000), "still holding: nothing new to say");
        assert_eq!(seen.first(&k[0]), Some(1_000));
        assert!(seen.update(&[], 4_000));
        assert_eq!(seen.first(&k[0]), None);
        seen.update(&k, 5_000);
        seen.update(&k, 5_000 + MAX_GAP + 1);
        assert_eq!(
            seen.first(&k[0]),
            Some(5_000 + MAX_GAP + 1),
            "a long gap restarts"
        );
    }

    #[test]
    fn the_file_survives_a_restart_and_a_damaged_one_is_an_empty_memory() {
        let dir = tempfile::tempdir().unwrap();
        let file = SeenFile::in_dir(dir.path());
        let mut seen = file.load();
        seen.update(&["x".into()], 7);
        file.save(&seen).unwrap();
        assert_eq!(SeenFile::in_dir(dir.path()).load().first("x"), Some(7));
        std::fs::write(dir.path().join("findings-seen.json"), "{").unwrap();
        assert_eq!(file.load(), Seen::default());
    }

    /// `status --check` and `meridian watch` save the file only when `update` says it
    /// changed: a condition held for longer than `MAX_GAP` keeps its first sighting
    /// through loads (it restarted every 5 minutes, so an app Degraded for 5 minutes was
    /// raised and cleared again 2 s later, and OutOfSync for 10 never was).
    #[test]
    fn a_condition_held_longer_than_the_gap_keeps_its_start_through_saves_on_change() {
        let k = vec!["app-degraded/a/b".to_string()];
        let mut saved = Seen::default();
        let mut now = 1_000;
        while now < 1_000 + 3 * MAX_GAP {
            let mut seen = saved.clone();
            if seen.update(&k, now) {
                saved = seen;
            }
            now += 2_000;
        }
        assert_eq!(saved.first(&k[0]), Some(1_000));
    }
}
