//! Argo CD sync windows, evaluated as Argo CD does (`SyncWindows.CanSync`): which windows
//! apply to an app, which are active now, and whether a manual sync may go ahead.
//!
//! Schedules are standard five-field cron (minute hour day-of-month month day-of-week, with
//! `*`, lists, ranges, steps and names). Time zones other than UTC cannot be evaluated
//! without a zone database; such a window makes the verdict "unknown" rather than a guess.

use super::{Millis, SyncWindow};
use crate::cron::Cron;

/// Does this window apply to the app (by name, destination namespace or cluster)?
pub fn applies_to(
    w: &SyncWindow,
    app: &str,
    namespace: Option<&str>,
    cluster: Option<&str>,
) -> bool {
    let any = |patterns: &[String], value: Option<&str>| {
        value.is_some_and(|v| patterns.iter().any(|p| glob(p, v)))
    };
    any(&w.applications, Some(app)) || any(&w.namespaces, namespace) || any(&w.clusters, cluster)
}

/// `*` matches any run of characters, `?` one.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// Whether a manual sync may run now under these (already matching) windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No window stands in the way.
    Open,
    /// A window stands in the way of automated syncs, but manual syncs are allowed.
    ManualOnly(String),
    /// Argo CD would refuse the sync.
    Closed(String),
    /// A window could not be evaluated (its schedule, duration or time zone).
    Unknown(String),
}

/// Argo CD's `CanSync(isManual: true)`, with the window that decides it.
pub fn manual_sync(windows: &[SyncWindow], now: Millis) -> Verdict {
    let mut active = Vec::new();
    let mut inactive_allows = Vec::new();
    for w in windows {
        match is_active(w, now) {
            Err(why) => {
                return Verdict::Unknown(format!("{} window \"{}\": {why}", w.kind, w.schedule));
            }
            Ok(true) => active.push(w),
            Ok(false) if w.kind == "allow" => inactive_allows.push(w),
            Ok(false) => {}
        }
    }
    let describe =
        |w: &SyncWindow| format!("{} window \"{}\" for {}", w.kind, w.schedule, w.duration);
    let denies: Vec<&&SyncWindow> = active.iter().filter(|w| w.kind == "deny").collect();
    if let Some(first) = denies.first() {
        return if denies.iter().all(|w| w.manual_sync) {
            Verdict::ManualOnly(format!(
                "{} is active; manual syncs are allowed in it",
                describe(first)
            ))
        } else {
            Verdict::Closed(format!(
                "{} is active: Argo CD refuses syncs until it ends",
                describe(first)
            ))
        };
    }
    if active.iter().any(|w| w.kind == "allow") {
        return Verdict::Open;
    }
    if let Some(first) = inactive_allows.first() {
        return if inactive_allows.iter().any(|w| w.manual_sync) {
            Verdict::ManualOnly(format!(
                "outside the {}; manual syncs are allowed",
                describe(first)
            ))
        } else {
            Verdict::Closed(format!(
                "outside every allow window (e.g. {}): Argo CD refuses syncs",
                describe(first)
            ))
        };
    }
    Verdict::Open
}

/// Is `now` inside a window: did its schedule fire within the last `duration`?
fn is_active(w: &SyncWindow, now: Millis) -> Result<bool, String> {
    if let Some(tz) = w.time_zone.as_deref().filter(|t| !t.is_empty())
        && !matches!(tz, "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Z")
    {
        return Err(format!(
            "time zone {tz} cannot be evaluated here (only UTC)"
        ));
    }
    let cron = Cron::parse(&w.schedule)?;
    let duration = humantime::parse_duration(&w.duration)
        .map_err(|e| format!("duration \"{}\": {e}", w.duration))?;
    let minutes = (duration.as_secs() / 60).min(60 * 24 * 62) as i64;
    let now_min = now.div_euclid(60_000);
    // Fired at minute m, the window covers [m, m + duration).
    Ok((now_min - minutes + 1..=now_min).any(|m| cron.matches(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-04 (a Wednesday) at hh:mm UTC.
    fn at(hh: i64, mm: i64) -> Millis {
        (1_772_582_400 + hh * 3600 + mm * 60) * 1000
    }

    fn window(kind: &str, schedule: &str, duration: &str, manual: bool) -> SyncWindow {
        SyncWindow {
            kind: kind.into(),
            schedule: schedule.into(),
            duration: duration.into(),
            applications: vec!["*".into()],
            namespaces: Vec::new(),
            clusters: Vec::new(),
            manual_sync: manual,
            time_zone: None,
        }
    }

    #[test]
    fn a_nightly_deny_window_closes_syncs_only_while_it_lasts() {
        let deny = [window("deny", "0 22 * * *", "1h", false)];
        assert_eq!(manual_sync(&deny, at(21, 59)), Verdict::Open);
        assert!(matches!(manual_sync(&deny, at(22, 30)), Verdict::Closed(_)));
        assert_eq!(manual_sync(&deny, at(23, 0)), Verdict::Open);
        let manual = [window("deny", "0 22 * * *", "1h", true)];
        assert!(matches!(
            manual_sync(&manual, at(22, 30)),
            Verdict::ManualOnly(_)
        ));
    }

    #[test]
    fn outside_every_allow_window_syncs_are_refused() {
        let allow = [window("allow", "0 9-17/2 * * mon-fri", "30m", false)];
        assert_eq!(manual_sync(&allow, at(9, 10)), Verdict::Open);
        assert!(matches!(
            manual_sync(&allow, at(10, 10)),
            Verdict::Closed(_)
        ));
    }

    #[test]
    fn unknown_zones_and_bad_schedules_are_not_guessed() {
        let mut w = window("deny", "0 22 * * *", "1h", false);
        w.time_zone = Some("Europe/Berlin".into());
        assert!(matches!(manual_sync(&[w], at(22, 0)), Verdict::Unknown(_)));
        let bad = window("deny", "0 25 * * *", "1h", false);
        assert!(matches!(
            manual_sync(&[bad], at(22, 0)),
            Verdict::Unknown(_)
        ));
    }

    #[test]
    fn windows_apply_by_app_namespace_or_cluster() {
        let mut w = window("deny", "* * * * *", "1h", false);
        w.applications = vec!["checkout-*".into()];
        assert!(applies_to(&w, "checkout-eu", None, None));
        assert!(!applies_to(&w, "platform-eu", Some("x"), None));
        w.namespaces = vec!["x".into()];
        assert!(applies_to(&w, "platform-eu", Some("x"), None));
    }
}
