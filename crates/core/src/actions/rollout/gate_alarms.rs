//! An `alarms` gate ("no alarm in ALARM for 7d"): decided at once from the alarms' state now
//! and their history over the window (`DescribeAlarmHistory`), never by waiting the window
//! out. `rollout next`, `rollout status` and `meridian wait quiet` all decide it here.
//!
//! - an alarm matched by the gate is in ALARM now: failed (the rollout stops; `wait quiet`
//!   keeps waiting while its timeout allows);
//! - one was in ALARM inside the window and is not now: waiting, until the window has moved
//!   past the moment it left ALARM (the remaining time is known);
//! - an alarm changed state inside the window and the history does not say from what:
//!   waiting, until that change is outside the window (it cannot be proven quiet before);
//! - no alarm matches at all: failed (a gate that watches nothing proves nothing; a typo in
//!   the prefix must not pass a release);
//! - the history cannot be read: waiting (no evidence is no pass).

use std::time::Duration;

use super::GateVerdict;
use meridian_model::fleet::rollout::span;
use meridian_model::state::{AlarmHistory, Millis, now_ms, rfc3339};
use meridian_providers::alarms::{AlarmQuery, AlarmReader};

/// Most one read of the alarms and their history may take.
pub const ALARMS_GATE_DEADLINE: Duration = Duration::from_secs(60);

fn ms(d: Duration) -> Millis {
    d.as_millis().min(Millis::MAX as u128) as Millis
}

fn left(m: Millis) -> Duration {
    Duration::from_millis(m.max(0) as u64)
}

/// The verdict of "no alarm in ALARM for `hold`" from a history read at `now` (covering
/// `now - hold` to `now`). `scope` says which alarms, for messages.
pub fn alarms_verdict(
    history: &AlarmHistory,
    hold: Duration,
    scope: &str,
    now: Millis,
) -> GateVerdict {
    if history.alarms.is_empty() {
        return GateVerdict::Failed {
            reason: format!(
                "no alarm matches {scope}: a gate that watches no alarm proves nothing (check the prefix and tag)"
            ),
        };
    }
    let n = history.alarms.len();
    match history.last_alarm(now) {
        Ok(None) => GateVerdict::Met {
            reason: format!(
                "no alarm in ALARM for {} ({n} alarm{} of {scope})",
                span(hold),
                if n == 1 { "" } else { "s" }
            ),
        },
        Ok(Some((_, name))) if history.alarms.iter().any(|a| a.firing() && a.name == name) => {
            let alarm = history.alarms.iter().find(|a| a.name == name);
            let since = alarm
                .and_then(|a| a.since)
                .map(|s| format!(" since {}", rfc3339(s)))
                .unwrap_or_default();
            let why = alarm
                .map(|a| a.reason.as_str())
                .filter(|r| !r.is_empty())
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            GateVerdict::Failed {
                reason: format!("alarm {name} is in ALARM{since}{why}"),
            }
        }
        Ok(Some((at, name))) => GateVerdict::Waiting {
            waiting_for: format!(
                "alarm {name} was in ALARM until {}, inside the {} window",
                rfc3339(at),
                span(hold)
            ),
            remaining_secs: Some(left(at + ms(hold) - now).as_secs().max(1)),
        },
        Err(name) => {
            let since = history
                .alarms
                .iter()
                .find(|a| a.name == name)
                .and_then(|a| a.since)
                .unwrap_or(now);
            GateVerdict::Waiting {
                waiting_for: format!(
                    "alarm {name} changed state at {} and its history does not say from what; quiet is proven once that is outside the {} window",
                    rfc3339(since),
                    span(hold)
                ),
                remaining_secs: Some(left(since + ms(hold) - now).as_secs().max(1)),
            }
        }
    }
}

/// A rollout's alarms gate as written (`None` for any other gate), decided for `fleet`:
/// what the gate does not say about its scope, the fleet's `[alarms]` table does. The
/// dashboard and `meridian rollout status` both decide it here.
pub async fn decide_alarms_gate(
    fleet: &meridian_model::fleet::Fleet,
    reader: Option<&dyn AlarmReader>,
    gate: &meridian_model::fleet::rollout::GateSpec,
) -> Option<GateVerdict> {
    let meridian_model::fleet::rollout::GateSpec::Alarms {
        prefix,
        tag,
        region,
        hold,
    } = gate
    else {
        return None;
    };
    // A practice copy has no CloudWatch to read: the gate is shown as not run.
    if super::in_practice(fleet, false) {
        return super::practice_verdict(gate);
    }
    let query = AlarmQuery::of_gate(fleet, prefix.as_deref(), tag.as_deref(), region.as_deref());
    Some(alarms_gate(reader, &query, *hold).await)
}

