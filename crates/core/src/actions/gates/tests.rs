use std::time::Duration;

use super::*;
use crate::actions::testkit::*;
use meridian_model::state::{AppHealth, HealthStatus, Observed, PhaseStatus, SyncStatus};

const MIN: Duration = Duration::from_secs(60);

#[test]
fn healthy_for_counts_from_healthy_since() {
    let f = fleet();
    let mut s = state(&f);
    assert!(healthy_for(&s, "eu-west-1", 15 * MIN, NOW).met);
    if let Some(h) = s
        .region_mut("eu-west-1")
        .and_then(|r| r.health.value.as_mut())
    {
        h.healthy_since = Some(NOW - 10 * 60_000);
    }
    let g = healthy_for(&s, "eu-west-1", 15 * MIN, NOW);
    assert!(!g.met);
    assert_eq!(g.reason, "eu-west-1 healthy for 10m");
    assert!(healthy_for(&s, "eu-west-1", 15 * MIN, NOW + 5 * 60_000).met);
}

#[test]
fn healthy_for_is_not_met_by_a_down_region_or_a_failed_read() {
    let f = fleet();
    let mut s = state(&f);
    set_health(&mut s, "eu-west-1", HealthStatus::Down);
    let g = healthy_for(&s, "eu-west-1", Duration::ZERO, NOW);
    assert!(!g.met);
    assert!(g.reason.contains("not healthy (down"), "{}", g.reason);

    let mut s = state(&f);
    if let Some(r) = s.region_mut("us-east-1") {
        r.health.error = Some("timed out".into());
    }
    let g = healthy_for(&s, "us-east-1", Duration::ZERO, NOW);
    assert!(!g.met, "a stale green is not evidence");
    assert!(g.reason.contains("timed out"), "{}", g.reason);
    assert!(!healthy_for(&s, "nowhere-1", Duration::ZERO, NOW).met);
}

#[test]
fn lag_under_needs_a_fresh_value_within_the_limit() {
    let f = fleet();
    let mut s = state(&f);
    assert!(lag_under(&s, "eu-west-1", Duration::from_secs(5)).met);
    let g = lag_under(&s, "eu-west-1", Duration::from_secs(1));
    assert!(!g.met);
    assert_eq!(g.reason, "eu-west-1 lag 2.0s, over 1s");
    set_lag(&mut s, "eu-west-1", Some(0.5), Some("connection refused"));
    assert!(!lag_under(&s, "eu-west-1", Duration::from_secs(5)).met);
    let g = lag_under(&s, "us-east-1", Duration::from_secs(5));
    assert!(!g.met);
    assert!(g.reason.contains("is the primary"), "{}", g.reason);
}

#[test]
fn synced_needs_synced_and_healthy() {
    let f = fleet();
    let mut s = state(&f);
    let tenant = f.tenants[0].id.clone();
    let region = f.tenants[0].regions[0].clone();
    assert!(synced(&s, &tenant, &region).met);
    let app = s
        .tenants
        .iter_mut()
        .find(|t| t.id == tenant)
        .and_then(|t| t.apps.iter_mut().find(|(r, _)| **r == *region))
        .and_then(|(_, o)| o.value.as_mut());
    if let Some(a) = app {
        a.sync = SyncStatus::OutOfSync;
        a.health = AppHealth::Progressing;
    }
    let g = synced(&s, &tenant, &region);
    assert!(!g.met);
    assert!(
        g.reason.contains("OutOfSync and Progressing"),
        "{}",
        g.reason
    );
    assert!(!synced(&s, "nobody", &region).met);
}

#[test]
fn hold_restarts_when_the_condition_breaks() {
    let mut h = Hold::default();
    assert_eq!(h.observe(true, 1_000), 0);
    assert_eq!(h.observe(true, 4_000), 3_000);
    assert_eq!(h.observe(false, 5_000), 0);
    assert_eq!(h.observe(true, 6_000), 0);
    assert_eq!(h.observe(true, 7_500), 1_500);
}

#[test]
fn all_lists_only_what_is_not_met() {
    let g = Gate::all(vec![
        Gate {
            met: true,
            reason: "a".into(),
        },
        Gate {
            met: false,
            reason: "b".into(),
        },
    ]);
    assert!(!g.met);
    assert_eq!(g.reason, "b");
}

#[test]
fn a_healthy_fleet_has_no_problems() {
    let f = fleet();
    let s = state(&f);
    assert_eq!(fleet_problems(&f, &s), Vec::<String>::new());
}

