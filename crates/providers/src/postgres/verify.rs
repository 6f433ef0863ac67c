//! Verification that a replica follows the writer: it streams from the writer's address
//! and replays the position the writer had when streaming began, within the lag budget.
//! Used after re-pointing (promote) and after a rewind (rejoin).

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::topology::Endpoint;
use super::{Postgres, plain};
use crate::MemberOutcome;

/// How long a re-pointed replica may take to stream from the new primary, on top of the
/// lag budget it then has to catch up in.
const STREAM_WAIT: Duration = Duration::from_secs(15);

impl Postgres {
    /// Streams from the new primary, and has replayed what the primary had written when
    /// streaming began, within the lag budget.
    pub(super) async fn verify_follows(
        &self,
        client: &Client,
        region: &str,
        primary: &str,
        primary_client: &Client,
        to: &Endpoint,
        budget: Duration,
    ) -> MemberOutcome {
        let outcome = |needs_attention, detail: String| MemberOutcome {
            region: region.to_string(),
            needs_attention,
            detail,
        };
        let started = Instant::now();
        let mut goal: Option<(String, Instant)> = None;
        loop {
            let row = client
                .query_one(
                    "SELECT (SELECT sender_host FROM pg_stat_wal_receiver WHERE status = 'streaming'),
                            (SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'),
                            pg_last_wal_replay_lsn()::text",
                    &[],
                )
                .await;
            let (host, port, replayed): (Option<String>, Option<i32>, Option<String>) = match row {
                Ok(r) => (r.get(0), r.get(1), r.get(2)),
                Err(e) => {
                    return outcome(
                        true,
                        format!(
                            "re-pointed, but verification failed: {}",
                            plain(region, "postgres verify replica", &e)
                        ),
                    );
                }
            };
            let streams = match (host, port) {
                (Some(h), Some(p)) => Endpoint {
                    host: h,
                    port: u16::try_from(p).unwrap_or(0),
                }
                .same_as(to),
                _ => false,
            };
            if streams && goal.is_none() {
                match primary_client
                    .query_one("SELECT pg_current_wal_lsn()::text", &[])
                    .await
                {
                    Ok(r) => goal = Some((r.get(0), Instant::now())),
                    Err(e) => {
                        return outcome(
                            true,
                            format!(
                                "streams from {primary}, but its position could not be read: {}",
                                plain(primary, "postgres verify replica", &e)
                            ),
                        );
                    }
                }
            }
            if let (Some((lsn, since)), Some(replayed)) = (&goal, &replayed) {
                let caught_up = client
                    .query_one(
                        "SELECT pg_wal_lsn_diff($1::text::pg_lsn, $2::text::pg_lsn) <= 0",
                        &[lsn, replayed],
                    )
                    .await
                    .map(|r| r.get::<_, bool>(0))
                    .unwrap_or(false);
                if caught_up {
                    return outcome(
                        false,
                        format!(
                            "streams from {primary}; replayed its position {lsn} within {:.1}s",
                            since.elapsed().as_secs_f64()
                        ),
                    );
                }
                if since.elapsed() > budget {
                    return outcome(
                        true,
                        format!(
                            "streams from {primary} but has not replayed {lsn} within the lag budget of {}s; watch `meridian status`",
                            budget.as_secs()
                        ),
                    );
                }
            } else if started.elapsed() > STREAM_WAIT {
                return outcome(
                    true,
                    format!(
                        "re-pointed, but not streaming from {primary} after {}s: its WAL may have gone past the promotion point (timeline divergence); check its server log, then `meridian rejoin {region}` (pg_rewind) or rebuild it with pg_basebackup",
                        STREAM_WAIT.as_secs()
                    ),
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
