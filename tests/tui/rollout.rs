//! The rollout pane: steps with their state and a gate's live countdown, the next step's
//! plan one key away in the usual confirmation modal, and the approval when it is the
//! second person's turn. Snapshots at 80x24 and 160x45 from the frozen demo fleet.

use meridian::actions::AuditOutcome;
use meridian::actions::rollout::{Next, Rollout};
use meridian::tui::App;
use meridian::tui::app::Effect;
use meridian::tui::fixture::{demo_app, press, render, text};

const MIN: i64 = 60_000;

pub(crate) fn app() -> App {
    demo_app("dark", "default", false).unwrap_or_else(|e| panic!("demo app: {e}"))
}

/// The demo release with its weights and us-east-1's syncs done; the health gate started
/// 9m12s before the app's clock.
pub(crate) fn mid_gate(a: &mut App) {
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
    assert!(screen.contains("n: start one"), "{screen}");
}

/// A command gate runs from the dashboard: Enter starts it (off the event loop), its
/// verdict comes back as a message, and a met gate is recorded like any other.
#[test]
fn a_command_gate_runs_from_the_pane_and_its_verdict_is_recorded() {
    use meridian::actions::rollout::GateVerdict;
    use meridian::fleet::StepCommand;
    use meridian::fleet::rollout::{GateSpec, RolloutTemplate, TemplateStep};
    use meridian::tui::Msg;

    let mut a = app();
    let run = StepCommand::Argv(vec!["true".into()]);
    a.fleet.rollouts.push(RolloutTemplate {
        id: "checked".into(),
        name: "Checked".into(),
        params: Vec::new(),
        steps: vec![TemplateStep::Gate(GateSpec::Command {
            run: run.clone(),
            artifact: None,
            uses: None,
        })],
        kind: Default::default(),
        modes: Vec::new(),
        step_meta: vec![Default::default()],
    });
    let r = Rollout::start(
        &a.fleet,
        "checked",
        Default::default(),
        "CHG-8",
        "ana@a",
        a.now,
    )
    .unwrap_or_else(|e| panic!("start: {e}"));
    a.rollout = Some(Box::new(r));
    press(&mut a, &["o"]);
    let effects = press(&mut a, &["Enter"]);
    assert!(
        matches!(effects.as_slice(), [Effect::CommandGate(0, c)] if *c == run),
        "{effects:?}"
    );
    assert!(text(&render(&a, 80, 24)).contains("gate: running `true`"));

    // Still failing: shown, nothing recorded.
    let waiting = GateVerdict::Waiting {
        waiting_for: "`true` to exit 0 (it exited 1: no)".into(),
        remaining_secs: None,
    };
    assert!(a.update(Msg::CommandGate(0, waiting)).is_empty());
    let met = GateVerdict::Met {
        reason: "`true` exited 0".into(),
    };
    let effects = a.update(Msg::CommandGate(0, met.clone()));
    assert!(
        matches!(effects.as_slice(), [Effect::RolloutGate(0, v)] if *v == met),
        "{effects:?}"
    );

    // A read-only partner's dashboard does not run it.
    a.read_only = true;
    assert!(press(&mut a, &["Enter"]).is_empty());
}

