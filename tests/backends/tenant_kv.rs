//! Tenant routing through Cloudflare Workers KV, against the Cloudflare stand-in's KV
//! (tests/servers/cloudflare_kv.py), whose every request is checked against Cloudflare's
//! API description: a map of thousands of tenants read with cursor paging and bulk reads,
//! JSON values moved with their other fields kept, sign-ups opened and closed by key, and an
//! eventually consistent namespace that a change is read back from until it shows (by the
//! provider, and by `meridian tenant move` through the executor) instead of failing early.

use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use serde_json::{Value, json};

use crate::support::cloudflare::{ACCOUNT, TOKEN, TOKEN_ENV, seed};
use crate::support::standin::{self, Standin};
use meridian::fleet::{Fleet, FleetSource, parse};
use meridian::providers::Progress;
use meridian::providers::cloudflare::kv::KvRouting;
use meridian::providers::routing::{RoutingChange, TenantRouting};

const NS: &str = "0000aaaa1111bbbb2222cccc3333dddd";

/// The stand-in with one KV namespace holding `keys`, reads lagging writes by `lag` s.
fn start(keys: &serde_json::Map<String, Value>, lag: f64) -> Option<Standin> {
    let mut s = seed();
    s["kv"] = json!({"lag_seconds": lag, "namespaces": {NS: {"title": "tenants", "keys": keys}}});
    standin::start("cloudflare_standin.py", &s, &[], false)
}

/// A fleet of three regions whose `[tenant_routing]` is the namespace; `layout` adds keys.
fn fleet_toml(kv: &Standin, layout: &str) -> String {
    format!(
        r#"
[fleet]
name = "kv-test"
[traffic]
provider = "sim"
[tenant_routing]
provider = "cloudflare-kv"
account_id = "{ACCOUNT}"
namespace_id = "{NS}"
endpoint_url = "{}/client/v4"
api_token_env = "{TOKEN_ENV}"
timeout = "4s"
{layout}
[[regions]]
id = "sgp-1"
role = "primary"
steady_weight = 50
[[regions]]
id = "fra-1"
role = "secondary"
steady_weight = 50
[[regions]]
id = "iad-1"
role = "secondary"
steady_weight = 0
[[tenants]]
id = "acme"
environment = "stg"
regions = ["sgp-1", "fra-1"]
"#,
        kv.url("http")
    )
}

fn fleet(kv: &Standin, layout: &str) -> Fleet {
    match parse(&fleet_toml(kv, layout), "kv-test.toml", FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    }
}

fn provider(f: &Fleet) -> KvRouting {
    // SAFETY: every test sets the same value.
    unsafe { std::env::set_var(TOKEN_ENV, TOKEN) };
    let cap = f
        .tenant_routing
        .as_ref()
        .unwrap_or_else(|| panic!("no [tenant_routing]"));
    KvRouting::new(f, cap)
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

fn requests(kv: &Standin) -> Vec<Value> {
    kv.control("GET", "requests", &json!({}))["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn stored(kv: &Standin) -> Value {
    kv.control("GET", &format!("kv/{NS}"), &json!({}))["keys"].clone()
}

#[tokio::test]
async fn a_map_of_thousands_is_read_with_cursor_pages_and_bulk_reads() {
    let mut keys = serde_json::Map::new();
    let regions = ["sgp-1", "fra-1", "iad-1"];
    for i in 0..2_345 {
        keys.insert(format!("tenant:t{i:05}"), json!(regions[i % 3]));
    }
    keys.insert("tenant:gone-region".into(), json!("osa-9"));
    keys.insert("tenant:broken".into(), json!("  "));
    keys.insert("config:signups".into(), json!("[\"sgp-1\",\"fra-1\"]"));
    keys.insert("unrelated".into(), json!("x"));
    let Some(kv) = start(&keys, 0.0) else { return };
    let f = fleet(
        &kv,
        "tenant_prefix = \"tenant:\"\nsignups_key = \"config:signups\"",
    );
    let homes = provider(&f)
        .read_routing(&f)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        homes.homes.len(),
        2_346,
        "every readable tenant, none of the other keys"
    );
    assert_eq!(homes.home("t00000"), Some("sgp-1"));
    assert_eq!(homes.home("t02344"), Some("fra-1"));
    assert_eq!(homes.home("gone-region"), Some("osa-9"), "kept as written");
    assert_eq!(homes.homed_in("iad-1"), 781);
    assert_eq!(homes.unreadable.len(), 1, "{:?}", homes.unreadable);
    assert!(homes.unreadable[0].starts_with("tenant:broken: the value is empty"));
    assert_eq!(homes.takes_signups("sgp-1"), Some(true));
    assert_eq!(homes.takes_signups("iad-1"), Some(false));
    let reqs = requests(&kv);
    let lists: Vec<&Value> = reqs
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with("/keys")))
        .collect();
    // 2,347 keys under the prefix: three pages of at most 1,000, each after the first with
    // the cursor the one before returned.
    assert_eq!(lists.len(), 3, "{lists:?}");
    assert!(lists[0]["query"].get("cursor").is_none());
    assert!(
        lists[1]["query"]["cursor"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    assert_eq!(lists[0]["query"]["prefix"], "tenant:");
    let bulk = reqs
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with("/bulk/get")))
        .count();
    assert_eq!(bulk, 24, "a hundred values a read");
    assert!(kv.violations().is_empty());
}

