//! The live engine: one task per subject, each reading on its own schedule under its own
//! deadline and sending its observation the moment it arrives. A black-holed region holds
//! up only its own task; every other cell keeps refreshing. Providers that watch (push
//! changes) replace polling for their subject.
//!
//! Readings start on a grid counted from the engine's start: each subject in its slot of
//! its interval (`schedule::SLOT`, `schedule::next_slot`), so the subjects that share a
//! slot wake the runtime together, and a reading's duration does not push the next one
//! later.
//!
//! Pace follows attention (`pace`): a region nobody attends to is read more slowly, and a
//! reading that finds its region in trouble puts the region back on the fast pace at once:
//! every task of the region wakes, and one whose fast slot has already passed reads now.
//!
//! Polling that the backend throttles backs off: the subject's interval doubles on each
//! throttled reading (up to 16 times its base) and halves back on each clean one. That is
//! how several dashboards on one account stay bounded: throttling is the account-wide
//! signal that matters (other hosts, CI and the failover itself share the limit), which a
//! per-host shared poller could not see.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::observation::{Observation, Reading};
use super::pace::{self, Attention};
use super::{Subject, read, schedule};
use meridian_model::fleet::Fleet;
use meridian_model::state::now_ms;
use meridian_providers::Providers;

/// Most an interval is stretched by throttling.
const MAX_BACKOFF: u32 = 16;

/// What to read again now.
#[derive(Debug, Clone, PartialEq)]
pub enum Refresh {
    All,
    Only(Vec<Subject>),
}

impl Refresh {
    fn covers(&self, s: &Subject) -> bool {
        match self {
            Refresh::All => true,
            Refresh::Only(list) => list.contains(s),
        }
    }
}

