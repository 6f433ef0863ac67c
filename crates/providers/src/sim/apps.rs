//! The simulated Argo CD applications. An app's life is a pure function of the seed, its
//! name and the clock (drifts come and heal on their own), so a 100 x 1,000 fleet costs
//! nothing to keep or save: only what actions changed (a rollback, a paused auto-sync) is
//! stored in the world, and everything else is derived when read.

use std::collections::HashMap;
use std::sync::Arc;

use arcstr::ArcStr;
use serde::{Deserialize, Serialize};

use super::drift::{Schedules, drifted};
use super::dynamics::{revision_sha, short};
use super::world::World;
use meridian_model::fleet::Fleet;
use meridian_model::state::{
    AppDetail, AppHealth, AppState, Detail, HealthStatus, HistoryEntry, HookResult, Millis,
    OperationInfo, OperationPhase, PausedAutoSync, SyncStatus,
};

/// What actions changed on one app; everything not here is derived from the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppChange {
    /// What is deployed now.
    pub revision: String,
    pub auto_sync: bool,
    /// Oldest first, at most ten entries (as Argo CD keeps).
    pub history: Vec<HistoryEntry>,
    /// Healthy again at this tick (after a sync, the app is Progressing for a while).
    pub progressing_until: Option<u64>,
    /// Auto-sync that a rollback paused, kept so it can be resumed.
    #[serde(default)]
    pub paused: Option<PausedAutoSync>,
    /// The last sync failed in its PreSync hook (`demo fault REGION hook`): what it tried
    /// to deploy, and when. Cleared by the next sync that succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_sync: Option<FailedSync>,
}

/// A sync whose PreSync hook failed: the new revision was never applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedSync {
    pub revision: String,
    pub tick: u64,
    pub by: Option<String>,
}

/// The hook that fails under `demo fault REGION hook`: seed 003's migration Job.
pub fn failed_migration(namespace: &str) -> HookResult {
    HookResult {
        hook_type: "PreSync".into(),
        kind: "Job".into(),
        name: "migrate".into(),
        namespace: Some(namespace.to_string()),
        phase: Some("Failed".into()),
        message: Some("Job has reached the specified backoff limit".into()),
    }
}

/// The operation of a sync whose migration hook failed.
fn failed_operation(world: &World, tenant: &str, f: &FailedSync) -> OperationInfo {
    let at = world.tick_to_ms(f.tick);
    OperationInfo {
        requested: false,
        phase: Some(OperationPhase::Failed),
        message: Some("one or more synchronization tasks completed unsuccessfully".into()),
        revision: Some(f.revision.clone()),
        started_at: Some(at - 4_000),
        finished_at: Some(at),
        initiated_by: f.by.clone(),
        hooks: vec![failed_migration(tenant)],
    }
}

/// The key of an app in `World::changed`.
pub fn key(tenant: &str, region: &str) -> String {
    format!("{tenant}/{region}")
}

/// What a tenant's apps share in every region: kept once per tenant, not once per app, as
/// a 100 x 1,000 fleet has 100,000 entries.
#[derive(Debug)]
pub(super) struct TenantApps {
    pub(super) id: ArcStr,
    /// The history its apps start with.
    history: Arc<Vec<HistoryEntry>>,
    /// What Git says should run (the newest history entry).
    head: ArcStr,
    pub(super) auto_sync: bool,
}

/// One app as the fleet file defines it: 32 bytes, the rest is its tenant's.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// Index into `Catalog::tenants`.
    tenant: u32,
    /// Its stream of random draws.
    pub(super) subject: u64,
    name: ArcStr,
}

/// Every app of a fleet, per region, with what never changes precomputed: built once per
/// world (its seed and birth), so reading a region's apps allocates little.
#[derive(Debug)]
pub struct Catalog {
    pub(super) seed: u64,
    born_ms: Millis,
    pub(super) tenants: Vec<TenantApps>,
    pub(super) by_region: HashMap<ArcStr, Vec<Entry>>,
    /// When each region's apps start and stop drifting (`drift.rs`), for the watch.
    pub(super) drifts: Schedules,
}

