//! Driving a rollout from the dashboard alone: starting one from a template (its parameters
//! checked by the library's own `Rollout::start`, a reason, every step shown first), and
//! the pane's keys to pause, resume, retry, skip with a comment and take over. Each ends
//! in an effect for the executor's rollout door; the app decides nothing the library does.

use std::collections::BTreeMap;

use meridian::actions::AuditOutcome;
use meridian::actions::executor::StartOptions;
use meridian::actions::rollout::{Next, Rollout};
use meridian::fleet::rollout::GateSpec;
use meridian::tui::app::{Effect, Status};
use meridian::tui::fixture::{press, render, text, type_text};
use meridian::tui::overlay::{Overlay, RolloutControl};
use meridian::tui::{App, Msg};

use super::rollout::{app, mid_gate};

/// A running release-to us-east-1 started by alice, its first sync failed.
fn failed_sync(a: &mut App) {
    let params = BTreeMap::from([("region".to_string(), "us-east-1".to_string())]);
    let mut r = Rollout::start(
        &a.fleet,
        "release-to",
        params,
        "CHG-9",
        "alice@laptop",
        a.now,
    )
    .unwrap();
    r.record_action(
        0,
        AuditOutcome::Failed,
        Some("PreSync Job migrate failed".into()),
        "a1",
        "alice@laptop",
        a.now,
    );
    assert!(matches!(r.next(), Next::Stopped { index: 0, .. }));
    a.rollout = Some(Box::new(r));
}

