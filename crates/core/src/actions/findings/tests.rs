//! Each finding, case by case, on the demo fleet bent into the situation; the ranking of a
//! drill (a region down, a replica lagging, an app degraded); and every suggestion of every
//! case run through the planner.

use super::*;
use crate::actions::action::{RolloutRef, Via};
use crate::actions::plan::Verdict;
use crate::actions::rollout::{RolloutStatus, StepEntry, StepState};
use crate::actions::temporary::{self, Intent};
use crate::actions::testkit::*;
use meridian_model::fleet::Role;
use meridian_model::fleet::rollout::{GateSpec, RolloutStep};
use meridian_model::state::replication::{BROKEN, FENCED, SUPERSEDED};
use meridian_model::state::*;
use meridian_providers::lock::LockHolder;

const MIN: Millis = 60_000;

fn run(f: &Fleet, s: &FleetState, records: Records) -> Vec<Finding> {
    assess(f, s, records, NOW).findings
}

fn findings(f: &Fleet, s: &FleetState) -> Vec<Finding> {
    run(f, s, Records::default())
}

fn down_since(s: &mut FleetState, region: &str, since: Millis) {
    set_health(s, region, HealthStatus::Down);
    if let Some(h) = s.region_mut(region).and_then(|r| r.health.value.as_mut()) {
        h.unhealthy_since = Some(since);
        h.reason = "0/3 probes ok".into();
    }
}

fn suggested(f: &Finding) -> Option<&Action> {
    f.suggestion.request().map(|r| &r.action)
}

fn one(findings: &[Finding], kind: Kind) -> &Finding {
    let of: Vec<&Finding> = findings.iter().filter(|f| f.kind == kind).collect();
    assert_eq!(of.len(), 1, "one {kind:?} in {findings:#?}");
    of[0]
}

fn app_mut<'a>(s: &'a mut FleetState, tenant: &str, region: &str) -> &'a mut AppState {
    s.tenants
        .iter_mut()
        .find(|t| t.id == tenant)
        .and_then(|t| t.apps.iter_mut().find(|(r, _)| **r == *region))
        .and_then(|(_, a)| a.value.as_mut())
        .expect("the app")
}

/// Conditions first seen `ago` before NOW.
fn seen_since(s: &FleetState, f: &Fleet, ago: Millis) -> Seen {
    let mut seen = Seen::default();
    let holding = assess(f, s, Records::default(), NOW - ago).holding;
    // Seen every minute since (a longer gap would restart the count).
    let mut t = NOW - ago;
    while t < NOW {
        seen.update(&holding, t);
        t += MIN;
    }
    seen.update(&holding, NOW);
    seen
}

#[test]
fn a_healthy_fleet_has_no_findings() {
    let f = fleet();
    let s = state(&f);
    let a = assess(&f, &s, Records::default(), NOW);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert!(a.holding.is_empty(), "{:?}", a.holding);
}

#[test]
fn a_down_region_still_serving_is_drained_and_says_since_when_and_how_much() {
    let f = fleet();
    let mut s = state(&f);
    down_since(&mut s, "ap-southeast-1", NOW - 4 * MIN);
    let all = findings(&f, &s);
    let top = &all[0];
    assert_eq!(top.kind, Kind::RegionDown);
    assert_eq!(top.urgency, Urgency::Critical);
    assert_eq!(top.title, "ap-southeast-1 down 4m, still 20% of traffic");
    assert_eq!(top.since_ms, Some(NOW - 4 * MIN));
    assert_eq!(
        suggested(top),
        Some(&Action::Drain {
            region: "ap-southeast-1".into()
        })
    );
    assert_eq!(
        top.command.as_deref(),
        Some("meridian drain ap-southeast-1")
    );
    assert!(
        matches!(
            top.suggestion,
            Suggestion::Plan {
                reason_required: true,
                ..
            }
        ),
        "production tenants run there"
    );
    assert_eq!(
        top.line(),
        "ap-southeast-1 down 4m, still 20% of traffic -> drain ap-southeast-1"
    );
    // Drained, it is no finding of this kind any more.
    set_weight(&mut s, "ap-southeast-1", 0);
    assert!(findings(&f, &s).iter().all(|f| f.kind != Kind::RegionDown));
}

