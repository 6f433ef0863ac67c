//! Recording on change: the recorder compares only the cells a reading merged, and records
//! exactly what comparing every cell would.

use super::*;
use crate::actions::testkit::*;
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, HealthStatus, SyncStatus};

/// The changes among the records: (key, from, to).
fn changes(out: &[Record]) -> Vec<(String, Option<String>, Option<String>)> {
    out.iter()
        .filter_map(|r| match r {
            Record::Change { key, from, to, .. } => Some((key.clone(), from.clone(), to.clone())),
            _ => None,
        })
        .collect()
}

/// The cell (tenant index, region index) of a tenant's app in a region.
fn cell(f: &Fleet, tenant: &str, region: &str) -> (usize, usize) {
    let ti = f.tenants.iter().position(|t| t.id == tenant).unwrap();
    let ci = f.tenants[ti]
        .regions
        .iter()
        .position(|r| r == region)
        .unwrap();
    (ti, ci)
}

fn set_sync(s: &mut FleetState, tenant: &str, region: &str, sync: SyncStatus) {
    s.tenants
        .iter_mut()
        .find(|t| t.id == tenant)
        .and_then(|t| t.apps.iter_mut().find(|(r, _)| **r == *region))
        .and_then(|(_, a)| a.value.as_mut())
        .expect("the app")
        .sync = sync;
}

fn touching(cells: &[(usize, usize)]) -> Touched {
    let mut t = Touched::default();
    t.add(cells.iter().copied());
    t
}

#[test]
fn a_change_in_one_touched_cell_is_recorded_and_an_unchanged_fleet_records_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let mut s = state(&f);
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", Limits::default());
    let first = rec
        .observe_touched(&f, &s, &[], &Touched::everything(), NOW)
        .unwrap();
    assert!(matches!(first[0], Record::Start { .. }), "{first:?}");
    // Nothing merged, nothing changed: nothing written.
    let none = Touched::default();
    assert!(none.is_empty());
    assert!(
        rec.observe_touched(&f, &s, &[], &none, NOW + 1_000)
            .unwrap()
            .is_empty()
    );
    // Readings merged cells that did not change: still nothing.
    let every_cell: Vec<(usize, usize)> = f
        .tenants
        .iter()
        .enumerate()
        .flat_map(|(ti, t)| (0..t.regions.len()).map(move |ci| (ti, ci)))
        .collect();
    assert!(
        rec.observe_touched(&f, &s, &[], &touching(&every_cell), NOW + 2_000)
            .unwrap()
            .is_empty()
    );
    // One cell changes and the reading that merged it names it: that change, alone.
    set_sync(&mut s, "search-stg", "eu-west-1", SyncStatus::OutOfSync);
    let at = cell(&f, "search-stg", "eu-west-1");
    let out = rec
        .observe_touched(&f, &s, &[], &touching(&[at, (0, 0)]), NOW + 3_000)
        .unwrap();
    let seen = changes(&out);
    assert_eq!(seen.len(), 1, "{out:?}");
    assert_eq!(seen[0].0, "app/search-stg/eu-west-1");
    assert!(
        seen[0]
            .1
            .as_deref()
            .is_some_and(|v| v.starts_with("Synced")),
        "{seen:?}"
    );
    assert!(
        seen[0]
            .2
            .as_deref()
            .is_some_and(|v| v.starts_with("OutOfSync")),
        "{seen:?}"
    );
    // Touched again, unchanged since: nothing.
    assert!(
        rec.observe_touched(&f, &s, &[], &touching(&[at]), NOW + 4_000)
            .unwrap()
            .is_empty()
    );
    // And the recording says it from then on.
    let (facts, _) = load(tmp.path(), NOW + 3_500, i64::MAX);
    assert!(
        facts.0["app/search-stg/eu-west-1"].starts_with("OutOfSync"),
        "{facts:?}"
    );
}

#[test]
fn comparing_the_touched_cells_records_what_comparing_every_cell_records() {
    let f = fleet();
    let s = state(&f);
    let mut next = s.clone();
    set_sync(&mut next, "search-stg", "eu-west-1", SyncStatus::OutOfSync);
    set_sync(
        &mut next,
        "payments-prd",
        "us-east-1",
        SyncStatus::OutOfSync,
    );
    set_health(&mut next, "eu-west-1", HealthStatus::Down);

    let whole_dir = tempfile::tempdir().unwrap();
    let mut whole = Recorder::new(whole_dir.path().into(), "demo", "a", Limits::default());
    whole.observe(&f, &s, &[], NOW).unwrap();
    let expected = changes(&whole.observe(&f, &next, &[], NOW + 2_000).unwrap());

    let dir = tempfile::tempdir().unwrap();
    let mut rec = Recorder::new(dir.path().into(), "demo", "a", Limits::default());
    rec.observe_touched(&f, &s, &[], &Touched::everything(), NOW)
        .unwrap();
    let cells = [
        cell(&f, "payments-prd", "us-east-1"),
        cell(&f, "search-stg", "eu-west-1"),
    ];
    let got = changes(
        &rec.observe_touched(&f, &next, &[], &touching(&cells), NOW + 2_000)
            .unwrap(),
    );
    assert_eq!(got, expected);
    // The region's health is a board fact, compared whole whatever the cells.
    assert!(got.iter().any(|c| c.0 == "health/eu-west-1"), "{got:?}");
    assert_eq!(got.iter().filter(|c| c.0.starts_with("app/")).count(), 2);
}

#[test]
fn a_whole_new_snapshot_is_compared_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let mut s = state(&f);
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", Limits::default());
    rec.observe_touched(&f, &s, &[], &Touched::everything(), NOW)
        .unwrap();
    set_sync(&mut s, "search-stg", "eu-west-1", SyncStatus::OutOfSync);
    // A snapshot replaced the state (the dashboard's `set_state`): every cell is due.
    let mut t = touching(&[(0, 0)]);
    t.mark_all();
    t.add([(0, 0)]);
    assert!(t.is_all());
    let out = rec.observe_touched(&f, &s, &[], &t, NOW + 2_000).unwrap();
    let seen = changes(&out);
    assert_eq!(seen.len(), 1, "{out:?}");
    assert_eq!(seen[0].0, "app/search-stg/eu-west-1");
}
