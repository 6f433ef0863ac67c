//! The simulated fleet: every capability served from one persisted, living world.

pub mod apps;
mod database;
mod drift;
mod dynamics;
mod gitops;
mod routing;
mod runner;
mod store;
mod watch;
pub mod world;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use apps::Catalog;
pub use routing::SimRouting;
pub use store::{StoreError, WorldStore};
pub use world::{Fault, World};

use super::{
    HealthProvider, Progress, ProviderError, ProviderResult, TrafficProvider, WeightsReading,
};
use meridian_model::fleet::{Fleet, Region};
use meridian_model::state::Health;
use meridian_model::traffic::Weight;

/// The readings the engine polls or pushes together (every region's watch, every region's
/// phases: the schedule keeps the simulator's readings in one slot) share one look at the
/// world file taken within this long: 100 looks every 2 s became one.
pub const SHARED_LOOK: Duration = Duration::from_millis(100);

/// How the simulator runs.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Simulated seconds per real second; 0 freezes the world (actions still complete).
    pub speed: f64,
    /// Seed for a world that is created now (an existing world keeps its own).
    pub seed: Option<u64>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            speed: 1.0,
            seed: None,
        }
    }
}

/// The speeds the simulator runs at besides 0 (a frozen world): slower would make one
/// weight change take hours of real time; faster would skip most of the world's life.
pub const SPEED_RANGE: std::ops::RangeInclusive<f64> = 0.01..=1000.0;

/// Check a simulation speed; the error says what is valid ("out of range: use ...").
pub fn check_speed(speed: f64) -> Result<f64, String> {
    if speed == 0.0 || SPEED_RANGE.contains(&speed) {
        Ok(speed)
    } else {
        Err(format!(
            "out of range: use 0 (a frozen world) or {}..={} simulated seconds per real second",
            SPEED_RANGE.start(),
            SPEED_RANGE.end()
        ))
    }
}

/// How long simulated operations take, in simulated seconds.
const WEIGHT_CHANGE_SECS: f64 = 2.0;
const PROMOTE_SECS: f64 = 4.0;
const SYNC_SECS: f64 = 3.0;
const STEP_SECS: f64 = 2.0;
/// Serves every capability from the simulated world.
pub struct SimProvider {
    fleet: Fleet,
    store: WorldStore,
    opts: SimOptions,
    snapshot: Mutex<Option<Snapshot>>,
    catalog: Mutex<Option<Arc<Catalog>>>,
}

/// The world as this process last loaded it, and the file's stamp then: a change another
/// process saved (a CLI in another terminal) is seen at the next read. Between changes the
/// world only advances with the clock, which every process computes alike, so reading never
/// writes.
struct Snapshot {
    stamp: Option<store::Stamp>,
    world: World,
    /// When the file was last looked at.
    looked: Instant,
}

impl SimProvider {
    pub fn new(fleet: &Fleet, state_dir: &Path, opts: SimOptions) -> SimProvider {
        SimProvider {
            fleet: fleet.clone(),
            store: WorldStore::new(state_dir),
            opts,
            snapshot: Mutex::new(None),
            catalog: Mutex::new(None),
        }
    }

    /// The apps of this fleet as `world` derives them (built once per world).
    fn catalog(&self, world: &World) -> Arc<Catalog> {
        let mut cached = self.catalog.lock().unwrap_or_else(|p| p.into_inner());
        match cached.as_ref() {
            Some(c) if c.fits(world) => c.clone(),
            _ => {
                let c = Arc::new(Catalog::new(&self.fleet, world.seed, world.born_ms()));
                *cached = Some(c.clone());
                c
            }
        }
    }

    fn seed(&self) -> u64 {
        self.opts.seed.unwrap_or(self.fleet.sim.seed)
    }