/// A partner's request waits in the header; `A` lists it with its changes and hash, and
/// Enter approves that exact request through the library (audited there).
#[test]
fn a_pending_approval_is_shown_and_approved_from_the_pane() {
    use meridian::actions::approvals::ApprovalRequest;
    use meridian::tui::Msg;

    let mut a = app();
    let req = ApprovalRequest {
        hash: "a1b2c3d4e5f60718293a4b5c6d7e8f90".into(),
        action: "promote".into(),
        target: "eu-west-1".into(),
        summary: "Promote eu-west-1's database to primary".into(),
        changes: vec!["eu-west-1 database: replica -> primary".into()],
        command: "meridian promote eu-west-1".into(),
        requester: "alice@laptop".into(),
        requested_at_ms: a.now - 2 * MIN,
        expires_at_ms: a.now + 13 * MIN,
        production: false,
    };
    a.update(Msg::Pending(vec![req.clone()]));
    let board = text(&render(&a, 160, 45));
    assert!(board.contains("⚑ 1 waiting for approval (A)"), "{board}");

    press(&mut a, &["A"]);
    let pane = text(&render(&a, 80, 24));
    assert!(
        pane.contains("a1b2c3d4e5f6  promote eu-west-1  by alice@laptop"),
        "{pane}"
    );
    assert!(
        pane.contains("eu-west-1 database: replica -> primary"),
        "{pane}"
    );
    let effects = press(&mut a, &["Enter"]);
    assert!(
        matches!(effects.as_slice(), [Effect::ApprovePlan(r)] if **r == req),
        "{effects:?}"
    );
    a.update(Msg::Approved(Err("alice@laptop asked for it".into())));
    assert!(text(&render(&a, 80, 24)).contains("not approved: alice@laptop asked for it"));

    // Read-only: listed, never approved.
    a.read_only = true;
    press(&mut a, &["A"]);
    assert!(press(&mut a, &["Enter"]).is_empty());
}

/// An artifact waiting for approval (a Terraform plan) shows its text in the approvals
/// pane, a window of it at a time, moved with PgDn/PgUp; Enter approves that request.
#[test]
fn an_artifact_waiting_for_approval_shows_its_text_scrollably() {
    use meridian::actions::approvals::ApprovalRequest;
    use meridian::actions::approvals::artifact::ARTIFACT_ACTION;
    use meridian::tui::Msg;

    let mut a = app();
    let req = ApprovalRequest {
        hash: "f00dfeed".repeat(8),
        action: ARTIFACT_ACTION.into(),
        target: "tfplan (rollout infra-1 step 1)".into(),
        summary: "artifact tfplan: 2048 bytes written by `terraform plan -out=tfplan`".into(),
        changes: (1..=60).map(|i| format!("+ resource number {i}")).collect(),
        command: "meridian rollout next (the step that applies it)".into(),
        requester: "alice@laptop".into(),
        requested_at_ms: a.now - MIN,
        expires_at_ms: a.now + 14 * MIN,
        production: false,
    };
    a.update(Msg::Pending(vec![req.clone()]));
    press(&mut a, &["A"]);
    let pane = text(&render(&a, 120, 40));
    assert!(
        pane.contains("artifact tfplan (rollout infra-1 step 1)"),
        "{pane}"
    );
    assert!(
        pane.contains("│ + resource number 1\n") || pane.contains("│ + resource number 1 "),
        "{pane}"
    );
    assert!(!pane.contains("resource number 40"), "{pane}");
    assert!(pane.contains("of 60 · PgDn/PgUp to scroll"), "{pane}");
    assert!(
        pane.contains(&format!("artifact sha256 {}", req.hash)),
        "{pane}"
    );

    press(&mut a, &["pagedown", "pagedown", "pagedown"]);
    let pane = text(&render(&a, 120, 40));
    assert!(pane.contains("resource number 31"), "{pane}");
    assert!(!pane.contains("resource number 1 "), "{pane}");
    press(&mut a, &["pageup", "pageup", "pageup"]);
    assert!(text(&render(&a, 120, 40)).contains("resource number 1 "));

    let effects = press(&mut a, &["Enter"]);
    assert!(
        matches!(effects.as_slice(), [Effect::ApprovePlan(r)] if **r == req),
        "{effects:?}"
    );
}

