//! Cloudflare Load Balancing against the local stand-in (tests/servers/cloudflare_standin.py):
//! pool weights read per region, drain and restore as one PATCH per load balancer, several
//! load balancers changed in order (and said to be not atomic), the rate limit's 429s
//! retried, drift caught by the read-back, a black hole answered within the deadline, health
//! from the pool health endpoint, and the token never printed.

use std::sync::{Arc, Mutex};

use crate::support::cloudflare::{READ_TOKEN, TOKEN, TOKEN_ENV};
use crate::support::standin::Standin;
use meridian::fleet::{Fleet, FleetSource, parse};
use meridian::providers::cloudflare::LoadBalancing;
use meridian::providers::{HealthProvider, Progress, TrafficProvider};
use meridian::state::HealthStatus;
use meridian::traffic::Weight;
use serde_json::json;

fn fleet(cf: &Standin, lbs: &[&str], extra: &str) -> Fleet {
    let src = crate::support::cloudflare::fleet_toml(cf, lbs, extra);
    match parse(&src, "cf-test.toml", FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    }
}

fn provider(f: &Fleet) -> LoadBalancing {
    // SAFETY: every test sets the same value.
    unsafe { std::env::set_var(TOKEN_ENV, TOKEN) };
    LoadBalancing::new(f, &f.traffic, None)
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

fn pool_weight(cf: &Standin, lb: &str, pool: &str) -> serde_json::Value {
    let state = cf.control("GET", "state", &json!({}));
    state["load_balancers"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["id"] == lb).cloned())
        .map(|l| l["random_steering"]["pool_weights"][pool].clone())
        .unwrap_or(serde_json::Value::Null)
}

fn writes(cf: &Standin) -> Vec<serde_json::Value> {
    let reqs = cf.control("GET", "requests", &json!({}));
    reqs["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["method"] == "PATCH")
        .collect()
}

#[tokio::test]
async fn pool_weights_are_read_per_region_and_other_pools_are_unmanaged() {
    let Some(cf) = crate::support::cloudflare::start(&[]) else {
        return;
    };
    let f = fleet(&cf, &["api.aragora.example"], "");
    let r = provider(&f)
        .read_weights(&f)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.by_region.get("us-east-2"), Some(&Weight::units(50)));
    assert_eq!(r.by_region.get("eu-west-1"), Some(&Weight::units(30)));
    assert_eq!(r.by_region.get("ap-south-1"), Some(&Weight::units(20)));
    assert_eq!(r.unmanaged, vec![("legacy".to_string(), 0)]);
}

#[tokio::test]
async fn drain_and_restore_are_one_patch_of_pool_weights() {
    let Some(cf) = crate::support::cloudflare::start(&[]) else {
        return;
    };
    let f = fleet(&cf, &["api.aragora.example"], "");
    let lb = provider(&f);
    let (p, log) = recorder();
    lb.apply_weights(&f, &[("us-east-2".into(), Weight::drained(0))], &p)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pool_weight(&cf, "lb-api", "pool-us-east-2"), 0.0);
    assert_eq!(
        pool_weight(&cf, "lb-api", "pool-eu-west-1"),
        0.3,
        "others kept"
    );
    assert_eq!(
        pool_weight(&cf, "lb-ws", "pool-us-east-2"),
        0.5,
        "an unlisted load balancer is left alone"
    );
    let w = writes(&cf);
    assert_eq!(w.len(), 1);
    assert_eq!(
        w[0]["path"],
        "/client/v4/zones/fedcba9876543210fedcba9876543210/load_balancers/lb-api"
    );
    let said = log.lock().unwrap().join("\n");
    assert!(
        said.contains("one PATCH of load balancer api.aragora.example (atomic)"),
        "{said}"
    );
    assert!(
        said.contains("is the fallback_pool: it still serves when every pool is unhealthy"),
        "{said}"
    );
    lb.apply_weights(
        &f,
        &[("us-east-2".into(), Weight::units(50))],
        &Progress::silent(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pool_weight(&cf, "lb-api", "pool-us-east-2"), 0.5);
}

#[tokio::test]
async fn several_load_balancers_change_in_order_and_the_plan_says_it_is_not_atomic() {
    let Some(cf) = crate::support::cloudflare::start(&[]) else {
        return;
    };
    let f = fleet(&cf, &["api.aragora.example", "ws.aragora.example"], "");
    let lb = provider(&f);
    let change = [("eu-west-1".to_string(), Weight::units(40))];
    let described = lb.describe_change(&f, &change).await.join("\n");
    assert!(
        described.contains("NOT atomic: 2 load balancers"),
        "{described}"
    );
    assert!(
        described.contains("api.aragora.example, then ws.aragora.example"),
        "{described}"
    );
    assert!(
        described.contains("\"pool-eu-west-1\":0.4"),
        "the exact body: {described}"
    );
    lb.apply_weights(&f, &change, &Progress::silent())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let w = writes(&cf);
    let order: Vec<&str> = w.iter().filter_map(|r| r["path"].as_str()).collect();
    assert!(
        order[0].ends_with("/lb-api") && order[1].ends_with("/lb-ws"),
        "{order:?}"
    );
    assert_eq!(pool_weight(&cf, "lb-ws", "pool-eu-west-1"), 0.4);
}

