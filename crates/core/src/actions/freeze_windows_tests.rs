//! Scheduled change freezes from the fleet file (`[[policy.freezes]]`), through the loader
//! and the planner on an injected clock: a window that covers the moment refuses every
//! plan with the `freeze` guard naming it; a moment outside every window passes; an
//! override in production takes a second person.

use super::approvals;
use super::plan::{Guard, Verdict};
use super::testkit::state;
use super::{Action, Request, plan};
use meridian_model::fleet::{Fleet, FleetSource};
use meridian_model::state::Millis;

/// 2026-03-06 (a Friday) at hh:mm UTC.
fn friday(hh: i64, mm: i64) -> Millis {
    (1_772_755_200 + hh * 3600 + mm * 60) * 1000
}

/// The demo fleet with a launch week (a date range) and every weekend (cron).
fn fleet() -> Fleet {
    let text = format!(
        "{}\n{}",
        include_str!("../../../model/src/fleet/demo.toml"),
        r#"
[[policy.freezes]]
name = "launch"
reason = "launch week: only fixes"
from = "2026-03-02"
until = "2026-03-06T12:00:00Z"

[[policy.freezes]]
name = "weekend"
cron = "0 17 * * fri"
for = "64h"
"#
    );
    meridian_model::fleet::load::parse(&text, "fleet.toml", FleetSource::Demo)
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// The freeze check's verdict and reason, whether it was overridden, and whether the plan
/// needs a second person.
fn freeze_check(f: &Fleet, request: &Request, now: Millis) -> (Verdict, String, bool, bool) {
    let p = plan(request, f, &state(f), now).unwrap();
    let c = p
        .checks
        .iter()
        .find(|c| c.guard == Guard::Freeze)
        .unwrap_or_else(|| panic!("no freeze check in {:?}", p.checks));
    (
        c.verdict,
        c.reason.clone(),
        c.overridden,
        approvals::required(f, &p),
    )
}

fn drain(region: &str) -> Request {
    Request::new(Action::Drain {
        region: region.into(),
    })
    .reason("CHG-1")
}

#[test]
fn a_window_that_covers_the_moment_refuses_and_one_that_does_not_passes() {
    let f = fleet();
    assert_eq!(f.policy.freezes.len(), 2);
    let d = drain("eu-west-1");

    let (v, why, ..) = freeze_check(&f, &d, friday(11, 59));
    assert_eq!(v, Verdict::Block, "{why}");
    assert!(why.contains("scheduled freeze \"launch\""), "{why}");
    assert!(why.contains("launch week: only fixes"), "{why}");
    assert!(why.contains("--override freeze"), "{why}");

    // Between the launch week's end and the weekend: nothing is frozen.
    for now in [friday(12, 0), friday(16, 59)] {
        let (v, why, ..) = freeze_check(&f, &d, now);
        assert_eq!(v, Verdict::Pass, "{why}");
    }

    // The weekend, from Friday 17:00 for 64 hours (Monday 09:00, exclusive).
    let (v, why, ..) = freeze_check(&f, &d, friday(17, 0));
    assert_eq!(v, Verdict::Block, "{why}");
    assert!(why.contains("scheduled freeze \"weekend\""), "{why}");
    let (v, ..) = freeze_check(&f, &d, friday(17, 0) + 64 * 3_600_000 - 60_000);
    assert_eq!(v, Verdict::Block);
    let (v, why, ..) = freeze_check(&f, &d, friday(17, 0) + 64 * 3_600_000);
    assert_eq!(v, Verdict::Pass, "{why}");
}

#[test]
fn overriding_a_scheduled_freeze_in_production_takes_a_second_person() {
    let f = fleet();
    let during = friday(18, 0);
    // Production (us-east-1 serves the prd tenants): overridden, and two people.
    let prd = drain("us-east-1").override_guard("freeze");
    let (_, why, overridden, two) = freeze_check(&f, &prd, during);
    assert!(overridden, "{why}");
    assert!(
        two,
        "overriding a freeze in production needs a second person"
    );
    // Staging only (eu-west-1): the override alone does.
    let stg = drain("eu-west-1").override_guard("freeze");
    let (_, why, overridden, two) = freeze_check(&f, &stg, during);
    assert!(overridden, "{why}");
    assert!(!two);
    // Outside the window there is nothing to override, and nothing extra to approve.
    let (v, _, overridden, two) = freeze_check(&f, &prd, friday(16, 0));
    assert_eq!(v, Verdict::Pass);
    assert!(!overridden && !two);
}
