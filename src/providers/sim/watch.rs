//! The simulated Argo CD pushes changes, as the real one's watch does, so an idle dashboard
//! on a 100 x 1,000 fleet does not rebuild 100,000 apps every refresh. An app's state is a
//! function of the seed and the clock, so what changed between two moments is known without
//! building the apps: a drift that began or ended in between. Anything else (an action
//! changed an app, the region went down or came back, a sync finished progressing) sends the
//! whole region again.

use std::time::Duration;

use super::SimProvider;
use super::apps::{AppChange, Catalog, drifted, key};
use super::world::World;
use crate::providers::{AppsUpdate, ProviderResult};
use crate::state::{AppState, HealthStatus};

/// How often the simulated controller looks for changes (the simulator's polling interval).
pub const WATCH_EVERY: Duration = Duration::from_secs(2);

/// What a watcher last sent of one region.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    tick: u64,
    down: bool,
    /// The region's apps that actions changed, as they were then.
    changed: Vec<(String, AppChange)>,
}

impl Catalog {
    /// The region's apps that may read differently now than when `seen` was taken: all of
    /// them (`complete`) the first time and after anything but a drift, else only the apps
    /// whose drift began or ended in between. `seen` moves to now.
    pub fn region_update(
        &self,
        world: &World,
        region: &str,
        seen: &mut Option<Seen>,
    ) -> (Vec<(String, AppState)>, bool) {
        let now = Seen {
            tick: world.tick,
            down: world
                .region(region)
                .is_some_and(|r| r.health == HealthStatus::Down),
            changed: region_changes(world, region),
        };
        let whole = match seen.as_ref() {
            None => true,
            Some(before) => {
                before.down != now.down
                    || before.changed != now.changed
                    || now.changed.iter().any(|(_, c)| {
                        c.progressing_until
                            .is_some_and(|t| before.tick < t && t <= now.tick)
                    })
            }
        };
        let before = seen.replace(now);
        match before {
            Some(before) if !whole => (self.drifts_between(world, region, before.tick), false),
            _ => (self.region_apps(world, region), true),
        }
    }

    /// Apps whose drifting differs between `from` and the world's tick.
    fn drifts_between(&self, world: &World, region: &str, from: u64) -> Vec<(String, AppState)> {
        if from == world.tick {
            return Vec::new();
        }
        let down = world
            .region(region)
            .is_some_and(|r| r.health == HealthStatus::Down);
        let Some(entries) = self.by_region.get(region) else {
            return Vec::new();
        };
        entries
            .iter()
            .filter(|e| {
                let auto_sync = match world.changed.is_empty() {
                    true => e.auto_sync,
                    false => world
                        .changed
                        .get(&key(&e.tenant, region))
                        .map_or(e.auto_sync, |c| c.auto_sync),
                };
                drifted(self.seed, e.subject, from, auto_sync)
                    != drifted(self.seed, e.subject, world.tick, auto_sync)
            })
            .map(|e| (e.tenant.clone(), self.state(world, e, region, down)))
            .collect()
    }
}

/// The stored changes of a region's apps, in key order.
fn region_changes(world: &World, region: &str) -> Vec<(String, AppChange)> {
    let suffix = format!("/{region}");
    world
        .changed
        .iter()
        .filter(|(k, _)| k.ends_with(&suffix))
        .map(|(k, c)| (k.clone(), c.clone()))
        .collect()
}

impl SimProvider {
    /// Push the region's apps: whole first, then what changed every `WATCH_EVERY` (an empty
    /// change when nothing did, which keeps the cells current).
    pub(super) async fn watch_region(
        &self,
        region: &str,
        sink: tokio::sync::mpsc::Sender<ProviderResult<AppsUpdate>>,
    ) -> ProviderResult<()> {
        let mut seen = None;
        loop {
            let update = self
                .read("watch apps", |w| {
                    self.catalog(w).region_update(w, region, &mut seen)
                })
                .map(|(apps, complete)| AppsUpdate { apps, complete });
            if sink.send(update).await.is_err() {
                // The dashboard stopped listening.
                return Ok(());
            }
            tokio::time::sleep(WATCH_EVERY).await;
        }
    }
}