    /// Change the world (under the file lock) and forget the read snapshot.
    fn change<T>(&self, call: &str, f: impl FnOnce(&mut World) -> T) -> ProviderResult<T> {
        let out = self
            .store
            .with_world(&self.fleet, self.seed(), self.opts.speed, f)
            .map_err(|e| ProviderError::new(None, format!("sim {call}"), e.to_string()))?;
        if let Ok(mut snap) = self.snapshot.lock() {
            *snap = None;
        }
        Ok(out)
    }

    /// Read the world as it stands now.
    fn read<T>(&self, call: &str, f: impl FnOnce(&World) -> T) -> ProviderResult<T> {
        self.read_within(call, Duration::ZERO, f)
    }

    /// Read the world, taking the file as unchanged if it was looked at less than
    /// `looked` ago. Only readings that come together do (`SHARED_LOOK`): they saw the same
    /// file; every other read, and an action's guards checked again just before it runs,
    /// look again.
    fn read_within<T>(
        &self,
        call: &str,
        looked: Duration,
        f: impl FnOnce(&World) -> T,
    ) -> ProviderResult<T> {
        let failed = |e: StoreError| ProviderError::new(None, format!("sim {call}"), e.to_string());
        // A plain read looks at the file every time, as asking a real backend would: it
        // sees another process's change at once.
        let mut snap = self.snapshot.lock().unwrap_or_else(|p| p.into_inner());
        let recent = snap
            .as_ref()
            .is_some_and(|s| !looked.is_zero() && s.looked.elapsed() < looked);
        if !recent {
            let stamp = self.store.stamp();
            let stale = snap
                .as_ref()
                .is_none_or(|s| stamp.is_none() || s.stamp != stamp);
            if stale {
                let world = self
                    .store
                    .load(&self.fleet, self.seed(), self.opts.speed)
                    .map_err(failed)?;
                *snap = Some(Snapshot {
                    stamp: self.store.stamp(),
                    world,
                    looked: Instant::now(),
                });
            } else if let Some(s) = snap.as_mut() {
                s.looked = Instant::now();
            }
        }
        match snap.as_mut() {
            Some(s) => {
                s.world
                    .advance_to(meridian_model::state::now_ms(), self.opts.speed);
                Ok(f(&s.world))
            }
            None => Err(ProviderError::new(
                None,
                format!("sim {call}"),
                "no world snapshot",
            )),
        }
    }

    /// Let simulated time pass for an operation: real time is `secs / speed`.
    async fn take(&self, secs: f64) {
        if self.opts.speed > 0.0 {
            // The speed is checked when parsed; an hour is the most any operation waits.
            let real = Duration::try_from_secs_f64(secs / self.opts.speed)
                .unwrap_or(Duration::MAX)
                .min(Duration::from_secs(3600));
            tokio::time::sleep(real).await;
        }
    }

    /// Reset the world to its starting state.
    pub fn reset(&self) -> Result<World, StoreError> {
        let w = self
            .store
            .reset(&self.fleet, self.seed(), meridian_model::state::now_ms());
        if let Ok(mut snap) = self.snapshot.lock() {
            *snap = None;
        }
        w
    }

    /// Inject or clear a fault in one region.
    pub fn set_fault(&self, region: &str, fault: Fault) -> ProviderResult<()> {
        self.change("fault", |w| {
            if let Some(r) = w.region_mut(region) {
                r.fault = fault;
                if fault == Fault::Lag {
                    // Replay pauses: lag starts climbing from well over the default budget.
                    r.lag = Some(r.lag.unwrap_or(r.base_lag).max(90.0));
                }
                if fault == Fault::None && r.lag.is_none_or(|l| l > r.base_lag * 4.0) {
                    r.lag = Some(r.base_lag);
                }
            }
            w.refresh_region(region);
        })
    }

    /// Make every sync of a region's apps fail in its PreSync hook (the migration Job),
    /// or stop that.
    pub fn set_hook_fault(&self, region: &str, on: bool) -> ProviderResult<()> {
        self.change("fault", |w| {
            if let Some(r) = w.region_mut(region) {
                r.hook_fault = on;
            }
        })
    }