#[test]
fn a_degraded_region_is_a_finding_once_it_stays_degraded() {
    let f = fleet();
    let mut s = state(&f);
    set_health(&mut s, "eu-west-1", HealthStatus::Degraded);
    let h = s
        .region_mut("eu-west-1")
        .and_then(|r| r.health.value.as_mut())
        .unwrap();
    h.unhealthy_since = Some(NOW - 5_000);
    assert!(findings(&f, &s).is_empty(), "a blip is not an incident");
    let h = s
        .region_mut("eu-west-1")
        .and_then(|r| r.health.value.as_mut())
        .unwrap();
    h.unhealthy_since = Some(NOW - 2 * MIN);
    let all = findings(&f, &s);
    let d = one(&all, Kind::RegionDegraded);
    assert_eq!(d.urgency, Urgency::High);
    assert!(matches!(suggested(d), Some(Action::Drain { region }) if region == "eu-west-1"));
}

#[test]
fn a_region_down_under_latency_routing_is_judged_by_rotation_not_weight() {
    let f = fleet();
    let mut s = state(&f);
    for r in &mut s.regions {
        r.weight = Observed::ok(
            Weight::steered(meridian_model::traffic::Steering::Latency, 0),
            NOW,
        );
    }
    down_since(&mut s, "eu-west-1", NOW - MIN);
    let all = findings(&f, &s);
    let d = one(&all, Kind::RegionDown);
    assert!(
        d.title.contains("latency routing, in rotation"),
        "{}",
        d.title
    );
    assert!(matches!(suggested(d), Some(Action::Drain { .. })), "{d:#?}");
    // Out of rotation it serves nothing.
    s.region_mut("eu-west-1").unwrap().weight.value =
        Some(Weight::steered(meridian_model::traffic::Steering::Latency, 0).with_drained(true));
    assert!(findings(&f, &s).iter().all(|f| f.kind != Kind::RegionDown));
}

