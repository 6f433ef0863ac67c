//! Rollout state and gates without a clock, a terminal or a provider: the demo fleet's
//! seed-002 release moved step by step.

use super::*;
use crate::actions::Action;
use crate::actions::audit::{AuditOutcome, event};
use crate::actions::testkit::{NOW, fleet, set_health, state};
use meridian_model::fleet::rollout::{GateSpec, RolloutStep};
use meridian_model::state::HealthStatus;

const MIN: i64 = 60_000;

fn started() -> Rollout {
    Rollout::start(
        &fleet(),
        "release",
        Default::default(),
        "CHG-1",
        "alice@a",
        NOW,
    )
    .unwrap()
}

/// Run action steps as if the executor succeeded, until a gate is next.
fn run_actions(r: &mut Rollout, now: i64) {
    while let Next::Action { index, .. } = r.next() {
        r.record_action(index, AuditOutcome::Succeeded, None, "a1", "alice@a", now);
    }
}

#[test]
fn a_healthy_gate_counts_from_its_own_start_and_passes() {
    let f = fleet();
    let s = state(&f);
    let mut r = started();
    assert_eq!(
        r.steps.len(),
        1 + 3 + 1 + 1 + 3 + 1 + 1,
        "sync * expands per tenant"
    );
    run_actions(&mut r, NOW + MIN);
    let Next::Gate { index, gate, since } = r.next() else {
        panic!("{:?}", r.next())
    };
    assert_eq!(
        since,
        NOW + MIN,
        "the gate starts when the step before it finished"
    );
    let v = evaluate(&gate, &s, since, since + 9 * MIN);
    assert_eq!(
        v.describe(),
        "waiting: us-east-1 healthy 9m of 15m (6m to go)"
    );
    assert!(!r.record_gate(index, &v, since + 9 * MIN));
    let v = evaluate(&gate, &s, since, since + 15 * MIN);
    assert!(matches!(v, GateVerdict::Met { .. }), "{v:?}");
    assert!(r.record_gate(index, &v, since + 15 * MIN));
    assert!(matches!(
        r.next(),
        Next::Gate {
            gate: GateSpec::Approval {
                second_person: true,
                ..
            },
            ..
        }
    ));
}

#[test]
fn a_region_going_unhealthy_during_its_gate_stops_the_rollout() {
    let f = fleet();
    let mut s = state(&f);
    let mut r = started();
    run_actions(&mut r, NOW);
    let Next::Gate { index, gate, since } = r.next() else {
        panic!()
    };
    set_health(&mut s, "us-east-1", HealthStatus::Down);
    let v = evaluate(&gate, &s, since, since + 3 * MIN);
    assert!(
        matches!(&v, GateVerdict::Failed { reason } if reason.contains("us-east-1 went down 3m into its 15m gate")),
        "{v:?}"
    );
    r.record_gate(index, &v, since + 3 * MIN);
    assert_eq!(r.status, RolloutStatus::Failed);
    // It never proceeds on its own, even when the region is healthy again.
    assert!(matches!(r.next(), Next::Stopped { .. }));
    // Healthy again, but only since after the gate started (a break, or a gap in the
    // readings): the count starts again from then, it never passes early.
    let mut s2 = state(&f);
    if let Some(h) = s2
        .region_mut("us-east-1")
        .and_then(|x| x.health.value.as_mut())
    {
        h.healthy_since = Some(since + 10 * MIN);
    }
    let v = evaluate(&gate, &s2, since, since + 20 * MIN);
    assert!(
        matches!(&v, GateVerdict::Waiting { waiting_for, remaining_secs: Some(300) } if waiting_for.starts_with("us-east-1 healthy 10m of 15m, counted from")),
        "{v:?}"
    );
    assert!(matches!(
        evaluate(&gate, &s2, since, since + 25 * MIN),
        GateVerdict::Met { .. }
    ));
}

#[test]
fn approval_by_the_starter_is_refused_and_by_another_person_accepted() {
    let f = fleet();
    let s = state(&f);
    let mut r = started();
    run_actions(&mut r, NOW);
    let Next::Gate { index, gate, since } = r.next() else {
        panic!()
    };
    r.record_gate(
        index,
        &evaluate(&gate, &s, since, since + 16 * MIN),
        since + 16 * MIN,
    );
    // The same user from another machine is still the same person.
    let err = r.approve("alice@laptop2", NOW + 17 * MIN).unwrap_err();
    assert!(
        matches!(err, RolloutError::Refused(ref m) if m.contains("needs a second person")),
        "{err}"
    );
    assert_eq!(
        r.approve("bob@b", NOW + 18 * MIN).unwrap(),
        "step 6 approved by bob@b"
    );
    match &r.steps[5].state {
        StepState::Done { by, at, .. } => assert_eq!((by.as_str(), *at), ("bob@b", NOW + 18 * MIN)),
        other => panic!("{other:?}"),
    }
    let Next::Action { request, .. } = r.next() else {
        panic!()
    };
    assert!(matches!(&request.action, Action::Sync { region, .. } if region == "ap-southeast-1"));
    assert_eq!(request.rollout.as_ref().map(|x| x.step), Some(6));
    assert!(
        r.approve("bob@b", NOW).is_err(),
        "nothing is waiting for approval now"
    );
}

