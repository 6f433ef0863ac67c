//! What a sync's hooks did and where tenants live, as the board shows them: a failed PreSync
//! hook in the tenant cell and the detail pane, the `⌂` of each tenant's home, `⌂!` when a
//! home does not fit the fleet, and the region's tenants and sign-ups in its detail.

use std::sync::Arc;

use meridian::state::{
    AppDetail, Detail, HookResult, Observed, OperationInfo, OperationPhase, SyncStatus, TenantHomes,
};
use meridian::tui::fixture::{demo_app, press, render, text};

fn app() -> meridian::tui::App {
    demo_app("dark", "default", false).unwrap_or_else(|e| panic!("demo app: {e}"))
}

/// storefront-prd in us-east-1: its last sync stopped in the PreSync migration Job.
fn fail_migration(a: &mut meridian::tui::App) {
    let cell = a
        .state
        .tenants
        .iter_mut()
        .find(|t| t.id == "storefront-prd")
        .and_then(|t| t.apps.iter_mut().find(|(r, _)| &**r == "us-east-1"))
        .and_then(|(_, o)| o.value.as_mut())
        .unwrap_or_else(|| panic!("storefront-prd in us-east-1"));
    cell.sync = SyncStatus::OutOfSync;
    cell.detail = Detail::new(AppDetail {
        operation: Some(Box::new(OperationInfo {
            phase: Some(OperationPhase::Failed),
            message: Some("one or more synchronization tasks completed unsuccessfully".into()),
            hooks: vec![
                HookResult {
                    hook_type: "PreSync".into(),
                    kind: "Job".into(),
                    name: "migrate".into(),
                    namespace: Some("storefront".into()),
                    phase: Some("Failed".into()),
                    message: Some("relation \"orders_v2\" already exists".into()),
                },
                HookResult {
                    hook_type: "PreSync".into(),
                    kind: "Job".into(),
                    name: "schema-check".into(),
                    namespace: Some("storefront".into()),
                    phase: Some("Succeeded".into()),
                    message: None,
                },
            ],
            ..OperationInfo::default()
        })),
        ..AppDetail::default()
    });
}

#[test]
fn a_failed_presync_hook_reads_in_the_cell_and_in_words_in_the_detail() {
    let mut a = app();
    fail_migration(&mut a);
    let board = text(&render(&a, 160, 45));
    assert!(board.contains("≠ OutOfSync ⟳ ⌂"), "{board}");
    assert!(board.contains("✗ PreSync hook "), "{board}");
    // The tenant's home is us-east-1, where its app is now OutOfSync: flagged by its name.
    assert!(board.contains("storefront-prd ⌂!"), "{board}");
    press(&mut a, &["tab", "enter"]);
    let detail = text(&render(&a, 160, 45));
    assert!(
        detail.contains(
            "hook       PreSync Job migrate failed: relation \"orders_v2\" already exists; the new"
        ),
        "{detail}"
    );
    assert!(detail.contains("revision was not applied"), "{detail}");
    assert!(
        detail.contains("hook       PreSync Job schema-check: Succeeded"),
        "{detail}"
    );
    assert!(
        detail.contains(
            "home       ⌂ storefront-prd is homed in us-east-1, where its application is OutOfSync"
        ),
        "{detail}"
    );
}

#[test]
fn a_region_says_how_many_tenants_live_there_and_whether_it_takes_sign_ups() {
    let mut a = app();
    let homes = TenantHomes {
        homes: [
            ("storefront-prd", "ap-south-1"),
            ("acme", "ap-south-1"),
            ("payments-prd", "us-east-1"),
        ]
        .iter()
        .map(|(t, r)| (t.to_string(), r.to_string()))
        .collect(),
        signups: Some(vec!["us-east-1".into()]),
        unreadable: Vec::new(),
    };
    a.state.routing = Observed::ok(Arc::new(homes), a.state.observed_at);
    press(&mut a, &["G"]);
    let board = text(&render(&a, 160, 45));
    assert!(
        board.contains("routing    2 tenants homed here · closed to sign-ups"),
        "{board}"
    );
    // storefront-prd does not run in ap-south-1: flagged, though no cell of it is home.
    assert!(board.contains("storefront-prd ⌂!"), "{board}");
    assert!(!board.contains("payments-prd ⌂!"), "{board}");
    // A map that cannot be read says so rather than showing nothing.
    a.state.routing = Observed::failed(Some(&a.state.routing), "401 Authentication error");
    let board = text(&render(&a, 160, 45));
    assert!(board.contains("routing    2 tenants homed here"), "{board}");
}
