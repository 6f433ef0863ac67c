//! Self-managed Redis replication: role from `INFO replication`, lag from the primary's
//! `master_repl_offset` against the replica's acknowledged offset, promotion by
//! `REPLICAOF NO ONE` with every other member re-pointed (`promote`). A replica that follows
//! anything but the writer (`topology`) has no lag against it and reads as broken.
//!
//! Offsets are bytes; the fleet speaks seconds. A replica that has acknowledged everything is
//! 0 s behind. One that is behind has been so at least since its last acknowledgement (the
//! primary's `lag=` field, seconds since the last REPLCONF ACK), and at least since the last
//! refresh at which the primary's offset was no further than what the replica has now.

mod promote;
pub mod topology;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::MultiplexedConnection;

use super::board::Board;
use super::secrets::{Secret, SecretSource, scrub};
use crate::{
    DatabaseControl, ErrorKind, LagReader, Progress, PromoteOptions, PromoteReport, ProviderError,
    ProviderResult, Rounds,
};
use meridian_model::fleet::{Fleet, ProviderKind, Region, Role};
use meridian_model::state::replication::SUPERSEDED;
use meridian_model::state::{Millis, now_ms};

const TIMEOUT: Duration = Duration::from_secs(3);
/// A replica slower than this to answer is asked about through its primary instead.
const REPLICA_TIMEOUT: Duration = Duration::from_secs(1);
/// Offset samples kept per region (a few minutes of refreshes).
const SAMPLES: usize = 300;

/// `INFO replication` as key/value pairs.
pub type Info = HashMap<String, String>;

/// Every region whose database (or lag) is a Redis server.
pub struct Redis {
    servers: HashMap<String, SecretSource>,
    /// (when, primary offset) seen at past refreshes, per replica region.
    samples: Mutex<HashMap<String, VecDeque<(Millis, i64)>>>,
    /// One kept connection per server URL: a refresh asks the same servers every 2 s, and
    /// a connection per question was most of a 100-region dashboard's CPU.
    cons: Mutex<HashMap<String, MultiplexedConnection>>,
    /// Per server URL, held while its connection is opened: at start every replica's lag
    /// reading wants the primary at once, and each opened its own, all but one dropped.
    opening: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// What each region last said about itself (`INFO replication`), shared by the
    /// regions' readings (`providers::board`).
    infos: Board<Info>,
    /// Replicas' primaries' `INFO replication`, by server URL, for lag readings. The
    /// replicas of one slot ask their primary at the same moment; one that arrives while
    /// another's question is out takes its answer, so on 100 regions the fleet's writer
    /// answers a few times a slot instead of once per replica (50 times a second).
    primaries: Board<Info>,
}

impl Redis {
    pub fn from_fleet(fleet: &Fleet) -> Redis {
        let servers = SecretSource::per_region(fleet, ProviderKind::Redis);
        Redis {
            infos: Board::default(),
            primaries: Board::default(),
            servers,
            samples: Mutex::new(HashMap::new()),
            cons: Mutex::new(HashMap::new()),
            opening: Mutex::new(HashMap::new()),
        }
    }

    /// The kept connection to a server, opened if there is none.
    async fn con(
        &self,
        url: &Secret,
        region: &str,
        call: &str,
    ) -> ProviderResult<MultiplexedConnection> {
        let kept = || self.cons.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = kept().get(url.expose()) {
            return Ok(c.clone());
        }
        let gate = (self.opening.lock().unwrap_or_else(|p| p.into_inner()))
            .entry(url.expose().to_string())
            .or_default()
            .clone();
        let _opening = gate.lock().await;
        // Whoever held the gate before may have opened it meanwhile.
        if let Some(c) = kept().get(url.expose()) {
            return Ok(c.clone());
        }
        let fresh = Self::connect_url(url, region, call).await?;
        kept().insert(url.expose().to_string(), fresh.clone());
        Ok(fresh)
    }

    /// `INFO replication` over the kept connection; a connection that failed is dropped, so
    /// the next read opens a new one.
    async fn kept_info(&self, url: &Secret, region: &str, call: &str) -> ProviderResult<Info> {
        let mut con = self.con(url, region, call).await?;
        let info = Self::info(&mut con, region).await;
        if info.is_err() {
            (self.cons.lock().unwrap_or_else(|p| p.into_inner())).remove(url.expose());
        }
        info
    }

