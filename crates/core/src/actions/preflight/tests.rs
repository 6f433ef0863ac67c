//! Preflight case by case, on the demo fleet (every part simulated) and on a Route 53
//! fleet with the same failover template.

use std::collections::BTreeMap;

use super::*;
use crate::actions::testkit::{NOW, fleet, state};
use meridian_model::fleet::FleetSource;
use meridian_model::state::Observed;
use meridian_model::state::freeze::Freeze;

const FAILOVER: &str = "failover-eu-west-1";

fn free_lock() -> Records {
    Records {
        lock: Some(Ok(None)),
        lock_where: "lock file /tmp/x".into(),
        rollout: None,
        sim_writable: Some(Ok(())),
    }
}

fn judge(f: &Fleet, s: &FleetState, r: &Records) -> Preflight {
    evaluate(f, FAILOVER, &BTreeMap::new(), s, r, NOW).expect("template resolves")
}

fn failed(p: &Preflight) -> Vec<String> {
    p.failures()
        .map(|i| format!("{}: {}", i.check, i.detail))
        .collect()
}

/// The demo's failover with its regions served by Route 53; eu-west-1's health table is
/// `eu_health` (empty: none).
fn route53_fleet(eu_health: &str) -> Fleet {
    let text = format!(
        r#"
[fleet]
name = "r53"
[policy]
rpo_budget = "60s"
[traffic]
provider = "route53"
hosted_zone_id = "Z1"
record_name = "app.example.com"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
health = {{ provider = "route53", health_check_id = "hc-use1" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 50
{eu_health}
[[rollouts]]
id = "{FAILOVER}"
name = "Fail over to eu-west-1"
kind = "failover"
steps = [
  {{ drain = "us-east-1" }},
  {{ promote = "eu-west-1" }},
  {{ gate = "healthy", region = "eu-west-1", for = "2m" }},
]
"#
    );
    meridian_model::fleet::parse(&text, "r53.toml", FleetSource::File("r53.toml".into()))
        .expect("valid fleet")
}

#[test]
fn the_demo_failover_is_ready_on_a_healthy_fleet() {
    let f = fleet();
    let p = judge(&f, &state(&f), &free_lock());
    assert!(p.ready, "{:#?}", failed(&p));
    assert_eq!(p.kind, TemplateKind::Failover);
    let checks: Vec<&str> = p.items.iter().map(|i| i.check.as_str()).collect();
    for want in [
        "fleet lock",
        "change freeze",
        "step 1: drain us-east-1",
        "step 3: promote eu-west-1",
        "step 4: eu-west-1 healthy 2m",
        "eu-west-1 traffic record",
        "eu-west-1 health check",
        "eu-west-1 database",
        "us-east-1 database",
        "eu-west-1 writes",
    ] {
        assert!(checks.contains(&want), "no {want} in {checks:?}");
    }
    let db = p
        .items
        .iter()
        .find(|i| i.check == "eu-west-1 database")
        .expect("db item");
    assert!(
        db.detail.contains("within the RPO budget of 1m"),
        "{}",
        db.detail
    );
    assert_eq!(p.headline(), "failover to eu-west-1 is ready");
}

#[test]
fn a_failover_target_with_no_health_check_fails_naming_it() {
    let f = route53_fleet("");
    let p = judge(&f, &state(&f), &free_lock());
    assert!(!p.ready);
    let item = p
        .failures()
        .find(|i| i.check == "eu-west-1 health check")
        .expect("the missing health check is a failure");
    assert!(
        item.detail.contains("its health check is missing"),
        "{}",
        item.detail
    );
    assert!(
        item.fix
            .as_deref()
            .unwrap_or("")
            .contains("health_check_id")
    );
    assert_eq!(
        p.headline(),
        "failover to eu-west-1 would fail today: its health check is missing"
    );
    // With one it is ready (the writes are said to be unchecked, not failed).
    let f = route53_fleet(r#"health = { provider = "route53", health_check_id = "hc-euw1" }"#);
    let p = judge(&f, &state(&f), &free_lock());
    assert!(p.ready, "{:#?}", failed(&p));
    let writes = p
        .items
        .iter()
        .find(|i| i.check == "us-east-1 writes")
        .expect("writes item");
    assert_eq!(writes.status, Status::NotChecked, "{}", writes.detail);
    assert!(
        writes.detail.starts_with("traffic (route53): no dry-run"),
        "{}",
        writes.detail
    );
}

#[test]
fn a_health_check_that_does_not_exist_fails_as_missing() {
    let f = route53_fleet(r#"health = { provider = "route53", health_check_id = "hc-gone" }"#);
    let mut s = state(&f);
    s.region_mut("eu-west-1").expect("region").health = Observed::failed(
        None,
        "eu-west-1: route53 GetHealthCheckStatus: NoSuchHealthCheck: no health check hc-gone",
    );
    let p = judge(&f, &s, &free_lock());
    let f = failed(&p);
    assert!(
        f.iter().any(|l| l.contains("eu-west-1 health check")
            && l.contains(
                "its health check is missing: Route 53 health check hc-gone does not exist"
            )),
        "{f:#?}"
    );
    // The healthy gate that follows the promotion cannot be met either.
    assert!(
        f.iter().any(|l| l.starts_with("step 3: eu-west-1 healthy")),
        "{f:#?}"
    );
}

#[test]
fn a_missing_traffic_record_fails() {
    let f = fleet();
    let mut s = state(&f);
    s.region_mut("us-east-1").expect("region").weight = Observed::failed(
        None,
        "the traffic provider has nothing for this region (looked for \"us-east-1\": a record set, endpoint or pool)",
    );
    let p = judge(&f, &s, &free_lock());
    let item = p
        .failures()
        .find(|i| i.check == "us-east-1 traffic record")
        .expect("record failure");
    assert!(
        item.detail.contains("has nothing for this region"),
        "{}",
        item.detail
    );
    assert!(item.fix.as_deref().unwrap_or("").contains("set_identifier"));
    assert_eq!(
        p.headline(),
        "failover to eu-west-1 would fail today: us-east-1 traffic record not found or not readable (sim)"
    );
}

#[test]
fn lag_over_the_rpo_budget_fails_the_promotion() {
    let f = fleet();
    let mut s = state(&f);
    s.region_mut("eu-west-1").expect("region").lag = Observed::ok(95.0, NOW);
    let p = judge(&f, &s, &free_lock());
    let f = failed(&p);
    assert!(
        f.iter()
            .any(|l| l.starts_with("eu-west-1 database") && l.contains("over the RPO budget of 1m")),
        "{f:#?}"
    );
    // The real planner's guard says so too, on the promotion step.
    assert!(
        f.iter().any(|l| l.starts_with("step 3: promote eu-west-1")),
        "{f:#?}"
    );
    // The lag gate before it would wait (not fail): it has a timeout.
    let gate = p
        .items
        .iter()
        .find(|i| i.check.starts_with("step 2"))
        .expect("lag gate");
    assert_eq!(gate.status, Status::Warn, "{}", gate.detail);
}

#[test]
fn the_promotion_is_planned_after_the_drain_before_it() {
    let f = fleet();
    let p = judge(&f, &state(&f), &free_lock());
    // Planned against the state the drain leaves: us-east-1 at 0 is not serving, so the
    // promotion has no old writer still taking traffic to warn about.
    let promote: Vec<&Item> = p
        .items
        .iter()
        .filter(|i| i.check == "step 3: promote eu-west-1")
        .collect();
    assert!(
        promote.iter().all(|i| i.status == Status::Pass),
        "{promote:#?}"
    );
}

#[test]
fn a_freeze_another_rollout_and_an_unreachable_lock_each_fail() {
    let f = fleet();
    let mut s = state(&f);
    s.freeze = Observed::ok(
        Freeze {
            by: "ana@host".into(),
            reason: "black friday".into(),
            at: NOW - 1_000,
            until: None,
        },
        NOW,
    );
    let running = crate::actions::rollout::Rollout::start(
        &f,
        "release",
        BTreeMap::new(),
        "CHG-1",
        "ben@host",
        NOW - 5_000,
    )
    .expect("release starts");
    let records = Records {
        lock: Some(Err("Lease meridian/lock: connection refused".into())),
        lock_where: "Lease meridian/lock".into(),
        rollout: Some(Ok(running)),
        sim_writable: Some(Ok(())),
    };
    let p = judge(&f, &s, &records);
    let f = failed(&p);
    for want in [
        "fleet lock: cannot be reached: Lease meridian/lock: connection refused",
        "change freeze: a change freeze is in force",
        "other rollouts: rollout release-",
    ] {
        assert!(f.iter().any(|l| l.starts_with(want)), "no {want} in {f:#?}");
    }
    // Every action step is refused by the freeze guard too.
    assert!(
        f.iter()
            .any(|l| l.starts_with("step 1: drain us-east-1: the freeze guard")),
        "{f:#?}"
    );
}

#[test]
fn a_lock_held_now_warns_and_a_read_only_world_fails() {
    let f = fleet();
    let records = Records {
        lock: Some(Ok(Some(LockHolder {
            user: "ana".into(),
            host: "h".into(),
            pid: 42,
            action: "drain".into(),
            since_ms: NOW,
            expires_ms: None,
        }))),
        lock_where: "lock file x".into(),
        rollout: None,
        sim_writable: Some(Err("/state is read-only".into())),
    };
    let p = judge(&f, &state(&f), &records);
    let lock = p
        .items
        .iter()
        .find(|i| i.check == "fleet lock")
        .expect("lock");
    assert_eq!(lock.status, Status::Warn);
    let f = failed(&p);
    assert!(
        f.iter()
            .any(|l| l.starts_with("us-east-1 writes") && l.contains("read-only")),
        "{f:#?}"
    );
}

#[test]
fn an_unknown_template_or_missing_parameter_is_a_usage_error() {
    let f = fleet();
    let s = state(&f);
    let e = evaluate(&f, "nope", &BTreeMap::new(), &s, &free_lock(), NOW).expect_err("unknown");
    assert!(e.contains("has no rollout \"nope\""), "{e}");
    assert_eq!(recovery_templates(&f), vec![FAILOVER.to_string()]);
}

/// `--mode ungraceful`: the steps that need the old region are left out, each named (as
/// `rollout start --mode ungraceful` leaves them), so a lag gate on a writer that cannot
/// answer does not count; a template with no ungraceful mode is a usage error.
#[test]
fn the_ungraceful_run_leaves_out_the_steps_that_need_the_old_region() {
    let f = fleet();
    let mut s = state(&f);
    s.region_mut("eu-west-1").expect("region").lag = Observed::ok(600.0, NOW);
    let step2 = |p: &Preflight| {
        p.items
            .iter()
            .find(|i| i.check.starts_with("step 2:"))
            .cloned()
            .expect("step 2")
    };
    let graceful = judge(&f, &s, &free_lock());
    assert_eq!(graceful.mode, RunMode::Graceful);
    assert_ne!(
        step2(&graceful).status,
        Status::Pass,
        "{:?}",
        step2(&graceful)
    );

    let params = BTreeMap::new();
    let ungraceful = evaluate_in_mode(
        &f,
        FAILOVER,
        &params,
        RunMode::Ungraceful,
        &s,
        &free_lock(),
        NOW,
    )
    .expect("template resolves");
    assert_eq!(ungraceful.mode, RunMode::Ungraceful);
    let left_out = step2(&ungraceful);
    assert_eq!(left_out.status, Status::Pass, "{left_out:?}");
    assert!(
        left_out.detail.starts_with("left out in ungraceful mode"),
        "{left_out:?}"
    );

    let none = evaluate_in_mode(
        &f,
        "release-to",
        &BTreeMap::from([("region".to_string(), "eu-west-1".to_string())]),
        RunMode::Ungraceful,
        &s,
        &free_lock(),
        NOW,
    );
    assert!(
        none.as_ref()
            .is_err_and(|e| e.contains("has no ungraceful mode")),
        "{none:?}"
    );
}
