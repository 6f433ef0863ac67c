use super::*;
use crate::actions::plan::Verdict;
use crate::actions::testkit::{NOW, fleet, set_health, set_homes, state};
use meridian_model::state::{HealthStatus, Observed, SyncStatus};

#[test]
fn a_drain_passes_with_no_tenant_homed_and_warns_with_how_many_are() {
    let f = fleet();
    let mut s = state(&f);
    set_homes(&mut s, &[("storefront-prd", "us-east-1")], &["us-east-1"]);
    let pass = tenants_homed(&f, &s, "eu-west-1");
    assert_eq!(pass.as_ref().map(|c| c.verdict), Some(Verdict::Pass));
    set_homes(
        &mut s,
        &[("storefront-prd", "eu-west-1"), ("acme", "eu-west-1")],
        &["eu-west-1", "us-east-1"],
    );
    let warn = tenants_homed(&f, &s, "eu-west-1").unwrap_or_else(|| panic!("a check"));
    assert_eq!(warn.verdict, Verdict::Warn);
    assert!(
        warn.reason
            .starts_with("2 tenants are homed in eu-west-1 (acme, storefront-prd)"),
        "{}",
        warn.reason
    );
    assert!(
        warn.reason.contains("`meridian signups close eu-west-1`"),
        "{}",
        warn.reason
    );
    // A map that was never read warns too: a drain is not the moment to go blind.
    s.routing = Observed::failed(None, "401 error 10000: Authentication error");
    let unknown = tenants_homed(&f, &s, "eu-west-1").unwrap_or_else(|| panic!("a check"));
    assert_eq!(unknown.verdict, Verdict::Warn);
    assert!(
        unknown.reason.contains("Authentication error"),
        "{}",
        unknown.reason
    );
}

#[test]
fn a_move_blocks_unless_the_tenants_app_is_synced_and_healthy_there() {
    let f = fleet();
    let mut s = state(&f);
    let pass = tenant_app_ready(&f, &s, "search-stg", "eu-west-1");
    assert_eq!(pass.verdict, Verdict::Pass, "{}", pass.reason);
    // Not there at all: its requests would reach a region without its app.
    let absent = tenant_app_ready(&f, &s, "payments-prd", "eu-west-1");
    assert_eq!(absent.verdict, Verdict::Block);
    assert!(
        absent.reason.contains("does not run in eu-west-1"),
        "{}",
        absent.reason
    );
    if let Some(a) = s
        .tenants
        .iter_mut()
        .find(|t| t.id == "search-stg")
        .and_then(|t| t.apps.iter_mut().find(|(r, _)| &**r == "eu-west-1"))
        .and_then(|(_, a)| a.value.as_mut())
    {
        a.sync = SyncStatus::OutOfSync;
    }
    let block = tenant_app_ready(&f, &s, "search-stg", "eu-west-1");
    assert_eq!(block.verdict, Verdict::Block);
    assert!(block.reason.contains("OutOfSync"), "{}", block.reason);
    // A tenant only the map knows: said, not blocked.
    let warn = tenant_app_ready(&f, &s, "acme", "eu-west-1");
    assert_eq!(warn.verdict, Verdict::Warn);
}

#[test]
fn closing_the_last_region_that_takes_sign_ups_blocks() {
    let f = fleet();
    let mut s = state(&f);
    set_homes(&mut s, &[], &["us-east-1", "eu-west-1"]);
    assert_eq!(
        last_signup_region(&s, "eu-west-1", false).verdict,
        Verdict::Pass
    );
    assert_eq!(
        last_signup_region(&s, "eu-west-1", true).verdict,
        Verdict::Pass
    );
    set_homes(&mut s, &[], &["eu-west-1"]);
    let block = last_signup_region(&s, "eu-west-1", false);
    assert_eq!(block.verdict, Verdict::Block);
    assert!(
        block.reason.contains("last region taking sign-ups"),
        "{}",
        block.reason
    );
    set_health(&mut s, "eu-west-1", HealthStatus::Down);
    assert_eq!(
        last_signup_region(&s, "eu-west-1", false).verdict,
        Verdict::Block
    );
}

#[test]
fn a_map_not_read_failed_or_old_blocks_changes_to_it() {
    let f = fleet();
    let mut s = state(&f);
    s.routing = Observed::default();
    assert_eq!(routing_known(&s, NOW).verdict, Verdict::Block, "never read");
    set_homes(&mut s, &[("acme", "us-east-1")], &["us-east-1"]);
    assert_eq!(routing_known(&s, NOW).verdict, Verdict::Pass);
    assert_eq!(
        routing_known(&s, NOW + 31_000).verdict,
        Verdict::Block,
        "old"
    );
    s.routing = Observed::failed(Some(&s.routing), "no answer within 30s");
    let failed = routing_known(&s, NOW);
    assert_eq!(failed.verdict, Verdict::Block);
    assert!(failed.reason.contains("no answer within 30s"));
    assert!(!Guard::RoutingUnknown.overridable());
}
