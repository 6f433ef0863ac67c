//! The recovery clock keeps running after the command that started it has ended. A drain
//! or promote that finds the fleet not yet healthy (or a rollout, from its start) leaves an
//! open clock in the fleet's shared store; whoever watches the fleet next (the dashboard,
//! `meridian wait recovered`) measures it against live readings and, once every serving
//! region is healthy at the intended weights, stops it: one audit record says how long
//! recovery took against the RTO, and the open clock is removed.
//!
//! The executor never waits for recovery itself: it holds the fleet lock, and waiting
//! there would keep everyone else from acting during the incident.

use serde::{Deserialize, Serialize};

use super::audit::{AuditLog, AuditOutcome, event, new_id};
use super::recovery::{self, Recovery};
use super::rollout::Rollout;
use super::temporary::{self, WeightMap};
use meridian_model::fleet::Fleet;
use meridian_model::host::whoami;
use meridian_model::state::{FleetState, Millis};
use meridian_providers::store::{SharedStore, StoreError, update};

const KIND: &str = "recovery";
/// Set on a clock by the meridian that is stopping it.
const CLAIMED: &str = "stopped_by";

/// A clock that has started and not yet seen the fleet recovered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenClock {
    /// The audit id of the action that started it, or `rollout-<id>`.
    pub id: String,
    /// `drain`, `promote`, `rollout`.
    pub action: String,
    pub target: String,
    pub started_ms: Millis,
    /// The weights the fleet should serve once recovered.
    pub intended: WeightMap,
    pub started_by: String,
    /// A rollout's clock stops only once the rollout is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<String>,
    /// The first sign of the trouble the action answered: the clock runs from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trouble: Option<recovery::Trouble>,
}

/// Where a clock stands against a reading of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockReading {
    pub clock: OpenClock,
    pub recovery: Recovery,
}

impl ClockReading {
    /// `drain eu-west-1: NOT yet recovered after 1m12s (RTO 5m00s): us-east-1 degraded`
    pub fn text(&self) -> String {
        format!(
            "{} {}: {}",
            self.clock.action,
            self.clock.target,
            self.recovery.text()
        )
    }
}

/// A rollout's clock (`rollout` is the started rollout's id, unique per start), from its start, stopped once it is done and the fleet serves its
/// steady weights with every serving region healthy.
pub fn rollout_clock(fleet: &Fleet, rollout: &str, started_ms: Millis) -> OpenClock {
    OpenClock {
        id: format!("rollout-{rollout}"),
        action: "rollout".into(),
        target: rollout.to_string(),
        started_ms,
        intended: temporary::steady(fleet),
        started_by: whoami(),
        rollout: Some(rollout.to_string()),
        trouble: None,
    }
}

/// Has the rollout `id` finished? One that is no longer the stored rollout (a later one
/// replaced it) has.
pub fn rollout_done(current: Option<&Rollout>, id: &str) -> bool {
    current.is_none_or(|r| r.id != id || r.status.finished())
}

impl ClockReading {
    /// For a header: `drain eu-west-1 1m12s of RTO 5m00s: us-east-1 degraded`.
    pub fn short(&self) -> String {
        let r = &self.recovery;
        let head = format!(
            "{} {} {} of RTO {}",
            self.clock.action,
            self.clock.target,
            recovery::span(r.elapsed_ms),
            recovery::span(r.rto_ms)
        );
        match r.waiting_on.is_empty() {
            true => format!("{head}: recovered"),
            false => format!("{head}: {}", r.waiting_on.join(", ")),
        }
    }
}

/// Leave a clock running (refused by a read-only store).
pub fn open(store: &dyn SharedStore, clock: &OpenClock) -> Result<(), StoreError> {
    let doc = serde_json::to_value(clock).map_err(|e| StoreError {
        what: format!("{KIND}/{}", clock.id),
        why: e.to_string(),
    })?;
    store.put(KIND, &key(&clock.id), &doc)
}

/// Every clock still running, oldest first. A document that is not a clock is skipped.
pub fn running(store: &dyn SharedStore) -> Result<Vec<OpenClock>, StoreError> {
    let mut out: Vec<OpenClock> = store
        .list(KIND)?
        .into_iter()
        .filter(|(_, v)| v.get(CLAIMED).is_none())
        .filter_map(|(_, v)| serde_json::from_value(v).ok())
        .collect();
    out.sort_by_key(|c| c.started_ms);
    Ok(out)
}

/// Measure every running clock against one reading of the fleet. `rollout_done` says
/// whether the named rollout has finished (its clock runs until it has).
pub fn read(
    fleet: &Fleet,
    state: &FleetState,
    clocks: &[OpenClock],
    rollout_done: impl Fn(&str) -> bool,
    now: Millis,
) -> Vec<ClockReading> {
    clocks
        .iter()
        .map(|c| {
            let mut r = recovery::measure(
                fleet,
                state,
                &c.intended,
                c.started_ms,
                c.trouble.as_ref(),
                now,
            );
            if let Some(id) = c.rollout.as_deref().filter(|id| !rollout_done(id)) {
                r.waiting_on.insert(0, format!("rollout {id} to finish"));
                r.recovered = false;
                r.within_rto = false;
            }
            ClockReading {
                clock: c.clone(),
                recovery: r,
            }
        })
        .collect()
}

