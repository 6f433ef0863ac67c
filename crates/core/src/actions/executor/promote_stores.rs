//! Promoting a region's data stores together: one after the other in the plan's order,
//! each store's lag checked again just before it moves (the one before may have taken
//! minutes), each through its own provider. The first failure stops there: nothing more is
//! sent, every store is read back, and the error says exactly which moved and which did
//! not, and how to go back or finish.

use std::sync::Arc;

use super::Executor;
use crate::actions::plan::{Plan, StoreMove};
use crate::engine::{Subject, poll_subjects};
use meridian_model::fleet::{Fleet, Region, Role};
use meridian_model::state::FleetState;
use meridian_providers::{DatabaseControl, LagReader, Progress, PromoteOptions, ProviderError};

/// One store's providers, and the region as they know it (that store's tables).
struct StoreParts {
    view: Fleet,
    region: Region,
    lag: Arc<dyn LagReader>,
    database: Arc<dyn DatabaseControl>,
}

impl Executor {
    fn store_parts(&self, region: &str, index: usize) -> Result<StoreParts, ProviderError> {
        let missing = || {
            ProviderError::new(
                Some(region),
                "promote",
                format!("no provider for data store {}", index + 1),
            )
        };
        let (lag, database) = match index {
            0 => (
                self.providers.lag.get(region).cloned(),
                self.providers.database.get(region).cloned(),
            ),
            k => {
                let st = self.providers.stores.get(region).and_then(|s| s.get(k - 1));
                (st.map(|s| s.lag.clone()), st.map(|s| s.database.clone()))
            }
        };
        let view = self.fleet.store_view(index);
        let r = view.region(region).cloned().ok_or_else(missing)?;
        Ok(StoreParts {
            view,
            region: r,
            lag: lag.ok_or_else(missing)?,
            database: database.ok_or_else(missing)?,
        })
    }

    /// Move each store in order. `Ok`: what the providers left to say (a replica not
    /// re-pointed). `Err`: stopped part-way, with the record of what moved.
    pub(super) async fn promote_stores(
        &self,
        region: &str,
        moves: &[StoreMove],
        plan: &Plan,
        progress: &Progress,
    ) -> Result<Vec<String>, ProviderError> {
        let options = PromoteOptions {
            accept_data_loss: plan.accept_data_loss,
        };
        let mut notes = Vec::new();
        let n = moves.len();
        for (i, m) in moves.iter().enumerate() {
            let step = format!("{} ({} of {n})", m.store, i + 1);
            let parts = match self.store_parts(region, m.index) {
                Ok(p) => p,
                Err(e) => {
                    return Err(self
                        .stopped(region, moves, i, &e.to_string(), progress)
                        .await);
                }
            };
            // A store its backend moved with an earlier one (the simulator's stores share
            // one writer) has nothing left to do: its lag would read as a writer's, unknown.
            if i > 0 && self.already_writer(&parts).await {
                progress.say(&format!("{step}: {region} is already its writer"));
                continue;
            }
            if i > 0
                && let Some(why) = self
                    .lag_gate(region, m, &parts, plan.accept_data_loss)
                    .await
            {
                progress.say(&format!("{step}: lag gate: {why}"));
                return Err(self.stopped(region, moves, i, &why, progress).await);
            }
            progress.say(&format!(
                "{step}: promoting {region}'s {}{}",
                m.store,
                m.old_primary
                    .as_deref()
                    .map(|o| format!(" (writer now: {o})"))
                    .unwrap_or_default()
            ));
            match parts
                .database
                .promote(&parts.view, &parts.region, options, progress)
                .await
            {
                Ok(report) => {
                    progress.say(&format!("{step}: {region} is its writer"));
                    notes.extend(report.summary().map(|s| format!("{}: {s}", m.store)));
                }
                Err(e) => {
                    progress.say(&format!("{step}: failed: {e}"));
                    return Err(self
                        .stopped(region, moves, i, &e.to_string(), progress)
                        .await);
                }
            }
        }
        Ok(notes)
    }

    /// Whether the target already writes to this store, as its backend says now.
    async fn already_writer(&self, parts: &StoreParts) -> bool {
        let deadline = std::time::Duration::from_secs(10);
        matches!(
            tokio::time::timeout(deadline, parts.database.read_role(&parts.region)).await,
            Ok(Ok(Role::Primary))
        )
    }

