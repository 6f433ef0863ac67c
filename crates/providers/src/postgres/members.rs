//! What every region's server says about itself (`Member`), kept on the shared board
//! (`providers::board`): each region's own reading posts to it, and a reading that needs
//! the fleet's writer asks only the servers whose answer is missing or stale.

use std::sync::Arc;
use std::time::Duration;

use super::Postgres;
use super::topology::{Endpoint, MEMBER_SQL, Member};
use crate::ProviderResult;
use crate::board::Seen;

/// How long a neighbour may take to say what it is before it counts as not answering.
const NEIGHBOUR_TIMEOUT: Duration = Duration::from_secs(2);

impl Postgres {
    /// What one region's server says about itself, on the kept read connection; posted to
    /// the board, answer or not.
    pub(super) async fn member(&self, region: &str, call: &str) -> ProviderResult<Member> {
        let ask = async {
            let row = self.read(region, call, MEMBER_SQL).await?;
            Ok(Member::from_row(&row))
        };
        self.members.answer(region, call, ask).await
    }

    /// Ask these regions at once; one that does not answer in time is posted as silent (a
    /// dead neighbour must not hold a reading up).
    async fn ask(&self, regions: &[String], call: &str) {
        (self.members)
            .ask_each(regions, NEIGHBOUR_TIMEOUT, call, |r| self.member(r, call))
            .await;
    }

    /// Every configured region's own account, asked now (for actions, which must not act
    /// on a view a few seconds old).
    pub(super) async fn members(&self, call: &str) -> Vec<(String, Member)> {
        let all: Vec<String> = self.servers.keys().cloned().collect();
        self.ask(&all, call).await;
        self.members.members()
    }

    /// Every region's account for a reading: the board's view (`Board::view`).
    pub(super) async fn members_shared(&self, call: &str) -> Arc<Seen<Member>> {
        let ask = |stale: Vec<String>| async move { self.ask(&stale, call).await };
        self.members.view(self.servers.keys(), ask).await
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
