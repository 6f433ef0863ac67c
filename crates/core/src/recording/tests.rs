//! The recorder: changes only, findings raised and cleared, samples, and its bounds
//! (segments by size, the total by size, and age).

use super::*;
use crate::actions::findings::{self, Records};
use crate::actions::testkit::*;
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, HealthStatus, Millis};

const MIN: Millis = 60_000;

/// A change as read back: key, from, to, note.
type Seen = (String, Option<String>, Option<String>, Option<String>);

fn found(f: &Fleet, s: &FleetState, now: Millis) -> Vec<crate::actions::findings::Finding> {
    findings::assess(f, s, Records::default(), now).findings
}

fn lines(dir: &std::path::Path) -> Vec<Record> {
    load(dir, 0, i64::MAX).1
}

#[test]
fn a_recorder_writes_every_fact_once_then_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let s = state(&f);
    let mut rec = Recorder::new(tmp.path().into(), "demo", "alice@a", Limits::default());
    rec.observe(&f, &s, &[], NOW).unwrap();
    // The same reading a second later: nothing (no sample due yet either).
    assert!(rec.observe(&f, &s, &[], NOW + 1_000).unwrap().is_empty());

    let mut down = s.clone();
    down_at(&mut down, "ap-southeast-1", NOW + 2_000);
    let raised = found(&f, &down, NOW + 2_000);
    assert!(!raised.is_empty());
    rec.observe(&f, &down, &raised, NOW + 2_000).unwrap();
    // It heals: the finding clears.
    rec.observe(&f, &s, &[], NOW + 3_000).unwrap();

    let all = lines(tmp.path());
    let Record::Start { facts, by, .. } = &all[0] else {
        panic!("{all:?}");
    };
    assert_eq!(by, "alice@a");
    assert_eq!(facts.0["health/ap-southeast-1"], "healthy");
    assert_eq!(facts.0["serving/ap-southeast-1"], "20%");
    assert_eq!(facts.0["lag/us-east-1"], "writer");
    assert!(facts.0.keys().any(|k| k.starts_with("app/")));
    let changes: Vec<Seen> = all
        .iter()
        .filter_map(|r| match r {
            Record::Change {
                key,
                from,
                to,
                note,
                ..
            } => Some((key.clone(), from.clone(), to.clone(), note.clone())),
            _ => None,
        })
        .collect();
    let keys: Vec<&str> = changes.iter().map(|c| c.0.as_str()).collect();
    assert!(keys.contains(&"health/ap-southeast-1"), "{keys:?}");
    let raised_at = changes
        .iter()
        .find(|c| c.0 == "finding/region-down/ap-southeast-1" && c.2.is_some())
        .unwrap_or_else(|| panic!("{changes:?}"));
    assert!(
        raised_at.3.as_deref().is_some_and(|n| n.contains("down")),
        "the finding's title is its note: {raised_at:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.0 == "finding/region-down/ap-southeast-1" && c.2.is_none()),
        "cleared: {changes:?}"
    );
    // The facts at a time are the start plus the changes before it.
    let (at, _) = load(tmp.path(), NOW + 2_500, i64::MAX);
    assert_eq!(at.0["health/ap-southeast-1"], "down");
    let (at, _) = load(tmp.path(), NOW + 3_500, i64::MAX);
    assert_eq!(at.0["health/ap-southeast-1"], "healthy");
    assert!(!at.0.contains_key("finding/region-down/ap-southeast-1"));
}

fn down_at(s: &mut FleetState, region: &str, at: Millis) {
    set_health(s, region, HealthStatus::Down);
    if let Some(h) = s.region_mut(region).and_then(|r| r.health.value.as_mut()) {
        h.unhealthy_since = Some(at);
        h.reason = "0/3 probes ok".into();
    }
}

