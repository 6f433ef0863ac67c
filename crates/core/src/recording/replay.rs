//! A fleet state rebuilt from the recording at a moment, for `meridian replay`: health,
//! role, weights, lag (from the last sample) and apps as recorded; the findings recorded
//! as standing then, with the titles they were raised with. What the recording does not
//! keep (phases, probe latency, app history) is left unknown.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::facts::Facts;
use super::store::{Record, apply};
use crate::actions::findings::{Finding, Kind, Suggestion, Urgency};
use meridian_model::fleet::Fleet;
use meridian_model::state::{AppState, FleetState, Health, HealthStatus, Millis, Observed};
use meridian_model::traffic::Weight;

fn word<T: DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// The recording of a window, with a cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tape {
    pub at_from: Facts,
    pub records: Vec<Record>,
    pub from: Millis,
    pub to: Millis,
}

impl Tape {
    /// The moments something changed (for `[` and `]`), in order.
    pub fn changes(&self) -> Vec<Millis> {
        let mut v: Vec<Millis> = self
            .records
            .iter()
            .filter(|r| matches!(r, Record::Change { .. }))
            .map(Record::t)
            .collect();
        v.dedup();
        v
    }

    /// The facts at `t`, and when each standing finding was raised (with its title).
    fn facts_at(&self, t: Millis) -> (Facts, BTreeMap<String, (Millis, String)>) {
        let mut facts = self.at_from.clone();
        let mut raised = BTreeMap::new();
        for r in self.records.iter().take_while(|r| r.t() <= t) {
            apply(&mut facts, r);
            if let Record::Change {
                t,
                key,
                to: Some(_),
                note,
                ..
            } = r
                && let Some(id) = key.strip_prefix("finding/")
            {
                raised
                    .entry(id.to_string())
                    .or_insert((*t, note.clone().unwrap_or_else(|| id.to_string())));
            }
            if let Record::Change { key, to: None, .. } = r
                && let Some(id) = key.strip_prefix("finding/")
            {
                raised.remove(id);
            }
        }
        (facts, raised)
    }

    /// The fleet as recorded at `t`.
    pub fn state_at(&self, fleet: &Fleet, t: Millis) -> FleetState {
        let (facts, _) = self.facts_at(t);
        let mut state = FleetState::skeleton(fleet, t);
        let lag: BTreeMap<&str, f64> = self
            .records
            .iter()
            .take_while(|r| r.t() <= t)
            .filter_map(|r| match r {
                Record::Sample { lag, .. } => Some(lag),
                _ => None,
            })
            .last()
            .map(|l| l.iter().map(|(k, v)| (k.as_str(), *v)).collect())
            .unwrap_or_default();
        let get = |k: String| facts.0.get(&k).map(String::as_str);
        for r in &mut state.regions {
            let id = r.id.clone();
            if let Some(h) = get(format!("health/{id}")).and_then(word::<HealthStatus>) {
                r.health = Observed::ok(
                    Health {
                        status: h,
                        reason: "as recorded".into(),
                        latency_ms: None,
                        healthy_since: None,
                        unhealthy_since: None,
                    },
                    t,
                );
            }
            if let Some(role) = get(format!("role/{id}")).and_then(word) {
                r.role = Observed::ok(role, t);
            }
            if let Some(w) = get(format!("weight/{id}")) {
                let (units, drained) = match w.split_once(' ') {
                    Some((u, _)) => (u, true),
                    None => (w, false),
                };
                if let Ok(units) = units.parse() {
                    let weight = if drained {
                        Weight::drained(units)
                    } else {
                        Weight::units(units)
                    };
                    r.weight = Observed::ok(weight, t);
                }
            }
            match get(format!("lag/{id}")) {
                Some("unknown") => {
                    r.lag = Observed {
                        value: None,
                        at: Some(t),
                        error: Some("not read (as recorded)".into()),
                    }
                }
                Some(_) => {
                    r.lag = Observed {
                        value: lag.get(id.as_str()).copied(),
                        at: Some(t),
                        error: None,
                    }
                }
                None => {}
            }
        }
        for (ti, tenant) in fleet.tenants.iter().enumerate() {
            let Some(ts) = state.tenants.get_mut(ti) else {
                continue;
            };
            for (region, cell) in ts.apps.iter_mut() {
                let Some(v) = facts.0.get(&format!("app/{}/{region}", tenant.id)) else {
                    continue;
                };
                let mut parts = v.split(' ');
                let (Some(sync), Some(health)) = (parts.next(), parts.next()) else {
                    continue;
                };
                let app = AppState {
                    sync: word(sync).unwrap_or_default(),
                    health: word(health).unwrap_or_default(),
                    revision: parts.next().unwrap_or_default().into(),
                    ..AppState::default()
                };
                *cell = Observed::ok(app, t);
            }
        }
        state
    }

    /// The findings standing at `t` as they were recorded (read-only: no suggestion).
    pub fn findings_at(&self, t: Millis) -> Vec<Finding> {
        let (facts, raised) = self.facts_at(t);
        let mut out: Vec<Finding> = facts
            .0
            .iter()
            .filter_map(|(k, v)| {
                let id = k.strip_prefix("finding/")?;
                let kind: Kind = word(id.split('/').next()?)?;
                let (urgency, action) = v.split_once(" -> ")?;
                let urgency: Urgency = word(urgency)?;
                let (since, title) = raised
                    .get(id)
                    .cloned()
                    .unwrap_or((self.from, id.to_string()));
                Some(Finding {
                    id: id.to_string(),
                    kind,
                    urgency,
                    title: title.clone(),
                    what: title,
                    since_ms: Some(since),
                    why: format!("recorded; the suggestion then was: {action}"),
                    regions: Vec::new(),
                    suggestion: Suggestion::None {
                        why: format!("{action} (suggested then)"),
                    },
                    command: None,
                    share: 0.0,
                })
            })
            .collect();
        out.sort_by(|a, b| a.urgency.cmp(&b.urgency).then(a.since_ms.cmp(&b.since_ms)));
        out
    }
}
