//! Self-managed PostgreSQL streaming replication: role, lag and promotion, read from each
//! region's own server. `topology` says who follows whom, `lag` measures against the writer,
//! `promote` completes the topology (fence, promote, re-point every replica), `rejoin`
//! makes a fenced old primary a replica again (pg_rewind).

mod lag;
mod members;
mod promote;
mod rejoin;
pub mod topology;
mod verify;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Mutex;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use topology::{Endpoint, Member};

use super::board::Board;
use super::secrets::{SecretSource, scrub};
use crate::{
    DatabaseControl, LagReader, Progress, PromoteOptions, PromoteReport, ProviderError,
    ProviderResult, Rounds,
};
use meridian_model::fleet::{Fleet, ProviderKind, Region, Role};

/// How long a connection attempt may take before the region counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one read query may take on a kept connection before the connection is given
/// up (a server that stopped answering would otherwise hang every later read on it too).
const QUERY_TIMEOUT: Duration = Duration::from_secs(4);

/// A region's kept read connection and the statements prepared on it. A refresh runs the
/// same few queries every 2 s; preparing each again (what `query_one` with text does) was
/// a second round trip per query.
struct Reader {
    client: Client,
    prepared: std::sync::Mutex<HashMap<String, Statement>>,
}

impl Reader {
    async fn query_one(&self, sql: &str) -> Result<Row, tokio_postgres::Error> {
        let known = || self.prepared.lock().unwrap_or_else(|p| p.into_inner());
        let cached = known().get(sql).cloned();
        let statement = match cached {
            Some(s) => s,
            None => {
                let s = self.client.prepare(sql).await?;
                known().insert(sql.to_string(), s.clone());
                s
            }
        };
        self.client.query_one(&statement, &[]).await
    }
}

/// Every region whose database (or lag) is a PostgreSQL server.
pub struct Postgres {
    servers: HashMap<String, SecretSource>,
    /// One connection per region for the reads of every refresh (promotion uses its own).
    readers: Mutex<HashMap<String, Arc<Reader>>>,
    /// Held while a region's read connection is being opened, so the region's lag and role
    /// readings and every other region asking it what it is open one connection, not one
    /// each (100 regions at once made 10,000 connection attempts on a shared server).
    connecting: HashMap<String, Mutex<()>>,
    /// What each region last said about itself (see `members`).
    members: Board<Member>,
    /// `connect_timeout` per region, where the fleet file sets one.
    connect_timeouts: HashMap<String, Duration>,
    /// Each region's address, by a hash of the connection string it was parsed from (every
    /// lag reading compares the replica's upstream with the writer's address; parsing the
    /// string each time was a tenth of an idle dashboard's PostgreSQL work). The hash, not
    /// the string: no further copy of a secret is kept.
    endpoints: std::sync::Mutex<HashMap<String, (u64, Option<Endpoint>)>>,
    /// Read connections opened and read queries run, for tests that bound them.
    opened: AtomicU64,
    queries: AtomicU64,
}

/// How many read connections a `Postgres` opened and read queries it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadCounts {
    pub connections: u64,
    pub queries: u64,
}

impl Postgres {
    pub fn from_fleet(fleet: &Fleet) -> Postgres {
        Postgres {
            servers: SecretSource::per_region(fleet, ProviderKind::Postgres),
            readers: Mutex::new(HashMap::new()),
            connecting: fleet
                .regions
                .iter()
                .map(|r| (r.id.clone(), Mutex::new(())))
                .collect(),
            members: Board::default(),
            connect_timeouts: super::secrets::connect_timeouts(fleet, ProviderKind::Postgres),
            endpoints: std::sync::Mutex::new(HashMap::new()),
            opened: AtomicU64::new(0),
            queries: AtomicU64::new(0),
        }
    }

    pub fn read_counts(&self) -> ReadCounts {
        ReadCounts {
            connections: self.opened.load(Ordering::Relaxed),
            queries: self.queries.load(Ordering::Relaxed),
        }
    }

