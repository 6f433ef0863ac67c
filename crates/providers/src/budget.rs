//! The API budget: how many calls each provider family made recently, how many were
//! throttled, and the cost-relevant units some of them bill by (CloudWatch metrics).
//!
//! One meter per process (`ApiMeter::global()`): a process serves one fleet, and every
//! provider records into it from wherever the call is made, so nothing has to thread a
//! handle through the SDK call sites. The dashboard shows it as a budget line and
//! `status --json` reports it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;

use meridian_model::state::{Millis, now_ms};

/// Calls are counted in buckets of this many milliseconds.
const BUCKET_MS: Millis = 10_000;
/// Buckets older than this are dropped: rates are over the last hour at most.
const KEEP_MS: Millis = 3_600_000;
/// "Calls per minute" is averaged over this window, so one refresh burst does not spike it.
const RATE_WINDOW_MS: Millis = 5 * 60_000;

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    start: Millis,
    calls: u64,
    throttled: u64,
    units: u64,
}

#[derive(Debug, Default)]
struct Family {
    buckets: VecDeque<Bucket>,
    calls: u64,
    throttled: u64,
    units: u64,
    unit: Option<&'static str>,
    /// What polling is planned to spend, calls per minute (set by the engine).
    planned_per_minute: Option<f64>,
    /// The budget polling is held to, calls per minute (from the fleet file or defaults).
    budget_per_minute: Option<f64>,
}

impl Family {
    fn bucket(&mut self, now: Millis) -> &mut Bucket {
        let start = now - now.rem_euclid(BUCKET_MS);
        while self
            .buckets
            .front()
            .is_some_and(|b| b.start < now - KEEP_MS)
        {
            self.buckets.pop_front();
        }
        if self.buckets.back().is_none_or(|b| b.start != start) {
            self.buckets.push_back(Bucket {
                start,
                ..Bucket::default()
            });
        }
        // Just pushed or already there: the back bucket is this one.
        let last = self.buckets.len() - 1;
        &mut self.buckets[last]
    }
}

/// Counters for every provider family that made calls.
#[derive(Debug, Default)]
pub struct ApiMeter {
    families: Mutex<BTreeMap<&'static str, Family>>,
}

/// One provider family's spending, as the dashboard and `status --json` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetLine {
    /// `route53`, `cloudwatch`, `rds`, ...
    pub family: &'static str,
    /// Calls (attempts, retries included) since this process started.
    pub calls: u64,
    pub throttled: u64,
    /// Average over the last five minutes (or since start, if shorter).
    pub calls_per_minute: f64,
    /// What polling is planned to spend, and the budget it is held to.
    pub planned_per_minute: Option<f64>,
    pub budget_per_minute: Option<f64>,
    /// Cost units (e.g. CloudWatch metrics requested) in the last hour, and their name.
    pub units_last_hour: Option<u64>,
    pub unit: Option<&'static str>,
}

impl ApiMeter {
    /// The process's meter.
    pub fn global() -> &'static ApiMeter {
        static METER: OnceLock<ApiMeter> = OnceLock::new();
        METER.get_or_init(ApiMeter::default)
    }

    fn with<T>(&self, family: &'static str, f: impl FnOnce(&mut Family) -> T) -> T {
        let mut all = self.families.lock().unwrap_or_else(|p| p.into_inner());
        f(all.entry(family).or_default())
    }

    /// One call (one attempt) was made; `throttled` when the backend refused it for now.
    pub fn record(&self, family: &'static str, throttled: bool) {
        self.record_at(family, throttled, now_ms());
    }

    fn record_at(&self, family: &'static str, throttled: bool, now: Millis) {
        self.with(family, |f| {
            f.calls += 1;
            f.throttled += u64::from(throttled);
            let b = f.bucket(now);
            b.calls += 1;
            b.throttled += u64::from(throttled);
        });
    }

    /// Cost units a call asked for (e.g. `metrics` for CloudWatch GetMetricData).
    pub fn record_units(&self, family: &'static str, unit: &'static str, n: u64) {
        self.record_units_at(family, unit, n, now_ms());
    }

    fn record_units_at(&self, family: &'static str, unit: &'static str, n: u64, now: Millis) {
        self.with(family, |f| {
            f.unit = Some(unit);
            f.units += n;
            f.bucket(now).units += n;
        });
    }

    /// What the engine plans polling to spend on a family, and the budget it is held to.
    pub fn plan(&self, family: &'static str, planned_per_minute: f64, budget: Option<f64>) {
        self.with(family, |f| {
            f.planned_per_minute = Some(planned_per_minute);
            f.budget_per_minute = budget;
        });
    }

    /// Every family's line at `now`, by name. `since` is when counting began (for rates
    /// of a process younger than the rate window).
    pub fn lines(&self, now: Millis, since: Millis) -> Vec<BudgetLine> {
        let all = self.families.lock().unwrap_or_else(|p| p.into_inner());
        all.iter()
            .map(|(name, f)| {
                let window = RATE_WINDOW_MS.min((now - since).max(BUCKET_MS));
                let recent: u64 = f
                    .buckets
                    .iter()
                    .filter(|b| b.start + BUCKET_MS > now - window)
                    .map(|b| b.calls)
                    .sum();
                let units: u64 = f
                    .buckets
                    .iter()
                    .filter(|b| b.start + BUCKET_MS > now - KEEP_MS)
                    .map(|b| b.units)
                    .sum();
                BudgetLine {
                    family: name,
                    calls: f.calls,
                    throttled: f.throttled,
                    calls_per_minute: recent as f64 * 60_000.0 / window as f64,
                    planned_per_minute: f.planned_per_minute,
                    budget_per_minute: f.budget_per_minute,
                    units_last_hour: f.unit.map(|_| units),
                    unit: f.unit,
                }
            })
            .collect()
    }

    /// Since when this process has been counting.
    pub fn started() -> Millis {
        static STARTED: OnceLock<Millis> = OnceLock::new();
        *STARTED.get_or_init(now_ms)
    }
}

