//! The rollout pane: steps with their state and a gate's live countdown, the next step's
//! plan one key away in the usual confirmation modal, and the approval when it is the
//! second person's turn. Snapshots at 80x24 and 160x45 from the frozen demo fleet.

use meridian::actions::AuditOutcome;
use meridian::actions::rollout::{Next, Rollout};
use meridian::tui::App;
use meridian::tui::app::Effect;
use meridian::tui::fixture::{demo_app, press, render, text};

const MIN: i64 = 60_000;

fn app() -> App {
    demo_app("dark", "default", false).unwrap_or_else(|e| panic!("demo app: {e}"))
}

/// The demo release with its weights and us-east-1's syncs done; the health gate started
/// 9m12s before the app's clock.
fn mid_gate(a: &mut App) {
    let since = a.now - 9 * MIN - 12_000;
    let mut r = Rollout::start(
        &a.fleet,
        "release",
        Default::default(),
        "CHG-7",
        "alice@laptop",
        since - 5 * MIN,
    )
    .unwrap();
    let mut at = since - 4 * MIN;
    while let Next::Action { index, .. } = r.next() {
        at += MIN;
        r.record_action(
            index,
            AuditOutcome::Succeeded,
            None,
            "a1",
            "alice@laptop",
            at,
        );
    }
    assert!(matches!(r.next(), Next::Gate { since: s, .. } if s == since));
    a.rollout = Some(Box::new(r));
}

#[test]
fn the_pane_lists_steps_and_counts_the_gate_down_80x24() {
    let mut a = app();
    mid_gate(&mut a);
    press(&mut a, &["o"]);
    let screen = text(&render(&a, 80, 24));
    assert!(
        screen.contains("us-east-1 healthy 9m12s of 15m"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn the_pane_at_160x45() {
    let mut a = app();
    mid_gate(&mut a);
    press(&mut a, &["o"]);
    let screen = text(&render(&a, 160, 45));
    assert!(
        screen.contains("done    sync payments-prd in us-east-1"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn enter_on_an_action_step_opens_its_plan_in_the_confirmation_modal() {
    let mut a = app();
    a.rollout = Some(Box::new(
        Rollout::start(
            &a.fleet,
            "release",
            Default::default(),
            "CHG-7",
            "alice@l",
            a.now,
        )
        .unwrap(),
    ));
    press(&mut a, &["o", "enter"]);
    let screen = text(&render(&a, 160, 45));
    assert!(screen.contains("Set weights"), "{screen}");
    assert!(
        screen.contains("rollout release-"),
        "the reason names the rollout: {screen}"
    );
}

#[test]
fn enter_at_an_approval_gate_approves_and_a_met_gate_is_recorded() {
    let mut a = app();
    mid_gate(&mut a);
    // Still counting: nothing to record, the status line says what it waits for.
    assert!(press(&mut a, &["o", "enter"]).is_empty());
    let Some(r) = a.rollout.as_deref_mut() else {
        panic!()
    };
    let Next::Gate { index, .. } = r.next() else {
        panic!()
    };
    let met = meridian::actions::rollout::GateVerdict::Met {
        reason: "ok".into(),
    };
    r.record_gate(index, &met, 0);
    let effects = press(&mut a, &["enter"]);
    assert_eq!(effects, vec![Effect::ApproveRollout]);
    let screen = text(&render(&a, 160, 45));
    assert!(
        screen.contains("approve (not alice@laptop: a second person)"),
        "{screen}"
    );
}

#[test]
fn a_gate_whose_time_is_up_is_recorded_as_met() {
    let mut a = app();
    mid_gate(&mut a);
    a.now += 6 * MIN;
    let effects = press(&mut a, &["o", "enter"]);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::RolloutGate(
                4,
                meridian::actions::rollout::GateVerdict::Met { .. }
            )]
        ),
        "{effects:?}"
    );
}

#[test]
fn with_no_rollout_the_pane_names_the_templates_and_how_to_start() {
    let mut a = app();
    press(&mut a, &["o"]);
    let screen = text(&render(&a, 80, 24));
    assert!(screen.contains("Templates: release"), "{screen}");
    assert!(
        screen.contains("meridian rollout start ID --reason TEXT"),
        "{screen}"
    );
}
