//! Every guard on its own: pass, warn, block.

use super::*;
use crate::actions::plan::{Guard, Verdict};
use crate::actions::testkit::*;
use meridian_model::state::{HealthStatus, PhaseStatus};
use meridian_model::traffic::rules::{AZURE, ROUTE53};
use meridian_model::traffic::{Ask, Requested, Weight};

fn verdict(c: &super::Check) -> Verdict {
    c.verdict
}

#[test]
fn read_only_blocks_only_in_read_only_mode() {
    assert_eq!(verdict(&read_only(false)), Verdict::Pass);
    let c = read_only(true);
    assert_eq!((c.guard, c.verdict), (Guard::ReadOnly, Verdict::Block));
    assert!(!Guard::ReadOnly.overridable());
}

#[test]
fn reason_required_for_production_and_for_overrides() {
    assert_eq!(verdict(&reason_required(false, None, &[])), Verdict::Pass);
    assert_eq!(
        verdict(&reason_required(true, Some("INC-1"), &[])),
        Verdict::Pass
    );
    let c = reason_required(true, None, &[]);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(c.reason.contains("--reason"));
    assert_eq!(
        verdict(&reason_required(false, None, &["phase-order".into()])),
        Verdict::Block
    );
}

#[test]
fn weight_range_names_the_bad_weight() {
    let q = |r: &str, asked: Ask, units: u64| Requested {
        region: r.into(),
        asked,
        units,
    };
    let ok = vec![q("a", Ask::Units(0), 0), q("b", Ask::Units(255), 255)];
    assert_eq!(verdict(&weight_range(&ok, &[], &ROUTE53)), Verdict::Pass);
    let bad = vec![q("a", Ask::Units(256), 256)];
    let c = weight_range(&bad, &[], &ROUTE53);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(c.reason.contains("a=256"), "{}", c.reason);
    assert!(c.reason.contains("0..=255"), "{}", c.reason);
    // The same asks under Azure's rules: 256 is fine there, 1001 is not.
    assert_eq!(verdict(&weight_range(&bad, &[], &AZURE)), Verdict::Pass);
    let shares = vec![q("eastus", Ask::Percent(9000), 1001)];
    let c = weight_range(&shares, &[], &AZURE);
    assert!(
        c.reason.contains("eastus=90% (weight 1001)"),
        "{}",
        c.reason
    );
    assert!(c.reason.contains("1..=1000"), "{}", c.reason);
    let c = weight_range(&[], &["the percentages add up to 110%".into()], &AZURE);
    assert_eq!(c.verdict, Verdict::Block);
}

#[test]
fn all_weights_zero_blocks_and_unmanaged_weight_counts() {
    let zero = weights(&[("us-east-1", 0), ("eu-west-1", 0)]);
    let c = all_weights_zero(&zero, 0, &ROUTE53);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(c.reason.contains("evenly"));
    assert_eq!(
        verdict(&all_weights_zero(&zero, 10, &ROUTE53)),
        Verdict::Pass
    );
    assert_eq!(
        verdict(&all_weights_zero(
            &weights(&[("us-east-1", 1)]),
            0,
            &ROUTE53
        )),
        Verdict::Pass
    );
    // Azure: every endpoint disabled (weights kept) is the same refusal, in Azure's words.
    let disabled = vec![
        ("eastus".to_string(), Weight::drained(700)),
        ("westeurope".to_string(), Weight::drained(300)),
    ];
    let c = all_weights_zero(&disabled, 0, &AZURE);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(c.reason.contains("Inactive"), "{}", c.reason);
    assert!(!Guard::AllWeightsZero.overridable());
}

#[test]
fn last_healthy_region_blocks_draining_the_last_one() {
    let f = fleet();
    let mut s = state(&f);
    let before = s.weights();
    // Draining one of three healthy serving regions is fine.
    let after = weights(&[
        ("us-east-1", 50),
        ("eu-west-1", 0),
        ("ap-southeast-1", 20),
        ("ap-south-1", 0),
    ]);
    assert_eq!(
        verdict(&last_healthy_region(&s, &before, &after)),
        Verdict::Pass
    );
    // With the others down, us-east-1 is the last healthy one.
    set_health(&mut s, "eu-west-1", HealthStatus::Down);
    set_health(&mut s, "ap-southeast-1", HealthStatus::Down);
    let after = weights(&[
        ("us-east-1", 0),
        ("eu-west-1", 30),
        ("ap-southeast-1", 20),
        ("ap-south-1", 0),
    ]);
    let c = last_healthy_region(&s, &before, &after);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(
        c.reason.contains("us-east-1 is the last healthy region"),
        "{}",
        c.reason
    );
}

