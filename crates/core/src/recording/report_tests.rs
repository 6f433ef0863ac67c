//! The report's sections from a recorded drill: a region goes down, a finding is raised,
//! it is drained (audited), the finding clears; and a promotion measured against the RPO.

use super::facts::Facts;
use super::render;
use super::report::build;
use super::store::{Limits, Record, Recorder, load};
use crate::actions::findings::{self, Records};
use crate::actions::testkit::*;
use crate::actions::{AuditOutcome, AuditRecord};
use meridian_model::state::{HealthStatus, Millis};

const S: Millis = 1_000;

fn audit(id: &str, t: Millis, action: &str, target: &str, outcome: AuditOutcome) -> AuditRecord {
    AuditRecord {
        id: id.into(),
        time: String::new(),
        time_ms: t,
        user: "alice@a".into(),
        fleet: "demo".into(),
        action: action.into(),
        target: target.into(),
        reason: Some("INC-9".into()),
        overrides: Vec::new(),
        outcome,
        detail: None,
        plan: serde_json::json!({
            "summary": format!("{action} {target}"),
            "changes": [{"subject": target, "field": "weight", "before": "20", "after": "0"}],
            "cli_equivalent": format!("meridian {action} {target} --reason INC-9"),
        }),
        before: None,
        after: None,
        pid: None,
        evidence: None,
        rollout: None,
        approval: (action == "promote").then(|| serde_json::json!({"approver": "bob@b"})),
        recovery: None,
        identity: None,
        practice: false,
    }
}

/// Recorded: healthy at NOW, ap-southeast-1 down at +10 s (finding raised), drained at
/// +40 s (the finding clears), healthy again at +100 s.
fn drill() -> (meridian_model::fleet::Fleet, Facts, Vec<Record>) {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let healthy = state(&f);
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", Limits::default());
    let mut observe = |s: &meridian_model::state::FleetState, t: Millis| {
        // Judged as of the readings' own time (the test's states are read at NOW), so
        // nothing in them is stale.
        let found = findings::assess(&f, s, Records::default(), NOW).findings;
        rec.observe(&f, s, &found, t).unwrap();
    };
    observe(&healthy, NOW);
    let mut down = healthy.clone();
    set_health(&mut down, "ap-southeast-1", HealthStatus::Down);
    if let Some(h) = down
        .region_mut("ap-southeast-1")
        .and_then(|r| r.health.value.as_mut())
    {
        h.unhealthy_since = Some(NOW - 60 * S);
        h.reason = "0/3 probes ok".into();
    }
    observe(&down, NOW + 10 * S);
    let mut drained = down.clone();
    set_weight(&mut drained, "ap-southeast-1", 0);
    observe(&drained, NOW + 40 * S);
    let mut healed = healthy.clone();
    set_weight(&mut healed, "ap-southeast-1", 0);
    observe(&healed, NOW + 100 * S);
    let (at, records) = load(tmp.path(), NOW, NOW + 200 * S);
    (f, at, records)
}

