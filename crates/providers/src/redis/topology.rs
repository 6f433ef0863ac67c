//! Who follows whom in a Redis replication set, and which server is the writer.
//!
//! Redis has no timelines, but a promoted replica keeps its old primary's replication id as
//! `master_replid2` and takes a new `master_replid`: a primary whose id another primary
//! carries as its `master_replid2` was promoted away from, behind meridian's back or not,
//! and is superseded. The writer is the one primary nobody superseded.

use std::sync::Arc;
use std::time::Duration;

use super::{Info, Redis};
use crate::board::Seen;
use crate::{ErrorKind, ProviderError, ProviderResult};
use meridian_model::state::replication::BROKEN;

/// How long a neighbour may take to answer `INFO replication` before it is left out.
const NEIGHBOUR_TIMEOUT: Duration = Duration::from_secs(1);

fn field<'a>(info: &'a Info, key: &str) -> Option<&'a str> {
    info.get(key).map(|v| v.trim())
}

pub fn is_primary(info: &Info) -> bool {
    field(info, "role") == Some("master")
}

/// The primaries no other primary was promoted away from.
fn unsuperseded(members: &[(String, Info)]) -> Vec<&str> {
    let primaries: Vec<&(String, Info)> = members.iter().filter(|(_, i)| is_primary(i)).collect();
    primaries
        .iter()
        .filter(|(_, a)| !is_superseded(a, members))
        .map(|(r, _)| r.as_str())
        .collect()
}

/// Another primary carries this primary's replication id as its previous one.
pub fn is_superseded(info: &Info, members: &[(String, Info)]) -> bool {
    let Some(id) = field(info, "master_replid") else {
        return false;
    };
    members
        .iter()
        .any(|(_, b)| is_primary(b) && field(b, "master_replid2") == Some(id))
}

/// The writer among the members that answered, when exactly one primary is unsuperseded.
pub fn current_writer(members: &[(String, Info)]) -> Option<&str> {
    match unsuperseded(members).as_slice() {
        [only] => Some(only),
        _ => None,
    }
}

/// The host in a Redis URL (the host replicas are told to follow).
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let hostport = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
    let hostport = hostport.split('/').next().unwrap_or(hostport);
    match hostport.rsplit_once(':') {
        Some((h, _)) => h.to_string(),
        None => hostport.to_string(),
    }
}

fn same_host(a: &str, b: &str) -> bool {
    let loopback = |h: &str| matches!(h, "127.0.0.1" | "localhost" | "::1");
    a == b || (loopback(a) && loopback(b))
}

impl Redis {
    /// Ask these regions at once; one that does not answer in time is posted as silent.
    async fn ask(&self, regions: &[String]) {
        let call = "redis INFO replication";
        (self.infos)
            .ask_each(regions, NEIGHBOUR_TIMEOUT, call, |r| self.own_info(r, call))
            .await;
    }

    /// Every configured region's `INFO replication`, asked now (for actions, which must
    /// not act on a view a few seconds old); a region that does not answer in time is left
    /// out (a dead neighbour must not hold the others up).
    pub(super) async fn members(&self) -> Vec<(String, Info)> {
        let all: Vec<String> = self.servers.keys().cloned().collect();
        self.ask(&all).await;
        self.infos.members()
    }

    /// Every region's `INFO replication` for a reading: the board's view (`Board::view`).
    pub(super) async fn members_shared(&self) -> Arc<Seen<Info>> {
        let ask = |stale: Vec<String>| async move { self.ask(&stale).await };
        self.infos.view(self.servers.keys(), ask).await
    }

    /// Whether the region's URL names `host:port`.
    fn is_at(&self, region: &str, host: &str, port: &str) -> bool {
        self.url(region, "redis address")
            .is_ok_and(|u| super::port_of(&u) == port && same_host(&host_of(u.expose()), host))
    }

    /// The region whose URL names `host:port`.
    pub(super) fn region_at(&self, host: &str, port: &str) -> Option<String> {
        let mut regions: Vec<&String> = self.servers.keys().collect();
        regions.sort();
        regions
            .into_iter()
            .find(|r| self.is_at(r, host, port))
            .cloned()
    }
}

impl Redis {
    /// A replica's lag is only a number when it follows the writer: following anything
    /// else, it receives none of the writer's data.
    pub(super) fn follows_writer(
        &self,
        region: &str,
        host: &str,
        port: &str,
        members: &[(String, Info)],
    ) -> ProviderResult<()> {
        let Some(w) = current_writer(members) else {
            return Ok(());
        };
        // The writer's address is one secrets read. Which region the replica follows
        // instead (every region's address, sorted) is only worked out when it is not the
        // writer: on 100 regions that search was a tenth of an idle dashboard's Redis work.
        if self.is_at(w, host, port) {
            return Ok(());
        }
        let follows = self.region_at(host, port);
        let what = match &follows {
            Some(f) if members.iter().any(|(r, i)| r == f && !is_primary(i)) => {
                format!("follows {f}, which is a replica, not the primary")
            }
            Some(f) => format!("follows {f}, which is no longer the primary"),
            None => format!("follows {host}:{port}, which is no region of this fleet"),
        };
        let to = self
            .url(w, "redis address")
            .map(|u| format!("{} {}", host_of(u.expose()), super::port_of(&u)))
            .unwrap_or_else(|_| format!("<{w}'s host> <port>"));
        Err(ProviderError::new(
            Some(region),
            "redis replication lag",
            format!("{BROKEN}: {what} ({w} is); it receives none of the writer's data"),
        )
        .with_hint(format!("re-point it: REPLICAOF {to} on {region}"))
        .with_kind(ErrorKind::Broken))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::parse_info;

    #[test]
    fn the_writer_is_the_primary_nobody_was_promoted_away_from() {
        let old = parse_info("role:master\nmaster_replid:aaa\nmaster_replid2:0000\n");
        let new = parse_info("role:master\nmaster_replid:bbb\nmaster_replid2:aaa\n");
        let replica = parse_info("role:slave\nmaster_replid:aaa\n");
        let set = vec![
            ("us".to_string(), old.clone()),
            ("eu".to_string(), new),
            ("ap".to_string(), replica),
        ];
        assert_eq!(current_writer(&set), Some("eu"));
        assert!(is_superseded(&old, &set));
        let unrelated = vec![
            ("us".to_string(), old),
            (
                "eu".to_string(),
                parse_info("role:master\nmaster_replid:ccc\n"),
            ),
        ];
        assert_eq!(current_writer(&unrelated), None, "two writers: cannot tell");
        assert_eq!(host_of("redis://:pw@10.0.0.4:6380/2"), "10.0.0.4");
        assert_eq!(host_of("redis://cache.internal"), "cache.internal");
    }
}