    /// What a region's server says about itself, posted to the board (role and lag readings
    /// of one region share one answer).
    async fn own_info(&self, region: &str, call: &str) -> ProviderResult<Info> {
        let ask = async {
            let url = self.url(region, call)?;
            self.kept_info(&url, region, call).await
        };
        self.infos.answer(region, call, ask).await
    }

    fn url(&self, region: &str, call: &str) -> ProviderResult<Secret> {
        let src = self.servers.get(region).ok_or_else(|| {
            ProviderError::new(Some(region), call, "no Redis connection configured")
        })?;
        src.read(region, call)
    }

    async fn connect_url(
        url: &Secret,
        region: &str,
        call: &str,
    ) -> ProviderResult<MultiplexedConnection> {
        let client = redis::Client::open(url.expose()).map_err(|e| {
            ProviderError::new(
                Some(region),
                call,
                format!("invalid Redis URL: {}", scrub(&e.to_string(), url)),
            )
        })?;
        match tokio::time::timeout(TIMEOUT, client.get_multiplexed_async_connection()).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) if e.is_timeout() => Err(ProviderError::timed_out(
                Some(region),
                call,
                TIMEOUT,
            )
            .with_hint("the server accepted the connection but did not answer the handshake")),
            Ok(Err(e)) => Err(ProviderError::new(
                Some(region),
                call,
                scrub(&crate::root_cause(&e), url),
            )
            .with_hint("is the server up and reachable? check the URL's host, port and password")),
            Err(_) => Err(ProviderError::timed_out(Some(region), call, TIMEOUT)
                .with_hint("is the server up and reachable?")),
        }
    }

    async fn cmd<T: redis::FromRedisValue>(
        con: &mut MultiplexedConnection,
        cmd: redis::Cmd,
        region: &str,
        call: &str,
    ) -> ProviderResult<T> {
        match tokio::time::timeout(TIMEOUT, cmd.query_async::<T>(con)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) if e.kind() == redis::ErrorKind::Parse => Err(ProviderError::new(
                Some(region),
                call,
                "the answer is not in the Redis protocol",
            )
            .with_hint("check the URL's host and port: something else answers there")),
            // The client's own response timeout on a kept connection is a timeout too: a
            // hung replica's lag is then read through its primary.
            Ok(Err(e)) if !e.is_timeout() => {
                Err(ProviderError::new(Some(region), call, e.to_string()))
            }
            _ => Err(ProviderError::timed_out(Some(region), call, TIMEOUT)
                .with_hint("the server is busy or hung (DEBUG SLEEP, a slow command)")),
        }
    }

    async fn info(con: &mut MultiplexedConnection, region: &str) -> ProviderResult<Info> {
        let text: String = Self::cmd(
            con,
            redis::cmd("INFO").arg("replication").clone(),
            region,
            "redis INFO replication",
        )
        .await?;
        Ok(parse_info(&text))
    }

    /// Connect to a region's server and read `INFO replication`.
    async fn region_info(
        &self,
        region: &str,
    ) -> ProviderResult<(MultiplexedConnection, Info, Secret)> {
        let url = self.url(region, "redis INFO replication")?;
        let mut con = Self::connect_url(&url, region, "redis INFO replication").await?;
        let info = Self::info(&mut con, region).await?;
        Ok((con, info, url))
    }
}

impl Redis {
    /// `INFO replication` of another configured server that is a primary listing this
    /// replica, from the board (asking only regions whose answer is stale, under one time
    /// limit: a black-holed neighbour must not hold this region's reading up).
    async fn primary_listing(&self, region: &str, port: &str) -> Option<Info> {
        let lists = |info: &Info| {
            info.get("role").map(String::as_str) == Some("master")
                && replica_ack(info, port).is_some()
        };
        let seen = self.members_shared().await;
        let primary = (seen.members.iter())
            .find(|(r, info)| r.as_str() != region && lists(info))
            .map(|(r, _)| r.clone())?;
        // The board says which server is the primary; the offsets must be current (a board
        // answer may be as old as that region's slower pace), so it is asked now.
        let call = "redis INFO replication (primary)";
        (self.own_info(&primary, call).await).ok().filter(lists)
    }
}