impl BudgetLine {
    /// `route53 4.0/min (plan 3.5, budget 30) · 2 throttled` for the dashboard.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {:.1}/min", self.family, self.calls_per_minute);
        match (self.planned_per_minute, self.budget_per_minute) {
            (Some(p), Some(b)) => s.push_str(&format!(" (plan {p:.1}, budget {b:.0})")),
            (Some(p), None) => s.push_str(&format!(" (plan {p:.1})")),
            _ => {}
        }
        if let (Some(n), Some(unit)) = (self.units_last_hour, self.unit) {
            s.push_str(&format!(" · {n} {unit}/h"));
        }
        if self.throttled > 0 {
            s.push_str(&format!(" · {} throttled", self.throttled));
        }
        s
    }
}

impl BudgetLine {
    /// `route53 4.0/30/min 2 throttled`, squeezed for the header: rate against budget.
    pub fn short(&self) -> String {
        let mut s = format!("{} {:.1}", self.family, self.calls_per_minute);
        if let Some(b) = self.budget_per_minute {
            s.push_str(&format!("/{b:.0}"));
        }
        s.push_str("/min");
        if let (Some(n), Some(unit)) = (self.units_last_hour, self.unit) {
            s.push_str(&format!(" {n} {unit}/h"));
        }
        if self.throttled > 0 {
            s.push_str(&format!(" {} throttled", self.throttled));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_800_000_000_000;

    #[test]
    fn counts_calls_throttles_and_units() {
        let m = ApiMeter::default();
        m.record_at("route53", false, T0);
        m.record_at("route53", true, T0 + 1_000);
        m.record_units_at("cloudwatch", "metrics", 24, T0 + 2_000);
        let lines = m.lines(T0 + 60_000, T0);
        let r53 = lines.iter().find(|l| l.family == "route53").unwrap();
        assert_eq!((r53.calls, r53.throttled), (2, 1));
        assert!((r53.calls_per_minute - 2.0).abs() < 1e-9, "{r53:?}");
        let cw = lines.iter().find(|l| l.family == "cloudwatch").unwrap();
        assert_eq!(cw.units_last_hour, Some(24));
        assert_eq!(cw.unit, Some("metrics"));
    }

    #[test]
    fn old_buckets_leave_the_rate_and_the_hour() {
        let m = ApiMeter::default();
        m.record_units_at("cloudwatch", "metrics", 10, T0);
        for i in 0..6 {
            m.record_at("route53", false, T0 + i * 10_000);
        }
        // Two hours later only the total remembers them.
        m.record_at("route53", false, T0 + 7_200_000);
        let lines = m.lines(T0 + 7_200_000, T0);
        let r53 = lines.iter().find(|l| l.family == "route53").unwrap();
        assert_eq!(r53.calls, 7);
        assert!((r53.calls_per_minute - 0.2).abs() < 1e-9, "{r53:?}");
        let cw = lines.iter().find(|l| l.family == "cloudwatch").unwrap();
        assert_eq!(
            cw.units_last_hour,
            Some(0),
            "metrics of two hours ago are not this hour's"
        );
    }

    #[test]
    fn describe_names_plan_budget_units_and_throttles() {
        let line = BudgetLine {
            family: "route53",
            calls: 9,
            throttled: 2,
            calls_per_minute: 4.0,
            planned_per_minute: Some(3.5),
            budget_per_minute: Some(30.0),
            units_last_hour: None,
            unit: None,
        };
        assert_eq!(
            line.describe(),
            "route53 4.0/min (plan 3.5, budget 30) · 2 throttled"
        );
    }
}
