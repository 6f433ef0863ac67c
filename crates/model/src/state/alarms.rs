//! CloudWatch alarms as read for alarm gates and `status --check`: each alarm's state now,
//! and its state changes over a window (from `DescribeAlarmHistory`), so "quiet for 7 days"
//! is answered from history at once instead of being waited out.

use serde::{Deserialize, Serialize};

use super::Millis;

/// One alarm as last read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmNow {
    pub name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    /// When it entered that state.
    pub since: Option<Millis>,
    pub reason: String,
    /// The AWS region it lives in.
    pub aws_region: String,
}

impl AlarmNow {
    pub fn firing(&self) -> bool {
        self.state == ALARM
    }
}

/// The state CloudWatch calls firing.
pub const ALARM: &str = "ALARM";

/// One state change of an alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmTransition {
    pub alarm: String,
    pub at: Millis,
    pub from: String,
    pub to: String,
}

/// The alarms a query matches, with every state change they made since `from`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmHistory {
    pub alarms: Vec<AlarmNow>,
    /// Oldest first.
    pub transitions: Vec<AlarmTransition>,
    /// The start of the window the history covers.
    pub from: Millis,
}

impl AlarmHistory {
    /// When some matching alarm was last in ALARM within the window (`now` for one
    /// firing now), and which; `Err` names an alarm whose change inside the window the
    /// history does not explain (it cannot be proven quiet).
    pub fn last_alarm(&self, now: Millis) -> Result<Option<(Millis, &str)>, String> {
        let mut last: Option<(Millis, &str)> = None;
        for a in &self.alarms {
            if a.firing() {
                return Ok(Some((now, a.name.as_str())));
            }
        }
        for t in &self.transitions {
            if t.from == ALARM && last.is_none_or(|(at, _)| t.at >= at) {
                last = Some((t.at, t.alarm.as_str()));
            }
        }
        for a in &self.alarms {
            let changed_inside = a.since.is_some_and(|s| s > self.from);
            let explained = self.transitions.iter().any(|t| t.alarm == a.name);
            if changed_inside && !explained {
                return Err(a.name.clone());
            }
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(name: &str, state: &str, since: Millis) -> AlarmNow {
        AlarmNow {
            name: name.into(),
            state: state.into(),
            since: Some(since),
            reason: String::new(),
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

    #[test]
    fn the_last_alarm_is_now_for_one_firing_else_when_one_last_left_alarm() {
        let mut h = AlarmHistory {
            alarms: vec![alarm("a", "OK", 50), alarm("b", "OK", 10)],
            transitions: vec![
                change("a", 40, "OK", "ALARM"),
                change("a", 50, "ALARM", "OK"),
            ],
            from: 20,
        };
        assert_eq!(h.last_alarm(100), Ok(Some((50, "a"))));
        h.alarms[1] = alarm("b", "ALARM", 10);
        assert_eq!(h.last_alarm(100), Ok(Some((100, "b"))));
        // A change inside the window that the history does not explain: not provable.
        let unexplained = AlarmHistory {
            alarms: vec![alarm("c", "OK", 60)],
            transitions: Vec::new(),
            from: 20,
        };
        assert_eq!(unexplained.last_alarm(100), Err("c".to_string()));
        let quiet = AlarmHistory {
            alarms: vec![alarm("c", "OK", 5)],
            transitions: Vec::new(),
            from: 20,
        };
        assert_eq!(quiet.last_alarm(100), Ok(None));
    }
}
