//! The incident report: a pure function of the recording (facts at the start of the window
//! and the records in it), the audit log's records and the fleet's policy. It finds the
//! milestones (first sign of trouble, detection, each action, traffic moved, data promoted,
//! recovery), the durations between them, recovery time against the RTO and the lag at
//! promotion against the RPO; the charts' series come from the samples.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::facts::Facts;
use super::store::{Record, apply};
use crate::actions::{AuditOutcome, AuditRecord};
use meridian_model::fleet::Fleet;
use meridian_model::state::Millis;

/// A moment worth naming.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moment {
    pub t: Millis,
    pub what: String,
}

/// One action, from its audit records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionTaken {
    pub t: Millis,
    /// When its outcome was written.
    pub done: Option<Millis>,
    pub id: String,
    pub action: String,
    pub target: String,
    pub who: String,
    pub reason: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub summary: String,
    /// `ap-southeast-1 weight: 20 -> 0`
    pub changes: Vec<String>,
    pub command: String,
    /// Who approved it, when a second person did.
    pub approved_by: Option<String>,
    pub overrides: Vec<String>,
    /// A phase run's evidence folder.
    pub evidence: Option<String>,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub t: Millis,
    /// `sign`, `finding`, `cleared`, `health`, `lag`, `traffic`, `role`, `app`, `action`.
    pub kind: String,
    pub text: String,
}

/// Time against a budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measured {
    pub measured_ms: Option<Millis>,
    pub budget_ms: Millis,
    pub within: Option<bool>,
    pub how: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Durations {
    pub sign_to_detected_ms: Option<Millis>,
    pub detected_to_first_action_ms: Option<Millis>,
    pub first_action_to_recovered_ms: Option<Millis>,
    pub sign_to_recovered_ms: Option<Millis>,
}

/// A series per region: (time, value).
pub type Series = BTreeMap<String, Vec<(Millis, f64)>>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub fleet: String,
    pub from: Millis,
    pub to: Millis,
    pub first_sign: Option<Moment>,
    pub detected: Option<Moment>,
    /// The first action that went ahead at or after the first sign (see `build`).
    pub first_action: Option<Moment>,
    pub actions: Vec<ActionTaken>,
    pub traffic_moved: Vec<Moment>,
    pub data_promoted: Vec<Moment>,
    pub recovered: Option<Moment>,
    pub durations: Durations,
    pub rto: Measured,
    pub rpo: Measured,
    pub timeline: Vec<Entry>,
    pub share: Series,
    pub lag: Series,
    /// Where the evidence lies: the recording, the audit log, phase runs.
    pub evidence: Vec<String>,
    /// Whether anything was recorded in the window at all.
    pub recorded: bool,
}

/// Is a fact's value trouble? (health not healthy, lag over budget, app not Synced+Healthy,
/// a finding that is not housekeeping.)
fn trouble(key: &str, value: Option<&str>) -> bool {
    let Some(v) = value else { return false };
    let kind = key.split('/').next().unwrap_or_default();
    match kind {
        "health" => v == "down" || v == "degraded",
        "lag" => v == "over",
        "app" => !v.starts_with("Synced Healthy"),
        "finding" => !v.starts_with("low"),
        _ => false,
    }
}

/// A recorded finding's urgency (`critical -> drain x`), most urgent lowest.
fn rank(value: &str) -> u8 {
    match value.split(' ').next() {
        Some("critical") => 0,
        Some("high") => 1,
        Some("medium") => 2,
        _ => 3,
    }
}

/// Any finding that is not housekeeping in the facts?
fn troubled(facts: &Facts) -> bool {
    facts
        .0
        .iter()
        .any(|(k, v)| k.starts_with("finding/") && trouble(k, Some(v)))
}

fn subject(key: &str) -> &str {
    key.split_once('/').map(|(_, s)| s).unwrap_or(key)
}

/// The words of a change for the timeline.
fn words(key: &str, from: Option<&str>, to: Option<&str>, note: Option<&str>) -> (String, String) {
    let kind = key.split('/').next().unwrap_or_default();
    let s = subject(key);
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    let text = match (kind, to) {
        ("finding", Some(_)) => format!("finding raised: {}", note_or(s, note.as_str())),
        ("finding", None) => format!("finding cleared: {s}"),
        ("serving", Some(to)) => format!("{s} traffic {} -> {to}", from.unwrap_or("?")),
        ("role", Some(to)) => format!("{s} database {} -> {to}", from.unwrap_or("?")),
        (_, Some(to)) => format!("{s} {kind} {} -> {to}{note}", from.unwrap_or("?")),
        (_, None) => format!("{s} {kind}: no longer read"),
    };
    let kind = match (kind, to) {
        ("finding", None) => "cleared".to_string(),
        ("serving", _) => "traffic".to_string(),
        (k, _) => k.to_string(),
    };
    (kind, text)
}

fn note_or(subject: &str, note: &str) -> String {
    if note.is_empty() {
        subject.to_string()
    } else {
        note.trim_start_matches(" (")
            .trim_end_matches(')')
            .to_string()
    }
}

