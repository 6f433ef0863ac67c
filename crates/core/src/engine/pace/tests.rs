use std::time::Duration;

use super::*;
use meridian_model::state::Health;
use meridian_providers::ProviderError;

const S: fn(u64) -> Duration = Duration::from_secs;

fn watching(regions: &[&str]) -> Attention {
    Attention {
        watched: Some(regions.iter().map(|r| r.to_string()).collect()),
        ..Default::default()
    }
}

fn health(region: &str, status: HealthStatus) -> Observation {
    Observation {
        subject: Subject::Health(region.into()),
        at: 0,
        reading: Reading::Health(Ok(Health {
            status,
            reason: String::new(),
            latency_ms: None,
            healthy_since: None,
            unhealthy_since: None,
        })),
    }
}

fn lag(region: &str, secs: Option<f64>) -> Observation {
    Observation {
        subject: Subject::Database(region.into()),
        at: 0,
        reading: Reading::Database {
            role: Ok(meridian_model::fleet::Role::Secondary),
            lag: Ok(secs),
            history: Vec::new(),
            stores: Vec::new(),
        },
    }
}

#[test]
fn a_region_nobody_attends_to_is_read_five_times_less_often_up_to_ten_seconds() {
    let db = Subject::Database("r".into());
    // Lag every 2 s becomes every 10 s; a 5 s reading every 10 s (a whole number of its
    // periods, so it keeps its slot); what is already slow stays as it is.
    assert_eq!(slow_period(&db, S(2)), S(10));
    assert_eq!(slow_period(&Subject::Phases("r".into()), S(2)), S(10));
    assert_eq!(slow_period(&db, S(5)), S(10));
    assert_eq!(slow_period(&db, S(3)), S(9));
    assert_eq!(slow_period(&Subject::Releases("r".into()), S(10)), S(10));
    assert_eq!(slow_period(&db, S(60)), S(60));
    // One reading for the whole fleet: never slowed.
    assert_eq!(slow_period(&Subject::Weights, S(2)), S(2));
    assert_eq!(slow_period(&Subject::Routing, S(2)), S(2));
}

#[test]
fn health_is_never_slowed() {
    // It sees a region turn bad (and promotes the rest of the region), and the health gate
    // counts from it.
    assert_eq!(slow_period(&Subject::Health("r".into()), S(2)), S(2));
    assert_eq!(slow_period(&Subject::Health("r".into()), S(5)), S(5));
}

#[test]
fn attended_regions_are_fast_and_the_rest_slow() {
    let fleet = meridian_model::fleet::demo();
    let periods = periods(&fleet, &watching(&["us-east-1"]));
    for (subject, every) in &periods {
        let expected = match subject {
            Subject::Health(_) => S(2),
            s if matches!(s.region(), None | Some("us-east-1")) => S(2),
            _ => S(10),
        };
        assert_eq!(*every, expected, "{subject}");
    }
    assert!(periods.iter().any(|(s, _)| s.region() == Some("eu-west-1")));
}

#[test]
fn before_the_front_end_says_anything_every_region_is_fast() {
    let fleet = meridian_model::fleet::demo();
    let all = periods(&fleet, &Attention::default());
    assert!(all.iter().all(|(_, every)| *every == S(2)), "{all:?}");
    // A front end that attends to nothing (`meridian watch` without findings): all slow
    // but the fleet-wide readings.
    let none = periods(&fleet, &watching(&[]));
    for (s, every) in &none {
        let slowed = s.region().is_some() && !matches!(s, Subject::Health(_));
        let expected = if slowed { S(10) } else { S(2) };
        assert_eq!(*every, expected, "{s}");
    }
}

#[test]
fn a_region_a_reading_found_bad_is_fast_until_that_reading_is_good_again() {
    let fleet = meridian_model::fleet::demo();
    let mut a = watching(&[]);
    let health = Subject::Health("eu-west-1".into());
    let db = Subject::Database("eu-west-1".into());
    assert!(a.note(&health, true), "promoted");
    assert!(!a.note(&health, true), "already fast: no change to tell");
    assert!(a.note(&db, true));
    let eu: Vec<Duration> = periods(&fleet, &a)
        .into_iter()
        .filter(|(s, _)| s.region() == Some("eu-west-1"))
        .map(|(_, every)| every)
        .collect();
    assert!(
        !eu.is_empty() && eu.iter().all(|every| *every == S(2)),
        "{eu:?}"
    );
    // The health is good again, the lag is not: still fast.
    assert!(a.note(&health, false));
    assert!(a.fast("eu-west-1"));
    assert!(a.note(&db, false));
    assert!(!a.fast("eu-west-1"));
    assert!(!a.note(&db, false), "nothing to clear");
    assert!(a.bad.is_empty());
    // A fleet-wide reading concerns no region.
    assert!(!a.note(&Subject::Weights, true));
}

#[test]
fn trouble_is_down_or_degraded_health_a_failed_reading_or_lag_past_half_the_rpo() {
    let fleet = meridian_model::fleet::demo();
    let half = fleet.policy.rpo_budget.as_secs_f64() / 2.0;
    assert!(is_bad(&fleet, &health("eu-west-1", HealthStatus::Down)));
    assert!(is_bad(&fleet, &health("eu-west-1", HealthStatus::Degraded)));
    assert!(!is_bad(&fleet, &health("eu-west-1", HealthStatus::Healthy)));
    assert!(!is_bad(&fleet, &health("eu-west-1", HealthStatus::Unknown)));
    assert!(is_bad(&fleet, &lag("eu-west-1", Some(half + 1.0))));
    assert!(!is_bad(&fleet, &lag("eu-west-1", Some(half - 1.0))));
    assert!(!is_bad(&fleet, &lag("eu-west-1", None)));
    let failed = Observation {
        subject: Subject::Health("eu-west-1".into()),
        at: 0,
        reading: Reading::Health(Err(ProviderError::new(
            Some("eu-west-1"),
            "http read health",
            "connection refused",
        ))),
    };
    assert!(is_bad(&fleet, &failed));
}

/// The database board keeps an unattended region's answer until its next slowed reading
/// replaces it; shorter, and every reading that needs the fleet's writer would ask the
/// unattended regions again between their own readings (undoing their slower pace).
#[test]
fn the_database_board_outlives_the_slowest_paced_reading() {
    let slowest = slow_period(&Subject::Database("r".into()), S(2));
    assert_eq!(slowest, S(10));
    assert!(SLOW_MAX < meridian_providers::board::FRESH);
    assert!(slowest < meridian_providers::board::FRESH);
}