#[test]
fn a_drill_has_its_milestones_durations_and_rto() {
    let (f, at, records) = drill();
    let audit = [
        audit(
            "1",
            NOW + 30 * S,
            "drain",
            "ap-southeast-1",
            AuditOutcome::Started,
        ),
        audit(
            "1",
            NOW + 38 * S,
            "drain",
            "ap-southeast-1",
            AuditOutcome::Succeeded,
        ),
    ];
    let r = build(&f, &at, &records, &audit, NOW, NOW + 200 * S);
    let sign = r.first_sign.as_ref().unwrap();
    assert_eq!(sign.t, NOW + 10 * S);
    assert!(
        sign.what.contains("ap-southeast-1 health healthy -> down"),
        "{}",
        sign.what
    );
    let detected = r.detected.as_ref().unwrap();
    assert_eq!(detected.t, NOW + 10 * S);
    assert!(
        detected
            .what
            .contains("finding raised: ap-southeast-1 down"),
        "{}",
        detected.what
    );
    assert_eq!(r.actions.len(), 1);
    let a = &r.actions[0];
    assert_eq!((a.t, a.done), (NOW + 30 * S, Some(NOW + 38 * S)));
    assert_eq!(a.outcome, "succeeded");
    assert_eq!(a.who, "alice@a");
    assert_eq!(
        a.changes,
        vec!["ap-southeast-1 weight: 20 -> 0".to_string()]
    );
    assert_eq!(a.command, "meridian drain ap-southeast-1 --reason INC-9");
    assert!(
        r.traffic_moved
            .iter()
            .any(|m| m.t == NOW + 40 * S && m.what == "ap-southeast-1 traffic 20% -> drained"),
        "{:?}",
        r.traffic_moved
    );
    assert_eq!(
        r.recovered.as_ref().map(|m| m.t),
        Some(NOW + 40 * S),
        "{:#?}",
        r.timeline
    );
    assert_eq!(r.durations.sign_to_detected_ms, Some(0));
    assert_eq!(r.durations.detected_to_first_action_ms, Some(20 * S));
    assert_eq!(r.durations.first_action_to_recovered_ms, Some(10 * S));
    assert_eq!(r.rto.measured_ms, Some(30 * S));
    assert_eq!(r.rto.within, Some(true));
    assert_eq!(r.rpo.within, None, "nothing promoted");
    assert!(r.data_promoted.is_empty());
    // The charts' series: the drained region's share falls to 0 at the drain.
    let share = &r.share["ap-southeast-1"];
    assert_eq!(share.first(), Some(&(NOW, 0.2)));
    assert_eq!(share.last().map(|p| p.1), Some(0.0));
    // The timeline is in time order and names the action.
    assert!(r.timeline.windows(2).all(|w| w[0].t <= w[1].t));
    assert!(r.timeline.iter().any(|e| {
        e.kind == "action"
            && e.text
                .contains("drain ap-southeast-1 by alice@a (INC-9): succeeded")
    }));
}

#[test]
fn a_promotion_is_measured_against_the_rpo_by_the_lag_recorded_before_it() {
    let (f, at, mut records) = drill();
    let mut lag = std::collections::BTreeMap::new();
    lag.insert("eu-west-1".to_string(), 75.0);
    records.push(Record::Sample {
        t: NOW + 50 * S,
        share: Default::default(),
        lag,
    });
    records.sort_by_key(Record::t);
    let audit = [
        audit(
            "2",
            NOW + 60 * S,
            "promote",
            "eu-west-1",
            AuditOutcome::Started,
        ),
        audit(
            "2",
            NOW + 70 * S,
            "promote",
            "eu-west-1",
            AuditOutcome::Succeeded,
        ),
    ];
    let r = build(&f, &at, &records, &audit, NOW, NOW + 200 * S);
    assert_eq!(r.rpo.measured_ms, Some(75 * S));
    assert_eq!(r.rpo.within, Some(false), "75 s over a 60 s budget");
    assert_eq!(r.actions[0].approved_by.as_deref(), Some("bob@b"));
    assert_eq!(
        r.data_promoted.iter().map(|m| m.t).collect::<Vec<_>>(),
        vec![NOW + 70 * S]
    );
}

#[test]
fn markdown_and_html_carry_every_section_and_html_stands_alone() {
    let (f, at, records) = drill();
    let audit = [audit(
        "1",
        NOW + 30 * S,
        "drain",
        "ap-southeast-1",
        AuditOutcome::Succeeded,
    )];
    let r = build(&f, &at, &records, &audit, NOW, NOW + 200 * S);
    let md = render::markdown(&r);
    for section in [
        "# Incident report: fleet demo",
        "## Summary",
        "| First sign of trouble |",
        "| Detected (first finding) |",
        "| Recovered |",
        "| Recovery time (RTO) | 30s against 5m (within)",
        "## Actions",
        "## Traffic moved",
        "## Data promoted",
        "## Timeline",
        "## Evidence",
    ] {
        assert!(md.contains(section), "{section} missing:\n{md}");
    }
    let html = render::html(&r, 60.0);
    assert!(html.starts_with("<!doctype html>"));
    assert_eq!(html.matches("<svg").count(), 2, "traffic and lag charts");
    assert!(html.contains("<polyline"), "the series are drawn");
    assert!(
        !html.contains("<script") && !html.contains("src=\"http"),
        "self-contained"
    );
    // JSON for tools: the same fields.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["rto"]["within"], true);
    assert!(json["timeline"].as_array().is_some_and(|t| !t.is_empty()));
}