#[tokio::test]
async fn a_json_value_moves_with_its_other_fields_and_sign_ups_are_keys() {
    let mut keys = serde_json::Map::new();
    keys.insert(
        "acme".into(),
        json!(r#"{"region":"sgp-1","plan":"enterprise"}"#),
    );
    keys.insert("signup/sgp-1".into(), json!("{}"));
    keys.insert("signup/fra-1".into(), json!("{}"));
    let Some(kv) = start(&keys, 0.0) else { return };
    let f = fleet(&kv, "value = \"json\"\nsignups_prefix = \"signup/\"");
    let p = provider(&f);
    let homes = p.read_routing(&f).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(homes.home("acme"), Some("sgp-1"));
    assert_eq!(
        homes.signups,
        Some(vec!["fra-1".to_string(), "sgp-1".to_string()])
    );
    let (progress, log) = recorder();
    p.apply(
        &f,
        &RoutingChange::Home {
            tenant: "acme".into(),
            to: "fra-1".into(),
        },
        &progress,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let doc: Value =
        serde_json::from_str(stored(&kv)["acme"].as_str().unwrap_or("")).unwrap_or(Value::Null);
    assert_eq!(doc, json!({"region": "fra-1", "plan": "enterprise"}));
    // Teardown's first step: the region's sign-up key goes.
    p.apply(
        &f,
        &RoutingChange::Signups {
            region: "sgp-1".into(),
            open: false,
        },
        &progress,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(stored(&kv).get("signup/sgp-1").is_none());
    p.apply(
        &f,
        &RoutingChange::Signups {
            region: "iad-1".into(),
            open: true,
        },
        &progress,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(stored(&kv).get("signup/iad-1").is_some());
    let said = log.lock().unwrap_or_else(|e| e.into_inner()).join("\n");
    assert!(
        said.contains("cloudflare KV: DELETE signup/sgp-1"),
        "{said}"
    );
    assert!(!said.contains(TOKEN), "the token is never printed");
    let puts: Vec<Value> = requests(&kv)
        .into_iter()
        .filter(|r| r["method"] == "PUT")
        .collect();
    assert_eq!(puts.len(), 2);
    assert!(
        puts[0]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with(&format!("{NS}/values/acme")))
    );
    assert!(kv.violations().is_empty());
}

#[tokio::test]
async fn a_write_is_read_back_until_an_eventually_consistent_namespace_shows_it() {
    let mut keys = serde_json::Map::new();
    keys.insert("acme".into(), json!("sgp-1"));
    let Some(kv) = start(&keys, 2.0) else { return };
    let f = fleet(&kv, "signups_key = \"signups\"");
    let p = provider(&f);
    let (progress, log) = recorder();
    p.apply(
        &f,
        &RoutingChange::Home {
            tenant: "acme".into(),
            to: "fra-1".into(),
        },
        &progress,
    )
    .await
    .unwrap_or_else(|e| panic!("a lagging read is waited for, not a failure: {e}"));
    let said = log.lock().unwrap_or_else(|e| e.into_inner()).join("\n");
    assert!(said.contains("acme reads back as written after"), "{said}");
    let gets = requests(&kv)
        .iter()
        .filter(|r| {
            r["method"] == "GET"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("/values/acme"))
        })
        .count();
    // The value read before writing, then at least one stale read back and the good one.
    assert!(gets >= 3, "{gets} reads of acme");
    // A window shorter than the lag: said as unverified, never as done.
    let short = fleet(&kv, "signups_key = \"signups\"\nconsistency_wait = \"1s\"");
    let err = provider(&short)
        .apply(
            &short,
            &RoutingChange::Home {
                tenant: "acme".into(),
                to: "iad-1".into(),
            },
            &Progress::silent(),
        )
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("reading it back still shows the old value after 1s"),
        "{err}"
    );
}

#[test]
fn tenant_move_through_the_executor_waits_out_eventual_consistency_and_is_audited() {
    let mut keys = serde_json::Map::new();
    keys.insert("acme".into(), json!("sgp-1"));
    keys.insert("signups".into(), json!("sgp-1,fra-1"));
    let Some(kv) = start(&keys, 2.0) else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("fleet.toml");
    std::fs::write(&file, fleet_toml(&kv, "signups_key = \"signups\""))
        .unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("meridian")
            .unwrap_or_else(|e| panic!("{e}"))
            .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
            .env(TOKEN_ENV, TOKEN)
            .env_remove("MERIDIAN_READ_ONLY")
            .arg("-c")
            .arg(&file)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains(TOKEN), "the token is never printed");
        (out.status.code().unwrap_or(-1), text)
    };
    let (code, out) = run(&[
        "tenant", "move", "acme", "--to", "fra-1", "--reason", "CS-7", "--yes",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("done and verified"), "{out}");
    assert!(
        out.contains("PUT acme -> \"fra-1\""),
        "the plan names the key: {out}"
    );
    assert_eq!(stored(&kv)["acme"], "fra-1");
    let (code, out) = run(&["signups", "close", "sgp-1", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        stored(&kv)["signups"],
        "fra-1",
        "the list keeps its comma form"
    );
    let (code, out) = run(&["status", "--json"]);
    assert_eq!(code, 0, "{out}");
    let json_start = out.find('{').unwrap_or(0);
    let s: Value = serde_json::from_str(&out[json_start..]).unwrap_or(Value::Null);
    assert_eq!(s["tenant_routing"]["provider"], "cloudflare-kv");
    let acme = s["tenants"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] == "acme"))
        .cloned();
    assert_eq!(acme.map(|a| a["home"].clone()), Some(json!("fra-1")));
    let (code, out) = run(&["audit", "--json"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("\"tenant-move\"") && out.contains("CS-7"),
        "{out}"
    );
    assert!(kv.violations().is_empty());
}