    /// Run one read query on the region's kept connection. A connection found closed (the
    /// server restarted since) is replaced once, so a restart does not cost a refresh.
    async fn read(&self, region: &str, call: &str, sql: &str) -> ProviderResult<Row> {
        for attempt in 0..2 {
            let reader = self.reader(region, call).await?;
            self.queries.fetch_add(1, Ordering::Relaxed);
            let answer = match tokio::time::timeout(QUERY_TIMEOUT, reader.query_one(sql)).await {
                Ok(answer) => answer,
                Err(_) => {
                    self.readers.lock().await.remove(region);
                    return Err(
                        ProviderError::timed_out(Some(region), call, QUERY_TIMEOUT).with_hint(
                            "the server accepted the query but did not answer; the connection was dropped and the next read opens a new one",
                        ),
                    );
                }
            };
            match answer {
                Ok(row) => return Ok(row),
                Err(e) => {
                    self.readers.lock().await.remove(region);
                    if attempt == 1 || !e.is_closed() {
                        return Err(plain(region, call, &e));
                    }
                }
            }
        }
        Err(ProviderError::new(
            Some(region),
            call,
            "connection lost twice",
        ))
    }

    /// The region's kept read connection, opened if there is none or it closed.
    async fn reader(&self, region: &str, call: &str) -> ProviderResult<Arc<Reader>> {
        let live = || async {
            let cached = self.readers.lock().await.get(region).cloned();
            cached.filter(|r| !r.client.is_closed())
        };
        if let Some(c) = live().await {
            return Ok(c);
        }
        let _opening = match self.connecting.get(region) {
            Some(m) => Some(m.lock().await),
            None => None,
        };
        // Whoever held the lock before may have opened it meanwhile.
        if let Some(c) = live().await {
            return Ok(c);
        }
        self.opened.fetch_add(1, Ordering::Relaxed);
        let fresh = Arc::new(Reader {
            client: self.connect(region, call).await?,
            prepared: std::sync::Mutex::default(),
        });
        self.readers
            .lock()
            .await
            .insert(region.to_string(), fresh.clone());
        Ok(fresh)
    }

    /// A fresh connection to a region's server.
    pub async fn connect(&self, region: &str, call: &str) -> ProviderResult<Client> {
        let src = self.servers.get(region).ok_or_else(|| {
            ProviderError::new(Some(region), call, "no PostgreSQL connection configured")
        })?;
        let dsn = src.read(region, call)?;
        let mut config: Config = dsn.expose().parse().map_err(|e: tokio_postgres::Error| {
            ProviderError::new(
                Some(region),
                call,
                format!(
                    "the connection string in {} is invalid: {}",
                    src.describe(),
                    scrub(&e.to_string(), &dsn)
                ),
            )
        })?;
        let limit = self
            .connect_timeouts
            .get(region)
            .copied()
            .unwrap_or(CONNECT_TIMEOUT);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(limit);
        }
        // The whole start-up (TCP, then the server's greeting) under one limit: a server that
        // accepts and never greets would otherwise hang here.
        let connecting = tokio::time::timeout(limit, config.connect(NoTls));
        let (client, connection) = match connecting.await {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => {
                let (message, hint) = describe(&e);
                return Err(pg_error(region, call, &message, &dsn).with_hint(hint));
            }
            Err(_) => {
                return Err(
                    ProviderError::timed_out(Some(region), call, limit).with_hint(
                        "is the server up and reachable? (connect_timeout sets the limit)",
                    ),
                );
            }
        };
        // The connection object does the I/O; it ends when the client is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    /// The host and port a region's connection string names (replicas are pointed there).
    pub(super) fn endpoint(&self, region: &str) -> Option<Endpoint> {
        let dsn = self
            .servers
            .get(region)?
            .read(region, "postgres address")
            .ok()?;
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            dsn.expose().hash(&mut h);
            h.finish()
        };
        let mut known = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        match known.get(region) {
            Some((h, e)) if *h == hash => e.clone(),
            _ => {
                let e = topology::dsn_endpoint(dsn.expose());
                known.insert(region.to_string(), (hash, e.clone()));
                e
            }
        }
    }
}