impl Catalog {
    pub fn new(fleet: &Fleet, seed: u64, born_ms: Millis) -> Catalog {
        let mut by_region: HashMap<ArcStr, Vec<Entry>> = HashMap::new();
        let mut tenants = Vec::with_capacity(fleet.tenants.len());
        for (index, t) in fleet.tenants.iter().enumerate() {
            let n = t.sim.history.unwrap_or(5).max(1) as u32;
            let history: Vec<HistoryEntry> = (1..=n)
                .map(|id| HistoryEntry {
                    id,
                    revision: revision_sha(seed, &t.id, id),
                    // A release every two days or so, the newest the day before the world.
                    deployed_at: born_ms - ((n as i64 - id as i64) * 2 + 1) * 86_400_000,
                    source: None,
                    initiated_by: None,
                })
                .collect();
            let history = Arc::new(history);
            let head: ArcStr = history
                .last()
                .map(|h| h.revision.as_str())
                .unwrap_or_default()
                .into();
            let tenant = u32::try_from(index).unwrap_or(u32::MAX);
            for region in t.regions.iter() {
                by_region.entry(region.clone()).or_default().push(Entry {
                    tenant,
                    name: t.argo_app_in(region).into(),
                    subject: subject(&t.id, region),
                });
            }
            tenants.push(TenantApps {
                id: t.id.as_str().into(),
                history,
                head,
                auto_sync: t.sim.auto_sync.unwrap_or(true),
            });
        }
        Catalog {
            seed,
            born_ms,
            tenants,
            by_region,
            drifts: Schedules::default(),
        }
    }

    /// Was this catalog built for this world?
    pub fn fits(&self, world: &World) -> bool {
        self.seed == world.seed && self.born_ms == world.born_ms()
    }

    /// Is there such an app at all?
    pub fn has(&self, tenant: &str, region: &str) -> bool {
        self.entry(tenant, region).is_some()
    }

    fn entry(&self, tenant: &str, region: &str) -> Option<&Entry> {
        self.by_region
            .get(region)?
            .iter()
            .find(|e| *self.tenant_of(e).id == *tenant)
    }

    /// What the entry shares with its tenant's other apps.
    pub(super) fn tenant_of(&self, e: &Entry) -> &TenantApps {
        // Entries are only made next to their tenant, so the index is always in range.
        &self.tenants[e.tenant as usize]
    }

    /// Every app of a region as it stands in `world` now.
    pub fn region_apps(&self, world: &World, region: &str) -> Vec<(String, AppState)> {
        let down = world
            .region(region)
            .is_some_and(|r| r.health == HealthStatus::Down);
        self.by_region
            .get(region)
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        (
                            self.tenant_of(e).id.to_string(),
                            self.state(world, e, region, down),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What Git says should run for an app (its branch head).
    pub fn head(&self, tenant: &str, region: &str) -> Option<ArcStr> {
        self.entry(tenant, region)
            .map(|e| self.tenant_of(e).head.clone())
    }

    /// One app as it stands in `world` now.
    pub fn app(&self, world: &World, tenant: &str, region: &str) -> Option<AppState> {
        let e = self.entry(tenant, region)?;
        let down = world
            .region(region)
            .is_some_and(|r| r.health == HealthStatus::Down);
        Some(self.state(world, e, region, down))
    }

    /// The app's stored change, made from its derived state the first time it changes.
    pub fn change<'w>(
        &self,
        world: &'w mut World,
        tenant: &str,
        region: &str,
    ) -> Option<&'w mut AppChange> {
        let t = self.tenant_of(self.entry(tenant, region)?);
        Some(
            world
                .changed
                .entry(key(tenant, region))
                .or_insert_with(|| AppChange {
                    revision: t.head.to_string(),
                    auto_sync: t.auto_sync,
                    history: t.history.to_vec(),
                    progressing_until: None,
                    paused: None,
                    failed_sync: None,
                }),
        )
    }