#[test]
fn unhealthy_target_blocks_down_and_warns_degraded() {
    let f = fleet();
    let mut s = state(&f);
    set_weight(&mut s, "eu-west-1", 0);
    let before = s.weights();
    let after = weights(&[
        ("us-east-1", 50),
        ("eu-west-1", 30),
        ("ap-southeast-1", 20),
        ("ap-south-1", 0),
    ]);
    assert_eq!(
        verdict(&unhealthy_target(&s, &before, &after)),
        Verdict::Pass
    );
    set_health(&mut s, "eu-west-1", HealthStatus::Degraded);
    assert_eq!(
        verdict(&unhealthy_target(&s, &before, &after)),
        Verdict::Warn
    );
    set_health(&mut s, "eu-west-1", HealthStatus::Down);
    let c = unhealthy_target(&s, &before, &after);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(c.reason.contains("eu-west-1 is down"));
    // Weight already on a down region is not "putting" weight there.
    assert_eq!(
        verdict(&unhealthy_target(&s, &after, &after)),
        Verdict::Pass
    );
}

#[test]
fn health_gate_warns_for_a_recently_recovered_region() {
    let f = fleet();
    let mut s = state(&f);
    set_weight(&mut s, "eu-west-1", 0);
    let before = s.weights();
    let after = weights(&[("eu-west-1", 30)]);
    assert_eq!(
        verdict(&health_gate(&s, &f.policy, &before, &after, NOW)),
        Verdict::Pass
    );
    if let Some(h) = s
        .region_mut("eu-west-1")
        .and_then(|r| r.health.value.as_mut())
    {
        h.healthy_since = Some(NOW - 60_000);
    }
    let c = health_gate(&s, &f.policy, &before, &after, NOW);
    assert_eq!(c.verdict, Verdict::Warn);
    assert!(
        c.reason.contains("eu-west-1 healthy for 60s"),
        "{}",
        c.reason
    );
}

#[test]
fn phases_incomplete_warns_for_a_region_still_standing_up() {
    let f = fleet();
    let s = state(&f);
    let before = s.weights();
    let after = weights(&[("ap-south-1", 10)]);
    let c = phases_incomplete(&f, &s, &before, &after);
    assert_eq!(c.verdict, Verdict::Warn);
    assert!(c.reason.contains("4/7"), "{}", c.reason);
    assert_eq!(
        verdict(&phases_incomplete(
            &f,
            &s,
            &before,
            &weights(&[("eu-west-1", 40)])
        )),
        Verdict::Pass
    );
}

#[test]
fn stale_data_warns_with_age_and_error() {
    let f = fleet();
    let mut s = state(&f);
    assert_eq!(verdict(&stale_data(&s, &["eu-west-1"], NOW)), Verdict::Pass);
    if let Some(r) = s.region_mut("eu-west-1") {
        r.weight.error = Some("route53 ListResourceRecordSets: throttled".into());
    }
    let c = stale_data(&s, &["eu-west-1"], NOW + 45_000);
    assert_eq!(c.verdict, Verdict::Warn);
    assert!(
        c.reason.contains("45s ago") && c.reason.contains("throttled"),
        "{}",
        c.reason
    );
}

#[test]
fn stale_data_blocks_a_weight_never_read() {
    let f = fleet();
    let mut s = state(&f);
    if let Some(r) = s.region_mut("eu-west-1") {
        r.weight = Default::default();
    }
    let c = stale_data(&s, &["us-east-1", "eu-west-1"], NOW);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(
        c.reason.contains("not read yet: eu-west-1 weight"),
        "{}",
        c.reason
    );
}

#[test]
fn already_primary_blocks() {
    let f = fleet();
    let s = state(&f);
    assert_eq!(verdict(&already_primary(&s, "us-east-1")), Verdict::Block);
    assert_eq!(verdict(&already_primary(&s, "eu-west-1")), Verdict::Pass);
}

