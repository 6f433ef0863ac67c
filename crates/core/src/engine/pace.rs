//! Pace follows attention: the regions someone is looking at or should be are read at
//! their subjects' own (fast) pace, the rest slower.
//!
//! A region is read fast while it is on screen, has a finding, or is touched by an action,
//! a gate or a rollout (the front end says which: `Engine::attend`), and while one of its
//! own readings says it is in trouble (`is_bad`: the task that saw it promotes the region
//! at once, before any front end has judged anything). The rest are read `SLOW_FACTOR`
//! times less often, never slower than `SLOW_MAX` (a 2 s lag reading every 10 s, the
//! phases every 10 s; what is read every 10 s or slower stays as it is). A slow
//! period is a whole number of fast ones, so slowed readings keep their slots on the grid
//! (`SLOT`) and still wake the runtime together.
//!
//! Health is never slowed: it is the signal that sees a region turn bad (and promotes the
//! rest of the region), every finding about a region down or degraded must be raised
//! within one fast period of the change, and the health gate counts from it. Lag is
//! promoted at half the RPO budget, before its finding can be due. Fleet-wide subjects
//! (weights, the tenant map, alarms) are one reading each: always fast.
//! A slower pace spends less of every API budget than the fast one the budgets were
//! planned for (`schedule::plan`), so it always fits within them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::observation::{Observation, Reading};
use super::{Subject, schedule};
use meridian_model::fleet::Fleet;
use meridian_model::state::HealthStatus;

/// How many times less often a region nobody attends to is read.
pub const SLOW_FACTOR: u32 = 5;

/// The slowest a region's reading is slowed to (its own pace may be slower: that stays).
pub const SLOW_MAX: Duration = Duration::from_secs(10);

/// What the engine reads fast: the front end's regions, and those a reading found bad.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attention {
    /// The regions the front end attends to. None until it says: every region is fast
    /// (a one-shot reader, or a front end that has not drawn yet).
    pub watched: Option<BTreeSet<String>>,
    /// Per region, the capabilities whose last reading was bad (`is_bad`).
    pub bad: BTreeMap<String, BTreeSet<&'static str>>,
}

impl Attention {
    /// Whether a region is read at the fast pace.
    pub fn fast(&self, region: &str) -> bool {
        self.watched.as_ref().is_none_or(|w| w.contains(region)) || self.bad.contains_key(region)
    }

    /// Note what a subject's last reading said; true when the region's attention changed.
    pub fn note(&mut self, subject: &Subject, bad: bool) -> bool {
        let Some(region) = subject.region() else {
            return false;
        };
        let what = subject.capability();
        if bad {
            return self.bad.entry(region.to_string()).or_default().insert(what);
        }
        let Some(set) = self.bad.get_mut(region) else {
            return false;
        };
        let removed = set.remove(what);
        if set.is_empty() {
            self.bad.remove(region);
        }
        removed
    }
}

/// The period of a region's subject that nobody attends to: its own period times the
/// largest whole factor up to `SLOW_FACTOR` that stays within `SLOW_MAX`; health and
/// fleet-wide readings keep their own. Never faster than its own.
pub fn slow_period(subject: &Subject, fast: Duration) -> Duration {
    if subject.region().is_none() || matches!(subject, Subject::Health(_)) || fast.is_zero() {
        return fast;
    }
    let factor = (SLOW_MAX.as_nanos() / fast.as_nanos()).clamp(1, u128::from(SLOW_FACTOR));
    fast * factor as u32
}

/// The period a subject is read at now: its own when its region has attention, else slow.
pub fn period(subject: &Subject, fast: Duration, attention: &Attention) -> Duration {
    match subject.region() {
        Some(region) if !attention.fast(region) => slow_period(subject, fast),
        _ => fast,
    }
}

/// Which subject is read at which period, given the attention (the engine asks `period`
/// one subject at a time; this is the whole fleet's answer, as a table to test).
pub fn periods(fleet: &Fleet, attention: &Attention) -> Vec<(Subject, Duration)> {
    let (plan, _) = schedule::plan(fleet);
    plan.into_iter()
        .map(|(s, sch)| {
            let every = period(&s, sch.every, attention);
            (s, every)
        })
        .collect()
}

/// Whether a reading says its region is in trouble, so the region is read fast from now on
/// without waiting for anyone to judge it: a failed reading (stale data), health that is
/// degraded or down, a database whose role or lag cannot be read, or lag past half the RPO
/// budget (the finding comes at the budget: by then it is read fast).
pub fn is_bad(fleet: &Fleet, obs: &Observation) -> bool {
    if !obs.errors().is_empty() {
        return true;
    }
    match &obs.reading {
        Reading::Health(Ok(h)) => matches!(h.status, HealthStatus::Degraded | HealthStatus::Down),
        Reading::Database { lag, stores, .. } => {
            let half = fleet.policy.rpo_budget.as_secs_f64() / 2.0;
            let over = |l: &Result<Option<f64>, _>| matches!(l, Ok(Some(s)) if *s > half);
            over(lag) || stores.iter().any(|(_, l)| over(l))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