#[tokio::test]
async fn the_rate_limit_is_retried_after_retry_after_and_said() {
    // Three requests a second: the read-back hits the limit and waits it out.
    let Some(cf) = crate::support::cloudflare::start(&["--rate-limit", "3", "--rate-window", "1"])
    else {
        return;
    };
    let f = fleet(&cf, &["api.aragora.example"], "");
    let lb = provider(&f);
    let (p, log) = recorder();
    lb.apply_weights(&f, &[("ap-south-1".into(), Weight::units(10))], &p)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let said = log.lock().unwrap().join("\n");
    assert!(said.contains("throttled (429; Retry-After"), "{said}");
    assert_eq!(pool_weight(&cf, "lb-api", "pool-ap-south-1"), 0.1);
}

#[tokio::test]
async fn a_change_behind_meridians_back_is_caught_by_the_read_back() {
    let Some(cf) = crate::support::cloudflare::start(&[]) else {
        return;
    };
    let f = fleet(&cf, &["api.aragora.example"], "");
    cf.control(
        "POST",
        "drift_after_write",
        &json!({"path": "load_balancers/lb-api", "body": {"random_steering": {"default_weight": 1, "pool_weights": {"pool-us-east-2": 0.9}}}}),
    );
    let err = provider(&f)
        .apply_weights(
            &f,
            &[("us-east-2".into(), Weight::drained(0))],
            &Progress::silent(),
        )
        .await
        .expect_err("drift");
    let text = err.to_string();
    assert!(
        text.contains(
            "read back differs: us-east-2 reads 0.90 on api.aragora.example, expected 0.00"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_black_hole_answers_within_the_deadline() {
    let Some(cf) = crate::support::cloudflare::start(&[]) else {
        return;
    };
    let f = fleet(&cf, &["api.aragora.example"], "");
    cf.control("POST", "hang", &json!({"hang": true}));
    let started = std::time::Instant::now();
    let err = provider(&f).read_weights(&f).await.expect_err("no answer");
    eprintln!("black hole answered after {:?}", started.elapsed());
    assert!(err.to_string().contains("no answer within 4s"), "{err}");
}

#[tokio::test]
async fn a_read_only_token_is_refused_with_a_hint_and_never_printed() {
    let Some(cf) = crate::support::cloudflare::start(&[]) else {
        return;
    };
    let f = fleet(
        &cf,
        &["api.aragora.example"],
        "api_token_env = \"MERIDIAN_TEST_CF_RO\"",
    );
    // SAFETY: only this test reads this variable.
    unsafe { std::env::set_var("MERIDIAN_TEST_CF_RO", READ_TOKEN) };
    let lb = LoadBalancing::new(&f, &f.traffic, None);
    lb.read_weights(&f)
        .await
        .unwrap_or_else(|e| panic!("reads are allowed: {e}"));
    let err = lb
        .apply_weights(
            &f,
            &[("us-east-2".into(), Weight::units(40))],
            &Progress::silent(),
        )
        .await
        .expect_err("403");
    let text = err.to_string();
    assert!(text.contains("403 error 10000"), "{text}");
    assert!(text.contains("lacks permission"), "{text}");
    assert!(!text.contains(READ_TOKEN), "{text}");
}

#[tokio::test]
async fn health_comes_from_the_pool_health_endpoint() {
    let Some(cf) = crate::support::cloudflare::start(&[]) else {
        return;
    };
    let f = fleet(&cf, &["api.aragora.example"], "");
    let lb = provider(&f);
    let eu = f.region("eu-west-1").expect("region");
    assert_eq!(
        lb.read_health(eu)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .status,
        HealthStatus::Healthy
    );
    cf.control(
        "POST",
        "pools/eu-west-1/health",
        &json!({"unhealthy_pops": 1}),
    );
    assert_eq!(
        lb.read_health(eu)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .status,
        HealthStatus::Degraded
    );
    cf.control("POST", "pools/eu-west-1/health", &json!({"healthy": false}));
    let h = lb.read_health(eu).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.status, HealthStatus::Down);
    assert!(h.reason.contains("0/3 Cloudflare PoPs"), "{}", h.reason);
}
