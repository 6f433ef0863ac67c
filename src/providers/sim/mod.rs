//! The simulated fleet: every capability served from one persisted, living world.

mod store;
pub mod world;

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

pub use store::{StoreError, WorldStore};
pub use world::{Fault, World};

use super::{
    DatabaseProvider, GitOpsProvider, HealthProvider, PhaseRunner, Progress, ProviderError,
    ProviderResult, TrafficProvider, WeightsReading,
};
use crate::fleet::{Fleet, Region, Role};
use crate::state::{AppState, Health, HealthStatus, HistoryEntry, PhaseState, PhaseStatus};

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

/// How long simulated operations take, in simulated seconds.
const WEIGHT_CHANGE_SECS: f64 = 2.0;
const PROMOTE_SECS: f64 = 4.0;
const SYNC_SECS: f64 = 3.0;
const STEP_SECS: f64 = 2.0;
/// Reads within this window share one snapshot of the world.
const SNAPSHOT_TTL: Duration = Duration::from_millis(250);

/// Serves every capability from the simulated world.
pub struct SimProvider {
    fleet: Fleet,
    store: WorldStore,
    opts: SimOptions,
    snapshot: Mutex<Option<Snapshot>>,
}

/// A world read recently, and the world file's modification time when it was read, so a
/// change made by another process (a CLI in another terminal) is seen at once.
struct Snapshot {
    taken: Instant,
    modified: Option<std::time::SystemTime>,
    world: World,
}

impl SimProvider {
    pub fn new(fleet: &Fleet, state_dir: &Path, opts: SimOptions) -> SimProvider {
        SimProvider {
            fleet: fleet.clone(),
            store: WorldStore::new(state_dir),
            opts,
            snapshot: Mutex::new(None),
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

    /// Read from a recent snapshot of the world.
    fn read<T>(&self, call: &str, f: impl FnOnce(&World) -> T) -> ProviderResult<T> {
        let modified = self.store.modified();
        let fresh = |s: &Option<Snapshot>| {
            s.as_ref()
                .is_some_and(|s| s.taken.elapsed() < SNAPSHOT_TTL && s.modified == modified)
        };
        let mut snap = self.snapshot.lock().map_err(|_| {
            ProviderError::new(None, format!("sim {call}"), "snapshot lock poisoned")
        })?;
        if !fresh(&snap) {
            let world = self
                .store
                .with_world(&self.fleet, self.seed(), self.opts.speed, |w| w.clone())
                .map_err(|e| ProviderError::new(None, format!("sim {call}"), e.to_string()))?;
            *snap = Some(Snapshot {
                taken: Instant::now(),
                modified: self.store.modified(),
                world,
            });
        }
        match snap.as_ref() {
            Some(s) => Ok(f(&s.world)),
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
            tokio::time::sleep(Duration::from_secs_f64(secs / self.opts.speed)).await;
        }
    }

    /// Reset the world to its starting state.
    pub fn reset(&self) -> Result<World, StoreError> {
        let w = self
            .store
            .reset(&self.fleet, self.seed(), crate::state::now_ms());
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
            by_region: w.regions.iter().map(|r| (r.id.clone(), r.weight)).collect(),
            unmanaged: Vec::new(),
        })
    }