fn pg_error(
    region: &str,
    call: &str,
    message: &str,
    dsn: &super::secrets::Secret,
) -> ProviderError {
    ProviderError::new(Some(region), call, scrub(message, dsn))
}

fn plain(region: &str, call: &str, e: &tokio_postgres::Error) -> ProviderError {
    // tokio-postgres errors carry the server's message, never the connection string.
    let detail = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| crate::root_cause(e));
    ProviderError::new(Some(region), call, detail)
}

/// A connection failure in words, with what to do: the server's own message and SQLSTATE
/// when it answered, the root cause (refused, reset...) when it did not.
fn describe(e: &tokio_postgres::Error) -> (String, &'static str) {
    match e.as_db_error() {
        Some(db) => {
            let code = db.code().code();
            let hint = match code {
                "53300" => {
                    "the server is at its connection limit (max_connections): free connections or raise the limit"
                }
                "28000" | "28P01" => {
                    "authentication failed: check the user and password in the connection string"
                }
                "3D000" => "the database named in the connection string does not exist",
                "57P03" => "the server is starting up or shutting down: try again shortly",
                _ => "see the server's message",
            };
            (
                format!("{}: {} ({code})", db.severity(), db.message()),
                hint,
            )
        }
        None => (
            crate::root_cause(e),
            "is the server up and reachable, and is it PostgreSQL? check the connection string's host and port",
        ),
    }
}

#[async_trait]
impl Rounds for Postgres {
    async fn begin_round(&self) {
        self.members.forget().await;
    }
}

#[async_trait]
impl LagReader for Postgres {
    async fn read_lag(&self, region: &Region) -> ProviderResult<Option<f64>> {
        self.lag_of(region).await
    }
}

#[async_trait]
impl DatabaseControl for Postgres {
    fn describe_promote(
        &self,
        target: &str,
        old_primary: Option<&str>,
        _options: PromoteOptions,
    ) -> Vec<String> {
        let old = old_primary.unwrap_or("the old primary");
        vec![
            format!("1. fence {old} when reachable (default_transaction_read_only = on, sessions ended), verified by reading the setting back"),
            format!("2. {target} replays the fenced primary's last WAL position (up to 10s), verified by pg_last_wal_replay_lsn()"),
            format!("3. pg_promote(wait => true) on {target}, verified by pg_is_in_recovery() = false"),
            format!("4. every other replica: primary_conninfo pointed at {target} and reloaded (PostgreSQL 13+; older ones need a restart), its slot created on {target}"),
            "5. each replica verified to stream from the new primary and replay its position within the RPO budget; one that cannot is reported with the command to run next".to_string(),
            format!("{old} stays fenced: `meridian rejoin {old}` makes it a replica; it is never re-enabled as a writer"),
        ]
    }

    async fn read_role(&self, region: &Region) -> ProviderResult<Role> {
        self.role_of(region).await
    }

    async fn promote(
        &self,
        fleet: &Fleet,
        region: &Region,
        _options: PromoteOptions,
        progress: &Progress,
    ) -> ProviderResult<PromoteReport> {
        (self.members)
            .changing(self.promote_all(fleet, region, progress))
            .await
    }

    async fn rejoin(
        &self,
        fleet: &Fleet,
        region: &Region,
        progress: &Progress,
    ) -> ProviderResult<()> {
        (self.members)
            .changing(self.rejoin_region(fleet, region, progress))
            .await
    }

    fn describe_rejoin(&self, region: &str, writer: &str) -> Vec<String> {
        vec![
            format!(
                "refused, changing nothing, unless {region} is fenced (or a replica), its data directory is on this machine and pg_rewind is installed"
            ),
            format!("1. stop {region} (pg_ctl stop -m fast)"),
            format!(
                "2. refuse and start it again, still fenced, if it committed any transaction after {writer} was promoted (pg_waldump from the timeline switch point)"
            ),
            format!(
                "3. pg_rewind onto {writer}, writing standby.signal and primary_conninfo; its replication slot created on {writer}"
            ),
            format!("4. start it as a replica (read-only even if standby.signal is removed)"),
            format!(
                "5. verify it streams from {writer} and replays its position within the RPO budget"
            ),
        ]
    }
}