/// Parse `INFO` text into key/value pairs.
pub fn parse_info(text: &str) -> Info {
    text.lines()
        .filter_map(|l| l.trim().split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The same URL pointing at another host and port (the replica's primary), keeping the
/// credentials and database: replicas of one primary share its password.
pub fn with_host(url: &Secret, host: &str, port: &str) -> Secret {
    let u = url.expose();
    let (scheme, rest) = u.split_once("://").unwrap_or(("redis", u));
    let (auth, after_auth) = match rest.rsplit_once('@') {
        Some((a, r)) => (format!("{a}@"), r),
        None => (String::new(), rest),
    };
    let path = after_auth.find('/').map(|i| &after_auth[i..]).unwrap_or("");
    Secret::new(format!("{scheme}://{auth}{host}:{port}{path}"))
}

/// The port in a Redis URL (default 6379).
fn port_of(url: &Secret) -> String {
    let u = url.expose();
    let rest = u.split_once("://").map(|(_, r)| r).unwrap_or(u);
    let hostport = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
    let hostport = hostport.split('/').next().unwrap_or(hostport);
    hostport
        .rsplit_once(':')
        .map(|(_, p)| p.to_string())
        .unwrap_or_else(|| "6379".into())
}

/// This replica's acknowledged offset and seconds since its last ack, from the primary's
/// `slaveN:ip=..,port=..,state=..,offset=..,lag=..` lines.
fn replica_ack(primary: &Info, port: &str) -> Option<(i64, f64)> {
    primary
        .iter()
        .filter(|(k, _)| k.starts_with("slave") && k[5..].chars().all(|c| c.is_ascii_digit()))
        .find_map(|(_, v)| {
            let fields: HashMap<&str, &str> =
                v.split(',').filter_map(|f| f.split_once('=')).collect();
            (fields.get("port") == Some(&port)).then(|| {
                Some((
                    fields.get("offset")?.parse().ok()?,
                    fields.get("lag")?.parse().ok()?,
                ))
            })?
        })
}

#[async_trait]
impl DatabaseControl for Redis {
    fn describe_promote(
        &self,
        target: &str,
        old_primary: Option<&str>,
        _options: PromoteOptions,
    ) -> Vec<String> {
        let old = old_primary.unwrap_or("the old primary");
        vec![
            format!("1. fence {old} when reachable: CLIENT PAUSE WRITE (replication goes on), verified by its answer"),
            format!("2. {target} replays up to {old}'s offset (up to 10s), verified by its slave_repl_offset"),
            format!("3. REPLICAOF NO ONE on {target}, verified by role:master"),
            format!("4. every other member, {old} included: REPLICAOF {target}'s host and port"),
            "5. each verified to have its link up to the new primary and to acknowledge its offset within the RPO budget; one that cannot is reported with the command to run next".to_string(),
        ]
    }

    async fn read_role(&self, region: &Region) -> ProviderResult<Role> {
        let info = self.own_info(&region.id, "redis INFO replication").await?;
        match info.get("role").map(String::as_str) {
            // A primary that another was promoted away from is not the fleet's writer.
            Some("master")
                if topology::is_superseded(&info, &self.members_shared().await.members) =>
            {
                Ok(Role::Secondary)
            }
            Some("master") => Ok(Role::Primary),
            Some("slave") => Ok(Role::Secondary),
            other => Err(ProviderError::new(
                Some(&region.id),
                "redis INFO replication",
                format!("unexpected role {other:?}"),
            )),
        }
    }

    async fn promote(
        &self,
        fleet: &Fleet,
        region: &Region,
        _options: PromoteOptions,
        progress: &Progress,
    ) -> ProviderResult<PromoteReport> {
        (self.infos)
            .changing(self.promote_all(fleet, region, progress))
            .await
    }

    async fn rejoin(
        &self,
        fleet: &Fleet,
        region: &Region,
        progress: &Progress,
    ) -> ProviderResult<()> {
        (self.infos)
            .changing(self.rejoin_region(fleet, region, progress))
            .await
    }

    fn describe_rejoin(&self, region: &str, writer: &str) -> Vec<String> {
        vec![
            format!(
                "refused, changing nothing, if {region} is a primary that took writes after {writer} was promoted (its offset past {writer}'s second_repl_offset)"
            ),
            format!(
                "REPLICAOF {writer}'s host and port on {region}, verified by its link and by acknowledging {writer}'s offset within the RPO budget"
            ),
        ]
    }
}

#[async_trait]
impl Rounds for Redis {
    async fn begin_round(&self) {
        self.infos.forget().await;
    }
}

#[async_trait]
impl LagReader for Redis {
    async fn read_lag(&self, region: &Region) -> ProviderResult<Option<f64>> {
        let call = "redis replication lag";
        let url = self.url(&region.id, call)?;
        let port = port_of(&url);
        // A hung replica (a slow command, DEBUG SLEEP) still has a lag: read it from the primary.
        let own = match tokio::time::timeout(REPLICA_TIMEOUT, self.own_info(&region.id, call)).await
        {
            Ok(r) => r,
            Err(_) => Err(
                ProviderError::timed_out(Some(&region.id), call, REPLICA_TIMEOUT)
                    .with_hint("the replica did not answer (busy or hung)"),
            ),
        };
        let primary = match own {
            Ok(info) => {
                let seen = self.members_shared().await;
                let members = &seen.members;
                if topology::is_primary(&info) {
                    if topology::is_superseded(&info, members) {
                        let w = topology::current_writer(members).unwrap_or("another region");
                        return Err(ProviderError::new(Some(&region.id), call, format!("{SUPERSEDED}: still takes writes, but {w} was promoted from it"))
                            .with_hint(format!("writes here are lost to the fleet: make it a replica now (REPLICAOF the host and port of {w})"))
                            .with_kind(ErrorKind::Broken));
                    }
                    return Ok(None);
                }
                let (Some(host), Some(mport)) = (info.get("master_host"), info.get("master_port"))
                else {
                    return Err(ProviderError::new(
                        Some(&region.id),
                        call,
                        "replica does not name its primary",
                    ));
                };
                self.follows_writer(&region.id, host, mport, members)?;
                if info.get("master_link_status").map(String::as_str) != Some("up") {
                    return Err(ProviderError::new(
                        Some(&region.id),
                        call,
                        format!("link to primary {host}:{mport} is down"),
                    )
                    .with_hint(
                        "how much is missing cannot be known: promote only with --accept-data-loss",
                    ));
                }
                let primary_url = with_host(&url, host, mport);
                let call = "redis INFO replication (primary)";
                let ask = self.kept_info(&primary_url, &region.id, call);
                (self.primaries.answer(primary_url.expose(), call, ask).await)
                    // A shared failure names this region, not the one that asked.
                    .map_err(|e| ProviderError {
                        region: Some(region.id.clone()),
                        ..e
                    })?
            }
            // Only a replica that does not answer is read through its primary; one that
            // answers with an error has said what is wrong.
            Err(e) if e.kind == ErrorKind::Timeout => {
                match self.primary_listing(&region.id, &port).await {
                    Some(info) => info,
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        let master_offset: i64 = primary
            .get("master_repl_offset")
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        let Some((acked, ack_age)) = replica_ack(&primary, &port) else {
            return Err(ProviderError::new(
                Some(&region.id),
                call,
                "its primary does not list this replica",
            )
            .with_hint("the replica may be reconnecting; try again"));
        };
        let now = now_ms();
        let mut all = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let samples = all.entry(region.id.clone()).or_default();
        if acked >= master_offset {
            samples.clear();
            samples.push_back((now, master_offset));
            return Ok(Some(0.0));
        }
        // The newest past refresh whose primary offset the replica has fully acknowledged.
        let caught_up_at = samples
            .iter()
            .rev()
            .find(|(_, off)| *off <= acked)
            .map(|(t, _)| *t);
        samples.push_back((now, master_offset));
        while samples.len() > SAMPLES {
            samples.pop_front();
        }
        let from_samples = caught_up_at
            .map(|t| (now - t) as f64 / 1000.0)
            .unwrap_or(0.0);
        Ok(Some(ack_age.max(from_samples)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_primary_url_keeps_credentials_and_database() {
        let u = Secret::new("redis://:s3cret@10.0.0.5:6381/2");
        assert_eq!(
            with_host(&u, "10.0.0.4", "6380").expose(),
            "redis://:s3cret@10.0.0.4:6380/2"
        );
        assert_eq!(port_of(&u), "6381");
        assert_eq!(port_of(&Secret::new("redis://cache.internal")), "6379");
    }

    #[test]
    fn replica_acks_are_found_by_port() {
        let info = parse_info(
            "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n\
             slave0:ip=127.0.0.1,port=7001,state=online,offset=100,lag=0\r\n\
             slave1:ip=127.0.0.1,port=7002,state=online,offset=90,lag=3\r\nmaster_repl_offset:120\r\n",
        );
        assert_eq!(replica_ack(&info, "7002"), Some((90, 3.0)));
        assert_eq!(replica_ack(&info, "7003"), None);
    }
}
