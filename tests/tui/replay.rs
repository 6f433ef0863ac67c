//! `meridian replay`'s screen: the dashboard on a recording, read-only, with the moment in
//! the header; left/right step, `[`/`]` jump between recorded changes.

use meridian::actions::findings::{self, Records};
use meridian::recording::replay::Tape;
use meridian::recording::{Limits, Recorder, load};
use meridian::state::{FleetState, HealthStatus, Millis};
use meridian::traffic::Weight;
use meridian::tui::App;
use meridian::tui::app::Effect;
use meridian::tui::fixture::{FIXED_NOW, app_for, demo_state, press, render, text};

const S: Millis = 1_000;

/// Recorded on the frozen demo: healthy at 03:00:00, ap-southeast-1 down at 03:00:10 (its
/// finding raised), drained at 03:00:40.
fn replay() -> App {
    let tmp = tempfile::tempdir().unwrap();
    let (fleet, healthy) = demo_state(42).unwrap();
    let mut rec = Recorder::new(tmp.path().into(), "demo", "alice@a", Limits::default());
    let mut observe = |s: &FleetState, t: Millis| {
        let found = findings::assess(&fleet, s, Records::default(), FIXED_NOW).findings;
        rec.observe(&fleet, s, &found, t).unwrap();
    };
    observe(&healthy, FIXED_NOW);
    let mut down = healthy.clone();
    let h = down
        .region_mut("ap-southeast-1")
        .and_then(|r| r.health.value.as_mut())
        .unwrap();
    h.status = HealthStatus::Down;
    h.healthy_since = None;
    h.unhealthy_since = Some(FIXED_NOW - 4 * 60 * S);
    h.reason = "0/3 probes ok".into();
    observe(&down, FIXED_NOW + 10 * S);
    let mut drained = down.clone();
    drained.region_mut("ap-southeast-1").unwrap().weight.value = Some(Weight::drained(20));
    observe(&drained, FIXED_NOW + 40 * S);
    let (at_from, records) = load(tmp.path(), FIXED_NOW - 60 * S, FIXED_NOW + 120 * S);
    let tape = Tape {
        at_from,
        records,
        from: FIXED_NOW - 60 * S,
        to: FIXED_NOW + 120 * S,
    };
    let mut app = app_for(
        fleet.clone(),
        FleetState::skeleton(&fleet, FIXED_NOW),
        "dark",
        "default",
        false,
    )
    .unwrap();
    app.start_replay(tape, FIXED_NOW);
    app
}

#[test]
fn a_replay_frame_shows_the_moment_and_what_was_recorded_then() {
    let mut a = replay();
    assert!(a.read_only, "a replay is read-only");
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("REPLAY 2026-01-15"), "{t}");
    assert!(t.contains("as recorded at 03:00:00 UTC"), "{t}");
    // `]`: the next change, the region going down and its finding.
    press(&mut a, &["]"]);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("as recorded at 03:00:10 UTC"), "{t}");
    assert!(t.contains("✗ down"), "{t}");
    assert!(
        t.contains("! ap-southeast-1 down 4m, still 20% of traffic -> drain ap-southeast-1 (suggested then)"),
        "{t}"
    );
    insta::assert_snapshot!(t);
}

#[test]
fn left_right_step_and_brackets_jump_between_changes_within_the_window() {
    let mut a = replay();
    press(&mut a, &["]", "]"]);
    assert_eq!(a.now, FIXED_NOW + 40 * S);
    assert!(a.attention.findings.is_empty(), "cleared by the drain");
    let w = a
        .state
        .region("ap-southeast-1")
        .unwrap()
        .weight
        .value
        .unwrap();
    assert!(w.drained);
    press(&mut a, &["left"]);
    assert_eq!(a.now, FIXED_NOW + 30 * S);
    assert_eq!(a.attention.findings.len(), 1, "standing at 03:00:30");
    press(&mut a, &["["]);
    assert_eq!(a.now, FIXED_NOW + 10 * S);
    // No change after the last: `]` stays; right stops at the window's end.
    press(&mut a, &["]", "]", "]"]);
    assert_eq!(a.now, FIXED_NOW + 40 * S);
    for _ in 0..20 {
        press(&mut a, &["right"]);
    }
    assert_eq!(a.now, FIXED_NOW + 120 * S);
}

#[test]
fn nothing_runs_from_a_replay() {
    let mut a = replay();
    press(&mut a, &["]", "down", "down"]);
    let effects = press(&mut a, &["d", "y", "enter"]);
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Execute(..))),
        "{effects:?}"
    );
}