#[test]
fn promote_target_must_be_healthy() {
    let f = fleet();
    let mut s = state(&f);
    assert_eq!(
        verdict(&promote_target_health(&s, "eu-west-1")),
        Verdict::Pass
    );
    set_health(&mut s, "eu-west-1", HealthStatus::Degraded);
    let c = promote_target_health(&s, "eu-west-1");
    assert_eq!(
        (c.guard, c.verdict),
        (Guard::UnhealthyTarget, Verdict::Block)
    );
}

#[test]
fn replication_lag_over_budget_or_unknown_blocks_unless_loss_accepted() {
    let f = fleet();
    let mut s = state(&f);
    assert_eq!(
        verdict(&replication_lag(&s, "eu-west-1", &f.policy, false)),
        Verdict::Pass
    );
    set_lag(&mut s, "eu-west-1", Some(61.0), None);
    let c = replication_lag(&s, "eu-west-1", &f.policy, false);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(
        c.reason.contains("61.0s is over the RPO budget of 60s"),
        "{}",
        c.reason
    );
    let c = replication_lag(&s, "eu-west-1", &f.policy, true);
    assert_eq!(c.verdict, Verdict::Warn);
    assert!(c.reason.contains("data loss accepted"));
    set_lag(&mut s, "eu-west-1", None, None);
    assert!(
        replication_lag(&s, "eu-west-1", &f.policy, false)
            .reason
            .contains("unknown")
    );
    set_lag(&mut s, "eu-west-1", Some(1.0), Some("connection refused"));
    let c = replication_lag(&s, "eu-west-1", &f.policy, false);
    assert_eq!(
        c.verdict,
        Verdict::Block,
        "a stale lag reading is unknown lag"
    );
}

/// A replica that follows a former primary has no lag against the writer: unknown, with
/// the provider's reason, even with data loss accepted it is only a warning.
#[test]
fn a_replica_following_a_former_primary_has_unknown_lag() {
    use meridian_model::state::replication::BROKEN;
    let f = fleet();
    let mut s = state(&f);
    let why = format!(
        "eu-west-1: postgres replication lag: {BROKEN}: follows us-east-1, which is no longer the primary (ap-south-1 is)"
    );
    set_lag(&mut s, "eu-west-1", None, Some(&why));
    let c = replication_lag(&s, "eu-west-1", &f.policy, false);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(
        c.reason.contains("lag is unknown") && c.reason.contains("follows us-east-1"),
        "{}",
        c.reason
    );
    let c = replication_lag(&s, "eu-west-1", &f.policy, true);
    assert_eq!(c.verdict, Verdict::Warn);
}

#[test]
fn phase_order_blocks_skipping_phases() {
    let f = fleet();
    let s = state(&f);
    assert_eq!(
        verdict(&phase_order(&f, &s, "ap-south-1", "platform-services")),
        Verdict::Pass
    );
    let c = phase_order(&f, &s, "ap-south-1", "smoke-test");
    assert_eq!(c.verdict, Verdict::Block);
    assert!(
        c.reason.contains("platform-services (pending)"),
        "{}",
        c.reason
    );
    assert_eq!(
        verdict(&phase_order(&f, &s, "ap-south-1", "infrastructure")),
        Verdict::Pass,
        "re-running an early phase is fine"
    );
}

#[test]
fn phase_running_blocks_a_second_run() {
    let f = fleet();
    let mut s = state(&f);
    assert_eq!(
        verdict(&phase_running(&s, "ap-south-1", "platform-services")),
        Verdict::Pass
    );
    if let Some(ps) = s
        .region_mut("ap-south-1")
        .and_then(|r| r.phases.value.as_mut())
    {
        ps[4].state = PhaseStatus::Running;
        ps[4].current_step = Some("auth service".into());
    }
    let c = phase_running(&s, "ap-south-1", "platform-services");
    assert_eq!(c.verdict, Verdict::Block);
    assert!(c.reason.contains("auth service"));
}