    /// The store's lag now, against its RPO; `Some(why)` when it may not move.
    async fn lag_gate(
        &self,
        region: &str,
        m: &StoreMove,
        parts: &StoreParts,
        accept_data_loss: bool,
    ) -> Option<String> {
        let rpo = self
            .fleet
            .region(region)
            .and_then(|r| r.data_stores().get(m.index).and_then(|s| s.rpo))
            .unwrap_or(self.fleet.policy.rpo_budget);
        let deadline = std::time::Duration::from_secs(10);
        let lag = tokio::time::timeout(deadline, parts.lag.read_lag(&parts.region)).await;
        let problem = match lag {
            Ok(Ok(Some(l))) if l <= rpo.as_secs_f64() => return None,
            Ok(Ok(Some(l))) => format!(
                "{}'s lag is {l:.1}s, over its RPO of {}s",
                m.store,
                rpo.as_secs()
            ),
            Ok(Ok(None)) => format!("{}'s lag is unknown (no datapoint)", m.store),
            Ok(Err(e)) => format!("{}'s lag is unknown ({e})", m.store),
            Err(_) => format!("{}'s lag could not be read within 10s", m.store),
        };
        (!accept_data_loss).then_some(problem)
    }

    /// Stopped at move `at`: read every store back and say exactly what moved.
    async fn stopped(
        &self,
        region: &str,
        moves: &[StoreMove],
        at: usize,
        why: &str,
        progress: &Progress,
    ) -> ProviderError {
        progress.say("stopping: reading every data store back");
        let subjects: Vec<Subject> = self
            .fleet
            .regions
            .iter()
            .map(|r| Subject::Database(r.id.clone()))
            .collect();
        let now = poll_subjects(&self.fleet, &self.providers, &subjects, None).await;
        let record = store_record(&now, region, moves);
        let moved: Vec<&str> = record
            .iter()
            .filter(|(_, moved, _)| *moved)
            .map(|(name, _, _)| name.as_str())
            .collect();
        let rest: Vec<&str> = record
            .iter()
            .filter(|(_, moved, _)| !*moved)
            .map(|(name, _, _)| name.as_str())
            .collect();
        let said: Vec<String> = record.iter().map(|(_, _, line)| line.clone()).collect();
        let old = moves
            .first()
            .and_then(|m| m.old_primary.clone())
            .unwrap_or_else(|| "the old writer".into());
        let way_back = match moved.is_empty() {
            true => format!(
                "nothing moved: {old} is still the writer of every store; fix the cause and run `meridian promote {region}` again"
            ),
            false if rest.is_empty() => format!(
                "every store reads as moved: check `meridian status`; the way back is `meridian promote {old}`"
            ),
            false => format!(
                "the way back: `meridian promote {old}` moves {} back to {old}; or, once {} can move, `meridian promote {region}` moves the rest ({})",
                moved.join(" and "),
                moves[at].store,
                rest.join(" and ")
            ),
        };
        ProviderError::new(
            Some(region),
            "promote data stores",
            format!(
                "stopped at {} ({} of {}): {why}. Read back: {}",
                moves[at].store,
                at + 1,
                moves.len(),
                said.join("; ")
            ),
        )
        .with_hint(way_back)
    }
}

/// Per store of the plan: its name, whether it moved to `region`, and one line saying who
/// writes to it now.
pub fn store_record(
    state: &FleetState,
    region: &str,
    moves: &[StoreMove],
) -> Vec<(String, bool, String)> {
    moves
        .iter()
        .map(|m| {
            let writer = state.store_primary(m.index).map(|r| r.id.clone());
            let unread: Vec<&str> = state
                .regions
                .iter()
                .filter(|r| {
                    r.store(m.index)
                        .is_some_and(|(role, _)| role.error.is_some())
                })
                .map(|r| r.id.as_str())
                .collect();
            let target = state
                .region(region)
                .and_then(|r| r.store(m.index))
                .and_then(|(role, _)| role.value);
            let moved = target == Some(Role::Primary);
            let mut line = match (&writer, moved) {
                (_, true) => format!("{}: moved, {region} is its writer", m.store),
                (Some(w), false) => format!("{}: NOT moved, {w} is still its writer", m.store),
                (None, false) => format!("{}: NOT moved, no writer could be read", m.store),
            };
            if !unread.is_empty() {
                line.push_str(&format!(" (unread: {})", unread.join(", ")));
            }
            (m.store.clone(), moved, line)
        })
        .collect()
}

/// Each store of the plan, who writes to it per region, for the audit record's before and
/// after: `{"cache": {"us-east-1": "primary", "eu-west-1": "secondary"}}`.
pub fn snapshot(state: &FleetState, moves: &[StoreMove]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for m in moves {
        let roles: serde_json::Map<String, serde_json::Value> = state
            .regions
            .iter()
            .filter_map(|r| {
                let (role, _) = r.store(m.index)?;
                Some((r.id.clone(), serde_json::json!(role.value)))
            })
            .collect();
        out.insert(m.store.clone(), serde_json::Value::Object(roles));
    }
    serde_json::Value::Object(out)
}
