//! Every action's modal: the plan is shown, blocks cannot be confirmed, production needs
//! the typed name, warnings need acknowledgement, read-only shows no confirm button, and
//! confirming hands the plan back as an effect (the modal executes nothing).

use meridian::actions::{Action, Verdict};
use meridian::fleet::ConfirmStrength;
use meridian::traffic::{Ask, Weight};
use meridian::tui::app::Effect;
use meridian::tui::fixture::{demo_app, press, render, text, type_text};
use meridian::tui::overlay::{Field, Overlay};
use meridian::tui::{App, Msg};

fn app() -> App {
    demo_app("dark", "default", false).unwrap_or_else(|e| panic!("demo app: {e}"))
}

fn modal(a: &App) -> &meridian::tui::overlay::ConfirmModal {
    match &a.overlay {
        Some(Overlay::Confirm(m)) => m,
        other => panic!("expected the plan modal, got {other:?}"),
    }
}

fn executed(effects: &[Effect]) -> Option<&Action> {
    effects.iter().find_map(|e| match e {
        Effect::Execute(_, p) => Some(&p.action),
        _ => None,
    })
}

#[test]
fn drain_in_production_needs_a_reason_and_the_typed_name() {
    let mut a = app();
    press(&mut a, &["down", "down", "d"]);
    // Tall enough for every guard (the freeze guard is one more line) and the command.
    let t = text(&render(&a, 100, 32));
    assert!(t.contains("Drain ap-southeast-1"), "{t}");
    assert!(
        t.contains("ap-southeast-1 weight: 20 (20%) -> 0 (0%)"),
        "{t}"
    );
    assert!(t.contains("blast radius 3 tenant(s)"), "{t}");
    assert!(t.contains("✗ BLOCK"), "{t}");
    assert!(t.contains("cli meridian drain ap-southeast-1"), "{t}");
    assert!(!t.contains("[ OK ]"));
    assert_eq!(modal(&a).plan.confirm, ConfirmStrength::TypeName);
    assert_eq!(
        modal(&a).focus,
        Field::Reason,
        "the reason is asked for first"
    );
    // `y` types into the reason field; it never confirms a blocked plan.
    let effects = press(&mut a, &["tab", "tab", "y"]);
    assert!(executed(&effects).is_none());
    assert!(modal(&a).can_confirm().is_err());
    // Give a reason: the block lifts, but the name must still be typed.
    let mut a = app();
    press(&mut a, &["down", "down", "d"]);
    type_text(&mut a, "INC-4711");
    assert!(
        modal(&a).plan.blocking().next().is_none(),
        "{:?}",
        modal(&a).plan.checks
    );
    press(&mut a, &["tab"]);
    assert_eq!(modal(&a).focus, Field::TypeName);
    type_text(&mut a, "ap-southeast-");
    let effects = press(&mut a, &["enter", "enter"]);
    assert!(
        executed(&effects).is_none(),
        "a partial name does not confirm"
    );
    let mut a = app();
    press(&mut a, &["down", "down", "d"]);
    type_text(&mut a, "INC-4711");
    press(&mut a, &["tab"]);
    type_text(&mut a, "ap-southeast-1");
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("✓ matches"), "{t}");
    let effects = press(&mut a, &["enter", "enter"]);
    assert_eq!(
        executed(&effects),
        Some(&Action::Drain {
            region: "ap-southeast-1".into()
        })
    );
    assert!(a.overlay.is_none());
    assert!(a.running.is_some());
}

#[test]
fn cancel_is_the_default_and_records_a_decline() {
    let mut a = app();
    press(&mut a, &["down", "down", "d"]);
    press(&mut a, &["tab", "tab"]);
    assert_eq!(modal(&a).focus, Field::Buttons);
    let effects = press(&mut a, &["enter"]);
    assert!(
        matches!(effects.as_slice(), [Effect::Decline(_)]),
        "{effects:?}"
    );
    assert!(a.overlay.is_none());
}

