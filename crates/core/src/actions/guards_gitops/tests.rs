//! The Argo CD and Helm guards and plans: sync, rollback (Argo CD and Helm) and
//! resume-auto-sync, each guard able to pass, warn and block.

use crate::actions::guards_gitops as gg;
use crate::actions::plan::{Guard, Operation, Verdict};
use crate::actions::testkit::{NOW, fleet, state};
use crate::actions::{Action, Request, Via, plan};
use meridian_model::fleet::Fleet;
use meridian_model::state::*;

fn app_mut<'a>(s: &'a mut FleetState, tenant: &str, region: &str) -> &'a mut AppState {
    s.tenants
        .iter_mut()
        .find(|t| t.id == tenant)
        .and_then(|t| t.apps.iter_mut().find(|(r, _)| **r == *region))
        .and_then(|(_, a)| a.value.as_mut())
        .unwrap_or_else(|| panic!("no app {tenant}/{region}"))
}

fn verdict(p: &crate::actions::Plan, g: Guard) -> Verdict {
    p.checks
        .iter()
        .find(|c| c.guard == g)
        .map(|c| c.verdict)
        .unwrap_or_else(|| panic!("no {} check in {:?}", g.name(), p.checks))
}

fn rollback(tenant: &str, region: &str) -> Request {
    Request::new(Action::Rollback {
        tenant: tenant.into(),
        region: region.into(),
        to: None,
        via: None,
    })
    .reason("CHG-1")
}

