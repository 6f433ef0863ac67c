//! `Observed<T>`: a value together with when it was read and why the latest read failed.

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

/// RFC 3339 text for a timestamp, to the second.
pub fn rfc3339(ms: Millis) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
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
    /// Why the most recent read failed; `None` when it succeeded.
    pub error: Option<String>,
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
    pub fn failed(previous: Option<&Observed<T>>, error: impl Into<String>) -> Self
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
        self.at.map(|at| (now - at).max(0))
    }

    /// Stale: the latest read failed, or the value is older than `max_age`.
    pub fn is_stale(&self, now: Millis, max_age: Millis) -> bool {
        self.error.is_some() || self.age(now).is_none_or(|a| a > max_age)
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref()
    }
}