#[test]
fn run_phase_outside_production_is_yes_no_with_no_as_default() {
    let mut a = app();
    press(&mut a, &["G", "x"]);
    let m = modal(&a);
    assert_eq!(m.plan.confirm, ConfirmStrength::YesNo, "{:?}", m.plan);
    assert!(
        matches!(&m.plan.action, Action::RunPhase { region, phase } if region == "ap-south-1" && phase == "platform-services")
    );
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("[ No ]"), "{t}");
    assert!(t.contains("[ Run platform-services in ap-south-1 ]"), "{t}");
    assert!(t.contains("y/N"), "{t}");
    // Enter on the default button declines.
    let effects = press(&mut a, &["enter"]);
    assert!(matches!(effects.as_slice(), [Effect::Decline(_)]));
    // `y` confirms.
    let mut a = app();
    press(&mut a, &["G", "x"]);
    let effects = press(&mut a, &["y"]);
    assert!(matches!(executed(&effects), Some(Action::RunPhase { .. })));
}

#[test]
fn a_blocked_phase_cannot_be_confirmed_until_overridden_with_a_reason() {
    let mut a = app();
    // Phase grid, last region, last phase (smoke test before its earlier phases).
    press(&mut a, &["3", "G", "end"]);
    for _ in 0..7 {
        press(&mut a, &["right"]);
    }
    press(&mut a, &["x"]);
    let m = modal(&a);
    assert!(m.plan.is_blocked(), "{:?}", m.plan.checks);
    let blocker = m
        .plan
        .blocking()
        .next()
        .map(|c| c.guard.name())
        .unwrap_or_default();
    assert_eq!(blocker, "phase-order");
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("✗ BLOCK"), "{t}");
    assert!(
        t.contains("✗ blocked"),
        "the confirm button is disabled and says so:\n{t}"
    );
    let effects = press(&mut a, &["y"]);
    assert!(executed(&effects).is_none());
    assert!(
        modal(&a)
            .refusal
            .as_deref()
            .unwrap_or("")
            .contains("phase-order")
    );
    // Override: name the guard and give a reason.
    press(&mut a, &["tab"]);
    assert_eq!(modal(&a).focus, Field::Reason);
    type_text(&mut a, "CHG-9 rerun smoke test");
    press(&mut a, &["tab"]);
    assert_eq!(modal(&a).focus, Field::Override);
    type_text(&mut a, "phase-order");
    let m = modal(&a);
    assert!(
        m.plan.checks.iter().any(|c| c.overridden),
        "{:?}",
        m.plan.checks
    );
    assert!(!m.plan.is_blocked());
    assert!(text(&render(&a, 100, 30)).contains("OVERRIDDEN"));
}

#[test]
fn warnings_must_be_acknowledged() {
    let mut a = app();
    // Rollback storefront-prd in us-east-1: auto-sync is on and will be paused.
    press(&mut a, &["2", "b"]);
    assert!(matches!(a.overlay, Some(Overlay::Revisions(_))));
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("choose a revision"), "{t}");
    assert!(t.contains("◀ running now"), "{t}");
    press(&mut a, &["enter"]);
    let m = modal(&a);
    assert!(matches!(m.plan.action, Action::Rollback { .. }));
    assert!(
        m.plan.checks.iter().any(|c| c.verdict == Verdict::Warn),
        "{:?}",
        m.plan.checks
    );
    type_text(&mut a, "CHG-1");
    press(&mut a, &["tab"]);
    assert_eq!(modal(&a).focus, Field::Acknowledge);
    press(&mut a, &["tab"]);
    type_text(&mut a, "storefront-prd");
    press(&mut a, &["enter"]);
    assert_eq!(modal(&a).focus, Field::Buttons);
    let effects = press(&mut a, &["y"]);
    assert!(executed(&effects).is_none());
    assert!(
        modal(&a)
            .refusal
            .as_deref()
            .unwrap_or("")
            .contains("acknowledge")
    );
    press(&mut a, &["backtab", "backtab", "space"]);
    assert!(modal(&a).acknowledged);
    let effects = press(&mut a, &["y"]);
    assert!(matches!(executed(&effects), Some(Action::Rollback { .. })));
}