#[test]
fn revision_known_finds_by_id_or_prefix_and_blocks_unknown() {
    let f = fleet();
    let s = state(&f);
    let app = s
        .tenant("payments-prd")
        .and_then(|t| t.app("ap-southeast-1"))
        .and_then(|a| a.value.clone())
        .unwrap();
    let (c, e) = revision_known(&app, None);
    assert_eq!(
        (c.verdict, e.map(|e| e.id)),
        (Verdict::Pass, Some(4)),
        "default is the previous entry"
    );
    let (_, e) = revision_known(&app, Some("2"));
    assert_eq!(e.map(|e| e.id), Some(2));
    let (_, e) = revision_known(&app, Some("0000003"));
    assert_eq!(e.map(|e| e.id), Some(3));
    let (c, e) = revision_known(&app, Some("deadbeef"));
    assert_eq!((c.verdict, e), (Verdict::Block, None));
    assert!(c.reason.contains("known: 1"), "{}", c.reason);
}

#[test]
fn auto_sync_warns_when_on() {
    let f = fleet();
    let s = state(&f);
    let app = |t: &str| {
        s.tenant(t)
            .and_then(|t| t.app("ap-southeast-1"))
            .and_then(|a| a.value.clone())
            .unwrap()
    };
    assert_eq!(verdict(&auto_sync(&app("payments-prd"))), Verdict::Pass);
    let c = auto_sync(&app("storefront-prd"));
    assert_eq!(c.verdict, Verdict::Warn);
    assert!(c.reason.contains("pauses it first"));
}

#[test]
fn no_change_warns() {
    assert_eq!(verdict(&no_change(false, "x")), Verdict::Pass);
    assert_eq!(verdict(&no_change(true, "x")), Verdict::Warn);
}

/// Regions routed by `steering`, each in rotation unless named in `drained`.
fn steered(
    steering: meridian_model::traffic::Steering,
    regions: &[&str],
    drained: &[&str],
) -> Vec<(String, Weight)> {
    regions
        .iter()
        .map(|r| {
            (
                r.to_string(),
                Weight::steered(steering, 0).with_drained(drained.contains(r)),
            )
        })
        .collect()
}

#[test]
fn without_weights_the_last_region_in_rotation_is_never_drained() {
    use meridian_model::traffic::Steering::Latency;
    let some = steered(Latency, &["a", "b"], &["a"]);
    let c = all_weights_zero(&some, 0, &ROUTE53);
    assert_eq!(c.verdict, Verdict::Pass, "{}", c.reason);
    assert!(c.reason.contains("in rotation after: b"), "{}", c.reason);
    let none = steered(Latency, &["a", "b"], &["a", "b"]);
    let c = all_weights_zero(&none, 0, &ROUTE53);
    assert_eq!(c.verdict, Verdict::Block);
    assert!(
        c.reason.contains("answers as if all were healthy"),
        "{}",
        c.reason
    );
}

#[test]
fn putting_a_down_region_back_in_rotation_is_refused() {
    use meridian_model::traffic::Steering::Latency;
    let f = fleet();
    let mut s = state(&f);
    let ids: Vec<&str> = f.regions.iter().map(|r| r.id.as_str()).collect();
    set_health(&mut s, ids[1], HealthStatus::Down);
    let before = steered(Latency, &ids, &[ids[1]]);
    let after = steered(Latency, &ids, &[]);
    let c = unhealthy_target(&s, &before, &after);
    assert_eq!(c.verdict, Verdict::Block, "{}", c.reason);
    assert!(c.reason.contains("back in rotation"), "{}", c.reason);
}

#[test]
fn geo_coverage_warns_only_for_a_geography_left_without_its_region() {
    use meridian_model::state::Route;
    use meridian_model::traffic::Steering::Geo;
    let f = fleet();
    let mut s = state(&f);
    let ids: Vec<&str> = f.regions.iter().map(|r| r.id.as_str()).collect();
    let before = steered(Geo, &ids, &[]);
    let after = steered(Geo, &ids, &[ids[1]]);
    assert_eq!(verdict(&geo_coverage(&s, &before, &after)), Verdict::Pass);
    s.routes.insert(
        ids[1].to_string(),
        Route {
            via: "pool".into(),
            only_for: vec!["region WEU".into()],
            instead: Some("the default pools (a, b)".into()),
        },
    );
    let c = geo_coverage(&s, &before, &after);
    assert_eq!(c.verdict, Verdict::Warn);
    assert!(
        c.reason.contains("region WEU map only to") && c.reason.contains("default pools"),
        "{}",
        c.reason
    );
    // Putting it back is no loss of coverage.
    assert_eq!(verdict(&geo_coverage(&s, &after, &before)), Verdict::Pass);
}