fn planned(f: &Fleet, s: &FleetState, req: &Request) -> crate::actions::Plan {
    plan(req, f, s, NOW).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_running_or_requested_operation_blocks_and_cannot_be_overridden() {
    let (f, mut s) = (fleet(), state(&fleet()));
    app_mut(&mut s, "search-stg", "eu-west-1").detail.operation = Some(Box::new(OperationInfo {
        phase: Some(OperationPhase::Running),
        initiated_by: Some("ana".into()),
        ..OperationInfo::default()
    }));
    let req = rollback("search-stg", "eu-west-1").override_guard("operation-in-progress");
    let p = planned(&f, &s, &req);
    assert_eq!(verdict(&p, Guard::OperationInProgress), Verdict::Block);
    assert!(p.is_blocked(), "not overridable");
    app_mut(&mut s, "search-stg", "eu-west-1").detail.operation = Some(Box::new(OperationInfo {
        requested: true,
        phase: Some(OperationPhase::Succeeded),
        ..OperationInfo::default()
    }));
    let p = planned(&f, &s, &rollback("search-stg", "eu-west-1"));
    assert_eq!(verdict(&p, Guard::OperationInProgress), Verdict::Block);
    app_mut(&mut s, "search-stg", "eu-west-1").detail.operation = None;
    let p = planned(&f, &s, &rollback("search-stg", "eu-west-1"));
    assert_eq!(verdict(&p, Guard::OperationInProgress), Verdict::Pass);
}

#[test]
fn an_applicationset_that_puts_sync_policy_back_blocks_a_pausing_rollback() {
    let (f, mut s) = (fleet(), state(&fleet()));
    let a = app_mut(&mut s, "search-stg", "eu-west-1");
    a.auto_sync = true;
    a.detail.owner = Some(Box::new(AppSetOwner {
        name: "search".into(),
        preserves_sync_policy: Some(false),
    }));
    let p = planned(&f, &s, &rollback("search-stg", "eu-west-1"));
    assert_eq!(verdict(&p, Guard::ApplicationsetReverts), Verdict::Block);
    let why = &p
        .checks
        .iter()
        .find(|c| c.guard == Guard::ApplicationsetReverts)
        .unwrap_or_else(|| panic!("check"))
        .reason;
    assert!(
        why.contains("ApplicationSet search") && why.contains("/spec/syncPolicy"),
        "{why}"
    );
    let p = planned(
        &f,
        &s,
        &rollback("search-stg", "eu-west-1").override_guard("applicationset-reverts"),
    );
    assert!(!p.is_blocked(), "overridable with a reason");
    // With auto-sync off there is nothing for the ApplicationSet to put back.
    app_mut(&mut s, "search-stg", "eu-west-1").auto_sync = false;
    let p = planned(&f, &s, &rollback("search-stg", "eu-west-1"));
    assert_eq!(verdict(&p, Guard::ApplicationsetReverts), Verdict::Pass);
    assert_eq!(
        gg::applicationset_reverts(
            &AppState {
                detail: Detail::new(AppDetail {
                    owner: Some(Box::new(AppSetOwner {
                        name: "x".into(),
                        preserves_sync_policy: None
                    })),
                    ..AppDetail::default()
                }),
                ..AppState::default()
            },
            true
        )
        .verdict,
        Verdict::Block,
        "an ApplicationSet that cannot be read is not assumed harmless"
    );
}

#[test]
fn a_rollback_pauses_auto_sync_as_a_step_and_warns_that_hooks_are_skipped() {
    let (f, mut s) = (fleet(), state(&fleet()));
    app_mut(&mut s, "search-stg", "eu-west-1").auto_sync = true;
    let p = planned(&f, &s, &rollback("search-stg", "eu-west-1"));
    assert!(
        p.changes
            .iter()
            .any(|c| c.field == "auto-sync" && c.after.starts_with("paused")),
        "{:?}",
        p.changes
    );
    assert_eq!(verdict(&p, Guard::HooksSkipped), Verdict::Warn);
    assert!(matches!(
        p.operation,
        Some(Operation::Rollback {
            pause_auto_sync: true,
            ..
        })
    ));
}

fn window(kind: &str, manual: bool) -> SyncWindow {
    SyncWindow {
        kind: kind.into(),
        schedule: "* * * * *".into(),
        duration: "1h".into(),
        applications: vec!["*".into()],
        namespaces: Vec::new(),
        clusters: Vec::new(),
        manual_sync: manual,
        time_zone: None,
    }
}

#[test]
fn sync_windows_warn_or_block() {
    let (f, mut s) = (fleet(), state(&fleet()));
    let sync = Request::new(Action::Sync {
        tenant: "search-stg".into(),
        region: "eu-west-1".into(),
        revision: None,
    });
    for (windows, expected) in [
        (None, Verdict::Pass),
        (Some(vec![window("deny", false)]), Verdict::Block),
        (Some(vec![window("deny", true)]), Verdict::Warn),
        (Some(vec![window("allow", false)]), Verdict::Pass),
    ] {
        app_mut(&mut s, "search-stg", "eu-west-1")
            .detail
            .sync_windows = windows.clone().map(Into::into);
        assert_eq!(
            verdict(&planned(&f, &s, &sync), Guard::SyncWindow),
            expected,
            "{windows:?}"
        );
        assert_eq!(
            verdict(
                &planned(&f, &s, &rollback("search-stg", "eu-west-1")),
                Guard::SyncWindow
            ),
            expected
        );
    }
}

#[test]
fn a_sync_goes_to_the_branch_head_and_refuses_another_revision_under_auto_sync() {
    let (f, mut s) = (fleet(), state(&fleet()));
    let a = app_mut(&mut s, "search-stg", "eu-west-1");
    let old = a.revision.clone();
    a.head = Some("feedfacefeedface".into());
    a.sync = SyncStatus::OutOfSync;
    a.auto_sync = false;
    let to_head = Request::new(Action::Sync {
        tenant: "search-stg".into(),
        region: "eu-west-1".into(),
        revision: None,
    });
    let p = planned(&f, &s, &to_head);
    assert!(!p.is_blocked(), "{:?}", p.checks);
    assert_eq!(p.changes[0].before, &old[..7]);
    assert_eq!(p.changes[0].after, "feedfac");
    assert!(
        matches!(&p.operation, Some(Operation::Sync { revision: None, expect: Some(e), .. }) if e == "feedfacefeedface")
    );
    app_mut(&mut s, "search-stg", "eu-west-1").auto_sync = true;
    let to_other = Request::new(Action::Sync {
        tenant: "search-stg".into(),
        region: "eu-west-1".into(),
        revision: Some("1".into()),
    });
    let p = planned(&f, &s, &to_other);
    assert_eq!(verdict(&p, Guard::AutoSync), Verdict::Block);
    assert_eq!(
        verdict(&planned(&f, &s, &to_head), Guard::AutoSync),
        Verdict::Pass
    );
}

#[test]
fn resume_puts_back_the_kept_block_and_warns_when_it_undoes_a_rollback() {
    let (f, mut s) = (fleet(), state(&fleet()));
    let resume = Request::new(Action::ResumeAutoSync {
        tenant: "search-stg".into(),
        region: "eu-west-1".into(),
    });
    let a = app_mut(&mut s, "search-stg", "eu-west-1");
    a.auto_sync = false;
    let p = planned(&f, &s, &resume);
    assert!(p.is_blocked(), "nothing kept to resume");
    let a = app_mut(&mut s, "search-stg", "eu-west-1");
    a.detail.paused = Some(Box::new(PausedAutoSync {
        automated: serde_json::json!({"prune": true}),
        by: "ana@ops".into(),
        at: "2026-01-01T00:00:00Z".into(),
        reason: Some("INC-1".into()),
    }));
    a.head = Some(a.revision.clone());
    let p = planned(&f, &s, &resume);
    assert!(!p.is_blocked(), "{:?}", p.checks);
    assert_eq!(verdict(&p, Guard::AutoSync), Verdict::Pass);
    app_mut(&mut s, "search-stg", "eu-west-1").head = Some("abcdef0123".into());
    let p = planned(&f, &s, &resume);
    assert_eq!(verdict(&p, Guard::AutoSync), Verdict::Warn);
    assert!(
        p.changes.iter().any(|c| c.after.contains("branch head")),
        "{:?}",
        p.changes
    );
    assert!(
        matches!(&p.operation, Some(Operation::ResumeAutoSync { automated, .. }) if automated["prune"] == true)
    );
    app_mut(&mut s, "search-stg", "eu-west-1").auto_sync = true;
    assert!(planned(&f, &s, &resume).operation.is_none(), "already on");
}

fn helm_fleet() -> Fleet {
    let src = meridian_model::fleet::load::DEMO_FLEET
        .replace(
            "id = \"search-stg\"",
            "id = \"search-stg\"\nhelm = { provider = \"helm\", release = \"search\", namespace = \"search\" }",
        )
        .replace("[[regions]]", "[[regions]]\ncluster = { context = \"lab\" }");
    match meridian_model::fleet::parse(&src, "demo.toml", meridian_model::fleet::FleetSource::Demo)
    {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    }
}

fn release(statuses: &[HelmStatus]) -> HelmRelease {
    HelmRelease {
        name: "search".into(),
        namespace: "search".into(),
        revisions: statuses
            .iter()
            .enumerate()
            .map(|(i, st)| HelmRevision {
                revision: i as u32 + 1,
                status: *st,
                chart: "search".into(),
                chart_version: format!("1.{i}.0"),
                app_version: "1".into(),
                updated: Some(NOW),
                description: String::new(),
            })
            .collect(),
    }
}

fn with_release(f: &Fleet, rel: HelmRelease) -> FleetState {
    let mut s = FleetState::skeleton(f, NOW);
    let base = state(f);
    for (t, b) in s.tenants.iter_mut().zip(base.tenants) {
        t.apps = b.apps;
    }
    if let Some(t) = s.tenants.iter_mut().find(|t| t.id == "search-stg") {
        for (_, r) in t.releases.iter_mut() {
            *r = Observed::ok(rel.clone(), NOW);
        }
        // A Helm tenant in a simulated fleet: no Argo CD application renders it.
        for (_, a) in t.apps.iter_mut() {
            *a = Observed::empty(NOW);
        }
    }
    s.regions = base.regions;
    s
}

#[test]
fn a_helm_rollback_goes_to_the_previous_revision_unless_a_helm_operation_is_pending() {
    let f = helm_fleet();
    let s = with_release(
        &f,
        release(&[
            HelmStatus::Superseded,
            HelmStatus::Superseded,
            HelmStatus::Deployed,
        ]),
    );
    let p = planned(&f, &s, &rollback("search-stg", "eu-west-1"));
    assert!(!p.is_blocked(), "{:?}", p.checks);
    assert!(
        matches!(&p.operation, Some(Operation::HelmRollback { revision: 2, from_revision: 3, chart, .. }) if chart == "search-1.1.0")
    );
    assert_eq!(p.changes[0].after, "4 (= revision 2, search-1.1.0)");
    let s = with_release(
        &f,
        release(&[
            HelmStatus::Superseded,
            HelmStatus::Deployed,
            HelmStatus::PendingUpgrade,
        ]),
    );
    let p = planned(
        &f,
        &s,
        &rollback("search-stg", "eu-west-1").override_guard("helm-pending"),
    );
    assert_eq!(verdict(&p, Guard::HelmPending), Verdict::Block);
    assert!(p.is_blocked(), "not overridable");
    let s = with_release(&f, release(&[HelmStatus::Deployed]));
    let p = planned(&f, &s, &rollback("search-stg", "eu-west-1"));
    assert_eq!(verdict(&p, Guard::RevisionUnknown), Verdict::Block);
}

#[test]
fn argo_managed_blocks_a_helm_rollback_only_when_argo_cd_serves_the_app() {
    let release = release(&[HelmStatus::Superseded, HelmStatus::Deployed]);
    assert_eq!(gg::argo_managed("search", None).verdict, Verdict::Pass);
    let app = AppState {
        name: "search-eu".into(),
        ..AppState::default()
    };
    let c = gg::argo_managed(&release.name, Some(&app));
    assert_eq!(c.verdict, Verdict::Block);
    assert!(c.reason.contains("--via argocd"), "{}", c.reason);
    // In a simulated fleet the sim's apps are not Argo CD rendering the chart.
    let f = helm_fleet();
    let mut s = with_release(&f, release);
    s.tenants
        .iter_mut()
        .filter(|t| t.id == "search-stg")
        .for_each(|t| {
            t.apps = state(&f)
                .tenants
                .into_iter()
                .find(|b| b.id == "search-stg")
                .map(|b| b.apps)
                .unwrap_or_default()
        });
    let req = Request::new(Action::Rollback {
        tenant: "search-stg".into(),
        region: "eu-west-1".into(),
        to: None,
        via: Some(Via::Helm),
    });
    assert_eq!(
        verdict(&planned(&f, &s, &req), Guard::ArgoManaged),
        Verdict::Pass
    );
}