/// Whether an action with this outcome went ahead (changed, or tried to change, the fleet).
fn went_ahead(outcome: &str) -> bool {
    ![
        AuditOutcome::Declined,
        AuditOutcome::Refused,
        AuditOutcome::LockHeld,
    ]
    .iter()
    .any(|o| o.as_str() == outcome)
}

fn actions(audit: &[AuditRecord], from: Millis, to: Millis) -> Vec<ActionTaken> {
    let mut by_id: BTreeMap<&str, Vec<&AuditRecord>> = BTreeMap::new();
    for r in audit {
        by_id.entry(r.id.as_str()).or_default().push(r);
    }
    let mut out: Vec<ActionTaken> = by_id
        .into_values()
        .filter_map(|rs| {
            let first = rs.iter().min_by_key(|r| r.time_ms)?;
            if first.time_ms < from || first.time_ms > to {
                return None;
            }
            let last = rs
                .iter()
                .filter(|r| r.outcome != AuditOutcome::Started)
                .max_by_key(|r| r.time_ms);
            let fin = last.copied().unwrap_or(*first);
            let plan = &fin.plan;
            let changes = plan["changes"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| {
                            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                            format!(
                                "{} {}: {} -> {}",
                                s("subject"),
                                s("field"),
                                s("before"),
                                s("after")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let approved_by = fin.approval.as_ref().and_then(|a| {
                a["approver"]
                    .as_str()
                    .or(a["by"].as_str())
                    .map(str::to_string)
            });
            Some(ActionTaken {
                t: first.time_ms,
                done: last.map(|r| r.time_ms),
                id: fin.id.clone(),
                action: fin.action.clone(),
                target: fin.target.clone(),
                who: fin.user.clone(),
                reason: fin.reason.clone(),
                outcome: match last {
                    Some(r) => r.outcome.as_str().to_string(),
                    None => "started (no outcome recorded)".into(),
                },
                detail: fin.detail.clone(),
                summary: plan["summary"].as_str().unwrap_or_default().to_string(),
                changes,
                command: plan["cli_equivalent"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                approved_by,
                overrides: fin.overrides.clone(),
                evidence: fin.evidence.clone(),
            })
        })
        .collect();
    out.sort_by_key(|a| a.t);
    out
}

/// Build the report of `[from, to]`.
pub fn build(
    fleet: &Fleet,
    at_from: &Facts,
    records: &[Record],
    audit: &[AuditRecord],
    from: Millis,
    to: Millis,
) -> Report {
    let mut facts = at_from.clone();
    let mut timeline = Vec::new();
    let mut first_sign: Option<Moment> = None;
    let mut detected: Option<(Moment, u8)> = None;
    let mut recovered: Option<Moment> = None;
    let mut traffic_moved = Vec::new();
    let mut role_changes = Vec::new();
    let mut share: Series = BTreeMap::new();
    let mut lag: Series = BTreeMap::new();
    // Already in trouble when the window opens: that is the first sign we have.
    if troubled(at_from) {
        let what: BTreeSet<&str> = at_from
            .0
            .iter()
            .filter(|(k, v)| trouble(k, Some(v)) && k.starts_with("finding/"))
            .map(|(k, _)| subject(k))
            .collect();
        let m = Moment {
            t: from,
            what: format!(
                "already in trouble when the window opens: {}",
                what.into_iter().collect::<Vec<_>>().join(", ")
            ),
        };
        first_sign = Some(m.clone());
        detected = Some((m, 0));
    }
    for r in records {
        match r {
            Record::Sample {
                t,
                share: s,
                lag: l,
            } => {
                for (region, v) in s {
                    share.entry(region.clone()).or_default().push((*t, *v));
                }
                for (region, v) in l {
                    lag.entry(region.clone()).or_default().push((*t, *v));
                }
            }
            Record::Start { .. } => apply(&mut facts, r),
            Record::Change {
                t,
                key,
                from: before,
                to: after,
                note,
            } => {
                // A dashboard and `meridian watch` recording at once both write a change:
                // the second finds the fact already so and says nothing new.
                if facts.0.get(key) == after.as_ref() {
                    continue;
                }
                let was = troubled(&facts);
                apply(&mut facts, r);
                let (kind, text) = words(key, before.as_deref(), after.as_deref(), note.as_deref());
                // Of the troubles seen at one reading, a region's health says most.
                let better = match &first_sign {
                    None => true,
                    Some(m) => m.t == *t && kind == "health" && !m.what.contains(" health "),
                };
                if better && trouble(key, after.as_deref()) {
                    first_sign = Some(Moment {
                        t: *t,
                        what: text.clone(),
                    });
                }
                // Of the findings raised at one reading, the most urgent is the detection.
                let urgency = after.as_deref().map(rank).unwrap_or(u8::MAX);
                let better = match &detected {
                    None => true,
                    Some((m, u)) => m.t == *t && urgency < *u,
                };
                if better && key.starts_with("finding/") && trouble(key, after.as_deref()) {
                    detected = Some((
                        Moment {
                            t: *t,
                            what: text.clone(),
                        },
                        urgency,
                    ));
                }
                if kind == "traffic" {
                    traffic_moved.push(Moment {
                        t: *t,
                        what: text.clone(),
                    });
                }
                if kind == "role" && after.as_deref() == Some("primary") {
                    role_changes.push((*t, subject(key).to_string(), text.clone()));
                }
                if was && !troubled(&facts) && detected.is_some() {
                    recovered = Some(Moment {
                        t: *t,
                        what: "no finding left but housekeeping".into(),
                    });
                } else if troubled(&facts) {
                    recovered = None;
                }
                timeline.push(Entry { t: *t, kind, text });
            }
        }
    }
    let detected = detected.map(|(m, _)| m);
    let actions = actions(audit, from, to);
    for a in &actions {
        timeline.push(Entry {
            t: a.t,
            kind: "action".into(),
            text: format!(
                "{} {} by {}{}: {}",
                a.action,
                a.target,
                a.who,
                a.reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
                a.outcome
            ),
        });
    }
    timeline.sort_by_key(|e| e.t);
    // Data promoted: the database's role change, or the promote action where the
    // recording did not see the role (a fleet whose roles are not read).
    let mut data_promoted: Vec<Moment> = role_changes
        .iter()
        .map(|(t, _, text)| Moment {
            t: *t,
            what: text.clone(),
        })
        .collect();
    let promotions: Vec<&ActionTaken> = actions
        .iter()
        .filter(|a| a.action == "promote" && a.outcome == "succeeded")
        .collect();
    if data_promoted.is_empty() {
        data_promoted = promotions
            .iter()
            .map(|a| Moment {
                t: a.done.unwrap_or(a.t),
                what: format!("{} promoted to writer", a.target),
            })
            .collect();
    }
    // RPO: the promoted replica's lag in the last sample before its promotion.
    let budget_rpo = fleet.policy.rpo_budget.as_millis() as Millis;
    let promoted_lag = promotions.first().and_then(|a| {
        lag.get(&a.target)?
            .iter()
            .rev()
            .find(|(t, _)| *t <= a.t)
            .map(|(_, l)| (a.target.clone(), *l))
    });
    let rpo = match promoted_lag {
        Some((region, l)) => {
            let ms = (l * 1000.0).round() as Millis;
            Measured {
                measured_ms: Some(ms),
                budget_ms: budget_rpo,
                within: Some(ms <= budget_rpo),
                how: format!("{region} was {l:.1}s behind the writer when it was promoted"),
            }
        }
        None => Measured {
            measured_ms: None,
            budget_ms: budget_rpo,
            within: None,
            how: match promotions.first() {
                Some(a) => format!(
                    "{} was promoted but its lag was not recorded before",
                    a.target
                ),
                None => "nothing was promoted: no data at risk from a promotion".into(),
            },
        },
    };
    let sign_t = first_sign.as_ref().map(|m| m.t);
    let detected_t = detected.as_ref().map(|m| m.t);
    // The first action is the first that went ahead: a plan declined at the confirmation,
    // refused by a guard or read-only mode, or stopped by a held lock changed nothing (it
    // stays in the timeline and the actions list, as what was tried).
    // An action before the first sign of trouble (the drill's set-up, the day's routine
    // work) is not the incident's first action either.
    let first_action = actions
        .iter()
        .find(|a| went_ahead(&a.outcome) && sign_t.is_none_or(|s| a.t >= s))
        .map(|a| Moment {
            t: a.t,
            what: format!("{} {} by {}", a.action, a.target, a.who),
        });
    let first_action_t = first_action.as_ref().map(|m| m.t);
    let recovered_t = recovered.as_ref().map(|m| m.t);
    let between = |a: Option<Millis>, b: Option<Millis>| match (a, b) {
        (Some(a), Some(b)) if b >= a => Some(b - a),
        _ => None,
    };
    let budget_rto = fleet.policy.rto.as_millis() as Millis;
    let recovery = between(sign_t, recovered_t);
    let rto = Measured {
        measured_ms: recovery,
        budget_ms: budget_rto,
        within: recovery.map(|r| r <= budget_rto),
        how: match (sign_t, recovered_t) {
            (Some(_), Some(_)) => {
                "from the first sign of trouble to the last finding cleared".into()
            }
            (Some(_), None) => "not recovered within the window".into(),
            _ => "no trouble in the window".into(),
        },
    };
    let mut evidence: Vec<String> = actions.iter().filter_map(|a| a.evidence.clone()).collect();
    evidence.dedup();
    Report {
        fleet: fleet.name.clone(),
        from,
        to,
        durations: Durations {
            sign_to_detected_ms: between(sign_t, detected_t),
            detected_to_first_action_ms: between(detected_t, first_action_t),
            first_action_to_recovered_ms: between(first_action_t, recovered_t),
            sign_to_recovered_ms: recovery,
        },
        first_sign,
        detected,
        first_action,
        actions,
        traffic_moved,
        data_promoted,
        recovered,
        rto,
        rpo,
        timeline,
        share,
        lag,
        evidence,
        recorded: !records.is_empty() || !at_from.0.is_empty(),
    }
}
