//! What every region's server says about itself, kept as a board the regions' readings
//! share. A replica's lag and a writer's role both need to know which region is the
//! fleet's writer, which means hearing from every region. Asking every server for each
//! reading made a round of readings on 100 regions 10,000 queries (and, at start, as many
//! connection attempts). Instead each region's own reading posts its answer to the board;
//! a reading that needs the whole fleet takes the board as it is, and asks only the
//! servers whose answer is missing or older than `BOARD_FRESH`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::Postgres;
use super::topology::{Endpoint, MEMBER_SQL, Member};
use crate::providers::{ProviderError, ProviderResult};

/// How long a neighbour may take to say what it is before it counts as not answering.
const NEIGHBOUR_TIMEOUT: Duration = Duration::from_secs(2);
/// How old a region's answer may be and still stand for it. Longer than the 2 s database
/// interval, so the regions' own readings keep the board current and nothing else is asked.
const BOARD_FRESH: Duration = Duration::from_secs(3);
/// How long one view of the whole board serves the readings that ask for it.
const VIEW_FRESH: Duration = Duration::from_secs(1);
/// A region's role and lag are read together; the second to ask takes the first's answer.
const JUST_ASKED: Duration = Duration::from_millis(500);

/// What a region said about itself, or why it said nothing.
type Answer = Result<Member, ProviderError>;

/// Every region's last answer, and the view of them the readings share.
pub(super) struct Board {
    /// Per region: when it was last asked, and what it said.
    answers: Mutex<HashMap<String, (Instant, Answer)>>,
    /// Per region, held while it is asked, so readings that want it meanwhile take its
    /// answer instead of asking again.
    turns: HashMap<String, tokio::sync::Mutex<()>>,
    /// Held while a view is built, so readings that arrive meanwhile wait for it instead of
    /// asking the same servers again.
    view: tokio::sync::Mutex<Option<Arc<Seen>>>,
}

/// Every region that answered, by id, as of `at`.
pub(super) struct Seen {
    at: Instant,
    pub members: Vec<(String, Member)>,
}

impl Board {
    pub fn new<'a>(regions: impl Iterator<Item = &'a String>) -> Board {
        Board {
            answers: Mutex::default(),
            turns: regions.map(|r| (r.clone(), Default::default())).collect(),
            view: Default::default(),
        }
    }

    fn post(&self, region: &str, answer: Answer) {
        let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        answers.insert(region.to_string(), (Instant::now(), answer));
    }

    fn within(&self, region: &str, age: Duration) -> Option<Answer> {
        let answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        let (at, answer) = answers.get(region)?;
        (at.elapsed() < age).then(|| answer.clone())
    }

    /// The regions with no answer younger than `BOARD_FRESH`.
    fn stale<'a>(&self, regions: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
        let answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        regions
            .filter(|r| {
                answers
                    .get(*r)
                    .is_none_or(|(at, _)| at.elapsed() >= BOARD_FRESH)
            })
            .collect()
    }

    fn members(&self) -> Vec<(String, Member)> {
        let answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        let mut found: Vec<(String, Member)> = (answers.iter())
            .filter(|(_, (at, _))| at.elapsed() < BOARD_FRESH)
            .filter_map(|(r, (_, m))| Some((r.clone(), m.as_ref().ok()?.clone())))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }
}

impl Postgres {
    /// What one region's server says about itself, on the kept read connection; posted to
    /// the board, answer or not. Asked at most once at a time per region, and an answer
    /// given in the last `JUST_ASKED` is taken as it is.
    pub(super) async fn member(&self, region: &str, call: &str) -> ProviderResult<Member> {
        let _turn = match self.members.turns.get(region) {
            Some(t) => Some(t.lock().await),
            None => None,
        };
        if let Some(answer) = self.members.within(region, JUST_ASKED) {
            // The same failure, told as this reading's call.
            return answer.map_err(|e| ProviderError {
                call: call.to_string(),
                ..e
            });
        }
        let answer = self
            .read(region, call, MEMBER_SQL)
            .await
            .map(|row| Member::from_row(&row));
        self.members.post(region, answer.clone());
        answer
    }

    /// Ask these regions at once; one that does not answer in time is posted as silent (a
    /// dead neighbour must not hold a reading up).
    async fn ask(&self, regions: &[&String], call: &str) {
        let asks = regions.iter().map(|r| async move {
            let answered = tokio::time::timeout(NEIGHBOUR_TIMEOUT, self.member(r, call)).await;
            if answered.is_err() {
                let silent = ProviderError::timed_out(Some(r.as_str()), call, NEIGHBOUR_TIMEOUT);
                self.members.post(r, Err(silent));
            }
        });
        futures::future::join_all(asks).await;
    }

    /// Every configured region's own account, asked now (for actions, which must not act
    /// on a view a few seconds old).
    pub(super) async fn members(&self, call: &str) -> Vec<(String, Member)> {
        let all: Vec<&String> = self.servers.keys().collect();
        self.ask(&all, call).await;
        let mut found = self.members.members();
        found.retain(|(r, _)| self.servers.contains_key(r));
        found
    }

    /// Every region's account for a reading: the board's view, at most `VIEW_FRESH` old,
    /// after asking the regions whose answer is missing or stale. On the dashboard a
    /// topology change made outside meridian shows within about `BOARD_FRESH + VIEW_FRESH`;
    /// a one-shot round (`status`, an action's reads) starts from an empty board
    /// (`begin_round`), so it sees every change made before it.
    pub(super) async fn members_shared(&self, call: &str) -> Arc<Seen> {
        let mut view = self.members.view.lock().await;
        if let Some(v) = view.as_ref()
            && v.at.elapsed() < VIEW_FRESH
        {
            return v.clone();
        }
        let stale = self.members.stale(self.servers.keys());
        if !stale.is_empty() {
            self.ask(&stale, call).await;
        }
        let fresh = Arc::new(Seen {
            at: Instant::now(),
            members: self.members.members(),
        });
        *view = Some(fresh.clone());
        fresh
    }

    /// The topology is about to change or just changed: every later reading asks again.
    pub(super) async fn forget_members(&self) {
        *self.members.view.lock().await = None;
        (self.members.answers.lock())
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The region whose connection string names `at`, if any (the first by id).
    pub(super) fn region_at(&self, at: &Endpoint) -> Option<String> {
        let mut regions: Vec<&String> = self.servers.keys().collect();
        regions.sort();
        regions
            .into_iter()
            .find(|r| self.endpoint(r).is_some_and(|e| e.same_as(at)))
            .cloned()
    }
}