#[test]
fn abort_with_rollback_undoes_the_synced_regions_newest_first() {
    let mut r = started();
    run_actions(&mut r, NOW);
    assert_eq!(r.abort(true, NOW + MIN).unwrap(), 3);
    assert_eq!(r.status, RolloutStatus::RollingBack);
    let Next::Action { index, request } = r.next() else {
        panic!()
    };
    assert!(r.steps[index].rollback);
    assert!(
        matches!(&request.action, Action::Rollback { tenant, region, .. } if tenant == "search-stg" && region == "us-east-1")
    );
    run_actions(&mut r, NOW + 2 * MIN);
    assert_eq!(r.status, RolloutStatus::RolledBack);
    let mut plain = started();
    assert_eq!(plain.abort(false, NOW).unwrap(), 0);
    assert_eq!(plain.status, RolloutStatus::Aborted);
    assert!(plain.abort(false, NOW).is_err());
}

#[test]
fn resume_settles_a_step_left_running_from_the_audit_log() {
    let mut r = started();
    let Next::Action { index, request } = r.next() else {
        panic!()
    };
    r.mark_running(index, "alice@a", NOW);
    // The process died before it recorded anything: planned again.
    let said = r.resume(&[], NOW + MIN);
    assert!(said[0].contains("interrupted (never finished)"), "{said:?}");
    assert_eq!(r.steps[index].state, StepState::Pending);
    // The change had succeeded before the process died: done, not repeated.
    r.mark_running(index, "alice@a", NOW + MIN);
    let mut rec = event(
        "x1",
        "demo",
        "set-weights",
        "demo",
        AuditOutcome::Succeeded,
        None,
    );
    rec.time_ms = NOW + 2 * MIN;
    rec.rollout = request.rollout.clone();
    let said = r.resume(&[rec], NOW + 3 * MIN);
    assert!(said[0].contains("had succeeded (audit x1)"), "{said:?}");
    assert!(matches!(r.next(), Next::Action { index: 1, .. }));
}

#[test]
fn a_failed_gate_counts_again_from_resume() {
    let f = fleet();
    let mut s = state(&f);
    let mut r = started();
    run_actions(&mut r, NOW);
    let Next::Gate { index, gate, since } = r.next() else {
        panic!()
    };
    set_health(&mut s, "us-east-1", HealthStatus::Down);
    r.record_gate(index, &evaluate(&gate, &s, since, since + MIN), since + MIN);
    r.resume(&[], NOW + 30 * MIN);
    assert_eq!(r.status, RolloutStatus::Running);
    assert!(matches!(r.next(), Next::Gate { since, .. } if since == NOW + 30 * MIN));
    assert!(matches!(
        r.steps[index].step,
        RolloutStep::Gate(GateSpec::Healthy { .. })
    ));
}

#[test]
fn starting_needs_a_known_template_and_a_reason() {
    let f = fleet();
    let e = Rollout::start(&f, "relase", Default::default(), "x", "a@b", NOW).unwrap_err();
    assert!(e.to_string().contains("its rollouts: release"), "{e}");
    let e = Rollout::start(&f, "release", Default::default(), " ", "a@b", NOW).unwrap_err();
    assert!(e.to_string().contains("--reason"), "{e}");
}

fn dir_store(dir: &std::path::Path, read_only: bool) -> RolloutStore {
    let shared: std::sync::Arc<dyn meridian_providers::store::SharedStore> =
        std::sync::Arc::new(meridian_providers::store::DirStore::in_state_dir(dir));
    RolloutStore::new(shared, dir, read_only)
}

#[test]
fn the_store_round_trips_and_refuses_writes_when_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir_store(dir.path(), false);
    assert_eq!(store.load().unwrap(), None);
    let r = started();
    store.save(&r).unwrap();
    assert_eq!(store.load().unwrap(), Some(r.clone()));
    let ro = dir_store(dir.path(), true);
    assert!(matches!(ro.save(&r), Err(RolloutError::Refused(_))));
    assert!(matches!(
        ro.change(|_| Ok(())),
        Err(RolloutError::Refused(_))
    ));
    assert!(matches!(ro.start(&r), Err(RolloutError::Refused(_))));
    std::fs::write(dir.path().join("shared/rollout/current.json"), "{").unwrap();
    assert!(matches!(store.load(), Err(RolloutError::Store(m)) if m.contains("start afresh")));
}