#[test]
fn weights_editor_shows_shares_live_and_refuses_invalid_totals() {
    let mut a = app();
    press(&mut a, &["w"]);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("Set weights"), "{t}");
    assert!(t.contains("50.0%"), "{t}");
    // us-east-1 to 0 and the others to 0: refused before any plan.
    type_text(&mut a, "0");
    for _ in 0..3 {
        press(&mut a, &["down"]);
        type_text(&mut a, "0");
    }
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("refused"), "{t}");
    let effects = press(&mut a, &["enter"]);
    assert!(effects.is_empty());
    assert!(matches!(a.overlay, Some(Overlay::Weights(_))));
    // Back to steady, then 90/10 style shift: shares update.
    press(&mut a, &["s", "g"]);
    let mut a = app();
    press(&mut a, &["w"]);
    type_text(&mut a, "90");
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("64.3%"), "90 of 140 is 64.3%:\n{t}");
    press(&mut a, &["enter"]);
    let m = modal(&a);
    assert!(
        matches!(&m.plan.action, Action::SetWeights { weights } if weights == &vec![("us-east-1".to_string(), Ask::Units(90))])
    );
}

#[test]
fn weights_editor_takes_percentages_and_shows_units_and_shares() {
    let mut a = app();
    press(&mut a, &["w"]);
    // us-east-1 to 75% of all traffic: the others keep 30+20+0 = 50, so it needs 150.
    type_text(&mut a, "75%");
    let t = text(&render(&a, 100, 30));
    assert!(
        t.contains("75%=150"),
        "the share asked and the weight it becomes:\n{t}"
    );
    assert!(t.contains("75.0%"), "the effective share:\n{t}");
    // A share that cannot hold under the provider's range is refused before any plan.
    let mut b = app();
    press(&mut b, &["w"]);
    type_text(&mut b, "90%");
    let t = text(&render(&b, 100, 30));
    assert!(t.contains("refused"), "{t}");
    assert!(t.contains("us-east-1 = 90% (weight 450)"), "{t}");
    // Enter on a valid share opens the plan, which shows units and the effective share.
    press(&mut a, &["enter"]);
    let m = modal(&a);
    assert!(
        matches!(&m.plan.action, Action::SetWeights { weights } if weights == &vec![("us-east-1".to_string(), Ask::Percent(7500))])
    );
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("us-east-1 weight: 50 (50%) -> 150 (75%)"), "{t}");
}

#[test]
fn promote_shows_the_plan_with_the_replication_lag_guard() {
    let mut a = app();
    press(&mut a, &["down", "p"]);
    let m = modal(&a);
    assert!(matches!(&m.plan.action, Action::Promote { region } if region == "eu-west-1"));
    assert!(
        m.plan
            .checks
            .iter()
            .any(|c| c.guard.name() == "replication-lag")
    );
    assert_eq!(m.plan.confirm, ConfirmStrength::TypeName);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("[ Promote eu-west-1 ]"), "{t}");
    assert!(t.contains("us-east-1 role: primary -> secondary"), "{t}");
}

#[test]
fn restore_plans_the_steady_weight() {
    let mut a = app();
    let mut s = a.state.clone();
    if let Some(r) = s.region_mut("eu-west-1") {
        r.weight.value = Some(Weight::units(0));
    }
    a.update(Msg::Fleet(Box::new(s), None));
    press(&mut a, &["down", "r"]);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("Restore eu-west-1"), "{t}");
    assert!(t.contains("eu-west-1 weight: 0 (0%) -> 30"), "{t}");
}

#[test]
fn read_only_shows_the_plan_with_no_confirm_button() {
    let mut a = demo_app("dark", "default", true).unwrap_or_else(|e| panic!("{e}"));
    press(&mut a, &["down", "down", "d"]);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("READ-ONLY"), "{t}");
    assert!(
        t.contains("ap-southeast-1 weight: 20 (20%) -> 0 (0%)"),
        "{t}"
    );
    assert!(t.contains("[ Close ]"), "{t}");
    assert!(!t.contains("[ Drain ap-southeast-1 ]"), "{t}");
    let effects = press(&mut a, &["y"]);
    assert!(executed(&effects).is_none());
    let effects = press(&mut a, &["esc"]);
    assert!(
        effects.is_empty(),
        "nothing to record in read-only mode: {effects:?}"
    );
}

