//! Promotion that completes the topology, in order, each step verified: pause writes on the
//! old primary (`CLIENT PAUSE WRITE`: replication goes on, clients' writes wait), let the
//! target catch up with its offset, `REPLICAOF NO ONE` on the target, then `REPLICAOF` the
//! new primary on every other member (the old primary included: a Redis replica resyncs
//! from its new primary by itself), and verify each acknowledges the new primary's offset
//! within the lag budget.

use std::time::{Duration, Instant};

use super::topology::{current_writer, host_of, is_primary, is_superseded};
use super::{Redis, port_of, replica_ack, with_host};
use crate::{MemberOutcome, Progress, PromoteReport, ProviderError, ProviderResult};
use meridian_model::fleet::{Fleet, Region};

/// How long the target may take to reach the old primary's offset before it is promoted.
const CATCH_UP: Duration = Duration::from_secs(10);
/// How long writes on the old primary stay paused if meridian dies mid-promotion.
const PAUSE_MS: u64 = 30_000;
/// How long a re-pointed member may take to bring its link up, on top of the lag budget.
const LINK_WAIT: Duration = Duration::from_secs(15);

fn offset(info: &super::Info, key: &str) -> i64 {
    info.get(key)
        .and_then(|o| o.trim().parse().ok())
        .unwrap_or(0)
}