#[test]
fn lag_is_recorded_when_it_crosses_a_band_and_sampled_for_the_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let mut s = state(&f);
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", Limits::default());
    rec.observe(&f, &s, &[], NOW).unwrap();
    // Wandering within the band: no change.
    set_lag(&mut s, "eu-west-1", Some(5.0), None);
    assert!(rec.observe(&f, &s, &[], NOW + 1_000).unwrap().is_empty());
    // Past half the budget, then past it.
    set_lag(&mut s, "eu-west-1", Some(45.0), None);
    rec.observe(&f, &s, &[], NOW + 2_000).unwrap();
    set_lag(&mut s, "eu-west-1", Some(93.0), None);
    rec.observe(&f, &s, &[], NOW + 3_000).unwrap();
    // A sample is due after SAMPLE_EVERY.
    rec.observe(&f, &s, &[], NOW + 3_000 + store::SAMPLE_EVERY)
        .unwrap();
    let all = lines(tmp.path());
    let bands: Vec<Option<String>> = all
        .iter()
        .filter_map(|r| match r {
            Record::Change { key, to, .. } if key == "lag/eu-west-1" => Some(to.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(bands, vec![Some("near".into()), Some("over".into())]);
    let samples: Vec<&Record> = all
        .iter()
        .filter(|r| matches!(r, Record::Sample { .. }))
        .collect();
    // The first reading, each band crossed, and the one due after SAMPLE_EVERY.
    assert_eq!(
        samples.iter().map(|r| r.t()).collect::<Vec<_>>(),
        vec![
            NOW,
            NOW + 2_000,
            NOW + 3_000,
            NOW + 3_000 + store::SAMPLE_EVERY
        ]
    );
    let Record::Sample { lag, share, .. } = samples[3] else {
        unreachable!()
    };
    assert_eq!(lag["eu-west-1"], 93.0);
    assert_eq!(share["us-east-1"], 0.5);
}

#[test]
fn a_weight_change_is_sampled_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let mut s = state(&f);
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", Limits::default());
    rec.observe(&f, &s, &[], NOW).unwrap();
    set_weight(&mut s, "ap-southeast-1", 0);
    rec.observe(&f, &s, &[], NOW + 1_000).unwrap();
    let all = lines(tmp.path());
    assert!(
        all.iter()
            .any(|r| matches!(r, Record::Change { key, to, .. }
        if key == "serving/ap-southeast-1" && to.as_deref() == Some("drained"))),
        "{all:#?}"
    );
    let last = all.iter().rev().find_map(|r| match r {
        Record::Sample { t, share, .. } => Some((*t, share.clone())),
        _ => None,
    });
    assert_eq!(
        last.map(|(t, s)| (t, s["ap-southeast-1"])),
        Some((NOW + 1_000, 0.0))
    );
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

#[test]
fn segments_close_past_their_size_and_the_total_stays_under_its_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let mut s = state(&f);
    let limits = Limits {
        max_bytes: 12_000,
        segment_bytes: 3_000,
        max_age: 7 * 24 * 60 * MIN,
    };
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", limits);
    for i in 0..400 {
        // Flap a region: every reading is a change.
        let status = if i % 2 == 0 {
            HealthStatus::Down
        } else {
            HealthStatus::Healthy
        };
        set_health(&mut s, "eu-west-1", status);
        rec.observe(&f, &s, &[], NOW + i * 1_000).unwrap();
    }
    let names = files(tmp.path());
    assert!(names.len() >= 2, "{names:?}");
    // Bounded: at most the limit plus the segment being written past it.
    assert!(
        bytes(tmp.path()) <= limits.max_bytes + limits.segment_bytes + 2_000,
        "{} bytes in {names:?}",
        bytes(tmp.path())
    );
    // What is left still reads: it starts with the facts of its first segment.
    let all = lines(tmp.path());
    assert!(matches!(all[0], Record::Start { .. }), "{:?}", all[0]);
    assert_eq!(all.last().map(Record::t), Some(NOW + 399_000));
}

#[test]
fn segments_older_than_the_age_bound_are_removed_and_the_newest_never() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let s = state(&f);
    let day = 24 * 60 * MIN;
    let limits = Limits {
        max_bytes: 1 << 30,
        segment_bytes: 1,
        max_age: 7 * day,
    };
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", limits);
    // A segment a day for ten days (each reading starts one: segment_bytes is 1).
    for d in 0..10 {
        rec.observe(&f, &s, &[], NOW + d * day).unwrap();
    }
    let starts: Vec<Millis> = lines(tmp.path()).iter().map(Record::t).collect();
    // Day 9 is now, the window starts at day 2: the segment of day 0 ended (where day 1's
    // began) before it and is gone; day 1's ended at day 2, inside the window, and stays.
    assert_eq!(starts.first().copied(), Some(NOW + day), "{starts:?}");
    assert_eq!(files(tmp.path()).len(), 9);
    // Even far later, the newest stays.
    prune(tmp.path(), &limits, NOW + 100 * day).unwrap();
    assert_eq!(files(tmp.path()).len(), 1);
}

