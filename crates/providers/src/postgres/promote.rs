//! Promotion that completes the topology, in order, each step verified: fence every other
//! reachable writer, let the target replay what it has, promote it, re-point every other
//! replica at it, and verify each one streams from it within the lag budget.
//!
//! The fenced old primary is left fenced: it may hold WAL the new timeline does not have,
//! so making it a replica is `meridian rejoin`, never a side effect of promotion.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::Postgres;
use super::plain;
use super::topology::{Endpoint, repointed_conninfo, sql_literal};
use crate::{MemberOutcome, Progress, PromoteReport, ProviderError, ProviderResult};
use meridian_model::fleet::{Fleet, Region};

/// How long promotion waits for the target to replay the fenced primary's last WAL.
const CATCH_UP: Duration = Duration::from_secs(10);
/// PostgreSQL 13 re-reads primary_conninfo on reload; older servers need a restart.
const RELOADABLE_CONNINFO: i32 = 130000;

impl Postgres {
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
            // A checkpoint right at the fence: a later `meridian rejoin` rewinds from here,
            // with WAL that every member still has (older segments may be recycled).
            "CHECKPOINT",
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

    pub(super) async fn promote_all(
        &self,
        fleet: &Fleet,
        region: &Region,
        progress: &Progress,
    ) -> ProviderResult<PromoteReport> {
        let call = "postgres pg_promote";
        let id = region.id.as_str();
        let target = self.connect(id, call).await?;
        if !self.is_in_recovery(&target, id).await? {
            return Err(
                ProviderError::new(Some(id), call, "already a primary (not in recovery)")
                    .with_hint("nothing to promote"),
            );
        }
        let others: Vec<&Region> = fleet
            .regions
            .iter()
            .filter(|r| r.id != id && self.servers.contains_key(&r.id))
            .collect();
        progress.say("step 1/5: fence every other reachable primary");
        let mut fenced = Vec::new();
        let mut fenced_lsn = None;
        for other in &others {
            match self.fence(&other.id, progress).await {
                Ok(Some(lsn)) => {
                    fenced.push(other.id.clone());
                    fenced_lsn = Some(lsn);
                }
                Ok(None) => {}
                Err(e) => progress.say(&format!(
                    "{} not fenced ({e}); if it is the old primary, make sure it cannot take writes",
                    other.id
                )),
            }
        }
        progress.say(&format!("step 2/5: {id} replays what it has received"));
        if let Some(lsn) = fenced_lsn {
            self.catch_up(&target, id, &lsn, progress).await?;
        }
        progress.say(&format!(
            "step 3/5: SELECT pg_promote(wait => true) on {id}"
        ));
        let row = target
            .query_one("SELECT pg_promote(wait => true, wait_seconds => 60)", &[])
            .await
            .map_err(|e| plain(id, call, &e))?;
        let promoted: bool = row.get(0);
        if !promoted || self.is_in_recovery(&target, id).await? {
            return Err(
                ProviderError::new(Some(id), call, "still in recovery after pg_promote")
                    .with_hint("check the server log of the replica"),
            );
        }
        // A target that was itself fenced earlier must take writes now.
        for sql in [
            "ALTER SYSTEM RESET default_transaction_read_only",
            "SELECT pg_reload_conf()",
        ] {
            target
                .simple_query(sql)
                .await
                .map_err(|e| plain(id, call, &e))?;
        }
        progress.say(&format!("{id} is primary: pg_is_in_recovery() = false"));
        let Some(to) = self.endpoint(id) else {
            return Err(ProviderError::new(
                Some(id),
                "postgres re-point replicas",
                "the connection string names no host and port to give the replicas",
            )
            .with_hint(
                "promoted, but no replica was re-pointed: set primary_conninfo on each by hand",
            ));
        };
        progress.say(&format!(
            "step 4/5 and 5/5: re-point every other replica at {id} ({to}), then verify each streams from it"
        ));
        let budget = fleet.policy.rpo_budget;
        let repoints = others.iter().map(|other| {
            let was_fenced = fenced.contains(&other.id);
            let target = &target;
            let to = &to;
            async move {
                if was_fenced {
                    return MemberOutcome {
                        region: other.id.clone(),
                        needs_attention: false,
                        detail: format!("fenced old primary, takes no writes; `meridian rejoin {}` makes it a replica of {id}", other.id),
                    };
                }
                self.repoint(&other.id, id, target, to, budget, progress).await
            }
        });
        let members = futures::future::join_all(repoints).await;
        for m in &members {
            progress.say(&format!("{}: {}", m.region, m.detail));
        }
        Ok(PromoteReport { members })
    }