#[test]
fn n_in_the_pane_lists_every_template_with_its_steps() {
    let mut a = app();
    press(&mut a, &["o", "n"]);
    assert!(matches!(a.overlay, Some(Overlay::RolloutStart(_))));
    let screen = text(&render(&a, 120, 40));
    assert!(
        screen.contains("release-to  Release to one region  (release; parameters: region)"),
        "{screen}"
    );
    assert!(screen.contains("sync every tenant in {region}"), "{screen}");
    assert!(
        screen.contains("eu-west-1 lag under 5s (graceful only; timeout 10m)"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn the_palette_starts_a_rollout_by_name() {
    let mut a = app();
    press(&mut a, &[":"]);
    type_text(&mut a, "rollout-start");
    press(&mut a, &["enter"]);
    assert!(
        matches!(a.overlay, Some(Overlay::RolloutStart(_))),
        "{:?}",
        a.overlay
    );
}

/// The parameter is refused with the words of the library (the code the CLI runs), the
/// whole rollout shows once it is valid, and the button sends exactly what was typed.
#[test]
fn the_form_checks_parameters_as_the_cli_does_and_shows_every_step_before_it_starts() {
    let mut a = app();
    press(&mut a, &["o", "n", "down", "down", "enter"]);
    type_text(&mut a, "us-east");
    let screen = text(&render(&a, 120, 40));
    let cli = Rollout::start(
        &a.fleet,
        "release-to",
        BTreeMap::from([("region".into(), "us-east".into())]),
        "CHG-9",
        "x",
        a.now,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        cli,
        "rollout release-to: \"us-east\" is not a region of fleet demo"
    );
    assert!(screen.contains(&cli), "{screen}");
    assert!(screen.contains("[ Start rollout ] (not yet)"), "{screen}");
    // Without a reason the button refuses, saying why.
    type_text(&mut a, "-1");
    let effects = press(&mut a, &["tab", "tab", "enter"]);
    assert!(effects.is_empty(), "{effects:?}");
    let screen = text(&render(&a, 120, 40));
    assert!(screen.contains("✗ a rollout needs a reason"), "{screen}");
    // The whole rollout, production steps marked, before it starts.
    assert!(screen.contains("The rollout (5 steps):"), "{screen}");
    assert!(
        screen.contains("1 sync storefront-prd in us-east-1  (production)"),
        "{screen}"
    );
    assert!(
        screen.contains("3 sync search-stg in us-east-1"),
        "{screen}"
    );
    assert!(
        !screen.contains("3 sync search-stg in us-east-1  (production)"),
        "{screen}"
    );
    press(&mut a, &["backtab"]);
    type_text(&mut a, "CHG-9 release 4.2");
    let screen = text(&render(&a, 120, 40));
    insta::assert_snapshot!(screen);
    let effects = press(&mut a, &["tab", "enter"]);
    assert_eq!(
        effects,
        vec![Effect::StartRollout(Box::new(StartOptions {
            template: "release-to".into(),
            params: BTreeMap::from([("region".into(), "us-east-1".into())]),
            reason: "CHG-9 release 4.2".into(),
            ..StartOptions::default()
        }))]
    );
    // Back in the pane, waiting for the library's answer.
    assert!(matches!(a.overlay, Some(Overlay::Rollout)));
    assert!(matches!(&a.status, Status::Running(s) if s.contains("starting rollout release-to")));
    a.update(Msg::RolloutSaid(Err(
        "blocked by freeze: frozen by ana".into()
    )));
    assert!(
        matches!(&a.status, Status::Failed(s) if s == "rollout: blocked by freeze: frozen by ana")
    );
}

/// A failover may start ungraceful (`--mode ungraceful`): the form has the mode, and the
/// preview leaves out the steps that need the old region, as the library will.
#[test]
fn a_failover_can_be_started_ungraceful_from_the_form() {
    let mut a = app();
    press(&mut a, &["o", "n", "down", "enter"]);
    type_text(&mut a, "INC-4 us-east-1 gone");
    press(&mut a, &["tab"]);
    let screen = text(&render(&a, 120, 40));
    assert!(screen.contains("▶ mode        ◀ graceful ▶"), "{screen}");
    assert!(
        screen.contains("2 eu-west-1 lag under 5s  (timeout 10m)"),
        "{screen}"
    );
    press(&mut a, &["space"]);
    let screen = text(&render(&a, 120, 40));
    assert!(screen.contains("◀ ungraceful ▶"), "{screen}");
    assert!(
        screen.contains("2 eu-west-1 lag under 5s  (timeout 10m; left out when ungraceful)"),
        "{screen}"
    );
    let effects = press(&mut a, &["tab", "enter"]);
    assert_eq!(
        effects,
        vec![Effect::StartRollout(Box::new(StartOptions {
            template: "failover-eu-west-1".into(),
            reason: "INC-4 us-east-1 gone".into(),
            mode: meridian::fleet::rollout::RunMode::Ungraceful,
            ..StartOptions::default()
        }))]
    );
}

/// Mid-run, the driver switches a failover to ungraceful: the prompt names the steps left
/// out and asks why; a release has no such mode.
#[test]
fn m_switches_a_failover_to_ungraceful_naming_what_it_leaves_out() {
    let mut a = app();
    mid_gate(&mut a);
    assert!(press(&mut a, &["o", "m"]).is_empty());
    assert!(
        matches!(&a.status, Status::Info(s) if s.ends_with("its template has no ungraceful mode")),
        "{:?}",
        a.status
    );
    let r = Rollout::start(
        &a.fleet,
        "failover-eu-west-1",
        BTreeMap::new(),
        "INC-4",
        "alice@laptop",
        a.now,
    )
    .unwrap();
    a.rollout = Some(Box::new(r));
    press(&mut a, &["m"]);
    let screen = text(&render(&a, 120, 40));
    assert!(
        screen.contains("Switch the failover to ungraceful"),
        "{screen}"
    );
    assert!(
        screen.contains("Left out: step 2 (eu-west-1 lag under 5s)."),
        "{screen}"
    );
    assert!(press(&mut a, &["enter"]).is_empty());
    type_text(&mut a, "us-east-1 gone");
    assert_eq!(
        press(&mut a, &["enter"]),
        vec![Effect::ControlRollout(RolloutControl::Ungraceful(
            "us-east-1 gone".into()
        ))]
    );
}

#[test]
fn esc_in_the_form_goes_back_to_the_templates_and_esc_there_to_the_pane() {
    let mut a = app();
    press(&mut a, &["o", "n", "enter"]);
    assert!(text(&render(&a, 120, 40)).contains("Start rollout release "));
    press(&mut a, &["esc"]);
    assert!(text(&render(&a, 120, 40)).contains("choose a template"));
    press(&mut a, &["esc"]);
    assert!(matches!(a.overlay, Some(Overlay::Rollout)));
}

#[test]
fn another_rollout_cannot_start_while_one_is_unfinished() {
    let mut a = app();
    mid_gate(&mut a);
    press(&mut a, &["o", "n"]);
    assert!(matches!(a.overlay, Some(Overlay::Rollout)));
    assert!(
        matches!(&a.status, Status::Info(s) if s.contains("before another starts")),
        "{:?}",
        a.status
    );
}

#[test]
fn read_only_starts_and_controls_nothing() {
    let mut a = meridian::tui::fixture::demo_app("dark", "default", true).unwrap();
    mid_gate(&mut a);
    for key in ["n", "p", "s", "t"] {
        assert!(press(&mut a, &["o", key]).is_empty());
        assert!(
            matches!(&a.status, Status::Failed(s) if s.starts_with("read-only")),
            "{key}: {:?}",
            a.status
        );
        assert!(matches!(a.overlay, Some(Overlay::Rollout)));
    }
}

#[test]
fn p_asks_why_and_pauses_through_the_library() {
    let mut a = app();
    mid_gate(&mut a);
    press(&mut a, &["o", "p"]);
    let screen = text(&render(&a, 120, 40));
    assert!(screen.contains("Pause the rollout"), "{screen}");
    assert!(
        screen.contains("everyone sees who paused and why"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    // A pause needs a reason.
    assert!(press(&mut a, &["enter"]).is_empty());
    assert!(text(&render(&a, 120, 40)).contains("✗ a reason is needed"));
    type_text(&mut a, "CDN incident");
    let effects = press(&mut a, &["enter"]);
    assert_eq!(
        effects,
        vec![Effect::ControlRollout(RolloutControl::Pause(
            "CDN incident".into()
        ))]
    );
    assert!(matches!(a.overlay, Some(Overlay::Rollout)));
}

#[test]
fn u_resumes_a_paused_rollout_with_an_optional_reason() {
    let mut a = app();
    mid_gate(&mut a);
    // Not paused: nothing to resume.
    assert!(press(&mut a, &["o", "u"]).is_empty());
    assert!(matches!(&a.status, Status::Info(s) if s.ends_with("is not paused")));
    let now = a.now;
    if let Some(r) = a.rollout.as_deref_mut() {
        r.pause("bo@desk", "CDN incident", now).unwrap();
    }
    // Already paused: p says by whom and which key resumes.
    assert!(press(&mut a, &["p"]).is_empty());
    assert!(
        matches!(&a.status, Status::Info(s) if s.contains("already paused by bo@desk (CDN incident); u resumes it")),
        "{:?}",
        a.status
    );
    let screen = text(&render(&a, 120, 40));
    assert!(
        screen.contains("no step runs, no gate counts; u resumes"),
        "{screen}"
    );
    press(&mut a, &["u"]);
    let effects = press(&mut a, &["enter"]);
    assert_eq!(
        effects,
        vec![Effect::ControlRollout(
            RolloutControl::Resume(String::new())
        )]
    );
}

#[test]
fn r_retries_only_a_failed_step() {
    let mut a = app();
    mid_gate(&mut a);
    assert!(press(&mut a, &["o", "r"]).is_empty());
    assert!(matches!(&a.status, Status::Info(s) if s.contains("has not failed")));
    let mut a = app();
    failed_sync(&mut a);
    press(&mut a, &["o"]);
    let screen = text(&render(&a, 120, 40));
    assert!(
        screen.contains("Rollout Release to one region · failed at step 1"),
        "{screen}"
    );
    assert!(
        screen.contains("stopped: r retries the step, s skips it with a comment"),
        "{screen}"
    );
    let effects = press(&mut a, &["r"]);
    assert_eq!(effects, vec![Effect::ControlRollout(RolloutControl::Retry)]);
}

/// A production step's skip says it waits for a second person; the second person's Enter
/// in their pane approves it.
#[test]
fn s_skips_with_a_required_comment_and_a_second_person_approves_in_production() {
    let mut a = app();
    failed_sync(&mut a);
    press(&mut a, &["o", "s"]);
    let screen = text(&render(&a, 120, 40));
    assert!(
        screen.contains("Skip step 1 (sync storefront-prd in us-east-1)"),
        "{screen}"
    );
    assert!(
        screen.contains("It touches production: the skip waits for a second person"),
        "{screen}"
    );
    assert!(press(&mut a, &["enter"]).is_empty());
    assert!(text(&render(&a, 120, 40)).contains("✗ a skip needs a comment"));
    type_text(&mut a, "hotfix applied by hand");
    assert_eq!(
        press(&mut a, &["enter"]),
        vec![Effect::ControlRollout(RolloutControl::Skip(
            "hotfix applied by hand".into()
        ))]
    );
    // What the library stores: a skip waiting for a second person; their Enter approves.
    let now = a.now;
    if let Some(r) = a.rollout.as_deref_mut() {
        r.skip("alice@laptop", "hotfix applied by hand", true, now)
            .unwrap();
    }
    let screen = text(&render(&a, 120, 40));
    assert!(
        screen.contains("Enter: approve the skip (a second person, not alice@laptop)"),
        "{screen}"
    );
    assert_eq!(press(&mut a, &["enter"]), vec![Effect::ApproveRollout]);
}

#[test]
fn t_takes_over_with_a_reason_and_everyone_sees_who_drives() {
    let mut a = app();
    mid_gate(&mut a);
    press(&mut a, &["o"]);
    assert!(
        text(&render(&a, 120, 40)).contains("started by alice@laptop · driven by alice@laptop")
    );
    press(&mut a, &["t"]);
    let screen = text(&render(&a, 120, 40));
    assert!(
        screen.contains("Take over driving from alice@laptop"),
        "{screen}"
    );
    assert!(press(&mut a, &["enter"]).is_empty());
    type_text(&mut a, "alice off shift");
    assert_eq!(
        press(&mut a, &["enter"]),
        vec![Effect::ControlRollout(RolloutControl::Take(
            "alice off shift".into()
        ))]
    );
    if let Some(r) = a.rollout.as_deref_mut() {
        r.take("bo@desk", "alice off shift").unwrap();
    }
    let screen = text(&render(&a, 120, 40));
    assert!(
        screen.contains("started by alice@laptop · driven by bo@desk (took over)"),
        "{screen}"
    );
}

/// The end a pair sees: a skipped step makes the outcome "succeeded with exceptions", and
/// the skipped step is listed with its comment and who approved it.
#[test]
fn a_rollout_with_a_skipped_step_ends_succeeded_with_exceptions() {
    let mut a = app();
    failed_sync(&mut a);
    let now = a.now;
    let Some(r) = a.rollout.as_deref_mut() else {
        panic!()
    };
    r.skip("alice@laptop", "hotfix applied by hand", true, now)
        .unwrap();
    r.approve("bo@desk", now).unwrap();
    while r.current().is_some() {
        match r.next() {
            Next::Action { index, .. } => r.record_action(
                index,
                AuditOutcome::Succeeded,
                None,
                "a2",
                "alice@laptop",
                now,
            ),
            Next::Gate {
                gate: GateSpec::Approval { .. },
                ..
            } => r.approve("bo@desk", now).map(|_| ()).unwrap(),
            Next::Gate { index, .. } => {
                let met = meridian::actions::rollout::GateVerdict::Met {
                    reason: "ok".into(),
                };
                r.record_gate(index, &met, now);
            }
            other => panic!("{other:?}"),
        }
    }
    press(&mut a, &["o"]);
    let screen = text(&render(&a, 120, 40));
    assert!(
        screen.contains("Rollout Release to one region · succeeded with exceptions"),
        "{screen}"
    );
    assert!(
        screen.contains(
            "exception: step 1 (sync storefront-prd in us-east-1) skipped by alice@laptop"
        ),
        "{screen}"
    );
    assert!(screen.contains("finished: n starts another"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn the_footer_and_help_show_the_pane_keys() {
    let mut a = app();
    mid_gate(&mut a);
    press(&mut a, &["o"]);
    let screen = text(&render(&a, 160, 45));
    assert!(
        screen.contains(
            "n start  p pause  u resume  r retry  s skip  t take over  Esc close  m ungraceful"
        ),
        "{screen}"
    );
    let help: Vec<String> = meridian::tui::view::help::help_lines(&a)
        .into_iter()
        .map(|(k, t)| format!("{k} {t}"))
        .collect();
    for (key, name) in [
        ("n", "rollout-start"),
        ("p", "rollout-pause"),
        ("u", "rollout-resume"),
        ("r", "rollout-retry"),
        ("s", "rollout-skip"),
        ("t", "rollout-take"),
        ("m", "rollout-ungraceful"),
    ] {
        assert!(
            help.iter().any(|l| l.starts_with(&format!("{key} {name}"))),
            "{key} {name}: {help:#?}"
        );
    }
}
