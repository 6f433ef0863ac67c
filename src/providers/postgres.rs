//! Self-managed PostgreSQL streaming replication: role, lag and promotion, read from each
//! region's own server.
//!
//! Lag avoids the idle false-lag trap: `now() - pg_last_xact_replay_timestamp()` grows on an
//! idle primary although nothing is missing, so it is only used when the replica has received
//! WAL it has not replayed yet. A replica that has replayed everything it received, while
//! streaming, is 0 s behind.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Mutex;
use tokio_postgres::{Client, Config, NoTls, Row};

use super::secrets::{SecretSource, scrub};
use crate::fleet::{Fleet, ProviderKind, Region, Role};
use crate::providers::{DatabaseProvider, Progress, ProviderError, ProviderResult};

/// How long a connection attempt may take before the region counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one read query may take on a kept connection before the connection is given
/// up (a server that stopped answering would otherwise hang every later read on it too).
const QUERY_TIMEOUT: Duration = Duration::from_secs(4);
/// How long promotion waits for the target to replay the fenced primary's last WAL.
const CATCH_UP: Duration = Duration::from_secs(10);

/// Every region whose database (or lag) is a PostgreSQL server.
pub struct Postgres {
    servers: HashMap<String, SecretSource>,
    /// One connection per region for the reads of every refresh (promotion uses its own).
    readers: Mutex<HashMap<String, Arc<Client>>>,
    /// `connect_timeout` per region, where the fleet file sets one.
    connect_timeouts: HashMap<String, Duration>,
}

impl Postgres {
    pub fn from_fleet(fleet: &Fleet) -> Postgres {
        Postgres {
            servers: SecretSource::per_region(fleet, ProviderKind::Postgres),
            readers: Mutex::new(HashMap::new()),
            connect_timeouts: super::secrets::connect_timeouts(fleet, ProviderKind::Postgres),
        }
    }

