//! An alarms gate in the rollout pane: Enter has the library read CloudWatch's alarm history
//! (off the event loop), the verdict comes back as a message and is recorded like a command
//! gate's; still waiting past the step's timeout is a failure that says for what.

use std::time::Duration;

use meridian::actions::rollout::{GateVerdict, Rollout};
use meridian::fleet::rollout::{GateSpec, RolloutTemplate, StepMeta, TemplateStep};
use meridian::tui::app::Effect;
use meridian::tui::fixture::{press, render, text};
use meridian::tui::{App, Msg};

const MIN: i64 = 60_000;

fn alarms() -> GateSpec {
    GateSpec::Alarms {
        prefix: Some("shop-".into()),
        tag: None,
        region: None,
        hold: Duration::from_secs(7 * 86_400),
    }
}

/// The demo app at a rollout whose only step is the alarms gate, started `ago` ms before
/// the app's clock, with a 10-minute timeout.
fn at_gate(ago: i64) -> App {
    let mut a = super::rollout::app();
    a.fleet.rollouts.push(RolloutTemplate {
        id: "cutover".into(),
        name: "Cutover".into(),
        params: Vec::new(),
        steps: vec![TemplateStep::Gate(alarms())],
        kind: Default::default(),
        modes: Vec::new(),
        step_meta: vec![StepMeta {
            timeout: Some(Duration::from_secs(600)),
            only: None,
        }],
    });
    let r = Rollout::start(
        &a.fleet,
        "cutover",
        Default::default(),
        "BD-7.5",
        "ana@a",
        a.now - ago,
    )
    .unwrap_or_else(|e| panic!("start: {e}"));
    a.rollout = Some(Box::new(r));
    a
}

#[test]
fn an_alarms_gate_is_decided_from_the_pane_and_its_verdict_recorded() {
    let mut a = at_gate(MIN);
    press(&mut a, &["o"]);
    let effects = press(&mut a, &["Enter"]);
    assert!(
        matches!(effects.as_slice(), [Effect::AlarmsGate(0, g)] if *g == alarms()),
        "the pane asks the library, it does not leave the gate to `rollout next`: {effects:?}"
    );
    let board = text(&render(&a, 160, 45));
    assert!(
        board.contains("gate: reading the alarms' history"),
        "{board}"
    );

    // Inside the window: shown, nothing recorded.
    let waiting = GateVerdict::Waiting {
        waiting_for:
            "alarm shop-5xx was in ALARM until 2026-12-01T10:00:00Z, inside the 168h window".into(),
        remaining_secs: Some(3_600),
    };
    assert!(a.update(Msg::CommandGate(0, waiting)).is_empty());
    assert!(
        text(&render(&a, 160, 45)).contains("alarm shop-5xx was in ALARM until"),
        "the wait is shown"
    );
    // Firing: the gate fails and the failure is recorded.
    let failed = GateVerdict::Failed {
        reason: "alarm shop-5xx is in ALARM since 2026-12-07T10:00:00Z".into(),
    };
    let effects = a.update(Msg::CommandGate(0, failed.clone()));
    assert!(
        matches!(effects.as_slice(), [Effect::RolloutGate(0, v)] if *v == failed),
        "{effects:?}"
    );
    // Read-only mode may look: reading alarms changes nothing.
    a.read_only = true;
    assert!(matches!(
        press(&mut a, &["Enter"]).as_slice(),
        [Effect::AlarmsGate(0, _)]
    ));
}

#[test]
fn an_alarms_gate_still_waiting_past_its_timeout_fails_saying_for_what() {
    let mut a = at_gate(20 * MIN);
    let waiting = GateVerdict::Waiting {
        waiting_for: "alarm history of prefix shop-, unreadable: connection refused".into(),
        remaining_secs: None,
    };
    let effects = a.update(Msg::CommandGate(0, waiting));
    assert!(
        matches!(effects.as_slice(), [Effect::RolloutGate(0, GateVerdict::Failed { reason })]
            if reason.contains("timed out after 20m") && reason.contains("unreadable: connection refused")),
        "{effects:?}"
    );
}
