//! The simulated world: regions, databases and Argo CD apps that change second by second.
//!
//! The world advances in ticks of one simulated second. Every random choice is a pure
//! function of (seed, tick, subject), so a world is deterministic for a seed no matter how
//! often or how late it is advanced.

use serde::{Deserialize, Serialize};

use super::dynamics::{revision_sha, step_app, step_region};
use crate::fleet::{Fleet, Role};
use crate::state::{
    AppHealth, HealthStatus, HistoryEntry, Millis, PausedAutoSync, PhaseStatus, SyncStatus,
    valid_time,
};

/// Most ticks simulated in one advance; longer gaps skip ahead (nobody was watching).
const MAX_CATCH_UP_TICKS: u64 = 6 * 3600;

/// Most simulated seconds a world can have lived (about 35,000 years at any allowed
/// speed): a larger tick in a world file is damage, not history.
const MAX_TICK: u64 = 1 << 40;

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimApp {
    pub tenant: String,
    pub region: String,
    pub name: String,
    pub sync: SyncStatus,
    pub health: AppHealth,
    pub revision: String,
    /// The revision Git says should be deployed.
    pub git_revision: String,
    pub auto_sync: bool,
    pub history: Vec<HistoryEntry>,
    pub message: Option<String>,
    /// When a drift heals by itself (someone reverts the manual change).
    pub drift_until: Option<u64>,
    pub progressing_until: Option<u64>,
    /// Auto-sync paused by a rollback, kept so it can be resumed.
    #[serde(default)]
    pub paused: Option<PausedAutoSync>,
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
    pub apps: Vec<SimApp>,
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
                }
            })
            .collect();
        let mut apps = Vec::new();
        for t in &fleet.tenants {
            let n = t.sim.history.unwrap_or(5).max(1);
            for region in &t.regions {
                let history: Vec<HistoryEntry> = (1..=n as u32)
                    .map(|id| HistoryEntry {
                        id,
                        revision: revision_sha(seed, &t.id, id),
                        // A release every two days or so, the newest yesterday.
                        deployed_at: now - ((n as i64 - id as i64) * 2 + 1) * 86_400_000,
                        source: None,
                        initiated_by: None,
                    })
                    .collect();
                let revision = history
                    .last()
                    .map(|h| h.revision.clone())
                    .unwrap_or_default();
                apps.push(SimApp {
                    tenant: t.id.clone(),
                    region: region.clone(),
                    name: t.argo_app_in(region),
                    sync: SyncStatus::Synced,
                    health: AppHealth::Healthy,
                    git_revision: revision.clone(),
                    revision,
                    auto_sync: t.sim.auto_sync.unwrap_or(true),
                    history,
                    message: None,
                    drift_until: None,
                    progressing_until: None,
                    paused: None,
                });
            }
        }
        // Tick 0 is a day before the world is first seen, so regions have been healthy
        // for a while (past the health gate); a minute of history fills the sparklines.
        let mut w = World {
            seed,
            tick: 86_400,
            wall_ms: now - 60_000,
            regions,
            apps,
        };
        w.advance_ticks(60);
        w.wall_ms = now;
        w
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
        let app_ticks = self
            .apps
            .iter()
            .flat_map(|a| [a.drift_until, a.progressing_until]);
        let ticks = region_ticks.chain(app_ticks).flatten().chain([self.tick]);
        if let Some(t) = ticks.into_iter().find(|t| *t > MAX_TICK) {
            return Some(format!("a tick counter reads {t}"));
        }
        let deployed = self.apps.iter().flat_map(|a| &a.history);
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
        let down: Vec<String> = self
            .regions
            .iter()
            .filter(|r| r.health == HealthStatus::Down)
            .map(|r| r.id.clone())
            .collect();
        for (i, a) in self.apps.iter_mut().enumerate() {
            step_app(a, seed, tick, 1000 + i as u64, down.contains(&a.region));
        }
    }

    /// Re-evaluate one region and its apps at the current tick, so an injected fault shows
    /// at once even in a frozen world.
    pub fn refresh_region(&mut self, id: &str) {
        let (seed, tick) = (self.seed, self.tick);
        let Some(i) = self.regions.iter().position(|r| r.id == id) else {
            return;
        };
        step_region(&mut self.regions[i], seed, tick, i as u64);
        let down = self.regions[i].health == HealthStatus::Down;
        for (j, a) in self
            .apps
            .iter_mut()
            .enumerate()
            .filter(|(_, a)| a.region == id)
        {
            step_app(a, seed, tick, 1000 + j as u64, down);
        }
    }

    pub fn region(&self, id: &str) -> Option<&SimRegion> {
        self.regions.iter().find(|r| r.id == id)
    }

    pub fn region_mut(&mut self, id: &str) -> Option<&mut SimRegion> {
        self.regions.iter_mut().find(|r| r.id == id)
    }

    pub fn app(&self, tenant: &str, region: &str) -> Option<&SimApp> {
        self.apps
            .iter()
            .find(|a| a.tenant == tenant && a.region == region)
    }

    pub fn app_mut(&mut self, tenant: &str, region: &str) -> Option<&mut SimApp> {
        self.apps
            .iter_mut()
            .find(|a| a.tenant == tenant && a.region == region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(seed: u64) -> World {
        World::new(&crate::fleet::demo(), seed, 1_700_000_000_000)
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
        assert!(
            w.apps
                .iter()
                .filter(|a| a.region == "ap-southeast-1")
                .all(|a| a.sync == SyncStatus::Unknown)
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

    #[test]
    fn apps_drift_and_recover_over_a_day() {
        let mut w = world(11);
        let mut saw_drift = false;
        for _ in 0..86_400 / 60 {
            w.advance_ticks(60);
            saw_drift |= w.apps.iter().any(|a| a.sync == SyncStatus::OutOfSync);
        }
        assert!(saw_drift, "some app should drift in a simulated day");
        w.advance_ticks(400);
        let still = w.apps.iter().filter(|a| a.drift_until.is_some()).count();
        assert!(still <= 2, "drifts heal: {still} still drifting");
    }
}