/// Read the alarms and their history over `hold` (with a deadline) and decide.
pub async fn alarms_gate(
    reader: Option<&dyn AlarmReader>,
    query: &AlarmQuery,
    hold: Duration,
) -> GateVerdict {
    let scope = query.describe();
    let Some(reader) = reader else {
        return GateVerdict::Failed {
            reason: "an alarms gate reads CloudWatch: the fleet has no `[alarms]` table".into(),
        };
    };
    let now = now_ms();
    let read = tokio::time::timeout(ALARMS_GATE_DEADLINE, reader.history(query, now - ms(hold)));
    match read.await {
        Err(_) => GateVerdict::Waiting {
            waiting_for: format!(
                "alarm history of {scope} (the read ran over {}s)",
                ALARMS_GATE_DEADLINE.as_secs()
            ),
            remaining_secs: None,
        },
        Ok(Err(e)) => GateVerdict::Waiting {
            waiting_for: format!("alarm history of {scope}, unreadable: {e}"),
            remaining_secs: None,
        },
        Ok(Ok(history)) => alarms_verdict(&history, hold, &scope, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_model::state::{AlarmNow, AlarmTransition};

    const NOW: Millis = 1_000_000_000;
    const DAY: Millis = 86_400_000;
    const WEEK: Duration = Duration::from_secs(7 * 86_400);

    fn alarm(name: &str, state: &str, since: Millis) -> AlarmNow {
        AlarmNow {
            name: name.into(),
            state: state.into(),
            since: Some(since),
            reason: "Threshold Crossed: 5xx > 10".into(),
            aws_region: "us-east-1".into(),
        }
    }

    fn change(alarm: &str, at: Millis, from: &str, to: &str) -> AlarmTransition {
        AlarmTransition {
            alarm: alarm.into(),
            at,
            from: from.into(),
            to: to.into(),
        }
    }

    fn history(alarms: Vec<AlarmNow>, transitions: Vec<AlarmTransition>) -> AlarmHistory {
        AlarmHistory {
            alarms,
            transitions,
            from: NOW - 7 * DAY,
        }
    }

    fn verdict(h: &AlarmHistory) -> GateVerdict {
        alarms_verdict(h, WEEK, "name prefix \"pay-\" in us-east-1", NOW)
    }

    #[test]
    fn quiet_for_the_whole_window_is_met() {
        let h = history(vec![alarm("pay-5xx", "OK", NOW - 30 * DAY)], Vec::new());
        assert!(
            matches!(verdict(&h), GateVerdict::Met { reason } if reason.contains("1 alarm of"))
        );
    }

    #[test]
    fn an_alarm_firing_now_fails_with_its_name_and_reason() {
        let h = history(
            vec![
                alarm("pay-5xx", "OK", NOW - 30 * DAY),
                alarm("pay-latency", "ALARM", NOW - DAY),
            ],
            vec![change("pay-latency", NOW - DAY, "OK", "ALARM")],
        );
        match verdict(&h) {
            GateVerdict::Failed { reason } => {
                assert!(
                    reason.starts_with("alarm pay-latency is in ALARM since"),
                    "{reason}"
                );
                assert!(reason.contains("5xx > 10"), "{reason}");
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn an_alarm_inside_the_window_then_ok_waits_until_it_leaves_the_window() {
        // In ALARM from 3 days ago until 2 days ago: quiet for 7 days in 5 days.
        let h = history(
            vec![alarm("pay-5xx", "OK", NOW - 2 * DAY)],
            vec![
                change("pay-5xx", NOW - 3 * DAY, "OK", "ALARM"),
                change("pay-5xx", NOW - 2 * DAY, "ALARM", "OK"),
            ],
        );
        match verdict(&h) {
            GateVerdict::Waiting {
                waiting_for,
                remaining_secs,
            } => {
                assert!(waiting_for.starts_with("alarm pay-5xx was in ALARM until"));
                assert_eq!(remaining_secs, Some(5 * 86_400));
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn an_alarm_before_the_window_does_not_count() {
        // Left ALARM 8 days ago: the history read from 7 days ago has no change of it.
        let h = history(vec![alarm("pay-5xx", "OK", NOW - 8 * DAY)], Vec::new());
        assert!(matches!(verdict(&h), GateVerdict::Met { .. }));
    }

    #[test]
    fn a_change_the_history_does_not_explain_waits_and_no_alarm_fails() {
        let h = history(vec![alarm("pay-5xx", "OK", NOW - DAY)], Vec::new());
        assert!(matches!(
            verdict(&h),
            GateVerdict::Waiting { remaining_secs: Some(s), .. } if s == 6 * 86_400
        ));
        let none = history(Vec::new(), Vec::new());
        assert!(matches!(
            verdict(&none),
            GateVerdict::Failed { reason } if reason.starts_with("no alarm matches name prefix \"pay-\"")
        ));
    }
}
