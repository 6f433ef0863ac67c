//! `Observed<T>`: a value together with when it was read and why the latest read failed.

use arcstr::ArcStr;
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The wall clock, in milliseconds since the Unix epoch.
pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// The latest time meridian can write down: the last millisecond of the year 9999 (RFC 3339
/// has four-digit years). Timestamps read from state files outside 0..=this are impossible.
pub const MAX_TIME_MS: Millis = 253_402_300_799_999;

/// Is `ms` a time that can be real (not before 1970, not after the year 9999)?
pub fn valid_time(ms: Millis) -> bool {
    (0..=MAX_TIME_MS).contains(&ms)
}

/// RFC 3339 text for a timestamp, to the second. Total: an impossible time (from a damaged
/// state file) is shown as such instead of panicking.
pub fn rfc3339(ms: Millis) -> String {
    if !valid_time(ms) {
        return format!("(impossible time {ms} ms)");
    }
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// How long ago `then` was at `now`, never overflowing (either may come from a file).
pub fn elapsed(now: Millis, then: Millis) -> Millis {
    now.saturating_sub(then).max(0)
}

/// A short age such as `3s`, `4m`, `2h`.
pub fn short_age(ms: Millis) -> String {
    let s = (ms.max(0) / 1000) as u64;
    match s {
        0..=99 => format!("{s}s"),
        100..=5999 => format!("{}m", s / 60),
        6000..=359_999 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// A datum as last observed. `value` is the last good reading (kept when a later read
/// fails, so the screen never blanks); `error` says why the newest read failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed<T> {
    pub value: Option<T>,
    /// When `value` was read.
    pub at: Option<Millis>,
    /// Why the most recent read failed; `None` when it succeeded. Shared: a region whose
    /// read failed gives its thousand cells one text, not a thousand copies.
    pub error: Option<ArcStr>,
}

impl<T> Default for Observed<T> {
    fn default() -> Self {
        Observed {
            value: None,
            at: None,
            error: None,
        }
    }
}

impl<T> Observed<T> {
    /// A fresh, successful reading.
    pub fn ok(value: T, at: Millis) -> Self {
        Observed {
            value: Some(value),
            at: Some(at),
            error: None,
        }
    }

    /// A successful reading that found no value (e.g. lag with no datapoint).
    pub fn empty(at: Millis) -> Self {
        Observed {
            value: None,
            at: Some(at),
            error: None,
        }
    }

    /// A failed read: the previous value and its time are kept.
    pub fn failed(previous: Option<&Observed<T>>, error: impl Into<ArcStr>) -> Self
    where
        T: Clone,
    {
        Observed {
            value: previous.and_then(|p| p.value.clone()),
            at: previous.and_then(|p| p.at),
            error: Some(error.into()),
        }
    }

    /// How old the value is at `now`, if it was ever read.
    pub fn age(&self, now: Millis) -> Option<Millis> {
        self.at.map(|at| elapsed(now, at))
    }

    /// When the value was last known current: its own read, or later when its source has
    /// since said that nothing changed (`current`, e.g. `RegionState::apps_at`).
    pub fn as_of(&self, current: Option<Millis>) -> Option<Millis> {
        match (self.at, current) {
            (Some(at), Some(c)) if self.error.is_none() => Some(at.max(c)),
            (at, _) => at,
        }
    }

    /// Stale: the latest read failed, or the value is older than `max_age`.
    pub fn is_stale(&self, now: Millis, max_age: Millis) -> bool {
        self.is_stale_as_of(now, max_age, None)
    }

    /// `is_stale`, counting the value as current as of `as_of(current)`.
    pub fn is_stale_as_of(&self, now: Millis, max_age: Millis, current: Option<Millis>) -> bool {
        let age = self.as_of(current).map(|at| elapsed(now, at));
        self.error.is_some() || age.is_none_or(|a| a > max_age)
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_all_clear_freshens_a_good_reading_but_never_a_failed_one() {
        let good = Observed::ok(1u8, 1_000);
        assert_eq!(good.as_of(Some(5_000)), Some(5_000));
        assert_eq!(good.as_of(Some(500)), Some(1_000));
        assert!(!good.is_stale_as_of(31_000, 30_000, Some(5_000)));
        assert!(good.is_stale(31_001, 30_000));
        let failed = Observed::failed(Some(&good), "timed out");
        assert_eq!(failed.as_of(Some(5_000)), Some(1_000));
        assert!(failed.is_stale_as_of(2_000, 30_000, Some(5_000)));
        let never: Observed<u8> = Observed::default();
        assert_eq!(never.as_of(Some(5_000)), None);
    }

    #[test]
    fn every_timestamp_formats_without_panicking() {
        for ms in [
            i64::MIN,
            -1,
            0,
            1_800_000_000_000,
            MAX_TIME_MS,
            MAX_TIME_MS + 1,
            i64::MAX,
        ] {
            let text = rfc3339(ms);
            assert_eq!(
                valid_time(ms),
                !text.starts_with("(impossible"),
                "{ms}: {text}"
            );
            let _ = short_age(elapsed(1_800_000_000_000, ms));
        }
        assert_eq!(rfc3339(MAX_TIME_MS), "9999-12-31T23:59:59Z");
        assert_eq!(elapsed(i64::MAX, i64::MIN), i64::MAX);
    }
}
