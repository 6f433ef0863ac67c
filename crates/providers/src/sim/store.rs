//! The simulated world on disk: one JSON file per fleet in the state directory, changed
//! under an exclusive file lock so a TUI and a CLI in another terminal share one world.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::world::World;
use meridian_model::fleet::Fleet;
use meridian_model::state::{Millis, now_ms};

/// What tells one version of the world file from another: modified time and length.
pub type Stamp = (std::time::SystemTime, u64);

/// A reader that had to simulate this many seconds to catch up saves the result.
const SAVE_AFTER_TICKS: u64 = 600;

/// The world file and its lock.
#[derive(Debug, Clone)]
pub struct WorldStore {
    pub path: PathBuf,
    lock_path: PathBuf,
}

/// Why the world file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("simulated world {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "simulated world {path} is unreadable ({message}); run `meridian demo reset` to start it afresh"
    )]
    Corrupt { path: String, message: String },
}

impl WorldStore {
    pub fn new(state_dir: &Path) -> WorldStore {
        WorldStore {
            path: state_dir.join("sim-world.json"),
            lock_path: state_dir.join("sim-world.lock"),
        }
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Load (or create), advance to now, let `f` read or change the world, and save it.
    pub fn with_world<T>(
        &self,
        fleet: &Fleet,
        seed: u64,
        speed: f64,
        f: impl FnOnce(&mut World) -> T,
    ) -> Result<T, StoreError> {
        let lock = self.lock()?;
        let now = now_ms();
        let mut world = match self.read()? {
            Some(w) if fits(&w, fleet) => w,
            Some(_) => {
                log::warn!(
                    "the simulated world no longer matches the fleet file; starting it afresh"
                );
                World::new(fleet, seed, now)
            }
            None => World::new(fleet, seed, now),
        };
        world.advance_to(now, speed);
        let out = f(&mut world);
        self.write(&world)?;
        drop(lock);
        Ok(out)
    }

    /// What identifies the file's current contents (None if it does not exist yet).
    pub fn stamp(&self) -> Option<Stamp> {
        let m = fs::metadata(&self.path).ok()?;
        Some((m.modified().ok()?, m.len()))
    }

    /// The world as it stands now, for reading. Read without the lock (writers replace the
    /// file whole) and advanced in memory; written only when it must be: created, started
    /// afresh for a changed fleet, or far behind the clock (so the next reader does not
    /// simulate the same hours again).
    pub fn load(&self, fleet: &Fleet, seed: u64, speed: f64) -> Result<World, StoreError> {
        let now = now_ms();
        if let Some(mut w) = self.read()?
            && fits(&w, fleet)
        {
            let before = w.tick;
            w.advance_to(now, speed);
            if w.tick - before < SAVE_AFTER_TICKS {
                return Ok(w);
            }
        }
        self.with_world(fleet, seed, speed, |w| w.clone())
    }

    /// Replace the world with a fresh one (under the file lock, like every other writer: two
    /// writers at once would share the temporary file).
    pub fn reset(&self, fleet: &Fleet, seed: u64, now: Millis) -> Result<World, StoreError> {
        let lock = self.lock()?;
        let world = World::new(fleet, seed, now);
        self.write(&world)?;
        drop(lock);
        Ok(world)
    }

    /// The exclusive lock on the world file, held until the returned file is dropped.
    fn lock(&self) -> Result<File, StoreError> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(|e| self.io(e))?;
        lock.lock().map_err(|e| self.io(e))?;
        Ok(lock)
    }

    fn read(&self) -> Result<Option<World>, StoreError> {
        match fs::read(&self.path) {
            Ok(bytes) => {
                let corrupt = |message: String| StoreError::Corrupt {
                    path: self.path.display().to_string(),
                    message,
                };
                let world: World =
                    serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
                match world.impossible() {
                    Some(why) => Err(corrupt(why)),
                    None => Ok(Some(world)),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Write to a temporary file and rename, so a reader never sees half a world.
    fn write(&self, world: &World) -> Result<(), StoreError> {
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(world).map_err(|e| self.io(std::io::Error::other(e)))?;
        let mut file = File::create(&tmp).map_err(|e| self.io(e))?;
        file.write_all(&bytes).map_err(|e| self.io(e))?;
        fs::rename(&tmp, &self.path).map_err(|e| self.io(e))
    }
}

/// Does a saved world still describe this fleet's regions and apps?
fn fits(world: &World, fleet: &Fleet) -> bool {
    let regions_match = world.regions.len() == fleet.regions.len()
        && fleet.regions.iter().all(|r| {
            world
                .region(&r.id)
                .is_some_and(|w| w.phases.len() == fleet.phases.len())
        });
    // Changed apps must still exist (a tenant dropped from the file leaves a stale change).
    let apps_match = world.changed.keys().all(|k| {
        k.split_once('/')
            .is_some_and(|(t, r)| fleet.tenant(t).is_some_and(|t| t.runs_in(r)))
    });
    regions_match && apps_match
}