#[test]
fn a_damaged_line_is_skipped_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let s = state(&f);
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", Limits::default());
    rec.observe(&f, &s, &[], NOW).unwrap();
    let path = rec.segment().unwrap().to_path_buf();
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(b"{\"type\":\"change\",\"t\":12").unwrap();
    drop(file);
    assert_eq!(lines(tmp.path()).len(), 2);
}

#[test]
fn an_app_change_is_recorded_and_unchanged_apps_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let mut s = state(&f);
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", Limits::default());
    rec.observe(&f, &s, &[], NOW).unwrap();
    assert!(rec.observe(&f, &s, &[], NOW + 1_000).unwrap().is_empty());
    app_mut(&mut s, "search-stg", "eu-west-1").sync = meridian_model::state::SyncStatus::OutOfSync;
    let out = rec.observe(&f, &s, &[], NOW + 2_000).unwrap();
    let keys: Vec<&str> = out
        .iter()
        .filter_map(|r| match r {
            Record::Change { key, .. } => Some(key.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(keys, ["app/search-stg/eu-west-1"], "{out:?}");
    // And it stays recorded as it is: the next identical reading writes nothing.
    assert!(rec.observe(&f, &s, &[], NOW + 3_000).unwrap().is_empty());
    let (at, _) = load(tmp.path(), NOW + 2_500, i64::MAX);
    assert!(
        at.0["app/search-stg/eu-west-1"].starts_with("OutOfSync"),
        "{at:?}"
    );
}

#[test]
fn a_start_record_larger_than_a_segment_does_not_start_one_on_every_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fleet();
    let mut s = state(&f);
    // The start record (every fact, about 1 KB here) is larger than a segment may grow
    // (300 bytes); a sample and a change or two are not.
    let limits = Limits {
        segment_bytes: 300,
        ..Limits::default()
    };
    let mut rec = Recorder::new(tmp.path().into(), "demo", "a", limits);
    let first = rec.observe(&f, &s, &[], NOW).unwrap();
    let size = |r: &Record| serde_json::to_string(r).unwrap().len() as u64;
    assert!(size(&first[0]) > limits.segment_bytes, "{first:?}");
    assert!(rec.observe(&f, &s, &[], NOW + 1_000).unwrap().is_empty());
    set_health(&mut s, "eu-west-1", HealthStatus::Down);
    let out = rec.observe(&f, &s, &[], NOW + 2_000).unwrap();
    assert!(
        out.iter().all(|r| !matches!(r, Record::Start { .. })),
        "{out:?}"
    );
    assert_eq!(files(tmp.path()).len(), 1);
}

fn app_mut<'a>(
    s: &'a mut FleetState,
    tenant: &str,
    region: &str,
) -> &'a mut meridian_model::state::AppState {
    s.tenants
        .iter_mut()
        .find(|t| t.id == tenant)
        .and_then(|t| t.apps.iter_mut().find(|(r, _)| **r == *region))
        .and_then(|(_, a)| a.value.as_mut())
        .expect("the app")
}
