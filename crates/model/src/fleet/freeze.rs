//! Scheduled change freezes as the fleet file declares them (`[[policy.freezes]]`): a date
//! range, or a cron schedule with a length ("every Friday from 17:00 for 64h"). Whether
//! one is in force at a moment is decided in `state::freeze`, beside the freeze a person
//! sets with `meridian freeze`.

use std::time::Duration;

use serde::Serialize;

/// One `[[policy.freezes]]` window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FreezeWindow {
    /// What people call it ("year-end", "weekend").
    pub name: String,
    /// Why changes stop then; shown by the `freeze` guard.
    pub reason: Option<String>,
    pub when: FreezeWhen,
}

/// When a scheduled freeze is in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum FreezeWhen {
    /// From `from` (inclusive) to `until` (exclusive), milliseconds since the epoch (UTC).
    Between { from: i64, until: i64 },
    /// Each time the five-field cron `schedule` (UTC) fires, for `length`.
    Cron {
        schedule: String,
        #[serde(serialize_with = "secs")]
        length: Duration,
    },
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}
