//! The Cloudflare stand-in seeded like seeds 000/001: three regions behind Cloudflare Load
//! Balancing (pools us-east-2, eu-west-1, ap-south-1, plus an unmanaged legacy pool), one
//! load balancer with random steering, and a second one sharing the pools.

use serde_json::json;

use super::standin::{self, Standin};

pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
pub const ZONE: &str = "fedcba9876543210fedcba9876543210";
pub const TOKEN: &str = "cf-test-token-not-a-secret";
pub const READ_TOKEN: &str = "cf-read-only-token";
/// The environment variable the test fleets read the token from.
pub const TOKEN_ENV: &str = "MERIDIAN_TEST_CF_TOKEN";

pub fn pool_id(region: &str) -> String {
    format!("pool-{region}")
}

/// The seed: pools, `api.aragora.example` (random 0.5/0.3/0.2), `ws.aragora.example`.
pub fn seed() -> serde_json::Value {
    let pool = |name: &str, addr: &str| {
        json!({"id": pool_id(name), "name": name, "monitor": "mon-http",
               "origins": [{"name": format!("{name}-lb"), "address": addr, "enabled": true, "weight": 1}]})
    };
    let weights = json!({"pool-us-east-2": 0.5, "pool-eu-west-1": 0.3, "pool-ap-south-1": 0.2, "pool-legacy": 0.0});
    let pools = [
        "pool-us-east-2",
        "pool-eu-west-1",
        "pool-ap-south-1",
        "pool-legacy",
    ];
    json!({
        "tokens": {TOKEN: "write", READ_TOKEN: "read"},
        "account_id": ACCOUNT, "zone_id": ZONE,
        "pools": [pool("us-east-2", "192.0.2.10"), pool("eu-west-1", "192.0.2.20"),
                  pool("ap-south-1", "192.0.2.30"), pool("legacy", "192.0.2.99")],
        "load_balancers": [
            {"id": "lb-api", "name": "api.aragora.example", "steering_policy": "random",
             "default_pools": pools, "fallback_pool": "pool-us-east-2",
             "random_steering": {"default_weight": 1, "pool_weights": weights}},
            {"id": "lb-ws", "name": "ws.aragora.example", "steering_policy": "random",
             "default_pools": pools, "fallback_pool": "pool-us-east-2",
             "random_steering": {"default_weight": 1, "pool_weights": weights}}
        ]
    })
}

/// Start the stand-in (rate limit per `extra`, e.g. `["--rate-limit", "5"]`).
pub fn start(extra: &[&str]) -> Option<Standin> {
    standin::start("cloudflare_standin.py", &seed(), extra, false)
}

/// A fleet file for the stand-in: load balancers as listed, health from pool health.
pub fn fleet_toml(cf: &Standin, lbs: &[&str], extra: &str) -> String {
    let lbs: Vec<String> = lbs.iter().map(|l| format!("\"{l}\"")).collect();
    let token = if extra.contains("api_token_env") {
        String::new()
    } else {
        format!("api_token_env = \"{TOKEN_ENV}\"")
    };
    format!(
        r#"
[fleet]
name = "cf-test"
[traffic]
provider = "cloudflare"
account_id = "{ACCOUNT}"
zone_id = "{ZONE}"
load_balancers = [{}]
endpoint_url = "{}/client/v4"
{token}
timeout = "4s"
connect_timeout = "1s"
max_attempts = 4
{extra}
[[regions]]
id = "us-east-2"
role = "primary"
steady_weight = 0.5
health = {{ provider = "cloudflare" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 0.3
health = {{ provider = "cloudflare" }}
[[regions]]
id = "ap-south-1"
role = "secondary"
steady_weight = 0.2
health = {{ provider = "cloudflare" }}
"#,
        lbs.join(", "),
        cf.url("http")
    )
}

/// Start the stand-in with another seed (e.g. `seed_with_geo()`).
pub fn start_with(seed: &serde_json::Value, extra: &[&str]) -> Option<Standin> {
    standin::start("cloudflare_standin.py", seed, extra, false)
}

/// The seed plus `geo.aragora.example`: steering_policy "geo", each region's pool for its
/// Cloudflare region (WNAM/ENAM us-east-2, WEU/EEU eu-west-1, SEAS/SAS ap-south-1), the
/// three pools as default_pools, us-east-2 as fallback_pool.
pub fn seed_with_geo() -> serde_json::Value {
    let mut seed = seed();
    let geo = json!({
        "id": "lb-geo", "name": "geo.aragora.example", "steering_policy": "geo",
        "default_pools": ["pool-us-east-2", "pool-eu-west-1", "pool-ap-south-1"],
        "fallback_pool": "pool-us-east-2",
        "region_pools": {"WNAM": ["pool-us-east-2"], "ENAM": ["pool-us-east-2"],
                         "WEU": ["pool-eu-west-1"], "EEU": ["pool-eu-west-1"],
                         "SEAS": ["pool-ap-south-1"], "SAS": ["pool-ap-south-1"]},
        "country_pools": {}, "pop_pools": {}
    });
    if let Some(lbs) = seed["load_balancers"].as_array_mut() {
        lbs.push(geo);
    }
    seed
}
