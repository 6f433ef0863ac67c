//! Is a change freeze in force? The one a person set (`meridian freeze`, a document in the
//! fleet's shared store that every operator reads), or a window the fleet file schedules
//! (`[[policy.freezes]]`). Pure: the guard, the header and `status` all ask here.

use serde::{Deserialize, Serialize};

use super::{Millis, rfc3339};
use crate::cron::Cron;
use crate::fleet::Fleet;
use crate::fleet::freeze::FreezeWhen;

/// The freeze a person set, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    /// Who froze, as the identity the audit log records.
    pub by: String,
    pub reason: String,
    pub at: Millis,
    /// When it ends by itself; None: until someone unfreezes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Millis>,
}

impl Freeze {
    /// Still in force at `now`?
    pub fn holds(&self, now: Millis) -> bool {
        self.until.is_none_or(|u| now < u)
    }
}

/// A freeze in force: who or what froze, why, since and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveFreeze {
    /// `meridian freeze` by a person, or a scheduled window by its name.
    pub source: FreezeSource,
    pub by: String,
    pub reason: String,
    pub since: Millis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Millis>,
}

/// Where a freeze in force comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum FreezeSource {
    Manual,
    Scheduled(String),
}

impl ActiveFreeze {
    /// `frozen by ana (kube) since 2026-03-04T10:00:00Z until 2026-03-04T12:00:00Z: INC-4711`
    pub fn describe(&self) -> String {
        let until = match self.until {
            Some(u) => format!("until {}", rfc3339(u)),
            None => "until someone runs `meridian unfreeze`".to_string(),
        };
        let who = match &self.source {
            FreezeSource::Manual => format!("frozen by {}", self.by),
            FreezeSource::Scheduled(name) => format!("scheduled freeze \"{name}\""),
        };
        format!(
            "{who} since {} {until}: {}",
            rfc3339(self.since),
            self.reason
        )
    }

    /// For a header line: `FROZEN by ana until 12:00Z: INC-4711`.
    pub fn short(&self) -> String {
        let until = self
            .until
            .map(|u| {
                let t = rfc3339(u);
                format!(
                    " until {}",
                    t.get(11..16).map(|h| format!("{h}Z")).unwrap_or(t)
                )
            })
            .unwrap_or_default();
        let who = match &self.source {
            FreezeSource::Manual => format!("by {}", self.by),
            FreezeSource::Scheduled(name) => format!("\"{name}\""),
        };
        format!("FROZEN {who}{until}: {}", self.reason)
    }
}

/// The freeze in force at `now`: the one a person set wins (it says who to talk to), else
/// the scheduled window that ends last.
pub fn active(fleet: &Fleet, manual: Option<&Freeze>, now: Millis) -> Option<ActiveFreeze> {
    if let Some(f) = manual.filter(|f| f.holds(now)) {
        return Some(ActiveFreeze {
            source: FreezeSource::Manual,
            by: f.by.clone(),
            reason: f.reason.clone(),
            since: f.at,
            until: f.until,
        });
    }
    fleet
        .policy
        .freezes
        .iter()
        .filter_map(|w| {
            let (since, until) = window_at(&w.when, now)?;
            Some(ActiveFreeze {
                source: FreezeSource::Scheduled(w.name.clone()),
                by: "the fleet file".into(),
                reason: w
                    .reason
                    .clone()
                    .unwrap_or_else(|| format!("scheduled freeze \"{}\"", w.name)),
                since,
                until: Some(until),
            })
        })
        .max_by_key(|f| f.until)
}

/// When the window covering `now` started and ends, if one does.
fn window_at(when: &FreezeWhen, now: Millis) -> Option<(Millis, Millis)> {
    match when {
        FreezeWhen::Between { from, until } => {
            (*from <= now && now < *until).then_some((*from, *until))
        }
        FreezeWhen::Cron { schedule, length } => {
            let cron = Cron::parse(schedule).ok()?;
            // At most 62 days of minutes are searched: a longer freeze is a date range.
            let minutes = (length.as_secs() / 60).clamp(1, 60 * 24 * 62) as i64;
            let start = cron.fired_within(now.div_euclid(60_000), minutes)? * 60_000;
            Some((start, start + length.as_millis() as Millis))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::freeze::FreezeWindow;

    /// 2026-03-06 (a Friday) at hh:mm UTC.
    fn friday(hh: i64, mm: i64) -> Millis {
        (1_772_755_200 + hh * 3600 + mm * 60) * 1000
    }

    fn fleet_with(windows: Vec<FreezeWindow>) -> Fleet {
        let mut f = crate::fleet::demo();
        f.policy.freezes = windows;
        f
    }

    #[test]
    fn a_person_s_freeze_holds_until_it_ends() {
        let f = fleet_with(Vec::new());
        let mine = Freeze {
            by: "ana".into(),
            reason: "INC-1".into(),
            at: friday(9, 0),
            until: Some(friday(11, 0)),
        };
        let a = active(&f, Some(&mine), friday(10, 0)).expect("frozen");
        assert!(
            a.describe().starts_with(
                "frozen by ana since 2026-03-06T09:00:00Z until 2026-03-06T11:00:00Z: INC-1"
            ),
            "{}",
            a.describe()
        );
        assert_eq!(a.short(), "FROZEN by ana until 11:00Z: INC-1");
        assert_eq!(active(&f, Some(&mine), friday(11, 0)), None);
        assert_eq!(active(&f, None, friday(10, 0)), None);
    }

    #[test]
    fn scheduled_windows_by_cron_and_by_dates() {
        let f = fleet_with(vec![
            FreezeWindow {
                name: "weekend".into(),
                reason: None,
                when: FreezeWhen::Cron {
                    schedule: "0 17 * * fri".into(),
                    length: std::time::Duration::from_secs(64 * 3600),
                },
            },
            FreezeWindow {
                name: "launch".into(),
                reason: Some("launch week".into()),
                when: FreezeWhen::Between {
                    from: friday(0, 0),
                    until: friday(12, 0),
                },
            },
        ]);
        assert_eq!(active(&f, None, friday(16, 59)), None);
        let w = active(&f, None, friday(18, 0)).expect("weekend");
        assert_eq!(w.source, FreezeSource::Scheduled("weekend".into()));
        assert_eq!(w.until, Some(friday(17, 0) + 64 * 3_600_000));
        let l = active(&f, None, friday(11, 0)).expect("launch");
        assert_eq!(l.reason, "launch week");
        // Monday 09:00 is outside both.
        assert_eq!(active(&f, None, friday(9, 0) + 3 * 86_400_000), None);
    }
}