    async fn apply_weights(
        &self,
        _fleet: &Fleet,
        weights: &[(String, u8)],
        progress: &Progress,
    ) -> ProviderResult<()> {
        let list: Vec<String> = weights.iter().map(|(r, w)| format!("{r}={w}")).collect();
        progress.say(&format!("submitting one weight change: {}", list.join(" ")));
        progress.say("change PENDING");
        self.take(WEIGHT_CHANGE_SECS).await;
        self.change("apply weights", |w| {
            for (id, weight) in weights {
                if let Some(r) = w.region_mut(id) {
                    r.weight = *weight;
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

#[async_trait]
impl DatabaseProvider for SimProvider {
    fn describe_promote(
        &self,
        target: &str,
        old_primary: Option<&str>,
        _accept_data_loss: bool,
    ) -> Vec<String> {
        let old = old_primary.unwrap_or("the old primary");
        vec![format!(
            "{old} is fenced (made read-only) first when it is reachable; then {target} is promoted (simulated)"
        )]
    }

    async fn read_role(&self, region: &Region) -> ProviderResult<Role> {
        let found = self.read("read role", |w| {
            w.region(&region.id).map(|r| (r.role, r.health))
        })?;
        match found {
            Some((_, HealthStatus::Down)) => Err(Self::down_error(&region.id, "sim read role")),
            Some((role, _)) => Ok(role),
            None => Err(ProviderError::new(
                Some(&region.id),
                "sim read role",
                "region missing from the simulated world",
            )),
        }
    }

    async fn read_lag(&self, region: &Region) -> ProviderResult<Option<f64>> {
        let found = self.read("read lag", |w| {
            w.region(&region.id).map(|r| (r.lag, r.health, r.role))
        })?;
        match found {
            Some((_, HealthStatus::Down, _)) => Err(Self::down_error(&region.id, "sim read lag")),
            Some((lag, _, _)) => Ok(lag),
            None => Err(ProviderError::new(
                Some(&region.id),
                "sim read lag",
                "region missing from the simulated world",
            )),
        }
    }

    async fn lag_history(&self, region: &Region) -> Vec<Option<f64>> {
        self.read("lag history", |w| {
            w.region(&region.id).map(|r| r.lag_history.clone())
        })
        .ok()
        .flatten()
        .unwrap_or_default()
    }

    async fn promote(
        &self,
        _fleet: &Fleet,
        region: &Region,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let target = region.id.clone();
        let old = self.read("promote", |w| {
            w.regions
                .iter()
                .find(|r| r.role == Role::Primary)
                .map(|r| r.id.clone())
        })?;
        if let Some(old) = &old {
            progress.say(&format!("fencing old primary {old}: read-only"));
        }
        progress.say(&format!("promoting {target}: waiting for replay to finish"));
        self.take(PROMOTE_SECS).await;
        let result = self.change("promote", |w| {
            if w.region(&target)
                .is_none_or(|r| r.health == HealthStatus::Down)
            {
                return Err(Self::down_error(&target, "sim promote"));
            }
            for r in w.regions.iter_mut() {
                if r.id == target {
                    r.role = Role::Primary;
                    r.lag = None;
                } else if r.role == Role::Primary {
                    r.role = Role::Secondary;
                    r.lag = Some(0.1);
                }
            }
            Ok(())
        })?;
        result?;
        progress.say(&format!("{target} is now the primary"));
        Ok(())
    }
}

#[async_trait]
impl GitOpsProvider for SimProvider {
    async fn read_app(
        &self,
        _fleet: &Fleet,
        tenant: &str,
        region: &str,
    ) -> ProviderResult<AppState> {
        let found = self.read("read app", |w| {
            w.app(tenant, region).map(|a| AppState {
                name: a.name.clone(),
                sync: a.sync,
                health: a.health,
                revision: a.revision.clone(),
                auto_sync: a.auto_sync,
                history: a.history.clone(),
                message: a.message.clone(),
            })
        })?;
        found.ok_or_else(|| {
            ProviderError::new(
                Some(region),
                "sim read app",
                format!("no application for tenant {tenant}"),
            )
        })
    }

    async fn rollback(
        &self,
        _fleet: &Fleet,
        tenant: &str,
        region: &str,
        revision_id: u32,
        pause_auto_sync: bool,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let call = "sim argocd rollback";
        if pause_auto_sync {
            progress.say(&format!("pausing auto-sync of {tenant} in {region}"));
            self.change(call, |w| {
                if let Some(a) = w.app_mut(tenant, region) {
                    a.auto_sync = false;
                }
            })?;
        }
        progress.say(&format!(
            "syncing {tenant} in {region} to history entry {revision_id}"
        ));
        self.take(SYNC_SECS).await;
        let result = self.change(call, |w| {
            let down = w
                .region(region)
                .is_some_and(|r| r.health == HealthStatus::Down);
            let tick = w.tick;
            let deployed_at = w.tick_to_ms(tick);
            let Some(a) = w.app_mut(tenant, region) else {
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("no application for tenant {tenant}"),
                ));
            };
            if down {
                return Err(Self::down_error(region, call));
            }
            if a.auto_sync {
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    "rollback cannot be performed when auto-sync is enabled",
                )
                .with_hint("pause auto-sync first"));
            }
            let Some(entry) = a.history.iter().find(|h| h.id == revision_id).cloned() else {
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("history entry {revision_id} not found"),
                ));
            };
            let next = a.history.iter().map(|h| h.id).max().unwrap_or(0) + 1;
            a.history.push(HistoryEntry {
                id: next,
                revision: entry.revision.clone(),
                deployed_at,
            });
            // Argo CD keeps ten entries by default.
            if a.history.len() > 10 {
                a.history.remove(0);
            }
            a.revision = entry.revision;
            a.progressing_until = Some(tick + 8);
            Ok(())
        })?;
        result?;
        progress.say(&format!(
            "{tenant} in {region} is syncing the earlier revision"
        ));
        Ok(())
    }
}