    /// Run one read query on the region's kept connection. A connection found closed (the
    /// server restarted since) is replaced once, so a restart does not cost a refresh.
    async fn read(&self, region: &str, call: &str, sql: &str) -> ProviderResult<Row> {
        for attempt in 0..2 {
            let cached = self.readers.lock().await.get(region).cloned();
            let client = match cached {
                Some(c) if !c.is_closed() => c,
                _ => {
                    let fresh = Arc::new(self.connect(region, call).await?);
                    self.readers
                        .lock()
                        .await
                        .insert(region.to_string(), fresh.clone());
                    fresh
                }
            };
            let answer = match tokio::time::timeout(QUERY_TIMEOUT, client.query_one(sql, &[])).await
            {
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

    async fn is_in_recovery(&self, client: &Client, region: &str) -> ProviderResult<bool> {
        let row = client
            .query_one("SELECT pg_is_in_recovery()", &[])
            .await
            .map_err(|e| plain(region, "postgres pg_is_in_recovery", &e))?;
        Ok(row.get(0))
    }

    /// Make a primary read-only and end its sessions, so nothing writes to it after promotion.
    async fn fence(&self, region: &str, progress: &Progress) -> ProviderResult<Option<String>> {
        let call = "postgres fence";
        let client = self.connect(region, call).await?;
        if self.is_in_recovery(&client, region).await? {
            return Ok(None);
        }
        progress.say(&format!("fencing the old primary {region}: default_transaction_read_only = on, ending client sessions"));
        // One statement per call: ALTER SYSTEM refuses to run inside a multi-statement transaction.
        for sql in [
            "ALTER SYSTEM SET default_transaction_read_only = on",
            "SELECT pg_reload_conf()",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
        ] {
            client.simple_query(sql).await.map_err(|e| {
                plain(region, call, &e).with_hint("fencing needs a superuser connection")
            })?;
        }
        let row = client
            .query_one("SELECT pg_current_wal_lsn()::text", &[])
            .await
            .map_err(|e| plain(region, call, &e))?;
        Ok(Some(row.get(0)))
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
        .unwrap_or_else(|| crate::providers::root_cause(e));
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
            crate::providers::root_cause(e),
            "is the server up and reachable, and is it PostgreSQL? check the connection string's host and port",
        ),
    }
}

#[async_trait]
impl DatabaseProvider for Postgres {
    fn describe_promote(
        &self,
        target: &str,
        old_primary: Option<&str>,
        _accept_data_loss: bool,
    ) -> Vec<String> {
        let old = old_primary.unwrap_or("the old primary");
        vec![format!(
            "{old} is fenced first when reachable (read-only, sessions ended); {target} replays its last WAL, then pg_promote(wait => true), verified by pg_is_in_recovery() = false"
        )]
    }

    async fn read_role(&self, region: &Region) -> ProviderResult<Role> {
        let call = "postgres pg_is_in_recovery";
        let sql =
            "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only') = 'on'";
        let row = self.read(&region.id, call, sql).await?;
        let (in_recovery, fenced): (bool, bool) = (row.get(0), row.get(1));
        // A fenced old primary takes no writes: it is not the fleet's writer any more.
        Ok(if in_recovery || fenced {
            Role::Secondary
        } else {
            Role::Primary
        })
    }

    async fn read_lag(&self, region: &Region) -> ProviderResult<Option<f64>> {
        let call = "postgres replication lag";
        // pg_is_wal_replay_paused() errors on a primary: only ask during recovery.
        let sql = "SELECT pg_is_in_recovery(),
                          pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8,
                          extract(epoch from now() - pg_last_xact_replay_timestamp())::float8,
                          CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END,
                          (SELECT status FROM pg_stat_wal_receiver LIMIT 1)";
        let mut row = self.read(&region.id, call, sql).await?;
        let unreplayed_without_timestamp = |r: &Row| {
            let bytes: Option<f64> = r.get(1);
            let age: Option<f64> = r.get(2);
            let paused: bool = r.get(3);
            bytes.is_some_and(|b| b > 0.0) && age.is_none() && !paused
        };
        if unreplayed_without_timestamp(&row) {
            // A replica that has replayed no transaction since it started has no replay
            // time; WAL in flight usually replays within milliseconds, so look once more.
            tokio::time::sleep(Duration::from_millis(200)).await;
            row = self.read(&region.id, call, sql).await?;
        }
        let in_recovery: bool = row.get(0);
        if !in_recovery {
            return Ok(None);
        }
        let unreplayed: Option<f64> = row.get(1);
        let replay_age: Option<f64> = row.get(2);
        let paused: bool = row.get(3);
        let receiver: Option<String> = row.get(4);
        if receiver.as_deref() != Some("streaming") {
            return Err(ProviderError::new(Some(&region.id), call, "not streaming from a primary (no active WAL receiver)")
                .with_hint("the primary may be down or primary_conninfo wrong; how much is missing cannot be known: promote only with --accept-data-loss"));
        }
        match (unreplayed, replay_age) {
            (Some(b), _) if b <= 0.0 => Ok(Some(0.0)),
            // Received but not replayed: the writes at risk were committed after the last
            // replayed commit, so its age is an upper bound on the loss window (the safe
            // side for the RPO guard; after a long idle spell it overstates).
            (Some(_), Some(age)) => Ok(Some(age.max(0.0))),
            _ => Err(ProviderError::new(
                Some(&region.id),
                call,
                format!(
                    "WAL received but not replayed, and no replayed transaction yet{}",
                    if paused { " (replay is paused)" } else { "" }
                ),
            )
            .with_hint(
                "run SELECT pg_wal_replay_resume() on the replica if replay was paused on purpose",
            )),
        }
    }

    async fn promote(
        &self,
        fleet: &Fleet,
        region: &Region,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let call = "postgres pg_promote";
        let target = self.connect(&region.id, call).await?;
        if !self.is_in_recovery(&target, &region.id).await? {
            return Err(ProviderError::new(
                Some(&region.id),
                call,
                "already a primary (not in recovery)",
            )
            .with_hint("nothing to promote"));
        }
        // Fence every other reachable primary first, then let the target catch up with it.
        let mut fenced_lsn = None;
        for other in fleet
            .regions
            .iter()
            .filter(|r| r.id != region.id && self.servers.contains_key(&r.id))
        {
            match self.fence(&other.id, progress).await {
                Ok(Some(lsn)) => fenced_lsn = Some(lsn),
                Ok(None) => {}
                Err(e) => progress.say(&format!(
                    "old primary {} not fenced ({e}); make sure it cannot take writes",
                    other.id
                )),
            }
        }
        if let Some(lsn) = fenced_lsn {
            let started = Instant::now();
            loop {
                let row = target
                    .query_one("SELECT pg_wal_lsn_diff($1::text::pg_lsn, pg_last_wal_replay_lsn())::float8", &[&lsn])
                    .await
                    .map_err(|e| plain(&region.id, call, &e))?;
                let behind: Option<f64> = row.get(0);
                if behind.is_some_and(|b| b <= 0.0) {
                    progress.say(&format!(
                        "{} has replayed the fenced primary's last WAL ({lsn})",
                        region.id
                    ));
                    break;
                }
                if started.elapsed() > CATCH_UP {
                    progress.say(&format!("{} did not catch up with {lsn} in {}s; promoting anyway (the guard accepted the lag)", region.id, CATCH_UP.as_secs()));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        progress.say(&format!("SELECT pg_promote(wait => true) on {}", region.id));
        let row = target
            .query_one("SELECT pg_promote(wait => true, wait_seconds => 60)", &[])
            .await
            .map_err(|e| plain(&region.id, call, &e))?;
        let promoted: bool = row.get(0);
        if !promoted || self.is_in_recovery(&target, &region.id).await? {
            return Err(ProviderError::new(
                Some(&region.id),
                call,
                "still in recovery after pg_promote",
            )
            .with_hint("check the server log of the replica"));
        }
        // A target that was itself fenced earlier must take writes now.
        for sql in [
            "ALTER SYSTEM RESET default_transaction_read_only",
            "SELECT pg_reload_conf()",
        ] {
            target
                .simple_query(sql)
                .await
                .map_err(|e| plain(&region.id, call, &e))?;
        }
        progress.say(&format!(
            "{} is primary: pg_is_in_recovery() = false",
            region.id
        ));
        Ok(())
    }
}
