//! Azure Traffic Manager against the local stand-in (tests/servers/azure_tm_standin.py): the
//! real azure_identity client-secret flow against its HTTPS token endpoint, weights read
//! by endpoint name, drain = disable, restore = enable, seed 002's percentages, every
//! endpoint disabled refused, throttling retried, drift caught by the read-back, a black
//! hole answered within the deadline, health from endpointMonitorStatus.

use std::sync::{Arc, Mutex};

use crate::support::standin::Standin;
use meridian::fleet::{Fleet, FleetSource, parse};
use meridian::providers::azure::TrafficManager;
use meridian::providers::{HealthProvider, Progress, TrafficProvider};
use meridian::state::HealthStatus;
use meridian::traffic::Weight;
use serde_json::json;

fn fleet(az: &Standin, extra: &str) -> Fleet {
    match parse(
        &crate::support::azure::fleet_toml(az, extra),
        "azure-test.toml",
        FleetSource::Demo,
    ) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    }
}

fn provider(f: &Fleet) -> TrafficManager {
    crate::support::azure::set_env();
    TrafficManager::new(f, &f.traffic, None)
}

fn recorder() -> (Progress, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let p = Progress::new(move |m| {
        sink.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(m.to_string())
    });
    (p, log)
}

fn endpoint(az: &Standin, name: &str) -> serde_json::Value {
    let state = az.control_tls("GET", "state", &json!({}));
    state["profiles"][0]["properties"]["endpoints"]
        .as_array()
        .and_then(|eps| eps.iter().find(|e| e["name"] == name).cloned())
        .unwrap_or(serde_json::Value::Null)
}

#[tokio::test]
async fn weights_are_read_by_endpoint_name_through_a_real_token() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let f = fleet(&az, "");
    let tm = provider(&f);
    let r = tm.read_weights(&f).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.by_region.get("eastus"), Some(&Weight::units(70)));
    assert_eq!(r.by_region.get("westeurope"), Some(&Weight::units(30)));
    assert_eq!(
        r.unmanaged,
        vec![("old-dc".to_string(), 0)],
        "disabled: no traffic"
    );
    // The token came from the stand-in's Entra endpoint, then went to ARM as a Bearer token.
    let reqs = az.control_tls("GET", "requests", &json!({}));
    let paths: Vec<&str> = reqs["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["path"].as_str())
        .collect();
    assert!(paths[0].ends_with("/oauth2/v2.0/token"), "{paths:?}");
    assert!(
        paths[1].contains("/trafficmanagerprofiles/app-tm"),
        "{paths:?}"
    );
}

#[tokio::test]
async fn drain_disables_the_endpoint_keeping_its_weight_and_restore_enables_it() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let f = fleet(&az, "");
    let tm = provider(&f);
    let (p, log) = recorder();
    tm.apply_weights(&f, &[("westeurope".into(), Weight::drained(30))], &p)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let e = endpoint(&az, "westeurope");
    assert_eq!(e["properties"]["endpointStatus"], "Disabled");
    assert_eq!(e["properties"]["weight"], 30);
    assert_eq!(
        e["properties"]["target"], "app-westeurope.example.net",
        "other fields kept"
    );
    let said = log.lock().unwrap().join("\n");
    assert!(said.contains("one PATCH of profile app-tm"), "{said}");
    assert!(
        said.contains("\"endpointStatus\":\"Disabled\""),
        "the exact body is shown: {said}"
    );
    // Exactly one write: the whole change is one profile update.
    let reqs = az.control_tls("GET", "requests", &json!({}));
    let writes = reqs["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "PATCH")
        .count();
    assert_eq!(writes, 1);
    tm.apply_weights(
        &f,
        &[("westeurope".into(), Weight::units(30))],
        &Progress::silent(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        endpoint(&az, "westeurope")["properties"]["endpointStatus"],
        "Enabled"
    );
}

#[tokio::test]
async fn seed_002_percentages_become_900_and_100() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let f = fleet(&az, "");
    let tm = provider(&f);
    let now = vec![
        ("eastus".to_string(), Weight::units(70)),
        ("westeurope".to_string(), Weight::units(30)),
    ];
    let asks = vec![
        ("eastus".to_string(), meridian::traffic::Ask::Percent(9000)),
        (
            "westeurope".to_string(),
            meridian::traffic::Ask::Percent(1000),
        ),
    ];
    let res = meridian::traffic::resolve(&now, &asks, 0, &meridian::traffic::rules::AZURE);
    let weights: Vec<(String, Weight)> = res
        .requested
        .iter()
        .map(|q| (q.region.clone(), Weight::units(q.units as u32)))
        .collect();
    tm.apply_weights(&f, &weights, &Progress::silent())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(endpoint(&az, "eastus")["properties"]["weight"], 900);
    assert_eq!(endpoint(&az, "westeurope")["properties"]["weight"], 100);
}

