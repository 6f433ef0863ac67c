//! Findings on the dashboard: the top one on a line under the header, the list behind `a`,
//! Enter on one opens its action's usual plan modal (which runs nothing until confirmed),
//! and a finding without a safe action says why instead.

use meridian::actions::Action;
use meridian::actions::findings::Kind;
use meridian::state::{FleetState, HealthStatus};
use meridian::tui::app::Effect;
use meridian::tui::fixture::{FIXED_NOW, app_for, demo_state, press, render, text};
use meridian::tui::overlay::Overlay;
use meridian::tui::{App, Msg};

/// The frozen demo with `region` down for four minutes.
fn down(region: &str) -> App {
    let (fleet, mut state) = demo_state(42).unwrap();
    set_down(&mut state, region);
    app_for(fleet, state, "dark", "default", false).unwrap()
}

fn set_down(state: &mut FleetState, region: &str) {
    let h = state
        .region_mut(region)
        .and_then(|r| r.health.value.as_mut())
        .unwrap();
    h.status = HealthStatus::Down;
    h.reason = "0/3 probes ok: connect timeout after 2s".into();
    h.healthy_since = None;
    h.unhealthy_since = Some(FIXED_NOW - 4 * 60_000);
}

fn executed(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Execute(..)))
}

#[test]
fn a_healthy_board_has_no_finding_line() {
    let (fleet, state) = demo_state(42).unwrap();
    let a = app_for(fleet, state, "dark", "default", false).unwrap();
    assert!(
        a.attention.findings.is_empty(),
        "{:#?}",
        a.attention.findings
    );
    let t = text(&render(&a, 100, 30));
    assert!(!t.contains(" -> "), "{t}");
}

#[test]
fn the_top_finding_shows_under_the_header() {
    let a = down("ap-southeast-1");
    assert_eq!(a.attention.findings[0].kind, Kind::RegionDown);
    let t = text(&render(&a, 100, 30));
    let third = t.lines().nth(2).unwrap();
    assert!(
        third.contains("! ap-southeast-1 down 4m, still 20% of traffic -> drain ap-southeast-1"),
        "{t}"
    );
    assert!(third.contains("a: 1 finding"), "{third}");
    insta::assert_snapshot!(t);
}

#[test]
fn a_lists_the_findings_and_enter_opens_the_drain_plan_without_running_it() {
    let mut a = down("ap-southeast-1");
    let effects = press(&mut a, &["a"]);
    assert!(
        matches!(a.overlay, Some(Overlay::Findings { .. })),
        "{:?}",
        a.overlay
    );
    assert!(!executed(&effects));
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("Findings · 1 · most urgent first"), "{t}");
    assert!(
        t.contains("meridian drain ap-southeast-1 --reason ID"),
        "{t}"
    );
    insta::assert_snapshot!(t);

    let effects = press(&mut a, &["enter"]);
    assert!(!executed(&effects), "Enter plans, it never runs");
    let Some(Overlay::Confirm(m)) = &a.overlay else {
        panic!("the plan modal, got {:?}", a.overlay);
    };
    assert_eq!(
        m.plan.action,
        Action::Drain {
            region: "ap-southeast-1".into()
        }
    );
    // The usual modal: a production drain still needs its reason.
    assert!(m.can_confirm().is_err());
    let effects = press(&mut a, &["esc"]);
    assert!(!executed(&effects));
    assert!(a.overlay.is_none());
}

#[test]
fn esc_closes_the_list_and_an_empty_list_says_so() {
    let (fleet, state) = demo_state(42).unwrap();
    let mut a = app_for(fleet, state, "dark", "default", false).unwrap();
    press(&mut a, &["a"]);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("Nothing needs you"), "{t}");
    // Enter on an empty list does nothing.
    let effects = press(&mut a, &["enter"]);
    assert!(!executed(&effects));
    press(&mut a, &["esc"]);
    assert!(a.overlay.is_none());
}

#[test]
fn a_finding_without_a_safe_action_says_why_instead_of_planning() {
    // Lag reads refused for credentials: nothing meridian does fixes that; the finding
    // says what to check.
    let (fleet, mut state) = demo_state(42).unwrap();
    let lag = &mut state.region_mut("eu-west-1").unwrap().lag;
    lag.error = Some("password authentication failed for user \"meridian\"".into());
    let mut a = app_for(fleet, state, "dark", "default", false).unwrap();
    let i = a
        .attention
        .findings
        .iter()
        .position(|f| f.kind == Kind::StaleData)
        .unwrap_or_else(|| panic!("{:#?}", a.attention.findings));
    assert!(a.attention.findings[i].suggestion.request().is_none());
    press(&mut a, &["a"]);
    for _ in 0..i {
        press(&mut a, &["down"]);
    }
    let effects = press(&mut a, &["enter"]);
    assert!(!executed(&effects));
    assert!(
        !matches!(a.overlay, Some(Overlay::Confirm(_))),
        "{:?}",
        a.overlay
    );
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("no safe action"), "{t}");
}

#[test]
fn the_findings_follow_the_readings() {
    let (fleet, state) = demo_state(42).unwrap();
    let mut a = app_for(fleet, state.clone(), "dark", "default", false).unwrap();
    assert!(a.attention.findings.is_empty());
    let mut worse = state;
    set_down(&mut worse, "ap-southeast-1");
    a.update(Msg::Fleet(Box::new(worse), None));
    assert_eq!(
        a.attention.findings.first().map(|f| f.id.as_str()),
        Some("region-down/ap-southeast-1")
    );
}
