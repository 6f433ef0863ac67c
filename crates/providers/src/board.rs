//! What every region's database server last said about itself, kept as a board the
//! regions' readings share. A replica's lag and a writer's role need to know which region
//! is the fleet's writer, which means hearing from every region. Asking every server for
//! each reading made a round of readings on 100 regions 10,000 questions (and as many
//! connection attempts). Instead each region's own reading posts its answer here; a reading
//! that needs the whole fleet takes the board as it is and asks only the servers whose
//! answer is missing or older than `FRESH`. PostgreSQL and Redis both use it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::{ProviderError, ProviderResult};

/// How old a region's answer may be and still stand for it. Longer than the slowest pace
/// the engine reads a region's database at (a region nobody attends to: every 10 s at
/// most, `meridian_core::engine::pace::SLOW_MAX`), so the regions' own readings
/// keep the board current and nothing else is asked. At 3 s (the 2 s interval's margin)
/// every view asked the 80 unattended regions of a 100-region fleet again every 3 s,
/// undoing their slower pace: 34 queries a second where 20 were planned. A topology
/// change in an unattended region is then seen at its own slower pace, like its lag; one
/// made through meridian clears the board (`changing`).
pub const FRESH: Duration = Duration::from_secs(12);
/// How long one view of the whole board serves the readings that ask for it.
const VIEW_FRESH: Duration = Duration::from_secs(1);

/// Every region's last answer, and the view of them the readings share.
pub struct Board<T> {
    /// Per region: when it was last asked, and what it said or why it said nothing.
    answers: Mutex<HashMap<String, (Instant, ProviderResult<T>)>>,
    /// Per region (or other key, see `answer`), held while it is asked, so readings that
    /// want it meanwhile take its answer instead of asking again.
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Held while a view is built, so readings that arrive meanwhile wait for it.
    view: tokio::sync::Mutex<Option<Arc<Seen<T>>>>,
}

/// Every region that answered, by id, as of `at`.
pub struct Seen<T> {
    at: Instant,
    pub members: Vec<(String, T)>,
}

impl<T: Clone> Default for Board<T> {
    fn default() -> Self {
        Board {
            answers: Mutex::default(),
            turns: Mutex::default(),
            view: Default::default(),
        }
    }
}

impl<T: Clone> Board<T> {
    fn answers(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, ProviderResult<T>)>> {
        self.answers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ask one region through `ask`, one reading at a time per region. A reading that
    /// waited while another asked takes that answer (a failure told as its own `call`): a
    /// region's role and lag are read at the same moment and share one question. A reading
    /// that did not wait asks afresh. Any key works as `region` (Redis keys its replicas'
    /// primaries by address).
    pub async fn answer<F>(&self, region: &str, call: &str, ask: F) -> ProviderResult<T>
    where
        F: Future<Output = ProviderResult<T>>,
    {
        let arrived = Instant::now();
        let turn = (self.turns.lock().unwrap_or_else(|p| p.into_inner()))
            .entry(region.to_string())
            .or_default()
            .clone();
        let _turn = turn.lock().await;
        let recent = (self.answers().get(region))
            .filter(|(at, _)| *at >= arrived)
            .map(|(_, a)| a.clone());
        if let Some(answer) = recent {
            return answer.map_err(|e| ProviderError {
                call: call.to_string(),
                ..e
            });
        }
        let answer = ask.await;
        self.post(region, answer.clone());
        answer
    }

    /// Ask these regions at once through `ask` (which posts its answer, see `answer`); one
    /// that does not answer within `limit` is posted as silent, so a dead neighbour does
    /// not hold a reading up.
    pub async fn ask_each<'a, F, Fut>(
        &self,
        regions: &'a [String],
        limit: Duration,
        call: &str,
        ask: F,
    ) where
        F: Fn(&'a String) -> Fut,
        Fut: Future<Output = ProviderResult<T>>,
    {
        let asks = regions.iter().map(|r| {
            let asked = ask(r);
            async move {
                if tokio::time::timeout(limit, asked).await.is_err() {
                    self.post(
                        r,
                        Err(ProviderError::timed_out(Some(r.as_str()), call, limit)),
                    );
                }
            }
        });
        futures::future::join_all(asks).await;
    }

    pub fn post(&self, region: &str, answer: ProviderResult<T>) {
        self.answers()
            .insert(region.to_string(), (Instant::now(), answer));
    }

    /// The regions with no answer younger than `FRESH`.
    pub fn stale<'a>(&self, regions: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
        let answers = self.answers();
        regions
            .filter(|r| answers.get(*r).is_none_or(|(at, _)| at.elapsed() >= FRESH))
            .collect()
    }

    /// The fresh answers, by region id.
    pub fn members(&self) -> Vec<(String, T)> {
        let mut found: Vec<(String, T)> = (self.answers().iter())
            .filter(|(_, (at, _))| at.elapsed() < FRESH)
            .filter_map(|(r, (_, a))| Some((r.clone(), a.as_ref().ok()?.clone())))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }

    /// The board's view, at most `VIEW_FRESH` old, after `ask_stale` has asked the regions
    /// whose answer is missing or stale (it is given them). On the dashboard a topology
    /// change made outside meridian shows within about `FRESH + VIEW_FRESH`; a one-shot
    /// round starts from an empty board (`forget`), so it sees every change made before it.
    pub async fn view<'a, F, Fut>(
        &self,
        regions: impl Iterator<Item = &'a String>,
        ask_stale: F,
    ) -> Arc<Seen<T>>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut view = self.view.lock().await;
        if let Some(v) = view.as_ref()
            && v.at.elapsed() < VIEW_FRESH
        {
            return v.clone();
        }
        let stale: Vec<String> = self.stale(regions).into_iter().cloned().collect();
        if !stale.is_empty() {
            ask_stale(stale).await;
        }
        let fresh = Arc::new(Seen {
            at: Instant::now(),
            members: self.members(),
        });
        *view = Some(fresh.clone());
        fresh
    }

    /// The topology is about to change or just changed, or a one-shot round begins: every
    /// later reading asks again.
    pub async fn forget(&self) {
        *self.view.lock().await = None;
        self.answers().clear();
    }

    /// Run a change of the topology (a promotion, a rejoin): nothing heard before it stands
    /// during it, and nothing heard during it stands after it.
    pub async fn changing<R>(&self, change: impl Future<Output = R>) -> R {
        self.forget().await;
        let done = change.await;
        self.forget().await;
        done
    }
}