#[async_trait]
impl PhaseRunner for SimProvider {
    async fn read_phases(&self, _fleet: &Fleet, region: &str) -> ProviderResult<Vec<PhaseState>> {
        let found = self.read("read phases", |w| {
            w.region(region).map(|r| {
                r.phases
                    .iter()
                    .map(|p| PhaseState {
                        id: p.id.clone(),
                        state: p.state,
                        started_at: p.started_tick.map(|t| w.tick_to_ms(t)),
                        finished_at: p.finished_tick.map(|t| w.tick_to_ms(t)),
                        current_step: p.step.and_then(|s| self.step_name(&p.id, s)),
                        error: p.error.clone(),
                    })
                    .collect()
            })
        })?;
        found.ok_or_else(|| {
            ProviderError::new(
                Some(region),
                "sim read phases",
                "region missing from the simulated world",
            )
        })
    }

    async fn run_step(
        &self,
        _fleet: &Fleet,
        region: &str,
        phase: &str,
        step: usize,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let call = "sim run step";
        let step_name = self
            .step_name(phase, step)
            .unwrap_or_else(|| format!("step {}", step + 1));
        let last = self
            .fleet
            .phases
            .iter()
            .find(|p| p.id == phase)
            .map(|p| p.steps.len().saturating_sub(1))
            == Some(step);
        self.change(call, |w| {
            let tick = w.tick;
            if let Some(p) = w
                .region_mut(region)
                .and_then(|r| r.phases.iter_mut().find(|p| p.id == phase))
            {
                if step == 0 {
                    p.started_tick = Some(tick);
                    p.finished_tick = None;
                }
                p.state = PhaseStatus::Running;
                p.step = Some(step);
                p.error = None;
            }
        })?;
        progress.say(&format!("{region} {phase}: {step_name} ..."));
        self.take(STEP_SECS).await;
        let key = format!("{phase}/{step_name}");
        let outcome = self.change(call, |w| {
            let tick = w.tick;
            let Some(r) = w.region_mut(region) else {
                return Err(ProviderError::new(Some(region), call, "region missing from the simulated world"));
            };
            let failure = if r.health == HealthStatus::Down {
                Some("cluster API unreachable: dial tcp: i/o timeout".to_string())
            } else if let Some(pos) = r.fail_once.iter().position(|k| *k == key) {
                r.fail_once.remove(pos);
                Some("PersistentVolumeClaim stuck Pending (no storage class \"gp3\"); fix and run the phase again".to_string())
            } else {
                None
            };
            let Some(p) = r.phases.iter_mut().find(|p| p.id == phase) else {
                return Err(ProviderError::new(Some(region), call, format!("unknown phase {phase}")));
            };
            match failure {
                Some(msg) => {
                    p.state = PhaseStatus::Failed;
                    p.finished_tick = Some(tick);
                    p.error = Some(msg.clone());
                    Err(ProviderError::new(Some(region), format!("{call} {key}"), msg))
                }
                None => {
                    if last {
                        p.state = PhaseStatus::Succeeded;
                        p.step = None;
                        p.finished_tick = Some(tick);
                    }
                    Ok(())
                }
            }
        })?;
        outcome?;
        progress.say(&format!("{region} {phase}: {step_name} done"));
        Ok(())
    }
}

impl SimProvider {
    fn step_name(&self, phase: &str, step: usize) -> Option<String> {
        self.fleet
            .phases
            .iter()
            .find(|p| p.id == phase)?
            .steps
            .get(step)
            .map(|s| s.name.clone())
    }
}
