//! The simulated Argo CD pushes changes, as the real one's watch does, so an idle dashboard
//! on a 100 x 1,000 fleet does not rebuild 100,000 apps every refresh. An app's state is a
//! function of the seed and the clock, so what changed between two moments is known without
//! building the apps: a drift that began or ended in between. Anything else (an action
//! changed an app, the region went down or came back, a sync finished progressing) sends the
//! whole region again.

use std::time::Duration;

use super::apps::{AppChange, Catalog, Entry, key};
use super::drift::drifted;
use super::world::World;
use super::{SHARED_LOOK, SimProvider};
use crate::{AppsUpdate, ProviderResult};
use meridian_model::pace::{next_slot, origin};
use meridian_model::state::{AppState, HealthStatus};

/// How often the simulated controller looks for changes (the simulator's polling interval).
pub const WATCH_EVERY: Duration = Duration::from_secs(2);
/// With nothing changed, a push this often still says "as it was, as of now" (as a real
/// watch's bookmarks do), well inside the 30 s after which a reading counts as stale.
/// Every 2 s, 100 regions' empty pushes were most of an idle dashboard's work.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);

/// What a watcher last sent of one region.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    tick: u64,
    down: bool,
    /// `demo fault REGION hook` is on (auto-sync's failed attempts show on every app).
    hook: bool,
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
            hook: world.region(region).is_some_and(|r| r.hook_fault),
            changed: region_changes(world, region),
        };
        let whole = match seen.as_ref() {
            None => true,
            Some(before) => {
                before.down != now.down
                    || before.hook != now.hook
                    || before.changed != now.changed
                    || now.changed.iter().any(|(_, c)| {
                        c.progressing_until
                            .is_some_and(|t| before.tick < t && t <= now.tick)
                    })
            }
        };
        // Only an app an action changed can have an auto-sync other than catalogued.
        let any_changed = !now.changed.is_empty();
        let before = seen.replace(now);
        match before {
            Some(before) if !whole => (
                self.drifts_between(world, region, before.tick, any_changed),
                false,
            ),
            _ => (self.region_apps(world, region), true),
        }
    }

    /// Apps whose drifting differs between `from` and the world's tick. `changed_here`: an
    /// action changed some of the region's apps (else none has an auto-sync of its own).
    fn drifts_between(
        &self,
        world: &World,
        region: &str,
        from: u64,
        changed_here: bool,
    ) -> Vec<(String, AppState)> {
        if from == world.tick {
            return Vec::new();
        }
        let down = world
            .region(region)
            .is_some_and(|r| r.health == HealthStatus::Down);
        let Some(entries) = self.by_region.get(region) else {
            return Vec::new();
        };
        let auto_sync = |e: &Entry| {
            let t = self.tenant_of(e);
            match world.changed.is_empty() {
                true => t.auto_sync,
                false => world
                    .changed
                    .get(&key(&t.id, region))
                    .map_or(t.auto_sync, |c| c.auto_sync),
            }
        };
        let differs = |e: &Entry| {
            let auto_sync = auto_sync(e);
            drifted(self.seed, e.subject, from, auto_sync)
                != drifted(self.seed, e.subject, world.tick, auto_sync)
        };
        let catalogued = entries
            .iter()
            .map(|e| (e.subject, self.tenant_of(e).auto_sync));
        let picked: Vec<usize> = match self
            .drifts
            .candidates(self.seed, region, catalogued, from, world.tick)
        {
            Some(mut hits) => {
                // The schedule knows each app's auto-sync as catalogued; an app whose
                // auto-sync an action changed drifts on its own clock, so check it too
                // (a pass over the region's apps, so only when there is one).
                if changed_here {
                    hits.extend((0..entries.len()).filter(|&i| {
                        auto_sync(&entries[i]) != self.tenant_of(&entries[i]).auto_sync
                    }));
                }
                // In fleet order, as the merger takes them fastest.
                hits.sort_unstable();
                hits.dedup();
                hits
            }
            None => (0..entries.len()).collect(),
        };
        picked
            .into_iter()
            .filter_map(|i| entries.get(i))
            .filter(|e| differs(e))
            .map(|e| {
                (
                    self.tenant_of(e).id.to_string(),
                    self.state(world, e, region, down),
                )
            })
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
    /// Push the region's apps: whole first, then what changed every `WATCH_EVERY` (and an
    /// empty change every `HEARTBEAT_EVERY` when nothing did, which keeps the cells current).
    pub(super) async fn watch_region(
        &self,
        region: &str,
        sink: tokio::sync::mpsc::Sender<ProviderResult<AppsUpdate>>,
    ) -> ProviderResult<()> {
        let mut seen = None;
        let mut sent: Option<tokio::time::Instant> = None;
        loop {
            let update = self
                .read_within("watch apps", SHARED_LOOK, |w| {
                    self.catalog(w).region_update(w, region, &mut seen)
                })
                .map(|(apps, complete)| AppsUpdate { apps, complete });
            let nothing = matches!(&update, Ok(u) if u.apps.is_empty() && !u.complete);
            if !nothing || sent.is_none_or(|t| t.elapsed() >= HEARTBEAT_EVERY) {
                sent = Some(tokio::time::Instant::now());
                if sink.send(update).await.is_err() {
                    // The dashboard stopped listening.
                    return Ok(());
                }
            }
            // Every region's watch wakes on the same ticks, on the process's grid (with
            // the readings): 100 regions wake the runtime once every 2 s, not 50 times a
            // second.
            let tick = next_slot(origin(), WATCH_EVERY, tokio::time::Instant::now());
            tokio::time::sleep_until(tick).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// What the watch pushes, applied in turn, always equals reading the whole region:
    /// through drifts starting and ending, and across an epoch's end.
    #[test]
    fn pushed_changes_keep_up_with_the_whole_region() {
        let (fleet, _) = meridian_model::synthetic::synthetic(2, 300)
            .unwrap_or_else(|e| panic!("synthetic fleet: {e}"));
        let mut world = World::new(&fleet, 5, 1_700_000_000_000);
        let catalog = Catalog::new(&fleet, world.seed, world.born_ms());
        let region = fleet.regions[1].id.clone();
        let region = region.as_str();
        let mut seen = None;
        let mut held: HashMap<String, AppState> = HashMap::new();
        let mut partial = 0;
        for step in [1u64, 2, 7, 30, 300, 900, 2, 1800, 3, 4000] {
            let (apps, complete) = catalog.region_update(&world, region, &mut seen);
            partial += usize::from(!complete && !apps.is_empty());
            held.extend(apps);
            let whole: HashMap<String, AppState> =
                catalog.region_apps(&world, region).into_iter().collect();
            assert_eq!(held, whole, "at tick {}", world.tick);
            world.advance_ticks(step);
        }
        assert!(partial > 0, "some pushes named only what drifted");
    }
}