#[test]
fn a_writer_that_is_gone_names_the_replica_with_the_least_lag_within_the_rpo() {
    let f = fleet();
    let mut s = state(&f);
    down_since(&mut s, "us-east-1", NOW - 2 * MIN);
    s.region_mut("us-east-1").unwrap().role = Observed::failed(
        Some(&Observed::ok(Role::Primary, NOW - 2 * MIN)),
        "us-east-1: sim read role: connection timed out",
    );
    set_lag(&mut s, "eu-west-1", Some(3.5), None);
    set_lag(&mut s, "ap-southeast-1", Some(1.2), None);
    let all = findings(&f, &s);
    let top = &all[0];
    assert_eq!(top.kind, Kind::WriterDown, "{all:#?}");
    assert!(
        matches!(suggested(top), Some(Action::Promote { region }) if region == "ap-southeast-1"),
        "{top:#?}"
    );
    assert!(
        top.title.contains("ap-southeast-1 is 1.2s behind"),
        "{}",
        top.title
    );
    // Its region also still serves: drain it too (ranked after the writer).
    assert!(matches!(
        suggested(one(&all, Kind::RegionDown)),
        Some(Action::Drain { .. })
    ));
    // The failed role reads are this finding's, not stale data.
    assert!(all.iter().all(|f| f.kind != Kind::StaleData), "{all:#?}");

    // No replica within the budget: nothing safe, and the finding says what it would cost.
    set_lag(&mut s, "eu-west-1", Some(90.0), None);
    set_lag(
        &mut s,
        "ap-southeast-1",
        None,
        Some("not streaming from a primary"),
    );
    // A replica still being stood up is named, with what it lacks.
    let all = findings(&f, &s);
    let w = one(&all, Kind::WriterDown);
    assert!(
        matches!(suggested(w), Some(Action::Promote { region }) if region == "ap-south-1"),
        "{w:#?}"
    );
    assert!(w.title.contains("(4/7 phases done)"), "{}", w.title);
    set_lag(
        &mut s,
        "ap-south-1",
        None,
        Some("not streaming from a primary"),
    );
    let all = findings(&f, &s);
    let w = one(&all, Kind::WriterDown);
    match &w.suggestion {
        Suggestion::None { why } => {
            assert!(
                why.contains("no healthy replica is within the RPO budget"),
                "{why}"
            );
            assert!(why.contains("eu-west-1 lag 90.0s"), "{why}");
            assert!(why.contains("--accept-data-loss"), "{why}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_writer_whose_role_cannot_be_read_for_lack_of_credentials_is_stale_data_not_gone() {
    let f = fleet();
    let mut s = state(&f);
    s.region_mut("us-east-1").unwrap().role = Observed::failed(
        Some(&Observed::ok(Role::Primary, NOW - MIN)),
        "us-east-1: postgres pg_is_in_recovery: password authentication failed for user \"meridian\"",
    );
    let all = findings(&f, &s);
    assert!(all.iter().all(|f| f.kind != Kind::WriterDown), "{all:#?}");
    let stale = one(&all, Kind::StaleData);
    match &stale.suggestion {
        Suggestion::None { why } => assert!(why.contains("check credentials"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_fenced_former_writer_is_drained_while_it_serves_and_rejoined_after() {
    let f = fleet();
    let mut s = state(&f);
    // eu-west-1 was promoted; us-east-1 is fenced and still has its weight.
    s.region_mut("eu-west-1").unwrap().role = Observed::ok(Role::Primary, NOW);
    set_lag(&mut s, "eu-west-1", None, None);
    s.region_mut("us-east-1").unwrap().role = Observed::ok(Role::Secondary, NOW);
    let fenced = format!("us-east-1: postgres replication lag: {FENCED}: read-only");
    set_lag(&mut s, "us-east-1", None, Some(&fenced));
    let all = findings(&f, &s);
    let top = &all[0];
    assert_eq!(top.kind, Kind::FencedServing);
    assert!(
        top.title.contains("still serving 50% of traffic"),
        "{}",
        top.title
    );
    assert!(matches!(suggested(top), Some(Action::Drain { region }) if region == "us-east-1"));
    set_weight(&mut s, "us-east-1", 0);
    let all = findings(&f, &s);
    let r = one(&all, Kind::FencedWriter);
    assert!(matches!(suggested(r), Some(Action::Rejoin { region }) if region == "us-east-1"));
    assert!(
        all.iter().all(|f| f.kind != Kind::StaleData),
        "a link is not stale data"
    );
}

#[test]
fn a_replica_following_the_wrong_writer_is_rejoined_and_a_second_writer_is_not_touched() {
    let f = fleet();
    let mut s = state(&f);
    let broken = format!("ap-southeast-1: postgres replication lag: {BROKEN}: follows eu-west-1");
    set_lag(&mut s, "ap-southeast-1", None, Some(&broken));
    let all = findings(&f, &s);
    let b = one(&all, Kind::ReplicationBroken);
    assert!(matches!(suggested(b), Some(Action::Rejoin { region }) if region == "ap-southeast-1"));

    let split = format!(
        "eu-west-1: postgres replication lag: {SUPERSEDED}: still takes writes — writes here are lost to the fleet: fence it now (ALTER SYSTEM ...)"
    );
    set_lag(&mut s, "eu-west-1", None, Some(&split));
    let all = findings(&f, &s);
    let sb = one(&all, Kind::SplitBrain);
    assert_eq!(all[0].kind, Kind::SplitBrain);
    match &sb.suggestion {
        Suggestion::None { why } => assert!(why.contains("fence it"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_replica_over_the_rpo_budget_is_drained_while_it_serves() {
    let f = fleet();
    let mut s = state(&f);
    set_lag(&mut s, "eu-west-1", Some(75.0), None);
    let all = findings(&f, &s);
    let l = one(&all, Kind::LagOverBudget);
    assert!(
        l.title.contains("75s behind the writer (RPO 60s)"),
        "{}",
        l.title
    );
    assert!(matches!(suggested(l), Some(Action::Drain { region }) if region == "eu-west-1"));
    set_lag(&mut s, "ap-south-1", Some(75.0), None);
    let all = findings(&f, &s);
    let idle = all
        .iter()
        .find(|f| f.kind == Kind::LagOverBudget && f.regions == ["ap-south-1"])
        .expect("ap-south-1 lags too");
    match &idle.suggestion {
        Suggestion::None { why } => assert!(why.contains("meridian wait lag ap-south-1"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_region_healthy_past_the_health_gate_but_drained_is_restored() {
    let f = fleet();
    let mut s = state(&f);
    set_weight(&mut s, "eu-west-1", 0);
    let all = findings(&f, &s);
    let d = one(&all, Kind::DrainedHealthy);
    assert_eq!(d.urgency, Urgency::Low);
    assert!(matches!(suggested(d), Some(Action::Restore { regions }) if regions == &["eu-west-1"]));
    // Healthy for less than the gate: not yet.
    s.region_mut("eu-west-1")
        .and_then(|r| r.health.value.as_mut())
        .unwrap()
        .healthy_since = Some(NOW - MIN);
    assert!(findings(&f, &s).is_empty());
    // A region whose steady weight is 0 (being stood up) is where it belongs.
    assert!(state(&f).region("ap-south-1").unwrap().weight.value == Some(Weight::units(0)));
}

#[test]
fn expired_temporary_weights_and_drift_go_back_to_steady() {
    let f = fleet();
    let mut s = state(&f);
    set_weight(&mut s, "us-east-1", 90);
    set_weight(&mut s, "eu-west-1", 10);
    let now_weights = temporary::current(&f, &s).unwrap();
    let expired = Standing::Temporary {
        expired: true,
        intent: Intent {
            weights: now_weights.clone(),
            set_by: "alice@laptop".into(),
            set_at_ms: NOW - 3 * 3_600_000,
            reason: Some("CHG-1".into()),
            until_ms: Some(NOW - 3_600_000),
        },
    };
    let records = Records {
        weights: Some(&expired),
        ..Records::default()
    };
    let all = run(&f, &s, records);
    let e = one(&all, Kind::WeightsExpired);
    assert_eq!(e.since_ms, Some(NOW - 3_600_000));
    assert!(matches!(suggested(e), Some(Action::Restore { regions }) if regions.is_empty()));
    assert_eq!(e.command.as_deref(), Some("meridian restore"));

    // Drift with a region off steady that is down: restore only the healthy ones.
    let drift = Standing::Drift {
        since_ms: NOW - 10 * MIN,
    };
    set_weight(&mut s, "ap-southeast-1", 40);
    set_weight(&mut s, "us-east-1", 30);
    down_since(&mut s, "us-east-1", NOW - MIN);
    let all = run(
        &f,
        &s,
        Records {
            weights: Some(&drift),
            ..Records::default()
        },
    );
    let d = one(&all, Kind::WeightsDrift);
    assert!(
        matches!(suggested(d), Some(Action::Restore { regions }) if regions == &["eu-west-1", "ap-southeast-1"]),
        "{d:#?}"
    );
}

#[test]
fn an_app_degraded_for_long_is_rolled_back_and_a_brief_one_is_not_a_finding() {
    let f = fleet();
    let mut s = state(&f);
    let app = app_mut(&mut s, "payments-prd", "ap-southeast-1");
    app.health = AppHealth::Degraded;
    app.message = Some("Deployment/web: CrashLoopBackOff".into());
    assert!(findings(&f, &s).is_empty(), "not yet long");
    let seen = seen_since(&s, &f, 6 * MIN);
    let all = run(
        &f,
        &s,
        Records {
            seen: Some(&seen),
            ..Records::default()
        },
    );
    let d = one(&all, Kind::AppDegraded);
    assert_eq!(d.urgency, Urgency::High, "production");
    assert!(
        d.title
            .starts_with("payments-prd in ap-southeast-1 Degraded 6m"),
        "{}",
        d.title
    );
    assert!(
        matches!(suggested(d), Some(Action::Rollback { tenant, region, to: None, .. }) if tenant == "payments-prd" && region == "ap-southeast-1"),
        "{d:#?}"
    );
}

#[test]
fn an_app_out_of_sync_for_long_is_synced_and_paused_auto_sync_is_resumed() {
    let f = fleet();
    let mut s = state(&f);
    let head = app_mut(&mut s, "search-stg", "eu-west-1").history[4]
        .revision
        .clone();
    {
        let app = app_mut(&mut s, "search-stg", "eu-west-1");
        app.sync = SyncStatus::OutOfSync;
        app.auto_sync = false;
        app.head = Some(head.as_str().into());
        app.revision = app.history[3].revision.as_str().into();
    }
    let seen = seen_since(&s, &f, 11 * MIN);
    let records = Records {
        seen: Some(&seen),
        ..Records::default()
    };
    let all = run(&f, &s, records);
    let o = one(&all, Kind::AppOutOfSync);
    assert_eq!(o.urgency, Urgency::Low, "staging");
    assert!(
        matches!(suggested(o), Some(Action::Sync { revision: None, .. })),
        "{o:#?}"
    );

    // A rollback paused auto-sync 40 minutes ago: resume (not sync over the rollback).
    let at = rfc3339(NOW - 40 * MIN);
    app_mut(&mut s, "search-stg", "eu-west-1").detail.paused = Some(Box::new(PausedAutoSync {
        automated: serde_json::json!({"prune": true}),
        by: "bob@host".into(),
        at,
        reason: Some("INC-9".into()),
    }));
    let all = run(&f, &s, records);
    assert!(all.iter().all(|f| f.kind != Kind::AppOutOfSync), "{all:#?}");
    let p = one(&all, Kind::AutoSyncPaused);
    assert_eq!(p.since_ms, Some(NOW - 40 * MIN));
    assert!(
        matches!(suggested(p), Some(Action::ResumeAutoSync { .. })),
        "{p:#?}"
    );
}

#[test]
fn a_rollout_waiting_for_a_second_person_and_a_plan_waiting_for_approval_name_the_command() {
    let f = fleet();
    let s = state(&f);
    let rollout = release_at_approval(
        ("release-1", "CHG-7", NOW - 20 * MIN),
        true,
        StepState::Waiting {
            since: NOW - 12 * MIN,
        },
    );
    let request = ApprovalRequest {
        hash: "3f2a1c9b".repeat(8),
        action: "drain".into(),
        target: "eu-west-1".into(),
        summary: "Drain eu-west-1".into(),
        changes: Vec::new(),
        command: "meridian drain eu-west-1".into(),
        requester: "carol@b".into(),
        requested_at_ms: NOW - 3 * MIN,
        expires_at_ms: NOW + 10 * MIN,
        production: false,
    };
    let requests = [request];
    let all = run(
        &f,
        &s,
        Records {
            rollout: Some(&rollout),
            approvals: &requests,
            ..Records::default()
        },
    );
    let r = one(&all, Kind::RolloutWaiting);
    assert!(
        r.title.contains("waits for a second person (not alice@a)"),
        "{}",
        r.title
    );
    assert_eq!(r.command.as_deref(), Some("meridian rollout approve"));
    assert!(matches!(r.suggestion, Suggestion::None { .. }));
    let a = one(&all, Kind::ApprovalWaiting);
    assert_eq!(
        a.command.as_deref(),
        Some(
            format!(
                "meridian approve {}",
                crate::actions::approvals::short(&"3f2a1c9b".repeat(8))
            )
            .as_str()
        )
    );
    assert_eq!(a.urgency, Urgency::Medium);
    let _ = RolloutRef {
        id: String::new(),
        step: 0,
    };
}

#[test]
fn a_lock_left_by_a_process_that_is_gone_says_nothing_needs_doing() {
    let f = fleet();
    let s = state(&f);
    let lock = LockState::Stale {
        holder: Some(LockHolder {
            user: "dave@c".into(),
            host: "c".into(),
            pid: 4242,
            action: "drain eu-west-1".into(),
            since_ms: NOW - 30 * MIN,
            expires_ms: None,
        }),
        why: "process 4242 is no longer running".into(),
    };
    let all = run(
        &f,
        &s,
        Records {
            lock: Some(&lock),
            ..Records::default()
        },
    );
    let l = one(&all, Kind::LockLeft);
    assert!(l.title.contains("dave@c"), "{}", l.title);
    match &l.suggestion {
        Suggestion::None { why } => assert!(why.contains("takes the lock over"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failed_phase_is_run_again_and_resumes() {
    let f = fleet();
    let mut s = state(&f);
    let phases = s
        .region_mut("ap-south-1")
        .and_then(|r| r.phases.value.as_mut())
        .unwrap();
    let p = phases
        .iter_mut()
        .find(|p| p.state == PhaseStatus::Pending)
        .unwrap();
    p.state = PhaseStatus::Failed;
    p.error = Some("step exited 1".into());
    p.current_step = Some("observability stack".into());
    p.finished_at = Some(NOW - 2 * MIN);
    let id = p.id.clone();
    let all = findings(&f, &s);
    let ph = one(&all, Kind::PhaseFailed);
    assert!(
        matches!(suggested(ph), Some(Action::RunPhase { region, phase }) if region == "ap-south-1" && *phase == id),
        "{ph:#?}"
    );
}

#[test]
fn stale_data_is_one_finding_per_backend_and_cause_and_names_what_to_check() {
    let f = fleet();
    let mut s = state(&f);
    for r in &mut s.regions {
        r.weight.error = Some("sim read weights: AccessDenied: not authorized".into());
    }
    for id in ["eu-west-1", "ap-southeast-1"] {
        let r = s.region_mut(id).unwrap();
        r.health.error = Some(format!("{id}: sim read health: no answer within 5s").into());
    }
    let all = findings(&f, &s);
    let stale: Vec<&Finding> = all.iter().filter(|f| f.kind == Kind::StaleData).collect();
    assert_eq!(stale.len(), 2, "{stale:#?}");
    let creds = stale
        .iter()
        .find(|f| f.id.ends_with("credentials"))
        .unwrap();
    assert!(
        creds.title.starts_with("sim traffic stale"),
        "{}",
        creds.title
    );
    let net = stale.iter().find(|f| f.id.ends_with("network")).unwrap();
    assert!(net.title.contains("2 readings"), "{}", net.title);
    match &net.suggestion {
        Suggestion::None { why } => assert!(why.contains("check the network"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_drain_its_guards_would_refuse_is_never_suggested() {
    let f = fleet();
    let mut s = state(&f);
    // Only ap-southeast-1 serves, and it is down: draining it leaves nothing in rotation.
    for id in ["us-east-1", "eu-west-1"] {
        set_weight(&mut s, id, 0);
    }
    down_since(&mut s, "ap-southeast-1", NOW - MIN);
    let all = findings(&f, &s);
    let d = one(&all, Kind::RegionDown);
    match &d.suggestion {
        Suggestion::None { why } => {
            assert!(why.starts_with("all-weights-zero would refuse it"), "{why}")
        }
        other => panic!("a refused drain was suggested: {other:?}"),
    }
}

/// The drill: a region down, a replica lagging, an app degraded. The down region comes
/// first, then the lag, then the app.
#[test]
fn the_drill_ranks_the_down_region_first() {
    let f = fleet();
    let mut s = state(&f);
    down_since(&mut s, "ap-southeast-1", NOW - 4 * MIN);
    set_lag(&mut s, "eu-west-1", Some(80.0), None);
    let app = app_mut(&mut s, "search-stg", "us-east-1");
    app.health = AppHealth::Degraded;
    let seen = seen_since(&s, &f, 7 * MIN);
    let all = run(
        &f,
        &s,
        Records {
            seen: Some(&seen),
            ..Records::default()
        },
    );
    let kinds: Vec<Kind> = all.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [Kind::RegionDown, Kind::LagOverBudget, Kind::AppDegraded],
        "{all:#?}"
    );
}

/// Every case above, and every suggestion in them, through the planner: none is refused by
/// a guard (the reason aside, which the modal and `--reason` give).
#[test]
fn every_suggestion_of_every_case_passes_the_planners_guards() {
    let f = fleet();
    let mut cases: Vec<FleetState> = Vec::new();
    let mut s = state(&f);
    down_since(&mut s, "ap-southeast-1", NOW - 4 * MIN);
    cases.push(s.clone());
    set_lag(&mut s, "eu-west-1", Some(80.0), None);
    cases.push(s.clone());
    let mut s = state(&f);
    down_since(&mut s, "us-east-1", NOW - 2 * MIN);
    s.region_mut("us-east-1").unwrap().role.error = Some("connection refused".into());
    cases.push(s.clone());
    let mut s = state(&f);
    set_weight(&mut s, "eu-west-1", 0);
    cases.push(s.clone());
    let mut s = state(&f);
    let broken = format!("x: {BROKEN}: follows eu-west-1");
    set_lag(&mut s, "ap-southeast-1", None, Some(&broken));
    let fenced = format!("x: {FENCED}: read-only");
    set_lag(&mut s, "eu-west-1", None, Some(&fenced));
    cases.push(s.clone());
    let mut s = state(&f);
    app_mut(&mut s, "payments-prd", "us-east-1").health = AppHealth::Degraded;
    app_mut(&mut s, "search-stg", "eu-west-1").sync = SyncStatus::OutOfSync;
    app_mut(&mut s, "search-stg", "ap-south-1").health = AppHealth::Missing;
    cases.push(s);
    let mut planned = 0;
    for s in &cases {
        let seen = seen_since(s, &f, 30 * MIN);
        let all = run(
            &f,
            s,
            Records {
                seen: Some(&seen),
                ..Records::default()
            },
        );
        for finding in &all {
            let Some(request) = finding.suggestion.request() else {
                continue;
            };
            let p = crate::actions::plan(&request.clone().reason("INC-1"), &f, s, NOW)
                .unwrap_or_else(|e| panic!("{}: {e}", finding.id));
            let blocks: Vec<String> = p
                .checks
                .iter()
                .filter(|c| c.verdict == Verdict::Block)
                .map(|c| format!("{}: {}", c.guard.name(), c.reason))
                .collect();
            assert!(
                blocks.is_empty(),
                "{} suggests a refused plan: {blocks:?}",
                finding.id
            );
            assert!(p.operation.is_some() && !p.is_noop(), "{}", finding.id);
            assert_eq!(
                finding.command.as_deref(),
                Some(p.cli_equivalent.trim_end_matches(" --reason INC-1"))
            );
            planned += 1;
        }
    }
    assert!(planned >= 9, "only {planned} suggestions were planned");
}

/// The demo with its first tenant deployed by Helm in its first region: revision 2
/// superseded, revision 3 in `latest`.
fn helm_case(latest: HelmStatus) -> (Fleet, FleetState, String, String) {
    let mut f = fleet();
    let tenant = f.tenants[0].id.clone();
    let region = f.tenants[0].regions[0].to_string();
    f.tenants[0].helm = Some(meridian_model::fleet::Capability {
        provider: meridian_model::fleet::ProviderKind::Helm,
        settings: meridian_model::fleet::settings::Settings::Helm(Default::default()),
    });
    let mut s = state(&f);
    let rev = |revision, status| HelmRevision {
        revision,
        status,
        chart: "app".into(),
        chart_version: format!("1.{revision}.0"),
        app_version: "2.1".into(),
        updated: Some(NOW - 40 * MIN),
        description: String::new(),
    };
    let release = HelmRelease {
        name: tenant.clone(),
        namespace: "default".into(),
        revisions: vec![rev(2, HelmStatus::Superseded), rev(3, latest)],
    };
    let ts = s
        .tenants
        .iter_mut()
        .find(|t| t.id == tenant)
        .expect("tenant");
    ts.releases = vec![(region.as_str().into(), Observed::ok(release, NOW))];
    (f, s, tenant, region)
}

#[test]
fn a_helm_release_failed_for_long_is_rolled_back_through_helm_and_a_pending_one_is_left_to_helm() {
    let (f, s, tenant, region) = helm_case(HelmStatus::Failed);
    // Just failed: not yet a finding (an upgrade may be retried).
    assert!(
        !findings(&f, &s)
            .iter()
            .any(|x| x.kind == Kind::ReleaseFailed)
    );
    let seen = seen_since(&s, &f, 10 * MIN);
    let all = run(
        &f,
        &s,
        Records {
            seen: Some(&seen),
            ..Records::default()
        },
    );
    let r = one(&all, Kind::ReleaseFailed);
    assert_eq!(
        suggested(r),
        Some(&Action::Rollback {
            tenant: tenant.clone(),
            region: region.clone(),
            to: None,
            via: Some(Via::Helm),
        })
    );
    assert!(r.regions == vec![region.clone()], "{:?}", r.regions);
    let request = r
        .suggestion
        .request()
        .expect("a plan")
        .clone()
        .reason("INC-2");
    let p = crate::actions::plan(&request, &f, &s, NOW).expect("planned");
    assert!(p.blocking().next().is_none(), "{:?}", p.checks);

    let (f, s, _, _) = helm_case(HelmStatus::PendingUpgrade);
    let seen = seen_since(&s, &f, 10 * MIN);
    let all = run(
        &f,
        &s,
        Records {
            seen: Some(&seen),
            ..Records::default()
        },
    );
    let r = one(&all, Kind::ReleaseFailed);
    match &r.suggestion {
        Suggestion::None { why } => assert!(why.contains("pending-upgrade"), "{why}"),
        other => panic!("a pending release is Helm's own: {other:?}"),
    }
}

#[test]
fn a_rollout_stopped_at_a_failed_step_names_the_step_and_leaves_the_decision_to_a_person() {
    let f = fleet();
    let s = state(&f);
    let rollout = release_at_approval(
        ("release-2", "CHG-8", NOW - 30 * MIN),
        false,
        StepState::Failed {
            at: NOW - 7 * MIN,
            reason: "gate refused".into(),
        },
    );
    let all = run(
        &f,
        &s,
        Records {
            rollout: Some(&rollout),
            ..Records::default()
        },
    );
    let r = one(&all, Kind::RolloutStopped);
    assert_eq!(r.since_ms, Some(NOW - 7 * MIN));
    assert!(r.title.contains("stopped at step 1 (7m)"), "{}", r.title);
    assert!(r.what.contains("gate refused"), "{}", r.what);
    assert_eq!(r.command.as_deref(), Some("meridian rollout status"));
    assert_eq!(r.urgency, Urgency::Medium);
    match &r.suggestion {
        Suggestion::None { why } => assert!(why.contains("rollout resume"), "{why}"),
        other => panic!("{other:?}"),
    }
}

/// A release rollout started by alice at `started_at`, standing at one approval gate.
fn release_at_approval(
    (id, reason, started_at): (&str, &str, Millis),
    second_person: bool,
    state: StepState,
) -> Rollout {
    Rollout {
        id: id.into(),
        template: "release".into(),
        name: "Release".into(),
        params: Default::default(),
        reason: reason.into(),
        started_by: "alice@a".into(),
        started_at,
        status: RolloutStatus::Running,
        steps: vec![StepEntry {
            step: RolloutStep::Gate(GateSpec::Approval {
                second_person,
                artifact: None,
            }),
            state,
            rollback: false,
            temporary_ms: None,
            meta: Default::default(),
        }],
        kind: Default::default(),
        mode: Default::default(),
        modes: Vec::new(),
        driver: None,
        paused: None,
        skip_request: None,
        exceptions: Vec::new(),
        practice: false,
    }
}

/// The dashboard judges only the cells its watchlist holds, kept current as readings
/// arrive: the findings are the ones judging every cell gives, and a cell that is well
/// again leaves the list.
#[test]
fn a_watchlist_kept_on_change_gives_the_findings_of_every_cell() {
    let f = fleet();
    let mut s = state(&f);
    let mut list = Watchlist::scan(&f, &s);
    assert!(list.is_empty(), "a healthy fleet: nothing to judge");
    {
        let app = app_mut(&mut s, "payments-prd", "ap-southeast-1");
        app.health = AppHealth::Degraded;
    }
    {
        let app = app_mut(&mut s, "search-stg", "eu-west-1");
        app.sync = SyncStatus::OutOfSync;
    }
    let seen = seen_since(&s, &f, 11 * MIN);
    let whole = run(
        &f,
        &s,
        Records {
            seen: Some(&seen),
            ..Records::default()
        },
    );
    assert!(
        whole.iter().any(|x| x.kind == Kind::AppDegraded),
        "{whole:#?}"
    );
    assert!(
        whole.iter().any(|x| x.kind == Kind::AppOutOfSync),
        "{whole:#?}"
    );
    let judged = |list: &Watchlist| {
        run(
            &f,
            &s,
            Records {
                seen: Some(&seen),
                apps: Some(list),
                ..Records::default()
            },
        )
    };
    // Not told of the change: the stale list misses both (so the test can fail).
    assert!(judged(&list).is_empty());
    // Told which cells the readings touched (here: every cell of the two regions).
    let touched = |region: &str| -> Vec<(usize, usize)> {
        f.tenants
            .iter()
            .enumerate()
            .filter_map(|(ti, t)| {
                let ci = t.regions.iter().position(|r| r.as_str() == region)?;
                Some((ti, ci))
            })
            .collect()
    };
    list.update(&f, &s, touched("ap-southeast-1"));
    list.update(&f, &s, touched("eu-west-1"));
    assert_eq!(list.len(), 2);
    assert_eq!(judged(&list), whole);
    assert_eq!(list, Watchlist::scan(&f, &s));
    // Healthy again: out of the list.
    app_mut(&mut s, "payments-prd", "ap-southeast-1").health = AppHealth::Healthy;
    list.update(&f, &s, touched("ap-southeast-1"));
    assert_eq!(list.len(), 1);
}

/// A restore run from another process changes the weights and its intent record a moment
/// apart: a reader that sees drift for a few seconds raises nothing (the drill's report
/// held its recovery open until a 2 s "weights drifted" finding cleared).
#[test]
fn weights_drifting_for_a_moment_are_not_a_finding_yet() {
    let f = fleet();
    let mut s = state(&f);
    set_weight(&mut s, "ap-southeast-1", 40);
    let records = |since_ms| {
        let d = Standing::Drift { since_ms };
        let all = run(
            &f,
            &s,
            Records {
                weights: Some(&d),
                ..Records::default()
            },
        );
        all.iter().any(|x| x.kind == Kind::WeightsDrift)
    };
    assert!(!records(NOW - 2_000), "2 s of drift");
    assert!(
        records(NOW - WEIGHTS_DRIFT_AFTER),
        "drift for the grace period"
    );
}
