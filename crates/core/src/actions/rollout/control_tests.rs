//! A pair driving the demo fleet's release: pause (no gate counts), resume, take over,
//! retry, skip with a comment (a second person in production), timeouts and outcomes.

use std::time::Duration;

use super::*;
use crate::actions::audit::AuditOutcome;
use crate::actions::testkit::{NOW, fleet, set_health, state};
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

/// Run action steps as if the executor succeeded, until a gate (or the end) is next.
fn run_actions(r: &mut Rollout, now: i64) {
    while let Next::Action { index, .. } = r.next() {
        r.record_action(index, AuditOutcome::Succeeded, None, "a1", "alice@a", now);
    }
}

/// The us-east-1 health gate (step 5), started at NOW.
fn at_health_gate() -> (Rollout, usize) {
    let mut r = started();
    run_actions(&mut r, NOW);
    let Some((index, since)) = r.waiting_gate() else {
        panic!("{:?}", r.next())
    };
    assert_eq!((index, since), (4, NOW));
    (r, index)
}

#[test]
fn a_paused_rollout_counts_down_no_gate_and_resumes_where_it_stood() {
    let f = fleet();
    let s = state(&f);
    let (mut r, index) = at_health_gate();
    // 5 minutes of the 15 pass, then bo pauses it for an hour.
    r.pause("bo@b", "CDN incident", NOW + 5 * MIN).unwrap();
    assert!(
        matches!(r.next(), Next::Paused { index: 4, ref by, ref reason } if by == "bo@b" && reason == "CDN incident"),
        "{:?}",
        r.next()
    );
    // Paused: no verdict at all, however long it has been.
    assert_eq!(r.gate_verdict(&s, NOW + 60 * MIN), None);
    assert!(!r.runnable());
    // Resumed after an hour: the gate stands at 5 of 15 minutes, not met.
    let said = r.unpause("alice@a", NOW + 65 * MIN).unwrap();
    assert!(said.contains("after 1h"), "{said}");
    let (i, v) = r.gate_verdict(&s, NOW + 65 * MIN).unwrap();
    assert_eq!(i, index);
    assert_eq!(
        v.describe(),
        "waiting: us-east-1 healthy 5m of 15m (10m to go)"
    );
    let (_, v) = r.gate_verdict(&s, NOW + 75 * MIN).unwrap();
    assert!(matches!(v, GateVerdict::Met { .. }), "{v:?}");
}

#[test]
fn a_pause_needs_a_reason_and_only_the_pauser_or_the_driver_lifts_it() {
    let (mut r, _) = at_health_gate();
    assert!(matches!(
        r.pause("bo@b", "  ", NOW),
        Err(RolloutError::Usage(m)) if m.contains("--reason")
    ));
    r.pause("bo@b", "hold on", NOW).unwrap();
    assert!(matches!(
        r.pause("cy@c", "me too", NOW),
        Err(RolloutError::Usage(_))
    ));
    let e = r.unpause("cy@c", NOW + MIN).unwrap_err();
    assert!(
        e.to_string().contains("bo@b paused") && e.to_string().contains("alice@a drives"),
        "{e}"
    );
    r.unpause("bo@b", NOW + MIN).unwrap();
    assert!(matches!(
        r.unpause("bo@b", NOW + MIN),
        Err(RolloutError::Usage(_))
    ));
}

#[test]
fn only_the_driver_runs_steps_and_a_take_over_moves_the_seat() {
    let mut r = started();
    assert!(
        r.may_drive("alice@laptop").is_ok(),
        "one person on two machines"
    );
    let e = r.may_drive("bo@b").unwrap_err();
    assert!(e.to_string().contains("rollout take --reason"), "{e}");
    assert!(matches!(r.take("bo@b", ""), Err(RolloutError::Usage(_))));
    assert!(matches!(
        r.take("alice@a", "mine"),
        Err(RolloutError::Usage(_))
    ));
    let said = r.take("bo@b", "alice went home").unwrap();
    assert_eq!(said, "bo@b drives now (took over from alice@a)");
    assert_eq!(r.driver(), "bo@b");
    assert!(r.may_drive("bo@b").is_ok());
    assert!(r.may_drive("alice@a").is_err());
}

#[test]
fn a_failed_gate_is_retried_from_now_and_a_step_not_failed_cannot_be() {
    let f = fleet();
    let mut s = state(&f);
    let (mut r, index) = at_health_gate();
    assert!(matches!(r.retry(NOW), Err(RolloutError::Usage(m)) if m.contains("has not failed")));
    set_health(&mut s, "us-east-1", HealthStatus::Down);
    let (_, v) = r.gate_verdict(&s, NOW + MIN).unwrap();
    assert!(r.record_gate(index, &v, NOW + MIN));
    assert_eq!(r.outcome(), Outcome::FailedAt { step: 5 });
    assert_eq!(r.outcome().describe(), "failed at step 5");
    let said = r.retry(NOW + 2 * MIN).unwrap();
    assert!(
        said.starts_with("step 5 (us-east-1 healthy 15m) will be tried again"),
        "{said}"
    );
    assert_eq!(r.status, RolloutStatus::Running);
    assert_eq!(r.waiting_gate(), Some((index, NOW + 2 * MIN)));
}