impl Redis {
    pub(super) async fn promote_all(
        &self,
        fleet: &Fleet,
        region: &Region,
        progress: &Progress,
    ) -> ProviderResult<PromoteReport> {
        let call = "redis REPLICAOF NO ONE";
        let id = region.id.as_str();
        let (mut con, info, url) = self.region_info(id).await?;
        if is_primary(&info) {
            return Err(
                ProviderError::new(Some(id), call, "already a primary (role:master)")
                    .with_hint("nothing to promote"),
            );
        }
        let old = match (info.get("master_host"), info.get("master_port")) {
            (Some(h), Some(p)) => Some((h.trim().to_string(), p.trim().to_string())),
            _ => None,
        };
        progress.say("step 1/5: fence the old primary (CLIENT PAUSE WRITE)");
        let mut goal = None;
        if let Some((host, port)) = &old {
            let name = self
                .region_at(host, port)
                .unwrap_or(format!("{host}:{port}"));
            let old_url = with_host(&url, host, port);
            let fenced = async {
                let mut c = Self::connect_url(&old_url, &name, "redis CLIENT PAUSE").await?;
                let pause = redis::cmd("CLIENT")
                    .arg("PAUSE")
                    .arg(PAUSE_MS)
                    .arg("WRITE")
                    .clone();
                let _: String = Self::cmd(&mut c, pause, &name, "redis CLIENT PAUSE").await?;
                let i = Self::info(&mut c, &name).await?;
                Ok::<i64, ProviderError>(offset(&i, "master_repl_offset"))
            };
            match fenced.await {
                Ok(o) => {
                    progress.say(&format!("{name}: writes paused at offset {o}"));
                    goal = Some(o);
                }
                Err(e) => progress.say(&format!(
                    "old primary {name} not fenced ({e}); make sure it takes no writes"
                )),
            }
        }
        progress.say(&format!("step 2/5: {id} catches up with the old primary"));
        if let Some(goal) = goal {
            let started = Instant::now();
            loop {
                let now = Self::info(&mut con, id).await?;
                if offset(&now, "slave_repl_offset") >= goal {
                    break;
                }
                if started.elapsed() > CATCH_UP {
                    progress.say(&format!("{id} did not reach offset {goal} in {}s; promoting anyway (the guard accepted the lag)", CATCH_UP.as_secs()));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        progress.say(&format!("step 3/5: REPLICAOF NO ONE on {id}"));
        let no_one = redis::cmd("REPLICAOF").arg("NO").arg("ONE").clone();
        let _: String = Self::cmd(&mut con, no_one, id, call).await?;
        let after = Self::info(&mut con, id).await?;
        if !is_primary(&after) {
            return Err(ProviderError::new(
                Some(id),
                call,
                "role is not master after REPLICAOF NO ONE",
            )
            .with_hint("check the Redis server log"));
        }
        progress.say(&format!("{id} is primary: role:master"));
        let (host, port) = (host_of(url.expose()), port_of(&url));
        progress.say(&format!(
            "step 4/5 and 5/5: REPLICAOF {host} {port} on every other member, then verify each follows {id}"
        ));
        let budget = fleet.policy.rpo_budget;
        let repoints = fleet
            .regions
            .iter()
            .filter(|r| r.id != id && self.servers.contains_key(&r.id))
            .map(|r| self.repoint(&r.id, id, &host, &port, budget));
        let members = futures::future::join_all(repoints).await;
        for m in &members {
            progress.say(&format!("{}: {}", m.region, m.detail));
        }
        Ok(PromoteReport { members })
    }

    /// `meridian rejoin`: make a member a replica of the writer again. A former primary
    /// that took writes after the promotion keeps them until someone saves them: refused.
    pub(super) async fn rejoin_region(
        &self,
        fleet: &Fleet,
        region: &Region,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let call = "redis rejoin";
        let id = region.id.as_str();
        let refuse = |m: String, hint: &str| {
            Err(ProviderError::new(Some(id), call, m).with_hint(hint.to_string()))
        };
        let members = self.members().await;
        let Some(writer) = current_writer(&members).map(str::to_string) else {
            return refuse(
                "no single writer answers: there is nothing to follow".into(),
                "check `meridian status`",
            );
        };
        if writer == id {
            return refuse(
                format!("{id} is the writer"),
                "promote another region first",
            );
        }
        let (_, own, _) = self.region_info(id).await?;
        if is_primary(&own) {
            if !is_superseded(&own, &members) {
                return refuse(
                    format!(
                        "{id} is a primary that {writer} was not promoted from: rejoining would discard its data"
                    ),
                    "save its data first, then REPLICAOF by hand",
                );
            }
            let w = members.iter().find(|(r, _)| *r == writer).map(|(_, i)| i);
            let promoted_at = w.map(|i| offset(i, "second_repl_offset")).unwrap_or(0);
            let own_offset = offset(&own, "master_repl_offset");
            if own_offset >= promoted_at {
                return refuse(
                    format!(
                        "{id} took writes after {writer} was promoted (its offset {own_offset}, the promotion at {promoted_at}): they exist only here"
                    ),
                    "save them first (redis-cli --rdb), then REPLICAOF by hand",
                );
            }
        }
        let url = self.url(&writer, call)?;
        let (host, port) = (host_of(url.expose()), port_of(&url));
        progress.say(&format!(
            "REPLICAOF {host} {port} on {id}, then verify it follows {writer}"
        ));
        let outcome = self
            .repoint(id, &writer, &host, &port, fleet.policy.rpo_budget)
            .await;
        progress.say(&format!("{id}: {}", outcome.detail));
        if outcome.needs_attention {
            return refuse(outcome.detail, "see the Redis server log");
        }
        Ok(())
    }

    /// Make one member a replica of the new primary and verify it follows in time.
    async fn repoint(
        &self,
        region: &str,
        primary: &str,
        host: &str,
        port: &str,
        budget: Duration,
    ) -> MemberOutcome {
        let outcome = |needs_attention, detail: String| MemberOutcome {
            region: region.to_string(),
            needs_attention,
            detail,
        };
        let call = "redis REPLICAOF";
        let by_hand = format!("redis-cli REPLICAOF {host} {port} on it");
        let (mut con, _, url) = match self.region_info(region).await {
            Ok(c) => c,
            Err(e) => {
                return outcome(
                    true,
                    format!("not re-pointed: unreachable ({e}); when it is back, run {by_hand}"),
                );
            }
        };
        let replicaof = redis::cmd("REPLICAOF").arg(host).arg(port).clone();
        if let Err(e) = Self::cmd::<String>(&mut con, replicaof, region, call).await {
            return outcome(true, format!("not re-pointed: {e}; run {by_hand}"));
        }
        // A fenced old primary is a read-only replica now: its clients may read again.
        let unpause = redis::cmd("CLIENT").arg("UNPAUSE").clone();
        let _ = Self::cmd::<String>(&mut con, unpause, region, "redis CLIENT UNPAUSE").await;
        let started = Instant::now();
        let mut goal: Option<(i64, Instant)> = None;
        loop {
            let info = match Self::info(&mut con, region).await {
                Ok(i) => i,
                Err(e) => {
                    return outcome(true, format!("re-pointed, but verification failed: {e}"));
                }
            };
            let linked = info.get("master_link_status").map(|s| s.trim()) == Some("up")
                && info.get("master_port").is_some_and(|p| p.trim() == port);
            if linked {
                let primary_info = match self.region_info(primary).await {
                    Ok((_, i, _)) => i,
                    Err(e) => {
                        return outcome(
                            true,
                            format!("follows {primary}, but its offset could not be read: {e}"),
                        );
                    }
                };
                let (target, since) = *goal
                    .get_or_insert((offset(&primary_info, "master_repl_offset"), Instant::now()));
                let acked = replica_ack(&primary_info, &port_of(&url)).map(|(o, _)| o);
                if acked.is_some_and(|a| a >= target) {
                    return outcome(
                        false,
                        format!(
                            "follows {primary}; acknowledged its offset {target} within {:.1}s",
                            since.elapsed().as_secs_f64()
                        ),
                    );
                }
                if since.elapsed() > budget {
                    return outcome(
                        true,
                        format!(
                            "follows {primary} but has not acknowledged offset {target} within the lag budget of {}s; watch `meridian status`",
                            budget.as_secs()
                        ),
                    );
                }
            } else if started.elapsed() > LINK_WAIT {
                return outcome(
                    true,
                    format!(
                        "re-pointed, but its link to {primary} is not up after {}s; check its log, then run {by_hand}",
                        LINK_WAIT.as_secs()
                    ),
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
