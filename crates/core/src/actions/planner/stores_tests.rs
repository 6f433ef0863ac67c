//! The promote plan of regions with a database and a cache: both move in one plan, in
//! order, each behind its own lag gate; after a stop half-way only what is left moves.

use std::time::Duration;

use crate::actions::testkit::*;
use crate::actions::*;
use meridian_model::fleet::{DataStore, Fleet, Role};
use meridian_model::state::{FleetState, Observed, StoreState};

/// The demo fleet with a `cache` beside every region's database (RPO 10s), read like it.
fn two_stores() -> (Fleet, FleetState) {
    let mut f = fleet();
    for r in &mut f.regions {
        r.stores = vec![
            DataStore {
                name: "database".into(),
                database: r.database.clone(),
                lag: r.lag.clone(),
                rpo: None,
            },
            DataStore {
                name: "cache".into(),
                database: r.database.clone(),
                lag: r.lag.clone(),
                rpo: Some(Duration::from_secs(10)),
            },
        ];
    }
    let mut s = state(&f);
    for r in &mut s.regions {
        r.stores = vec![StoreState {
            name: "cache".into(),
            role: r.role.clone(),
            lag: r.lag.clone(),
        }];
    }
    (f, s)
}

fn promote(region: &str) -> Request {
    Request::new(Action::Promote {
        region: region.into(),
    })
    .reason("INC-9")
}

fn moves(p: &Plan) -> Vec<(String, usize, Option<String>)> {
    match &p.operation {
        Some(Operation::Promote { stores, .. }) => stores
            .iter()
            .map(|m| (m.store.clone(), m.index, m.old_primary.clone()))
            .collect(),
        other => panic!("not a promotion: {other:?}"),
    }
}

#[test]
fn both_stores_move_in_one_plan_database_first_each_with_its_lag_gate() {
    let (f, s) = two_stores();
    let p = plan(&promote("eu-west-1"), &f, &s, NOW).unwrap();
    assert!(!p.is_blocked(), "{:?}", p.checks);
    let old = Some("us-east-1".to_string());
    assert_eq!(
        moves(&p),
        vec![
            ("database".into(), 0, old.clone()),
            ("cache".into(), 1, old)
        ]
    );
    let lags: Vec<&str> = p
        .checks
        .iter()
        .filter(|c| c.guard == Guard::ReplicationLag)
        .map(|c| c.reason.as_str())
        .collect();
    assert_eq!(
        lags,
        vec![
            "database: lag 2.0s within its RPO of 60s",
            "cache: lag 2.0s within its RPO of 10s"
        ]
    );
    assert!(
        p.summary
            .contains("in order: 1. database (sim), 2. cache (sim)"),
        "{}",
        p.summary
    );
    assert_eq!(p.changes.len(), 4, "{:?}", p.changes);
}

#[test]
fn the_cache_over_its_own_rpo_blocks_unless_data_loss_is_accepted() {
    let (f, mut s) = two_stores();
    let eu = s.regions.iter_mut().find(|r| r.id == "eu-west-1").unwrap();
    eu.stores[0].lag = Observed::ok(20.0, NOW);
    let p = plan(&promote("eu-west-1"), &f, &s, NOW).unwrap();
    assert!(p.is_blocked());
    assert!(
        p.checks.iter().any(|c| c
            .reason
            .starts_with("cache: lag 20.0s is over its RPO of 10s")),
        "{:?}",
        p.checks
    );
    let p = plan(&promote("eu-west-1").accept_data_loss(), &f, &s, NOW).unwrap();
    assert!(!p.is_blocked());
}

#[test]
fn after_a_stop_half_way_only_the_cache_is_left_and_the_split_is_a_problem() {
    let (f, mut s) = two_stores();
    for r in &mut s.regions {
        let db = if r.id == "eu-west-1" {
            Role::Primary
        } else {
            Role::Secondary
        };
        r.role = Observed::ok(db, NOW);
    }
    let problems = crate::actions::stores_check::store_problems(&f, &s);
    assert!(
        problems.iter().any(|p| p.starts_with(
            "data stores split: the database's writer is eu-west-1 but cache's is us-east-1"
        )),
        "{problems:?}"
    );
    let p = plan(&promote("eu-west-1"), &f, &s, NOW).unwrap();
    assert_eq!(
        moves(&p),
        vec![("cache".into(), 1, Some("us-east-1".to_string()))]
    );
    assert!(
        p.checks
            .iter()
            .any(|c| c.reason.contains("already the writer of database")),
        "{:?}",
        p.checks
    );
    // And the way back: promoting us-east-1 moves only the database.
    let back = plan(&promote("us-east-1"), &f, &s, NOW).unwrap();
    assert_eq!(
        moves(&back),
        vec![("database".into(), 0, Some("eu-west-1".to_string()))]
    );
}

/// Seen on the lab (seed 004, Route 53 latency records): the old writer, in rotation,
/// was said to "still carry 0% of traffic". With no weights to count it says so instead.
#[test]
fn a_latency_routed_old_writer_is_not_said_to_carry_zero_percent() {
    use meridian_model::traffic::{Steering, Weight};
    let (f, mut s) = two_stores();
    for r in &mut s.regions {
        r.weight = Observed::ok(Weight::steered(Steering::Latency, 0), NOW);
    }
    let p = plan(&promote("eu-west-1"), &f, &s, NOW).unwrap();
    let warn = p
        .checks
        .iter()
        .find(|c| c.guard == Guard::FencedServing)
        .expect("the fenced-serving check");
    assert!(!warn.reason.contains("0%"), "{}", warn.reason);
    assert!(warn.reason.contains("no share to count"), "{}", warn.reason);
    let old = p.old_writer.as_ref().expect("the old writer");
    assert!(old.no_share);
    assert!(old.share_text().contains("no share to count"));
}