#[test]
fn fleet_problems_name_every_bad_thing() {
    let f = fleet();
    let mut s = state(&f);
    set_health(&mut s, "ap-southeast-1", HealthStatus::Down);
    set_lag(&mut s, "eu-west-1", Some(600.0), None);
    if let Some(r) = s.region_mut("us-east-1") {
        r.weight = Observed::failed(Some(&r.weight.clone()), "throttled");
    }
    if let Some(p) = s
        .region_mut("ap-south-1")
        .and_then(|r| r.phases.value.as_mut())
        .and_then(|ps| ps.iter_mut().find(|p| p.state == PhaseStatus::Pending))
    {
        p.state = PhaseStatus::Failed;
        p.error = Some("helm timed out".into());
    }
    let problems = fleet_problems(&f, &s).join("\n");
    for needle in [
        "ap-southeast-1 is down",
        "eu-west-1 lag 600.0s, over 60s (the RPO budget)",
        "us-east-1 weight is stale: throttled",
        "ap-south-1 phase",
        "helm timed out",
    ] {
        assert!(
            problems.contains(needle),
            "{needle} missing from:\n{problems}"
        );
    }
}

#[test]
fn a_fenced_former_writer_still_serving_is_a_problem_and_a_drained_one_needs_only_a_rejoin() {
    let f = fleet();
    let mut s = state(&f);
    if let Some(r) = s.region_mut("us-east-1") {
        r.role = Observed::ok(meridian_model::fleet::Role::Secondary, NOW);
    }
    if let Some(r) = s.region_mut("eu-west-1") {
        r.role = Observed::ok(meridian_model::fleet::Role::Primary, NOW);
        r.lag = Observed::empty(NOW);
    }
    let fenced = format!(
        "us-east-1: postgres replication lag: {}: read-only, replicating from nothing",
        meridian_model::state::replication::FENCED
    );
    set_lag(&mut s, "us-east-1", None, Some(&fenced));
    let problems = fleet_problems(&f, &s).join("\n");
    assert!(
        problems.contains(
            "us-east-1 is a fenced former writer (its database takes no writes) still serving"
        ),
        "{problems}"
    );
    assert!(
        problems.contains("`meridian drain us-east-1`"),
        "{problems}"
    );
    assert!(
        problems.contains("us-east-1 replication is fenced"),
        "{problems}"
    );
    assert!(
        !problems.contains("lag is stale"),
        "a fenced link is not a stale read:\n{problems}"
    );

    set_weight(&mut s, "us-east-1", 0);
    let drained = fleet_problems(&f, &s).join("\n");
    assert!(!drained.contains("still serving"), "{drained}");
    assert!(
        drained.contains("us-east-1 replication is fenced"),
        "{drained}"
    );
}

#[test]
fn a_helm_tenant_without_an_application_is_judged_by_its_release() {
    use meridian_model::state::{HelmRelease, HelmRevision, HelmStatus};
    let mut f = fleet();
    let tenant = f.tenants[0].id.clone();
    let region = f.tenants[0].regions[0].to_string();
    f.tenants[0].helm = Some(meridian_model::fleet::Capability {
        provider: meridian_model::fleet::ProviderKind::Helm,
        settings: meridian_model::fleet::settings::Settings::Helm(Default::default()),
    });
    let mut s = state(&f);
    let release = |status| HelmRelease {
        name: tenant.clone(),
        namespace: "default".into(),
        revisions: vec![HelmRevision {
            revision: 3,
            status,
            chart: "app".into(),
            chart_version: "1.4.0".into(),
            app_version: "2.1".into(),
            updated: None,
            description: String::new(),
        }],
    };
    let ts = s
        .tenants
        .iter_mut()
        .find(|t| t.id == tenant)
        .expect("tenant");
    // No Argo CD application: the cell holds nothing and no error.
    ts.apps[0].1 = Observed::empty(NOW);
    ts.releases = vec![(
        region.as_str().into(),
        Observed::ok(release(HelmStatus::Deployed), NOW),
    )];
    let g = tenant_ready(&f, &s, &tenant, &region);
    assert!(g.met, "{}", g.reason);
    assert!(
        g.reason.contains("Helm revision 3 deployed (app-1.4.0)"),
        "{}",
        g.reason
    );
    assert!(
        !fleet_problems(&f, &s)
            .join("\n")
            .contains(&format!("{tenant} in {region}"))
    );

    let ts = s
        .tenants
        .iter_mut()
        .find(|t| t.id == tenant)
        .expect("tenant");
    ts.releases[0].1 = Observed::ok(release(HelmStatus::PendingUpgrade), NOW);
    let g = tenant_ready(&f, &s, &tenant, &region);
    assert!(
        !g.met && g.reason.contains("is pending-upgrade"),
        "{}",
        g.reason
    );
}
