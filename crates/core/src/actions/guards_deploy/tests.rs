//! The deploy guards, each able to pass, warn and block, and the deploy plan.

use super::*;
use crate::actions::plan::{Operation, Verdict};
use crate::actions::testkit::{NOW, set_health, state};
use crate::actions::{Action, Request, plan};
use meridian_model::fleet::Fleet;
use meridian_model::state::{HelmRevision, HelmStatus, Observed};

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

fn diff() -> DeployDiff {
    DeployDiff {
        summary: "0 added, 1 changed (Deployment/search/web), 0 removed, 2 unchanged".into(),
        changed: vec!["Deployment/search/web".into()],
        images: vec!["Deployment/search/web web: app:1.4.2 -> app:1.5.0".into()],
        text: "~ changed Deployment/search/web\n-        image: app:1.4.2\n+        image: app:1.5.0\n"
            .into(),
        ..DeployDiff::default()
    }
}

#[test]
fn helm_pending_passes_a_first_install_and_a_settled_release_and_blocks_a_pending_one() {
    assert_eq!(deploy_helm_pending(None).verdict, Verdict::Pass);
    let settled = release(&[HelmStatus::Superseded, HelmStatus::Deployed]);
    assert_eq!(deploy_helm_pending(Some(&settled)).verdict, Verdict::Pass);
    let failed = release(&[HelmStatus::Deployed, HelmStatus::Failed]);
    assert_eq!(deploy_helm_pending(Some(&failed)).verdict, Verdict::Pass);
    let pending = release(&[HelmStatus::Deployed, HelmStatus::PendingUpgrade]);
    let c = deploy_helm_pending(Some(&pending));
    assert_eq!(c.verdict, Verdict::Block);
    assert!(
        c.reason.contains("revision 2 is pending-upgrade"),
        "{}",
        c.reason
    );
}

#[test]
fn argo_managed_blocks_only_when_an_argo_cd_app_owns_the_release() {
    assert_eq!(deploy_argo_managed("search", None).verdict, Verdict::Pass);
    let s = state(&crate::actions::testkit::fleet());
    let app = s
        .tenants
        .iter()
        .flat_map(|t| t.apps.iter())
        .find_map(|(_, a)| a.value.as_ref())
        .unwrap_or_else(|| panic!("the demo has apps"));
    let c = deploy_argo_managed("search", Some(app));
    assert_eq!(c.verdict, Verdict::Block);
    assert!(c.reason.contains("deploy through Git"), "{}", c.reason);
}

#[test]
fn target_health_passes_healthy_warns_unknown_and_blocks_down() {
    let f = crate::actions::testkit::fleet();
    let mut s = state(&f);
    assert_eq!(deploy_target_health(&s, "eu-west-1").verdict, Verdict::Pass);
    set_health(&mut s, "eu-west-1", HealthStatus::Unknown);
    assert_eq!(deploy_target_health(&s, "eu-west-1").verdict, Verdict::Warn);
    set_health(&mut s, "eu-west-1", HealthStatus::Down);
    let c = deploy_target_health(&s, "eu-west-1");
    assert_eq!(c.verdict, Verdict::Block);
    assert!(c.guard.overridable(), "a fix-forward may override it");
}

#[test]
fn the_diff_must_be_known_and_an_empty_one_warns() {
    assert_eq!(deploy_diff_known(None).verdict, Verdict::Block);
    let empty = DeployDiff {
        summary: "no change".into(),
        ..DeployDiff::default()
    };
    assert_eq!(deploy_diff_known(Some(&empty)).verdict, Verdict::Warn);
    let d = diff();
    let c = deploy_diff_known(Some(&d));
    assert_eq!(c.verdict, Verdict::Pass);
    assert_eq!(c.reason, d.summary);
}

fn helm_fleet(prod: bool) -> Fleet {
    let id = if prod { "payments-prd" } else { "search-stg" };
    let src = meridian_model::fleet::load::DEMO_FLEET
        .replace(
            &format!("id = \"{id}\""),
            &format!("id = \"{id}\"\nhelm = {{ provider = \"helm\", release = \"search\", namespace = \"search\", chart = \"oci://charts/search\" }}"),
        )
        .replace("[[regions]]", "[[regions]]\ncluster = { context = \"lab\" }");
    match meridian_model::fleet::parse(&src, "demo.toml", meridian_model::fleet::FleetSource::Demo)
    {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    }
}