/// `deploy TENANT REGION --set k=v` in the palette renders the diff first (a read, in a
/// task: `Effect::RenderDeploy`), then opens the usual plan modal with the rendered diff's
/// summary, the changed images and the whole diff; a deploy step from the rollout pane goes
/// the same way instead of being refused for an unknown revision.
#[test]
fn a_deploy_from_the_palette_or_the_rollout_pane_renders_its_diff_into_the_plan() {
    use meridian::actions::guards_deploy::DeployDiff;
    use meridian::actions::{Action, Request};
    use meridian::fleet::rollout::{RolloutTemplate, TemplateStep};
    use meridian::tui::Msg;
    use meridian::tui::fixture::type_text;

    let mut a = app();
    // The demo's search-stg, installed by Helm with a chart to deploy.
    let helm = meridian::fleet::parse(
        "[fleet]\nname = \"h\"\n[[regions]]\nid = \"us-east-1\"\nrole = \"primary\"\nsteady_weight = 100\ncluster = { context = \"us-east-1\" }\n[[tenants]]\nid = \"search-stg\"\nenvironment = \"stg\"\nregions = [\"us-east-1\"]\nhelm = { provider = \"helm\", release = \"search\", chart = \"charts/search\" }\n",
        "helm.toml",
        meridian::fleet::FleetSource::Demo,
    )
    .unwrap()
    .tenants[0]
        .helm
        .clone();
    for t in a.fleet.tenants.iter_mut().filter(|t| t.id == "search-stg") {
        t.helm = helm.clone();
    }
    press(&mut a, &[":"]);
    type_text(&mut a, "deploy search-stg us-east-1 --set image.tag=1.5.0");
    let effects = press(&mut a, &["Enter"]);
    let request = match effects.as_slice() {
        [Effect::RenderDeploy(r)] => (**r).clone(),
        other => panic!("{other:?}"),
    };
    match &request.action {
        Action::Deploy {
            tenant,
            region,
            set,
            ..
        } => {
            assert_eq!(
                (tenant.as_str(), region.as_str()),
                ("search-stg", "us-east-1")
            );
            assert_eq!(set, &vec![("image.tag".to_string(), "1.5.0".to_string())]);
        }
        other => panic!("{other:?}"),
    }
    let mut rendered: Request = request.clone();
    rendered.deploy_diff = Some(Box::new(DeployDiff {
        summary: "0 added, 1 changed (Deployment/search/web), 0 removed, 2 unchanged".into(),
        changed: vec!["Deployment/search/web".into()],
        images: vec!["Deployment/search/web web: app:1.4.2 -> app:1.5.0".into()],
        text: "0 added, 1 changed (Deployment/search/web), 0 removed, 2 unchanged\n~ changed Deployment/search/web\n-        image: app:1.4.2\n+        image: app:1.5.0\n".into(),
        // The demo's simulated world has no Helm history: Helm found none, a first install.
        first_install: true,
        ..DeployDiff::default()
    }));
    a.update(Msg::DeployRendered(Box::new(rendered), Ok(())));
    let modal = text(&render(&a, 160, 45));
    assert!(modal.contains("rendered diff"), "{modal}");
    assert!(
        modal.contains("image Deployment/search/web web: app:1.4.2 -> app:1.5.0"),
        "{modal}"
    );
    assert!(modal.contains("+        image: app:1.5.0"), "{modal}");
    assert!(!modal.contains("revision-unknown"), "{modal}");

    // A render that failed still opens the plan, which says why and refuses.
    press(&mut a, &["esc"]);
    a.update(Msg::DeployRendered(
        Box::new(request),
        Err("cannot render the deploy: helm: chart not found".into()),
    ));
    assert!(text(&render(&a, 160, 45)).contains("chart not found"));

    // The rollout pane's deploy step renders before its plan opens.
    press(&mut a, &["esc"]);
    a.fleet.rollouts.push(RolloutTemplate {
        id: "ship".into(),
        name: "Ship".into(),
        params: Vec::new(),
        steps: vec![TemplateStep::Deploy {
            tenant: "search-stg".into(),
            region: "us-east-1".into(),
            version: None,
            set: vec![("image.tag".into(), "1.5.0".into())],
        }],
        kind: Default::default(),
        modes: Vec::new(),
        step_meta: vec![Default::default()],
    });
    let r = Rollout::start(
        &a.fleet,
        "ship",
        Default::default(),
        "CHG-9",
        "alice@laptop",
        a.now,
    )
    .unwrap();
    a.update(Msg::Rollout(Some(Box::new(r))));
    press(&mut a, &["o"]);
    let effects = press(&mut a, &["Enter"]);
    assert!(
        matches!(effects.as_slice(), [Effect::RenderDeploy(r)] if r.rollout.is_some()),
        "{effects:?}"
    );
}
