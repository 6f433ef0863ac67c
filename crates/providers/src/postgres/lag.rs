//! Role and lag measured against the fleet's writer. A replica's lag is only a number when
//! it streams from the writer; one that follows anything else (the fenced old primary, a
//! writer superseded behind meridian's back, another replica) has no lag against the
//! writer and reads as broken, with what it follows and what to run.
//!
//! Lag avoids the idle false-lag trap: `now() - pg_last_xact_replay_timestamp()` grows on an
//! idle primary although nothing is missing, so it is only used when the replica has received
//! WAL it has not replayed yet. A replica that has replayed everything it received, while
//! streaming, is 0 s behind.

use std::time::Duration;

use super::Postgres;
use super::topology::{MEMBER_SQL, Member, Replay, current_writer, sql_literal};
use crate::{ErrorKind, ProviderError, ProviderResult};
use meridian_model::fleet::{Region, Role};
use meridian_model::state::replication::{BROKEN, FENCED, SUPERSEDED};

impl Postgres {
    pub(super) async fn role_of(&self, region: &Region) -> ProviderResult<Role> {
        let call = "postgres pg_is_in_recovery";
        let own = self.member(&region.id, call).await?;
        if !own.writes() {
            // A fenced old primary takes no writes: it is not the fleet's writer any more.
            return Ok(Role::Secondary);
        }
        let seen = self.members_shared(call).await;
        // A writer that a newer promotion superseded is not the fleet's writer either; its
        // lag reading says so (split brain).
        Ok(match current_writer(&seen.members) {
            Some(w) if w != region.id => Role::Secondary,
            _ => Role::Primary,
        })
    }

    pub(super) async fn lag_of(&self, region: &Region) -> ProviderResult<Option<f64>> {
        let call = "postgres replication lag";
        let id = region.id.as_str();
        let own = self.member(id, call).await?;
        let seen = self.members_shared(call).await;
        let members = &seen.members;
        let writer = current_writer(members).map(str::to_string);
        let broken = |message: String, hint: String| {
            Err(ProviderError::new(Some(id), call, message)
                .with_hint(hint)
                .with_kind(ErrorKind::Broken))
        };
        if !own.in_recovery {
            return match (&writer, own.fenced) {
                (_, true) => broken(
                    format!("{FENCED}: read-only, replicating from nothing"),
                    format!(
                        "`meridian rejoin {id}` makes it a replica of the primary; it is never re-enabled as a writer silently"
                    ),
                ),
                (Some(w), false) if w != id => broken(
                    format!(
                        "{SUPERSEDED}: still takes writes, but {w} was promoted after it (newer timeline)"
                    ),
                    format!(
                        "writes here are lost to the fleet: fence it now (ALTER SYSTEM SET default_transaction_read_only = on; SELECT pg_reload_conf()), then `meridian rejoin {id}`"
                    ),
                ),
                _ => Ok(None),
            };
        }
        let upstream = own.upstream.as_ref();
        // Looking up the writer's address is one secrets read; which region the replica
        // follows instead is only worked out (every region's address) when it is not that.
        let follows_writer =
            |w: &str| upstream.is_some_and(|u| self.endpoint(w).is_some_and(|e| e.same_as(u)));
        if let Some(w) = &writer
            && !follows_writer(w)
        {
            let follows = upstream.and_then(|u| self.region_at(u));
            let what = match (&follows, upstream) {
                (Some(f), _) => {
                    let was_writer = members.iter().any(|(r, m)| r == f && !m.in_recovery);
                    if was_writer {
                        format!("follows {f}, which is no longer the primary")
                    } else {
                        format!("follows {f}, which is a replica, not the primary")
                    }
                }
                (None, Some(u)) => format!("follows {u}, which is no region of this fleet"),
                (None, None) => "follows nothing (no primary_conninfo)".to_string(),
            };
            let to = self
                .endpoint(w)
                .map(|e| format!("host={} port={}", e.host, e.port))
                .unwrap_or_else(|| format!("the address of {w}"));
            return broken(
                format!("{BROKEN}: {what} ({w} is); it receives none of the writer's data"),
                format!(
                    "re-point it on {id}: ALTER SYSTEM SET primary_conninfo = {}; SELECT pg_reload_conf(); or `meridian rejoin {id}`",
                    sql_literal(&to)
                ),
            );
        }
        self.replay_lag(id, own).await
    }

    /// How far a replica that follows the writer is behind it, from its own account.
    async fn replay_lag(&self, id: &str, mut own: Member) -> ProviderResult<Option<f64>> {
        let call = "postgres replication lag";
        if own.replay.undated() {
            // A replica that has replayed no transaction since it started has no replay
            // time; WAL in flight usually replays within milliseconds, so look once more.
            tokio::time::sleep(Duration::from_millis(200)).await;
            own = Member::from_row(&self.read(id, call, MEMBER_SQL).await?);
        }
        if !own.in_recovery {
            return Ok(None);
        }
        let Replay {
            unreplayed,
            age: replay_age,
            paused,
        } = own.replay;
        if !own.streaming {
            return Err(ProviderError::new(Some(id), call, "not streaming from a primary (no active WAL receiver)")
                .with_hint("the primary may be down or primary_conninfo wrong; how much is missing cannot be known: promote only with --accept-data-loss"));
        }
        match (unreplayed, replay_age) {
            (Some(b), _) if b <= 0.0 => Ok(Some(0.0)),
            // Received but not replayed: the writes at risk were committed after the last
            // replayed commit, so its age is an upper bound on the loss window (the safe
            // side for the RPO guard; after a long idle spell it overstates).
            (Some(_), Some(age)) => Ok(Some(age.max(0.0))),
            _ => Err(ProviderError::new(
                Some(id),
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
}
