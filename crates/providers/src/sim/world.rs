//! The simulated world: regions, databases and Argo CD apps that change second by second.
//!
//! The world advances in ticks of one simulated second. Every random choice is a pure
//! function of (seed, tick, subject), so a world is deterministic for a seed no matter how
//! often or how late it is advanced.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::apps::AppChange;
use super::dynamics::step_region;
use meridian_model::fleet::{Fleet, Role};
use meridian_model::state::{HealthStatus, Millis, PhaseStatus, valid_time};

/// Most ticks simulated in one advance; longer gaps skip ahead (nobody was watching).
const MAX_CATCH_UP_TICKS: u64 = 6 * 3600;

/// Most simulated seconds a world can have lived (about 35,000 years at any allowed
/// speed): a larger tick in a world file is damage, not history.
const MAX_TICK: u64 = 1 << 40;

/// The tick a world starts at: a day in, so regions have been healthy for a while.
const BORN_TICK: u64 = 86_400;

/// A fault injected with `meridian demo fault`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    #[default]
    None,
    /// Every probe fails; the database is unreachable.
    Down,
    /// Replay paused: lag climbs until cleared.
    Lag,
    /// Health alternates down/up every 20 seconds.
    Flap,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimPhase {
    pub id: String,
    pub state: PhaseStatus,
    pub step: Option<usize>,
    pub started_tick: Option<u64>,
    pub finished_tick: Option<u64>,
    pub error: Option<String>,
    /// The process running the phase; a dead owner makes a running phase `interrupted`.
    #[serde(default)]
    pub owner: Option<meridian_model::state::PhaseOwner>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimRegion {
    pub id: String,
    pub role: Role,
    pub weight: u32,
    pub fault: Fault,
    pub health: HealthStatus,
    pub health_reason: String,
    pub healthy_since_tick: Option<u64>,
    pub base_latency_ms: f64,
    pub latency_ms: Option<f64>,
    pub base_lag: f64,
    /// Current lag in seconds; `None` for the primary and when unreachable.
    pub lag: Option<f64>,
    pub lag_spike: f64,
    pub lag_history: Vec<Option<f64>>,
    pub phases: Vec<SimPhase>,
    /// Steps (`phase/step`) that will fail the first time they run.
    pub fail_once: Vec<String>,
    /// `meridian demo fault REGION hook`: a PreSync hook (the migration Job) fails in
    /// every sync of the region's apps until cleared.
    #[serde(default)]
    pub hook_fault: bool,
}

/// The whole simulated world, as persisted in the state directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct World {
    pub seed: u64,
    /// Simulated seconds since the world was created.
    pub tick: u64,
    /// Wall-clock time that corresponds to `tick`.
    pub wall_ms: Millis,
    pub regions: Vec<SimRegion>,
    /// Apps that actions changed, by `tenant/region`; every other app is derived from the
    /// seed and the clock (see `apps`), so a big fleet's world file stays small.
    #[serde(default)]
    pub changed: BTreeMap<String, AppChange>,
    /// When the world was made (the apps' history is dated from it); 0 in older files.
    #[serde(default)]
    pub born: Millis,
    /// The simulated routing layer's map (fleets with `[tenant_routing] provider =
    /// "sim"`); made from the fleet when first needed.
    #[serde(default)]
    pub routing: Option<super::routing::SimRouting>,
}

impl World {
    /// A fresh world for a fleet, as it stands at `now`.
    pub fn new(fleet: &Fleet, seed: u64, now: Millis) -> World {
        let regions = fleet
            .regions
            .iter()
            .map(|r| {
                let done = r.sim.phases_done.unwrap_or(fleet.phases.len());
                let phases = fleet
                    .phases
                    .iter()
                    .enumerate()
                    .map(|(i, p)| SimPhase {
                        id: p.id.clone(),
                        state: if i < done {
                            PhaseStatus::Succeeded
                        } else {
                            PhaseStatus::Pending
                        },
                        step: None,
                        started_tick: None,
                        finished_tick: None,
                        error: None,
                        owner: None,
                    })
                    .collect();
                let base_lag = r.sim.lag_seconds.unwrap_or(1.0);
                SimRegion {
                    id: r.id.clone(),
                    role: r.role,
                    weight: r.sim.weight.unwrap_or(r.steady_weight),
                    fault: Fault::None,
                    health: HealthStatus::Healthy,
                    health_reason: "3/3 probes ok".into(),
                    healthy_since_tick: Some(0),
                    base_latency_ms: r.sim.latency_ms.unwrap_or(60.0),
                    latency_ms: r.sim.latency_ms.or(Some(60.0)),
                    base_lag,
                    lag: (r.role == Role::Secondary).then_some(base_lag),
                    lag_spike: 0.0,
                    lag_history: Vec::new(),
                    phases,
                    fail_once: r.sim.fail_once.clone(),
                    hook_fault: false,
                }
            })
            .collect();
        // Tick 0 is a day before the world is first seen, so regions have been healthy
        // for a while (past the health gate); a minute of history fills the sparklines.
        let mut w = World {
            seed,
            tick: BORN_TICK,
            wall_ms: now - 60_000,
            regions,
            changed: BTreeMap::new(),
            born: now,
            routing: None,
        };
        w.advance_ticks(60);
        w.wall_ms = now;
        w
    }

    /// When the world was made (for worlds saved before this was kept: about a minute
    /// after its first tick, as `new` makes them).
    pub fn born_ms(&self) -> Millis {
        if self.born != 0 {
            self.born
        } else {
            self.tick_to_ms(BORN_TICK + 60)
        }
    }