#[test]
fn a_failed_action_is_planned_again_on_retry() {
    let mut r = started();
    r.record_action(
        0,
        AuditOutcome::Failed,
        Some("boom".into()),
        "a1",
        "alice@a",
        NOW,
    );
    assert_eq!(r.outcome(), Outcome::FailedAt { step: 1 });
    r.retry(NOW + MIN).unwrap();
    assert!(
        matches!(r.next(), Next::Action { index: 0, .. }),
        "{:?}",
        r.next()
    );
}

#[test]
fn a_skip_needs_a_comment_and_in_production_a_second_person() {
    let (mut r, index) = at_health_gate();
    assert!(matches!(
        r.skip("alice@a", "", true, NOW),
        Err(RolloutError::Usage(m)) if m.contains("--comment")
    ));
    let asked = r
        .skip("alice@a", "probe flaps, checked by hand", true, NOW)
        .unwrap();
    assert!(
        matches!(asked, Skipped::Waiting(ref m) if m.contains("second person")),
        "{asked:?}"
    );
    // Not skipped yet; the asker cannot approve their own skip.
    assert_eq!(r.current(), Some(index));
    let e = r.approve("alice@laptop", NOW + MIN).unwrap_err();
    assert!(matches!(e, RolloutError::Refused(_)), "{e}");
    let said = r.approve("bo@b", NOW + MIN).unwrap();
    assert!(said.contains("approved by bo@b"), "{said}");
    assert!(matches!(
        &r.steps[index].state,
        StepState::SkippedByPerson { approved_by: Some(a), .. } if a == "bo@b"
    ));
    assert!(r.skip_request.is_none());
    // The next step, the approval gate, is waiting.
    assert_eq!(r.waiting_gate(), Some((index + 1, NOW + MIN)));
}

#[test]
fn a_release_with_a_skipped_step_ends_succeeded_with_exceptions_listing_it() {
    let (mut r, _) = at_health_gate();
    r.skip("alice@a", "probe flaps", false, NOW).unwrap();
    r.approve("bo@b", NOW).unwrap();
    run_actions(&mut r, NOW);
    r.note_overrides(9, &["freeze".into()], "alice@a", NOW);
    r.skip("alice@a", "checked by hand", false, NOW).unwrap();
    run_actions(&mut r, NOW);
    assert_eq!(r.status, RolloutStatus::Done);
    assert_eq!(r.outcome(), Outcome::SucceededWithExceptions);
    assert_eq!(r.outcome().describe(), "succeeded with exceptions");
    assert_eq!(
        r.exception_lines(),
        vec![
            "step 5 (us-east-1 healthy 15m) skipped by alice@a: probe flaps".to_string(),
            "step 10 (ap-southeast-1 healthy 15m) overrode freeze by alice@a".to_string(),
            "step 10 (ap-southeast-1 healthy 15m) skipped by alice@a: checked by hand".to_string(),
        ]
    );
}

#[test]
fn a_rollout_with_nothing_skipped_succeeds_and_an_abort_is_said_as_such() {
    let f = fleet();
    let s = state(&f);
    let mut r = started();
    loop {
        run_actions(&mut r, NOW);
        let Some((index, since)) = r.waiting_gate() else {
            break;
        };
        if index == 5 {
            r.approve("bo@b", NOW).unwrap();
            continue;
        }
        let (_, v) = r.gate_verdict(&s, since + 15 * MIN).unwrap();
        assert!(r.record_gate(index, &v, since + 15 * MIN));
    }
    assert_eq!(r.outcome(), Outcome::Succeeded);

    let mut r = started();
    r.abort(false, NOW).unwrap();
    assert_eq!(r.outcome().describe(), "aborted");
    let mut r = started();
    run_actions(&mut r, NOW);
    assert!(r.abort(true, NOW).unwrap() > 0);
    run_actions(&mut r, NOW);
    assert_eq!(r.outcome().describe(), "rolled back");
}

#[test]
fn a_gate_past_its_timeout_fails_saying_what_it_waited_for() {
    let f = fleet();
    let s = state(&f);
    let (mut r, index) = at_health_gate();
    r.steps[index].meta.timeout = Some(Duration::from_secs(600));
    let (_, v) = r.gate_verdict(&s, NOW + 9 * MIN).unwrap();
    assert!(matches!(v, GateVerdict::Waiting { .. }), "{v:?}");
    let (_, v) = r.gate_verdict(&s, NOW + 10 * MIN).unwrap();
    let GateVerdict::Failed { reason } = v else {
        panic!("{v:?}")
    };
    assert_eq!(
        reason,
        "timed out after 10m (timeout = \"10m\") waiting for us-east-1 healthy 10m of 15m"
    );
    // Paused past it: no verdict, and after resuming the paused time does not count.
    let (mut r, index) = at_health_gate();
    r.steps[index].meta.timeout = Some(Duration::from_secs(600));
    r.pause("bo@b", "wait", NOW + MIN).unwrap();
    assert_eq!(r.gate_verdict(&s, NOW + 30 * MIN), None);
    r.unpause("bo@b", NOW + 30 * MIN).unwrap();
    let (_, v) = r.gate_verdict(&s, NOW + 35 * MIN).unwrap();
    assert!(matches!(v, GateVerdict::Waiting { .. }), "{v:?}");
}