#[test]
fn a_window_with_nothing_recorded_says_so() {
    let f = fleet();
    let r = build(&f, &Facts::default(), &[], &[], NOW, NOW + S);
    assert!(!r.recorded);
    assert!(r.first_sign.is_none() && r.recovered.is_none());
    assert!(render::markdown(&r).contains("Nothing was recorded"));
}

#[test]
fn two_recorders_at_once_make_one_timeline() {
    let (f, at, records) = drill();
    let mut twice: Vec<Record> = records
        .iter()
        .cloned()
        .chain(records.iter().filter_map(|r| match r {
            Record::Change { .. } => {
                let mut r = r.clone();
                if let Record::Change { t, .. } = &mut r {
                    *t += 300;
                }
                Some(r)
            }
            _ => None,
        }))
        .collect();
    twice.sort_by_key(Record::t);
    let once = build(&f, &at, &records, &[], NOW, NOW + 200 * S);
    let both = build(&f, &at, &twice, &[], NOW, NOW + 200 * S);
    assert_eq!(once.timeline, both.timeline);
    assert_eq!(once.recovered, both.recovered);
}

#[test]
fn of_findings_raised_together_the_most_urgent_is_the_detection() {
    let f = fleet();
    let change = |key: &str, to: &str, note: &str| Record::Change {
        t: NOW + 5 * S,
        key: key.into(),
        from: None,
        to: Some(to.into()),
        note: Some(note.into()),
    };
    let records = [
        change(
            "finding/lag-over-budget/eu-west-1",
            "high -> drain eu-west-1",
            "eu-west-1 99s behind",
        ),
        change(
            "finding/region-down/ap-southeast-1",
            "critical -> drain ap-southeast-1",
            "ap-southeast-1 down 1s",
        ),
    ];
    let r = build(&f, &Facts::default(), &records, &[], NOW, NOW + 10 * S);
    assert_eq!(
        r.detected.map(|m| m.what),
        Some("finding raised: ap-southeast-1 down 1s".to_string())
    );
}

/// A plan shown and refused at the confirmation is not the first action: the drain that
/// went ahead later is. The declined one stays in the actions and the timeline.
#[test]
fn a_declined_plan_is_not_the_first_action() {
    let (f, at, records) = drill();
    let audit = [
        audit(
            "0",
            NOW + 15 * S,
            "drain",
            "ap-southeast-1",
            AuditOutcome::Declined,
        ),
        audit(
            "2",
            NOW + 20 * S,
            "drain",
            "ap-southeast-1",
            AuditOutcome::Refused,
        ),
        audit(
            "1",
            NOW + 30 * S,
            "drain",
            "ap-southeast-1",
            AuditOutcome::Started,
        ),
        audit(
            "1",
            NOW + 38 * S,
            "drain",
            "ap-southeast-1",
            AuditOutcome::Succeeded,
        ),
    ];
    let r = build(&f, &at, &records, &audit, NOW, NOW + 200 * S);
    assert_eq!(r.actions.len(), 3);
    assert_eq!(
        r.first_action.as_ref().map(|m| m.t),
        Some(NOW + 30 * S),
        "{:?}",
        r.first_action
    );
    assert_eq!(r.actions[0].outcome, "declined");
    assert_eq!(r.durations.detected_to_first_action_ms, Some(20 * S));
    assert_eq!(r.durations.first_action_to_recovered_ms, Some(10 * S));
    assert!(
        r.timeline
            .iter()
            .any(|e| e.kind == "action" && e.text.ends_with(": declined"))
    );
    // A sync before the first sign of trouble (at +10 s) is not the incident's first action.
    let mut earlier = audit.to_vec();
    earlier.push(self::audit(
        "9",
        NOW + 5 * S,
        "sync",
        "checkout",
        AuditOutcome::Succeeded,
    ));
    let r = build(&f, &at, &records, &earlier, NOW, NOW + 200 * S);
    assert_eq!(r.durations.detected_to_first_action_ms, Some(20 * S));
    // Only declined: no first action at all.
    let r = build(&f, &at, &records, &audit[..1], NOW, NOW + 200 * S);
    assert_eq!(r.durations.detected_to_first_action_ms, None);
}