#[tokio::test]
async fn disabling_every_endpoint_is_refused_before_anything_is_sent() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let f = fleet(&az, "");
    let tm = provider(&f);
    let all = [
        ("eastus".to_string(), Weight::drained(70)),
        ("westeurope".to_string(), Weight::drained(30)),
    ];
    let err = tm
        .apply_weights(&f, &all, &Progress::silent())
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("Inactive"), "{err}");
    let reqs = az.control_tls("GET", "requests", &json!({}));
    assert!(
        reqs["requests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["method"] != "PATCH")
    );
}

#[tokio::test]
async fn throttling_is_retried_and_said() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let f = fleet(&az, "");
    let tm = provider(&f);
    tm.read_weights(&f).await.unwrap_or_else(|e| panic!("{e}")); // token first
    az.control_tls("POST", "throttle", &json!({"count": 2, "retry_after": 1}));
    let (p, log) = recorder();
    tm.apply_weights(&f, &[("eastus".into(), Weight::units(80))], &p)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let said = log.lock().unwrap().join("\n");
    assert!(said.contains("throttled (429; Retry-After 1s)"), "{said}");
    assert_eq!(endpoint(&az, "eastus")["properties"]["weight"], 80);
}

#[tokio::test]
async fn a_change_behind_meridians_back_is_caught_by_the_read_back() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let f = fleet(&az, "");
    let tm = provider(&f);
    az.control_tls(
        "POST",
        "drift_after_write",
        &json!({"path": "endpoints/app-tm/westeurope", "body": {"endpointStatus": "Enabled", "weight": 500}}),
    );
    let err = tm
        .apply_weights(
            &f,
            &[("westeurope".into(), Weight::drained(30))],
            &Progress::silent(),
        )
        .await
        .expect_err("drift");
    let text = err.to_string();
    assert!(
        text.contains("read back differs: westeurope reads 500, expected drained (30)"),
        "{text}"
    );
    assert!(text.contains("someone else changed the profile"), "{text}");
}

#[tokio::test]
async fn a_black_hole_answers_within_the_deadline() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let f = fleet(&az, "");
    let tm = provider(&f);
    tm.read_weights(&f).await.unwrap_or_else(|e| panic!("{e}")); // token first
    az.control_tls("POST", "hang", &json!({"hang": true}));
    let started = std::time::Instant::now();
    let err = tm.read_weights(&f).await.expect_err("no answer");
    eprintln!("black hole answered after {:?}", started.elapsed());
    assert!(err.to_string().contains("no answer within 4s"), "{err}");
}

#[tokio::test]
async fn a_wrong_secret_is_a_token_error_that_never_shows_the_secret() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let f = fleet(&az, "client_secret_env = \"MERIDIAN_TEST_WRONG_SECRET\"");
    crate::support::azure::set_env();
    // SAFETY: only this test reads this variable.
    unsafe { std::env::set_var("MERIDIAN_TEST_WRONG_SECRET", "wrong-secret-value") };
    let tm = TrafficManager::new(&f, &f.traffic, None);
    let err = tm.read_weights(&f).await.expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("getting a token (environment) failed"),
        "{text}"
    );
    assert!(!text.contains("wrong-secret-value"), "{text}");
    assert!(
        text.contains("MERIDIAN_TEST_WRONG_SECRET"),
        "the hint names what to check: {text}"
    );
}

#[tokio::test]
async fn health_follows_the_endpoint_monitor_status() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let f = fleet(&az, "");
    let tm = provider(&f);
    let we = f.region("westeurope").expect("region");
    assert_eq!(
        tm.read_health(we)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .status,
        HealthStatus::Healthy
    );
    az.control_tls(
        "POST",
        "endpoints/app-tm/westeurope",
        &json!({"monitor": "Degraded"}),
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await; // past the shared read
    let h = tm.read_health(we).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.status, HealthStatus::Down);
    assert!(h.reason.contains("Degraded"), "{}", h.reason);
}