/// The running engine. Dropping it stops every task.
pub struct Engine {
    refresh: broadcast::Sender<Refresh>,
    attention: Arc<tokio::sync::watch::Sender<Attention>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Engine {
    /// Start reading every subject of the fleet; `wrap` turns an observation into the
    /// receiver's message. The receiver owns the state and merges (see `Merger`).
    pub fn spawn<M, F>(fleet: Fleet, providers: Providers, tx: mpsc::Sender<M>, wrap: F) -> Engine
    where
        M: Send + 'static,
        F: Fn(Observation) -> M + Send + Sync + Clone + 'static,
    {
        // The process's grid: the dashboard's own clocks wake with the readings.
        Engine::spawn_at(schedule::origin(), fleet, providers, tx, wrap)
    }

    /// `spawn`, with every task's slots counted from `epoch` (a test on tokio's paused
    /// clock counts from its own start, to know the exact instants).
    pub fn spawn_at<M, F>(
        epoch: Instant,
        fleet: Fleet,
        providers: Providers,
        tx: mpsc::Sender<M>,
        wrap: F,
    ) -> Engine
    where
        M: Send + 'static,
        F: Fn(Observation) -> M + Send + Sync + Clone + 'static,
    {
        let (refresh, _) = broadcast::channel(64);
        // Until the front end says what it attends to, every region is read fast.
        let attention = Arc::new(tokio::sync::watch::Sender::new(Attention::default()));
        let (plan, _) = schedule::plan(&fleet);
        // Every task's slots count from one instant, so readings that share a slot wake
        // the runtime once (see `schedule::SLOT`).
        schedule::publish(&fleet);
        // One copy of each for every task: a 100 x 1,000 fleet is megabytes, the providers'
        // per-region maps are kilobytes, and there are 400 tasks.
        let fleet = Arc::new(fleet);
        let providers = Arc::new(providers);
        let watch_apps = providers.gitops.watches();
        let tasks = plan
            .into_iter()
            .map(|(subject, sch)| {
                let ctx = Task {
                    fleet: Arc::clone(&fleet),
                    providers: Arc::clone(&providers),
                    subject,
                    schedule: sch,
                    epoch,
                    tx: tx.clone(),
                    wrap: wrap.clone(),
                    refresh: refresh.subscribe(),
                    attention: Arc::clone(&attention),
                    attended: attention.subscribe(),
                };
                match &ctx.subject {
                    Subject::Apps(_) if watch_apps => tokio::spawn(ctx.watch()),
                    _ => tokio::spawn(ctx.poll()),
                }
            })
            .collect();
        Engine {
            refresh,
            attention,
            tasks,
        }
    }

    /// The regions the front end attends to (on screen, with a finding, touched by an
    /// action, gate or rollout): read at the fast pace, the rest slower (see `pace`).
    /// Telling the same set again wakes no task.
    pub fn attend(&self, regions: std::collections::BTreeSet<String>) {
        self.attention.send_if_modified(|a| {
            let changed = a.watched.as_ref() != Some(&regions);
            a.watched = Some(regions);
            changed
        });
    }

    /// What the engine reads fast now.
    pub fn attention(&self) -> Attention {
        self.attention.borrow().clone()
    }

    /// Read these subjects again now instead of waiting (e.g. after an action).
    pub fn refresh(&self, what: Refresh) {
        // No receivers means no tasks: nothing to refresh.
        let _ = self.refresh.send(what);
    }

    /// Stop every task; readings in flight are abandoned.
    pub fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Task<M, F> {
    fleet: Arc<Fleet>,
    providers: Arc<Providers>,
    subject: Subject,
    schedule: schedule::Schedule,
    epoch: Instant,
    tx: mpsc::Sender<M>,
    wrap: F,
    refresh: broadcast::Receiver<Refresh>,
    /// Where the task notes its region's trouble (`pace::is_bad`) ...
    attention: Arc<tokio::sync::watch::Sender<Attention>>,
    /// ... and learns when the pace of its region changes.
    attended: tokio::sync::watch::Receiver<Attention>,
}

impl<M, F> Task<M, F>
where
    M: Send + 'static,
    F: Fn(Observation) -> M + Send + Sync + 'static,
{
    async fn poll(mut self) {
        let base = self.schedule.every;
        let mut stretch = 1u32;
        // The first reading comes at once (a dashboard that just opened shows everything);
        // later ones start in the subject's slot, every period after it.
        let anchor = self.epoch + self.schedule.offset;
        loop {
            let obs = read::read(
                &self.fleet,
                &self.providers,
                &self.subject,
                self.schedule.deadline,
            )
            .await;
            let ended = Instant::now();
            stretch = if obs.throttled() {
                (stretch * 2).min(MAX_BACKOFF)
            } else {
                (stretch / 2).max(1)
            };
            // The signal that saw trouble promotes its region before anyone judges it.
            let bad = pace::is_bad(&self.fleet, &obs);
            let subject = &self.subject;
            self.attention.send_if_modified(|a| a.note(subject, bad));
            self.attended.mark_unchanged();
            if self.tx.send((self.wrap)(obs)).await.is_err() {
                return;
            }
            // The next slot at the pace the region has now; when its pace changes while
            // the task sleeps, the slot is worked out again from when this reading ended
            // (one already past is read at once).
            loop {
                let every = pace::period(&self.subject, base, &self.attended.borrow());
                let due = schedule::next_slot(anchor, every * stretch, ended);
                match self.sleep_until(due).await {
                    Wake::Read => break,
                    Wake::Pace => continue,
                    Wake::Stop => return,
                }
            }
        }
    }

    /// Sleep until `wake`, or less when asked to refresh this subject or when the
    /// attention changed.
    async fn sleep_until(&mut self, wake: Instant) -> Wake {
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => return Wake::Read,
                r = self.refresh.recv() => match r {
                    Ok(what) if what.covers(&self.subject) => return Wake::Read,
                    Ok(_) => {}
                    // Missed some refresh requests: one of them may have been ours.
                    Err(broadcast::error::RecvError::Lagged(_)) => return Wake::Read,
                    Err(broadcast::error::RecvError::Closed) => return Wake::Stop,
                },
                changed = self.attended.changed() => match changed {
                    Ok(()) => return Wake::Pace,
                    Err(_) => return Wake::Stop,
                },
            }
        }
    }

