//! The phase grid and detail for real runs: an interrupted phase, a running one stopped with
//! the cancel key (pressed twice), and the latest run's output in the detail pane.

use meridian::state::{PhaseOwner, PhaseStatus};
use meridian::tui::app::{Effect, Msg, Pane};
use meridian::tui::evidence::EvidenceTail;
use meridian::tui::fixture::{demo_app, press, render, text};

/// The demo app with ap-south-1's fifth phase in `state`, focused in the phase grid.
fn app_with(state: PhaseStatus) -> meridian::tui::App {
    let mut a = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
    let mut s = a.state.clone();
    let r = s.region_mut("ap-south-1").unwrap();
    let p = &mut r.phases.value.as_mut().unwrap()[4];
    p.state = state;
    p.current_step = Some("observability stack".into());
    p.step_index = Some(3);
    p.owner = Some(PhaseOwner {
        host: "ops-1".into(),
        pid: 4242,
    });
    p.evidence = Some("/state/evidence/ap-south-1/platform-services/1-2".into());
    a.update(Msg::Fleet(Box::new(s), None));
    a.focus = Pane::Phases;
    a.cursor.phase_row = 3;
    a.cursor.phase_col = 4;
    a
}

#[test]
fn an_interrupted_phase_says_so_and_offers_resume() {
    let mut a = app_with(PhaseStatus::Interrupted);
    let t = text(&render(&a, 140, 45));
    assert!(t.contains("interrupted"), "{t}");
    assert!(t.contains("resume at this step"), "{t}");
    let effects = press(&mut a, &["x"]);
    assert!(effects.is_empty() || !effects.iter().any(|e| matches!(e, Effect::Execute(..))));
    let t = text(&render(&a, 140, 45));
    assert!(
        t.contains("resumes at step 4 (observability stack)"),
        "the plan resumes:\n{t}"
    );
}

#[test]
fn the_cancel_key_needs_two_presses_and_the_detail_shows_output() {
    let mut a = app_with(PhaseStatus::Running);
    let first = press(&mut a, &["X"]);
    assert!(
        !first
            .iter()
            .any(|e| matches!(e, Effect::CancelPhase { .. })),
        "one press only arms"
    );
    assert!(text(&render(&a, 140, 45)).contains("Press X again to stop it"));
    let second = press(&mut a, &["X"]);
    assert!(
        second.contains(&Effect::CancelPhase {
            region: "ap-south-1".into(),
            phase: "platform-services".into()
        }),
        "{second:?}"
    );
    a.update(Msg::Evidence(Box::new(EvidenceTail {
        region: "ap-south-1".into(),
        phase: "platform-services".into(),
        key: "k".into(),
        dir: "/state/evidence/ap-south-1/platform-services/1-2".into(),
        step: "4. observability stack (running)".into(),
        lines: vec![
            "03:00:01 helm upgrade --install loki".into(),
            "03:00:02!waiting for pods".into(),
        ],
    })));
    let t = text(&render(&a, 140, 45));
    assert!(t.contains("4. observability stack (running)"), "{t}");
    assert!(t.contains("waiting for pods"), "{t}");
    assert!(t.contains("pid 4242 on ops-1"), "{t}");
}

#[test]
fn selecting_a_phase_with_evidence_asks_for_its_output() {
    let mut a = app_with(PhaseStatus::Failed);
    let effects = press(&mut a, &["left", "right"]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadEvidence { dir, .. } if dir.ends_with("/1-2"))),
        "{effects:?}"
    );
}