    /// Wall-clock time of a tick (for timestamps in observations).
    pub fn tick_to_ms(&self, tick: u64) -> Millis {
        let back = (self.tick.saturating_sub(tick).min(MAX_TICK) as i64) * 1000;
        self.wall_ms.saturating_sub(back)
    }

    /// Why this world (read from a file) cannot be real, if it cannot: its clock or a tick
    /// counter out of range. Checked on load so nothing downstream computes with it.
    pub fn impossible(&self) -> Option<String> {
        if !valid_time(self.wall_ms) {
            return Some(format!("its clock reads {} ms since 1970", self.wall_ms));
        }
        let region_ticks = self.regions.iter().flat_map(|r| {
            r.phases
                .iter()
                .flat_map(|p| [p.started_tick, p.finished_tick])
                .chain([r.healthy_since_tick])
        });
        let app_ticks = self.changed.values().map(|a| a.progressing_until);
        let ticks = region_ticks.chain(app_ticks).flatten().chain([self.tick]);
        if let Some(t) = ticks.into_iter().find(|t| *t > MAX_TICK) {
            return Some(format!("a tick counter reads {t}"));
        }
        if self.born != 0 && !valid_time(self.born) {
            return Some(format!("its birth reads {} ms since 1970", self.born));
        }
        let deployed = self.changed.values().flat_map(|a| &a.history);
        if let Some(h) = deployed.into_iter().find(|h| !valid_time(h.deployed_at)) {
            return Some(format!("a release time reads {} ms", h.deployed_at));
        }
        None
    }

    /// Advance to the wall-clock time `now` at `speed` simulated seconds per real second.
    pub fn advance_to(&mut self, now: Millis, speed: f64) {
        if now <= self.wall_ms {
            return;
        }
        if speed <= 0.0 {
            self.wall_ms = now;
            return;
        }
        let elapsed_sim = ((now - self.wall_ms) as f64 / 1000.0 * speed).floor() as u64;
        if elapsed_sim == 0 {
            return;
        }
        let skipped = elapsed_sim.saturating_sub(MAX_CATCH_UP_TICKS);
        self.tick = self.tick.saturating_add(skipped);
        self.advance_ticks(elapsed_sim - skipped);
        // Keep the fraction of a tick that has not been simulated yet.
        self.wall_ms += (elapsed_sim as f64 * 1000.0 / speed) as i64;
    }

    /// Simulate `n` seconds.
    pub fn advance_ticks(&mut self, n: u64) {
        for _ in 0..n {
            self.tick += 1;
            self.step();
        }
    }

    fn step(&mut self) {
        let (seed, tick) = (self.seed, self.tick);
        for (i, r) in self.regions.iter_mut().enumerate() {
            step_region(r, seed, tick, i as u64);
        }
    }

    /// Re-evaluate one region at the current tick, so an injected fault shows at once even
    /// in a frozen world (its apps follow: they are derived when read).
    pub fn refresh_region(&mut self, id: &str) {
        let (seed, tick) = (self.seed, self.tick);
        let Some(i) = self.regions.iter().position(|r| r.id == id) else {
            return;
        };
        step_region(&mut self.regions[i], seed, tick, i as u64);
    }

    pub fn region(&self, id: &str) -> Option<&SimRegion> {
        self.regions.iter().find(|r| r.id == id)
    }

    pub fn region_mut(&mut self, id: &str) -> Option<&mut SimRegion> {
        self.regions.iter_mut().find(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(seed: u64) -> World {
        World::new(&meridian_model::fleet::demo(), seed, 1_700_000_000_000)
    }

    #[test]
    fn same_seed_same_world() {
        let (mut a, mut b) = (world(7), world(7));
        a.advance_ticks(3000);
        b.advance_ticks(1000);
        b.advance_ticks(2000);
        assert_eq!(
            serde_json::to_string(&a).ok(),
            serde_json::to_string(&b).ok()
        );
    }

    #[test]
    fn different_seeds_differ() {
        let (mut a, mut b) = (world(1), world(2));
        a.advance_ticks(100);
        b.advance_ticks(100);
        let lag = |w: &World| w.region("eu-west-1").and_then(|r| r.lag);
        assert_ne!(lag(&a), lag(&b));
    }

    #[test]
    fn lag_fault_climbs_and_down_fault_blanks_lag() {
        let mut w = world(3);
        w.region_mut("eu-west-1").unwrap().fault = Fault::Lag;
        w.region_mut("ap-southeast-1").unwrap().fault = Fault::Down;
        w.advance_ticks(100);
        assert!(w.region("eu-west-1").unwrap().lag.unwrap() > 250.0);
        let ap = w.region("ap-southeast-1").unwrap();
        assert_eq!(ap.lag, None);
        assert_eq!(ap.health, HealthStatus::Down);
        let catalog =
            super::super::apps::Catalog::new(&meridian_model::fleet::demo(), w.seed, w.born_ms());
        let apps = catalog.region_apps(&w, "ap-southeast-1");
        assert!(!apps.is_empty());
        assert!(
            apps.iter()
                .all(|(_, a)| a.sync == meridian_model::state::SyncStatus::Unknown)
        );
    }

    #[test]
    fn advance_to_honours_speed_and_keeps_fractions() {
        let mut w = world(3);
        let start = (w.tick, w.wall_ms);
        w.advance_to(start.1 + 1500, 2.0);
        assert_eq!(w.tick, start.0 + 3);
        w.advance_to(start.1 + 10_000, 0.0);
        assert_eq!(w.tick, start.0 + 3, "speed 0 freezes the world");
    }
}