    /// A watching provider pushes the region's apps; forward each push as an observation.
    async fn watch(self) {
        let Subject::Apps(region) = &self.subject else {
            return;
        };
        let (push, mut pushed) = mpsc::channel(16);
        let providers = self.providers.clone();
        let fleet = self.fleet.clone();
        let id = region.clone();
        let watcher = tokio::spawn(async move {
            // The provider reconnects by itself; an error ending the watch is the last push.
            if let Err(e) = providers.gitops.watch_apps(&fleet, &id, push.clone()).await {
                let _ = push.send(Err(e)).await;
            }
        });
        while let Some(result) = pushed.recv().await {
            let obs = Observation {
                subject: self.subject.clone(),
                at: now_ms(),
                reading: Reading::Apps(result),
            };
            if self.tx.send((self.wrap)(obs)).await.is_err() {
                break;
            }
        }
        watcher.abort();
    }
}

/// Why a sleeping task woke.
enum Wake {
    Read,
    /// The attention changed: work out the next slot again.
    Pace,
    Stop,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use meridian_providers::sim::SimOptions;
    use meridian_providers::{ProviderOptions, Providers};

    #[tokio::test]
    async fn every_subject_reports_on_its_own_and_refresh_asks_again() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let fleet = meridian_model::fleet::demo();
        let opts = ProviderOptions {
            sim: SimOptions {
                speed: 0.0,
                seed: Some(1),
            },
            ..Default::default()
        };
        let Ok(providers) = Providers::build(&fleet, dir.path(), &opts) else {
            return;
        };
        let (tx, mut rx) = mpsc::channel(64);
        let mut engine = Engine::spawn(fleet.clone(), providers, tx, |o| o);
        let subjects = Subject::all(&fleet);
        let mut seen = std::collections::HashSet::new();
        while seen.len() < subjects.len() {
            let next = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
            let Ok(Some(obs)) = next else {
                panic!(
                    "only {} of {} subjects reported",
                    seen.len(),
                    subjects.len()
                )
            };
            seen.insert(obs.subject);
        }
        engine.refresh(Refresh::Only(vec![Subject::Weights]));
        let again = tokio::time::timeout(Duration::from_secs(1), async {
            loop {
                match rx.recv().await {
                    Some(o) if o.subject == Subject::Weights => return true,
                    Some(_) => {}
                    None => return false,
                }
            }
        })
        .await;
        assert_eq!(
            again,
            Ok(true),
            "a refresh of the weights is answered at once"
        );
        engine.stop();
    }

    /// Health that never answers for one region: the black hole.
    struct Hangs;

    #[async_trait::async_trait]
    impl meridian_providers::HealthProvider for Hangs {
        async fn read_health(
            &self,
            _region: &meridian_model::fleet::Region,
        ) -> meridian_providers::ProviderResult<meridian_model::state::Health> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_black_holed_region_times_out_while_the_others_keep_refreshing() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let mut src = meridian_model::fleet::load::DEMO_FLEET.to_string();
        // Fast schedules so the test sees several rounds; the hung region's deadline is short.
        src = src.replace(
            "[[regions]]",
            "[[regions]]\nhealth = { provider = \"sim\", poll = \"100ms\", timeout = \"300ms\" }",
        );
        let fleet = match meridian_model::fleet::parse(
            &src,
            "demo.toml",
            meridian_model::fleet::FleetSource::Demo,
        ) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let opts = ProviderOptions {
            sim: SimOptions {
                speed: 0.0,
                seed: Some(1),
            },
            ..Default::default()
        };
        let Ok(mut providers) = Providers::build(&fleet, dir.path(), &opts) else {
            return;
        };
        providers
            .health
            .insert("eu-west-1".into(), std::sync::Arc::new(Hangs));
        let (tx, mut rx) = mpsc::channel(256);
        let _engine = Engine::spawn(fleet.clone(), providers, tx, |o| o);
        let mut fresh_elsewhere = 0;
        let mut hung = None;
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(5) && (hung.is_none() || fresh_elsewhere < 6) {
            let Ok(Some(obs)) = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await
            else {
                panic!("the engine went quiet")
            };
            match (&obs.subject, &obs.reading) {
                (Subject::Health(r), Reading::Health(Err(e))) if r == "eu-west-1" => {
                    hung = Some(e.clone())
                }
                (Subject::Health(r), Reading::Health(Ok(_))) if r != "eu-west-1" => {
                    fresh_elsewhere += 1
                }
                _ => {}
            }
        }
        let hung = hung.unwrap_or_else(|| panic!("the black-holed region never timed out"));
        assert_eq!(hung.kind, meridian_providers::ErrorKind::Timeout);
        assert!(
            hung.to_string().contains("no answer within 300ms"),
            "{hung}"
        );
        assert!(
            fresh_elsewhere >= 6,
            "other regions kept refreshing: {fresh_elsewhere} readings"
        );
    }

    /// Health the test sets, and the (virtual) instants it was read at.
    struct Scripted {
        status: std::sync::Mutex<meridian_model::state::HealthStatus>,
        reads: std::sync::Mutex<Vec<Instant>>,
    }

    #[async_trait::async_trait]
    impl meridian_providers::HealthProvider for Scripted {
        async fn read_health(
            &self,
            _region: &meridian_model::fleet::Region,
        ) -> meridian_providers::ProviderResult<meridian_model::state::Health> {
            if let Ok(mut reads) = self.reads.lock() {
                reads.push(Instant::now());
            }
            let status = self
                .status
                .lock()
                .map(|s| *s)
                .unwrap_or(meridian_model::state::HealthStatus::Unknown);
            Ok(meridian_model::state::Health {
                status,
                reason: "scripted".into(),
                latency_ms: None,
                healthy_since: None,
                unhealthy_since: None,
            })
        }
    }

    /// On a paused clock (tokio's test clock: time moves only when every task waits, so
    /// the instants are exact, not measured): the database of a region nobody attends to
    /// is read every 10 s; the health reading that finds the region down puts the region's
    /// other readings on the 2 s pace at once, and a healthy region goes back to 10 s.
    #[tokio::test(start_paused = true)]
    async fn a_region_that_turns_bad_is_read_at_the_fast_pace_at_once() {
        use meridian_model::state::HealthStatus;
        let Ok(dir) = tempfile::tempdir() else { return };
        let fleet = meridian_model::fleet::demo();
        let opts = ProviderOptions {
            sim: SimOptions {
                speed: 0.0,
                seed: Some(1),
            },
            ..Default::default()
        };
        let Ok(mut providers) = Providers::build(&fleet, dir.path(), &opts) else {
            return;
        };
        let scripted = Arc::new(Scripted {
            status: std::sync::Mutex::new(HealthStatus::Healthy),
            reads: std::sync::Mutex::new(Vec::new()),
        });
        providers
            .health
            .insert("eu-west-1".into(), scripted.clone());
        let (tx, mut rx) = mpsc::channel(1024);
        let start = Instant::now();
        let engine = Engine::spawn_at(start, fleet.clone(), providers, tx, |o| o);
        // A front end with nothing on screen and no finding.
        engine.attend(Default::default());
        let db_reads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = db_reads.clone();
        tokio::spawn(async move {
            while let Some(obs) = rx.recv().await {
                if obs.subject == Subject::Database("eu-west-1".into())
                    && let Ok(mut v) = seen.lock()
                {
                    v.push(Instant::now() - start);
                }
            }
        });
        let db = || db_reads.lock().map(|v| v.clone()).unwrap_or_default();
        let set = |status| {
            if let Ok(mut st) = scripted.status.lock() {
                *st = status;
            }
        };
        let s = Duration::from_secs;
        tokio::time::sleep(s(25)).await;
        assert_eq!(db(), vec![s(0), s(10), s(20)], "slow while healthy");
        assert!(!engine.attention().fast("eu-west-1"));
        // Health itself is read every 2 s whatever the pace.
        let health = scripted.reads.lock().map(|v| v.len()).unwrap_or_default();
        assert_eq!(health, 13);
        set(HealthStatus::Down);
        tokio::time::sleep(s(6)).await;
        // Down is seen at 26: the database, last read at 20 and due at 30, is read at once.
        assert_eq!(db()[3..], [s(26), s(28), s(30)]);
        assert!(engine.attention().fast("eu-west-1"));
        // Healthy again: back to the slow pace (the database said nothing bad either).
        set(HealthStatus::Healthy);
        tokio::time::sleep(s(20)).await;
        assert!(!engine.attention().fast("eu-west-1"));
        let reads = db();
        let last = &reads[reads.len() - 2..];
        assert_eq!(last[1] - last[0], s(10), "{reads:?}");
    }
}