    fn down_error(region: &str, call: &str) -> ProviderError {
        ProviderError::new(Some(region), call, "connection timed out").with_hint(format!(
            "the region is down (a drill: `meridian demo fault {region} clear` heals it)"
        ))
    }
}

#[async_trait]
impl TrafficProvider for SimProvider {
    async fn read_weights(&self, _fleet: &Fleet) -> ProviderResult<WeightsReading> {
        self.read("read weights", |w| WeightsReading {
            by_region: w
                .regions
                .iter()
                .map(|r| (r.id.clone(), Weight::units(r.weight)))
                .collect(),
            unmanaged: Vec::new(),
            routes: Default::default(),
        })
    }

    async fn apply_weights(
        &self,
        _fleet: &Fleet,
        weights: &[(String, Weight)],
        progress: &Progress,
    ) -> ProviderResult<()> {
        let list: Vec<String> = weights
            .iter()
            .map(|(r, w)| format!("{r}={}", w.effective()))
            .collect();
        progress.say(&format!("submitting one weight change: {}", list.join(" ")));
        progress.say("change PENDING");
        self.take(WEIGHT_CHANGE_SECS).await;
        self.change("apply weights", |w| {
            for (id, weight) in weights {
                if let Some(r) = w.region_mut(id) {
                    r.weight = weight.effective();
                }
            }
        })?;
        progress.say("change INSYNC");
        Ok(())
    }
}

#[async_trait]
impl HealthProvider for SimProvider {
    async fn read_health(&self, region: &Region) -> ProviderResult<Health> {
        let found = self.read("probe", |w| {
            w.region(&region.id).map(|r| Health {
                status: r.health,
                reason: r.health_reason.clone(),
                latency_ms: r.latency_ms,
                healthy_since: r.healthy_since_tick.map(|t| w.tick_to_ms(t)),
                unhealthy_since: None,
            })
        })?;
        found.ok_or_else(|| {
            ProviderError::new(
                Some(&region.id),
                "sim probe",
                "region missing from the simulated world",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_model::state::HealthStatus;

    /// Another process's change (here a second provider on the same state directory) is
    /// seen by the next plain read; a read that may share a recent look at the file (the
    /// watch's) sees it once that look is older than it allows.
    #[test]
    fn a_shared_look_is_reused_only_within_its_age_and_a_plain_read_always_looks() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let fleet = meridian_model::fleet::demo();
        let opts = SimOptions {
            speed: 0.0,
            seed: Some(1),
        };
        let here = SimProvider::new(&fleet, dir.path(), opts.clone());
        let other = SimProvider::new(&fleet, dir.path(), opts);
        let health = |w: &World| w.region("eu-west-1").map(|r| r.health);
        assert_eq!(
            here.read("test", health).ok().flatten(),
            Some(HealthStatus::Healthy)
        );
        let down = other.change("test", |w| {
            if let Some(r) = w.region_mut("eu-west-1") {
                r.health = HealthStatus::Down;
            }
        });
        assert!(down.is_ok());
        let hour = Duration::from_secs(3600);
        assert_eq!(
            here.read_within("test", hour, health).ok().flatten(),
            Some(HealthStatus::Healthy),
            "a look taken just now stands for the file"
        );
        assert_eq!(
            here.read("test", health).ok().flatten(),
            Some(HealthStatus::Down),
            "a plain read looks again"
        );
        let up = other.change("test", |w| {
            if let Some(r) = w.region_mut("eu-west-1") {
                r.health = HealthStatus::Healthy;
            }
        });
        assert!(up.is_ok());
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            here.read_within("test", Duration::from_millis(10), health)
                .ok()
                .flatten(),
            Some(HealthStatus::Healthy),
            "a look older than allowed is taken again"
        );
    }
}