/// Stop a recovered clock: claim it (compare-and-swap, so of two meridians that see it
/// recovered at once exactly one goes on), audit how long it took, then remove it.
pub fn stop(
    store: &dyn SharedStore,
    audit: &AuditLog,
    fleet: &Fleet,
    reading: &ClockReading,
) -> Result<bool, String> {
    if !reading.recovery.recovered {
        return Ok(false);
    }
    let k = key(&reading.clock.id);
    let me = whoami();
    let claimed = update(store, KIND, &k, |doc| {
        Ok::<_, StoreError>(match doc {
            Some(mut d) if d.get(CLAIMED).is_none() => {
                d[CLAIMED] = serde_json::Value::from(me.clone());
                Some((d, ()))
            }
            // Gone, or someone else is stopping it.
            _ => None,
        })
    })
    .map_err(|e| e.to_string())?;
    if claimed.is_none() {
        return Ok(false);
    }
    store.remove(KIND, &k).map_err(|e| e.to_string())?;
    // Its own record (a fresh id): the action's started/outcome pair stays a pair.
    let mut rec = event(
        &new_id(),
        &fleet.name,
        "recovery",
        &format!("{} {}", reading.clock.action, reading.clock.target),
        AuditOutcome::Succeeded,
        Some(format!(
            "{} (clock {} started by {}, stopped by {})",
            reading.recovery.text(),
            reading.clock.id,
            reading.clock.started_by,
            whoami()
        )),
    );
    rec.recovery = serde_json::to_value(&reading.recovery).ok();
    audit.append(&rec).map_err(|e| e.to_string())?;
    Ok(true)
}

/// Store keys are plain names; audit ids are `<ms>-<pid>` already.
fn key(id: &str) -> String {
    id.chars()
        .map(|c| match c.is_ascii_alphanumeric() || c == '-' {
            true => c,
            false => '-',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testkit::*;
    use meridian_model::state::HealthStatus;
    use meridian_providers::store::DirStore;

    fn clock(f: &Fleet, s: &FleetState, rollout: Option<&str>) -> OpenClock {
        OpenClock {
            id: "100-7".into(),
            action: "drain".into(),
            target: "eu-west-1".into(),
            started_ms: NOW,
            intended: temporary::current(f, s).unwrap(),
            started_by: "alice@a".into(),
            rollout: rollout.map(Into::into),
            trouble: None,
        }
    }

    #[test]
    fn an_open_clock_runs_until_the_fleet_recovers_and_is_stopped_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::in_state_dir(dir.path());
        let audit = AuditLog::new(&dir.path().join("audit.jsonl"));
        let f = fleet();
        let mut s = state(&f);
        set_weight(&mut s, "eu-west-1", 0);
        open(&store, &clock(&f, &s, None)).unwrap();
        set_health(&mut s, "us-east-1", HealthStatus::Degraded);

        let clocks = running(&store).unwrap();
        let not_yet = read(&f, &s, &clocks, |_| true, NOW + 30_000);
        assert!(!not_yet[0].recovery.recovered);
        assert!(
            not_yet[0].text().contains("NOT yet recovered after 30s"),
            "{}",
            not_yet[0].text()
        );
        assert!(!stop(&store, &audit, &f, &not_yet[0]).unwrap());

        set_health(&mut s, "us-east-1", HealthStatus::Healthy);
        let done = read(&f, &s, &clocks, |_| true, NOW + 90_000);
        assert_eq!(
            done[0].text(),
            "drain eu-west-1: recovered in 1m30s (RTO 5m00s: within)"
        );
        assert!(stop(&store, &audit, &f, &done[0]).unwrap());
        // A second dashboard that saw the same reading writes nothing more.
        assert!(!stop(&store, &audit, &f, &done[0]).unwrap());
        assert!(running(&store).unwrap().is_empty());
        let (records, _) = audit.read().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].action, "recovery");
        assert_eq!(records[0].recovery.as_ref().unwrap()["elapsed_ms"], 90_000);
    }

    #[test]
    fn of_two_meridians_stopping_one_clock_at_once_exactly_one_audits_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::in_state_dir(dir.path());
        let audit = AuditLog::new(&dir.path().join("audit.jsonl"));
        let f = fleet();
        let s = state(&f);
        open(&store, &clock(&f, &s, None)).unwrap();
        let reading = read(&f, &s, &running(&store).unwrap(), |_| true, NOW + 1_000);
        let stopped: Vec<bool> = std::thread::scope(|scope| {
            let go = || stop(&store, &audit, &f, &reading[0]).unwrap();
            let (a, b) = (scope.spawn(go), scope.spawn(go));
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        assert_eq!(stopped.iter().filter(|s| **s).count(), 1, "{stopped:?}");
        assert_eq!(audit.read().unwrap().0.len(), 1);
    }

    #[test]
    fn a_rollouts_clock_waits_for_the_rollout_to_finish() {
        let f = fleet();
        let s = state(&f);
        let c = clock(&f, &s, Some("release"));
        let running_rollout = read(&f, &s, std::slice::from_ref(&c), |_| false, NOW);
        assert!(!running_rollout[0].recovery.recovered);
        assert_eq!(
            running_rollout[0].recovery.waiting_on,
            ["rollout release to finish"]
        );
        assert!(
            read(&f, &s, &[c], |id| id == "release", NOW)[0]
                .recovery
                .recovered
        );
    }
}