fn with_release(f: &Fleet, tenant: &str, rel: HelmRelease, argo: bool) -> FleetState {
    // The skeleton has a release slot per Helm tenant and region; the rest as observed.
    let mut s = FleetState::skeleton(f, NOW);
    let base = state(f);
    for (t, b) in s.tenants.iter_mut().zip(base.tenants) {
        t.apps = b.apps;
    }
    s.regions = base.regions;
    if let Some(t) = s.tenants.iter_mut().find(|t| t.id == tenant) {
        for (_, r) in t.releases.iter_mut() {
            *r = Observed::ok(rel.clone(), NOW);
        }
        if !argo {
            for (_, a) in t.apps.iter_mut() {
                *a = Observed::empty(NOW);
            }
        }
    }
    s
}

fn deploy(tenant: &str, d: Option<DeployDiff>) -> Request {
    let region = if tenant == "payments-prd" {
        "us-east-1"
    } else {
        "eu-west-1"
    };
    let mut r = Request::new(Action::Deploy {
        tenant: tenant.into(),
        region: region.into(),
        version: Some("1.5.0".into()),
        set: vec![("image.tag".into(), "1.5.0".into())],
        values: Vec::new(),
    });
    r.deploy_diff = d.map(Box::new);
    r
}

fn planned(f: &Fleet, s: &FleetState, r: &Request) -> crate::actions::Plan {
    plan(r, f, s, NOW).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_deploy_plan_names_the_objects_and_images_and_carries_the_whole_diff() {
    let f = helm_fleet(false);
    let s = with_release(
        &f,
        "search-stg",
        release(&[HelmStatus::Superseded, HelmStatus::Deployed]),
        false,
    );
    let p = planned(&f, &s, &deploy("search-stg", Some(diff())));
    assert!(!p.is_blocked(), "{:?}", p.checks);
    assert_eq!(p.changes[0].before, "2 (search-1.1.0)");
    assert_eq!(p.changes[0].after, "3 (oci://charts/search 1.5.0)");
    assert_eq!(p.changes[1].subject, "Deployment/search/web");
    assert_eq!(p.changes[1].after, "changed");
    assert!(
        p.notes.iter().any(|n| n.contains("app:1.4.2 -> app:1.5.0")),
        "{:?}",
        p.notes
    );
    assert!(
        matches!(&p.operation, Some(Operation::HelmDeploy { from_revision: 2, diff, version, .. })
            if diff.text.contains("+        image: app:1.5.0") && version.as_deref() == Some("1.5.0"))
    );
    assert_eq!(
        p.cli_equivalent,
        "meridian deploy search-stg --region eu-west-1 --version 1.5.0 --set image.tag=1.5.0"
    );
    // The whole diff goes into the audit record with the plan.
    let rec =
        crate::actions::audit::record("x", "demo", &p, crate::actions::AuditOutcome::Started, None);
    assert!(
        rec.plan.to_string().contains("image: app:1.5.0"),
        "{}",
        rec.plan
    );
}

#[test]
fn a_deploy_is_refused_for_a_pending_release_an_argo_app_or_an_unknown_diff() {
    let f = helm_fleet(false);
    let pending = with_release(
        &f,
        "search-stg",
        release(&[HelmStatus::Deployed, HelmStatus::PendingInstall]),
        false,
    );
    let p = planned(
        &f,
        &pending,
        &deploy("search-stg", Some(diff())).override_guard("helm-pending"),
    );
    assert!(p.is_blocked(), "helm-pending cannot be overridden");
    // The simulator's apps are not Argo CD rendering the chart; Argo CD's are.
    let argo = with_release(&f, "search-stg", release(&[HelmStatus::Deployed]), true);
    let p = planned(&f, &argo, &deploy("search-stg", Some(diff())));
    assert!(!p.is_blocked(), "{:?}", p.checks);
    let mut argo_fleet = f.clone();
    argo_fleet.gitops.provider = meridian_model::fleet::ProviderKind::Argocd;
    let p = planned(&argo_fleet, &argo, &deploy("search-stg", Some(diff())));
    assert!(
        p.blocking().any(|c| c.guard == Guard::ArgoManaged),
        "{:?}",
        p.checks
    );
    let ok = with_release(&f, "search-stg", release(&[HelmStatus::Deployed]), false);
    let p = planned(&f, &ok, &deploy("search-stg", None));
    assert!(p.is_blocked() && p.operation.is_none());
}

#[test]
fn a_production_deploy_needs_a_reason() {
    let f = helm_fleet(true);
    let s = with_release(&f, "payments-prd", release(&[HelmStatus::Deployed]), false);
    let p = planned(&f, &s, &deploy("payments-prd", Some(diff())));
    assert!(
        p.blocking().any(|c| c.guard == Guard::ReasonRequired),
        "{:?}",
        p.checks
    );
    let p = planned(
        &f,
        &s,
        &deploy("payments-prd", Some(diff())).reason("release 1.5.0"),
    );
    assert!(!p.is_blocked(), "{:?}", p.checks);
}

#[test]
fn a_tenant_without_a_chart_cannot_deploy() {
    let f = crate::actions::testkit::fleet();
    let s = state(&f);
    let p = planned(&f, &s, &deploy("search-stg", Some(diff())));
    assert!(
        p.blocking().any(|c| c.reason.contains("no chart")),
        "{:?}",
        p.checks
    );
}

#[test]
fn a_first_install_plans_from_no_release_when_helm_found_none() {
    let f = helm_fleet(false);
    // The release reader reports the release missing; the render found none either.
    let s = FleetState::skeleton(&f, NOW);
    let mut base = state(&f);
    base.tenants = s.tenants;
    let d = DeployDiff {
        summary: "1 added (ConfigMap/search/web)".into(),
        added: vec!["ConfigMap/search/web".into()],
        first_install: true,
        ..DeployDiff::default()
    };
    let p = planned(&f, &base, &deploy("search-stg", Some(d.clone())));
    assert!(
        matches!(
            &p.operation,
            Some(Operation::HelmDeploy {
                from_revision: 0,
                ..
            })
        ),
        "{:?}",
        p.checks
    );
    assert_eq!(p.changes[0].before, "not installed");
    let not_first = DeployDiff {
        first_install: false,
        ..d
    };
    let p = planned(&f, &base, &deploy("search-stg", Some(not_first)));
    assert!(
        p.is_blocked(),
        "an unread release is not taken for a first install"
    );
}

#[test]
fn a_two_person_rule_on_deploy_binds_the_plan_with_its_diff() {
    use crate::actions::approvals::{plan_hash, required};
    let mut f = helm_fleet(false);
    f.policy
        .approvals
        .rules
        .push(meridian_model::fleet::ApprovalRule {
            action: "deploy".into(),
            environment: None,
            approval: meridian_model::fleet::ApprovalKind::TwoPerson,
        });
    let s = with_release(&f, "search-stg", release(&[HelmStatus::Deployed]), false);
    let p = planned(&f, &s, &deploy("search-stg", Some(diff())));
    assert!(required(&f, &p));
    // Another render is another plan: an approval of the first does not cover it.
    let mut other = diff();
    other.text.push_str("+        replicas: 3\n");
    let q = planned(&f, &s, &deploy("search-stg", Some(other)));
    assert_ne!(plan_hash(&p), plan_hash(&q));
}

/// A practice copy never deploys (Helm would reach the real cluster): the plan is blocked,
/// saying so and how the rehearsal goes on.
#[test]
fn a_practice_copy_refuses_a_deploy_and_says_how_to_go_on() {
    let f = helm_fleet(false);
    let s = with_release(
        &f,
        "search-stg",
        release(&[HelmStatus::Superseded, HelmStatus::Deployed]),
        false,
    );
    let copy = crate::actions::practice::fleet(&f, &crate::actions::practice::seed(&f, &s));
    let p = planned(&copy, &s, &deploy("search-stg", Some(diff())));
    assert!(p.is_blocked(), "{:?}", p.checks);
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    let why: Vec<&str> = p.checks.iter().map(|c| c.reason.as_str()).collect();
    assert!(
        why.iter().any(
            |w| w.starts_with("PRACTICE: not run: a Helm deploy of search-stg")
                && w.contains("rollout skip --practice")
        ),
        "{why:?}"
    );
}