    /// Wait until the target has replayed the fenced primary's last WAL position.
    async fn catch_up(
        &self,
        target: &Client,
        id: &str,
        lsn: &str,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let started = Instant::now();
        loop {
            let row = target
                .query_one(
                    "SELECT pg_wal_lsn_diff($1::text::pg_lsn, pg_last_wal_replay_lsn())::float8",
                    &[&lsn],
                )
                .await
                .map_err(|e| plain(id, "postgres catch up", &e))?;
            let behind: Option<f64> = row.get(0);
            if behind.is_some_and(|b| b <= 0.0) {
                progress.say(&format!(
                    "{id} has replayed the fenced primary's last WAL ({lsn})"
                ));
                return Ok(());
            }
            if started.elapsed() > CATCH_UP {
                progress.say(&format!("{id} did not catch up with {lsn} in {}s; promoting anyway (the guard accepted the lag)", CATCH_UP.as_secs()));
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Point one replica at the new primary and verify it streams from it in time.
    async fn repoint(
        &self,
        region: &str,
        primary: &str,
        primary_client: &Client,
        to: &Endpoint,
        budget: Duration,
        progress: &Progress,
    ) -> MemberOutcome {
        let outcome = |needs_attention, detail: String| MemberOutcome {
            region: region.to_string(),
            needs_attention,
            detail,
        };
        let by_hand = format!(
            "ALTER SYSTEM SET primary_conninfo = {}; SELECT pg_reload_conf();",
            sql_literal(&format!("host={} port={}", to.host, to.port))
        );
        let call = "postgres re-point replica";
        let client = match self.connect(region, call).await {
            Ok(c) => c,
            Err(e) => {
                return outcome(
                    true,
                    format!(
                        "not re-pointed: unreachable ({e}); when it is back, run on it: {by_hand}"
                    ),
                );
            }
        };
        let member = match client
            .query_one(super::topology::MEMBER_SQL, &[])
            .await
            .map(|row| super::topology::Member::from_row(&row))
        {
            Ok(m) => m,
            Err(e) => {
                return outcome(
                    true,
                    format!(
                        "not re-pointed: {}; run on it: {by_hand}",
                        plain(region, call, &e)
                    ),
                );
            }
        };
        if !member.in_recovery {
            return outcome(
                true,
                format!(
                    "a writer that was not fenced: it takes writes the fleet loses; fence it (ALTER SYSTEM SET default_transaction_read_only = on), then `meridian rejoin {region}`"
                ),
            );
        }
        if let Err(e) = self
            .ensure_slot(primary_client, primary, &member.slot)
            .await
        {
            return outcome(true, format!("not re-pointed: {e}"));
        }
        let conninfo = repointed_conninfo(&member.primary_conninfo, to);
        let alter = format!(
            "ALTER SYSTEM SET primary_conninfo = {}",
            sql_literal(&conninfo)
        );
        for sql in [alter.as_str(), "SELECT pg_reload_conf()"] {
            if let Err(e) = client.simple_query(sql).await {
                return outcome(
                    true,
                    format!(
                        "not re-pointed: {}; run on it: {by_hand}",
                        plain(region, call, &e)
                    ),
                );
            }
        }
        if member.version < RELOADABLE_CONNINFO {
            return outcome(
                true,
                format!(
                    "primary_conninfo set, but PostgreSQL {} reads it only at start: restart it (pg_ctl restart -D <its data directory>)",
                    member.version / 10000
                ),
            );
        }
        progress.say(&format!(
            "{region}: primary_conninfo now points at {primary} ({to}); reloaded"
        ));
        self.verify_follows(&client, region, primary, primary_client, to, budget)
            .await
    }

    /// The replica's replication slot must exist on the new primary, or it cannot stream.
    async fn ensure_slot(&self, primary: &Client, id: &str, slot: &str) -> ProviderResult<()> {
        if slot.is_empty() {
            return Ok(());
        }
        primary
            .query(
                "SELECT pg_create_physical_replication_slot($1::text) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1::text)",
                &[&slot],
            )
            .await
            .map(|_| ())
            .map_err(|e| plain(id, "postgres create replication slot", &e).with_hint(format!("create it by hand on {id}: SELECT pg_create_physical_replication_slot('{slot}')")))
    }
}