    pub(super) fn state(&self, world: &World, e: &Entry, region: &str, down: bool) -> AppState {
        let t = self.tenant_of(e);
        // Most worlds have no changed apps: skip making a key per app.
        let change = match world.changed.is_empty() {
            true => None,
            false => world.changed.get(&key(&t.id, region)),
        };
        let (revision, auto_sync, history, progressing): (ArcStr, bool, Arc<Vec<HistoryEntry>>, _) =
            match change {
                Some(c) => (
                    c.revision.as_str().into(),
                    c.auto_sync,
                    c.history.clone().into(),
                    c.progressing_until.is_some_and(|t| world.tick < t),
                ),
                None => (t.head.clone(), t.auto_sync, t.history.clone(), false),
            };
        let (sync, health, message) = if down {
            (
                SyncStatus::Unknown,
                AppHealth::Unknown,
                Some("cluster unreachable: dial tcp: i/o timeout".to_string()),
            )
        } else {
            let health = if progressing {
                AppHealth::Progressing
            } else {
                AppHealth::Healthy
            };
            if *revision != *t.head {
                let message = format!(
                    "running {} while Git is at {}: rolled back, auto-sync {}",
                    short(&revision),
                    short(&t.head),
                    if auto_sync { "on" } else { "paused" }
                );
                (SyncStatus::OutOfSync, health, Some(message))
            } else if drifted(self.seed, e.subject, world.tick, auto_sync) {
                let message = if auto_sync {
                    "Deployment/web: replicas changed outside Git (self-heal pending)"
                } else {
                    "Deployment/web: replicas changed outside Git; auto-sync is off, sync to repair"
                };
                (SyncStatus::OutOfSync, health, Some(message.to_string()))
            } else {
                (SyncStatus::Synced, health, None)
            }
        };
        // A failed migration hook: the sync it stopped, stored when a person synced, or
        // (under the fault) auto-sync's attempt at the next commit. Old pods keep serving.
        let hook_fault = world.region(region).is_some_and(|r| r.hook_fault);
        let failed = match change.and_then(|c| c.failed_sync.clone()) {
            Some(f) => Some(f),
            None if hook_fault && auto_sync && !down => {
                let next = history.last().map_or(1, |h| h.id + 1);
                Some(FailedSync {
                    revision: super::dynamics::revision_sha(self.seed, &t.id, next),
                    tick: world.tick.saturating_sub(30),
                    by: Some("automated sync policy".into()),
                })
            }
            None => None,
        };
        let (sync, message, head, operation) = match &failed {
            Some(f) if !down => (
                SyncStatus::OutOfSync,
                Some(format!(
                    "Failed last sync attempt to {}: one or more synchronization tasks completed unsuccessfully",
                    short(&f.revision)
                )),
                ArcStr::from(f.revision.as_str()),
                Some(Box::new(failed_operation(world, &t.id, f))),
            ),
            _ => (sync, message, t.head.clone(), None),
        };
        AppState {
            name: e.name.clone(),
            sync,
            health,
            revision,
            auto_sync,
            history,
            message: message.map(Into::into),
            head: Some(head),
            prune: auto_sync,
            self_heal: auto_sync,
            detail: Detail::new(AppDetail {
                paused: change.and_then(|c| c.paused.clone()).map(Box::new),
                operation,
                ..AppDetail::default()
            }),
        }
    }
}

/// An app's stream of random draws, from its tenant and region (stable across fleet edits).
fn subject(tenant: &str, region: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in tenant.bytes().chain([b'/']).chain(region.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_drifts_now_and_then_and_heals_by_itself() {
        let s = subject("search-stg", "eu-west-1");
        let drifted_ticks = (0..86_400u64).filter(|t| drifted(7, s, *t, true)).count();
        assert!(drifted_ticks > 0, "some drift in a simulated day");
        assert!(
            drifted_ticks < 86_400 / 50,
            "mostly in sync: {drifted_ticks}"
        );
        // With auto-sync a drift lasts 20 s; without, minutes.
        let manual = (0..86_400u64).filter(|t| drifted(7, s, *t, false)).count();
        assert!(manual > drifted_ticks, "{manual} vs {drifted_ticks}");
    }

    #[test]
    fn apps_have_their_own_streams() {
        assert_ne!(subject("a", "bc"), subject("ab", "c"));
        assert_ne!(subject("t", "us-east-1"), subject("t", "eu-west-1"));
    }
}