#[test]
fn verdicts_and_the_disabled_button_are_styled_by_meaning() {
    use meridian::tui::fixture::find;
    use meridian::tui::theme::Role;
    let mut a = app();
    press(&mut a, &["down", "down", "d"]);
    let buf = render(&a, 100, 30);
    let (x, y) = find(&buf, "✗ BLOCK").unwrap_or_else(|| panic!("no BLOCK"));
    assert_eq!(buf[(x, y)].style().fg, a.theme.get(Role::Danger).fg);
    let (x, y) = find(&buf, "✓ PASS").unwrap_or_else(|| panic!("no PASS"));
    assert_eq!(buf[(x, y)].style().fg, a.theme.get(Role::Ok).fg);
    let (x, y) = find(&buf, "[ Drain ap-southeast-1 ]").unwrap_or_else(|| panic!("no button"));
    let disabled = a.theme.get(Role::ButtonDisabled);
    assert_eq!(buf[(x, y)].style().fg, disabled.fg);
    assert!(
        buf[(x, y)]
            .style()
            .add_modifier
            .contains(ratatui::style::Modifier::UNDERLINED)
    );
    // Once it can be confirmed and is selected, it is drawn as a button.
    type_text(&mut a, "INC-1");
    press(&mut a, &["tab"]);
    type_text(&mut a, "ap-southeast-1");
    press(&mut a, &["enter"]);
    let buf = render(&a, 100, 30);
    let (x, y) = find(&buf, "[ Drain ap-southeast-1 ]").unwrap_or_else(|| panic!("no button"));
    assert_eq!(buf[(x, y)].style().bg, a.theme.get(Role::Button).bg);
}

#[test]
fn promoting_over_the_rpo_budget_needs_data_loss_accepted_by_name() {
    let mut a = app();
    let mut s = a.state.clone();
    if let Some(r) = s.region_mut("eu-west-1") {
        r.lag.value = Some(120.0);
    }
    a.update(Msg::Fleet(Box::new(s), None));
    press(&mut a, &["down", "p"]);
    let m = modal(&a);
    assert!(
        m.plan
            .blocking()
            .any(|c| c.guard.name() == "replication-lag"),
        "{:?}",
        m.plan.checks
    );
    type_text(&mut a, "INC-9 region lost");
    press(&mut a, &["tab"]);
    assert_eq!(modal(&a).focus, Field::Override);
    type_text(&mut a, "replication-lag");
    let m = modal(&a);
    assert!(m.request.accept_data_loss);
    assert!(
        !m.plan
            .blocking()
            .any(|c| c.guard.name() == "replication-lag"),
        "{:?}",
        m.plan.checks
    );
}

#[test]
fn the_backends_describe_a_weight_change_and_the_plan_carries_it() {
    let mut a = app();
    let effects = press(&mut a, &["down", "d"]);
    let Some(Effect::DescribePlan(p)) = effects
        .iter()
        .find(|e| matches!(e, Effect::DescribePlan(_)))
    else {
        panic!("a weight change is described by the traffic provider: {effects:?}");
    };
    let op = p
        .operation
        .clone()
        .unwrap_or_else(|| panic!("no operation"));
    a.update(Msg::PlanNotes(
        Box::new(op),
        vec!["UPSERT eu-west-1 weight 30 -> 0 (one change batch)".into()],
    ));
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("note: UPSERT eu-west-1 weight 30 -> 0"), "{t}");
    type_text(&mut a, "eu-west-1");
    let effects = press(&mut a, &["enter", "enter"]);
    let carried = effects.iter().any(
        |e| matches!(e, Effect::Execute(_, p) if p.notes.iter().any(|n| n.starts_with("UPSERT"))),
    );
    assert!(carried, "{effects:?}");
}