#[test]
fn an_old_rollout_file_is_read_and_moved_into_the_store_on_the_first_change() {
    let dir = tempfile::tempdir().unwrap();
    let r = started();
    let old = dir.path().join("rollout.json");
    std::fs::write(&old, serde_json::to_vec(&r).unwrap()).unwrap();
    let store = dir_store(dir.path(), false);
    assert_eq!(
        store.load().unwrap(),
        Some(r.clone()),
        "read from the old file"
    );
    let (moved, ()) = store.change(|_| Ok(())).unwrap();
    assert_eq!(moved, r);
    assert!(!old.exists(), "the old file is set aside");
    assert!(
        dir.path().join("rollout.json.migrated").exists(),
        "not lost"
    );
    assert!(dir.path().join("shared/rollout/current.json").exists());
    assert_eq!(store.load().unwrap(), Some(r));
}

#[test]
fn two_people_changing_the_rollout_at_once_both_land_or_are_refused() {
    // Two threads claim the same action step, as two `rollout next` would: exactly one
    // claims it; the other is refused, because the step it saw is no longer pending.
    let dir = tempfile::tempdir().unwrap();
    let store = dir_store(dir.path(), false);
    store.start(&started()).unwrap();
    let index = store.current().unwrap().current().unwrap();
    let seen = store.current().unwrap().steps[index].state.clone();
    let claims: Vec<bool> = std::thread::scope(|s| {
        let hands: Vec<_> = ["ana@a", "bo@b"]
            .into_iter()
            .map(|who| {
                let store = &store;
                let seen = &seen;
                s.spawn(move || {
                    store
                        .change(|r| {
                            if r.steps[index].state != *seen {
                                return Err(RolloutError::Refused("moved meanwhile".into()));
                            }
                            r.mark_running(index, who, NOW);
                            Ok(())
                        })
                        .is_ok()
                })
            })
            .collect();
        hands.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(claims.iter().filter(|c| **c).count(), 1, "{claims:?}");
    // Many concurrent changes that each land: none is lost.
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..5 {
                    store
                        .change(|r| {
                            r.reason.push('+');
                            Ok(())
                        })
                        .unwrap();
                }
            });
        }
    });
    let r = store.current().unwrap();
    assert_eq!(r.reason.matches('+').count(), 15, "{}", r.reason);
    assert!(matches!(
        store.start(&started()),
        Err(RolloutError::Refused(m)) if m.contains("before starting another")
    ));
}

/// The demo's tenant `tenant` in `region` ends a sync at `at` with its PreSync hook failed.
fn fail_presync(s: &mut meridian_model::state::FleetState, tenant: &str, region: &str, at: i64) {
    use meridian_model::state::{HookResult, OperationInfo, OperationPhase};
    let t = s.tenants.iter_mut().find(|t| t.id == tenant).unwrap();
    let cell = t
        .apps
        .iter_mut()
        .find(|(r, _)| r.as_str() == region)
        .unwrap();
    let app = cell.1.value.as_mut().unwrap();
    app.detail.operation = Some(Box::new(OperationInfo {
        phase: Some(OperationPhase::Failed),
        message: Some("one or more synchronization tasks completed unsuccessfully".into()),
        finished_at: Some(at),
        hooks: vec![HookResult {
            hook_type: "PreSync".into(),
            kind: "Job".into(),
            name: "migrate".into(),
            phase: Some("Failed".into()),
            message: Some("SQLSTATE[42S21]: Column already exists".into()),
            ..Default::default()
        }],
        ..Default::default()
    }));
}

#[test]
fn a_healthy_gate_fails_at_once_on_a_hook_that_failed_since_it_started() {
    let f = fleet();
    let mut r = started();
    run_actions(&mut r, NOW);
    let Next::Gate { gate, since, .. } = r.next() else {
        panic!()
    };
    let tenant = f.tenants_in("us-east-1").next().unwrap().id.clone();
    // A hook that failed before the gate started is the business of the step that synced.
    let mut s = state(&f);
    fail_presync(&mut s, &tenant, "us-east-1", since - MIN);
    let v = evaluate(&gate, &s, since, since + 2 * MIN);
    assert!(matches!(v, GateVerdict::Waiting { .. }), "{v:?}");
    // One that failed during the gate (an auto-sync after a push) fails it now, not at 15m.
    let mut s = state(&f);
    fail_presync(&mut s, &tenant, "us-east-1", since + MIN);
    let v = evaluate(&gate, &s, since, since + 2 * MIN);
    let want = format!(
        "{tenant} in us-east-1: PreSync Job migrate failed: SQLSTATE[42S21]: Column already exists; the new revision was not applied (2m into its 15m gate)"
    );
    assert!(
        matches!(&v, GateVerdict::Failed { reason } if reason == &want),
        "{v:?}"
    );
}
