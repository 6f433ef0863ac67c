//! Drain and restore under routing policies other than weights, end to end with the real
//! binary: seed 004's Route 53 latency records, a failover primary, geolocation records and
//! an alias tree on moto; seed 001's geo-steered Cloudflare load balancer; a priority-routed
//! Traffic Manager profile. Each restore leaves the provider as it was before the drain,
//! compared field by field on what the provider reads back.

use serde_json::{Value, json};

use crate::support::aws_routed::{self, Routed};
use crate::traffic_cli::{Run, region};

/// moto, a zone routed as asked, and a run of the binary on a fleet file for it.
async fn route53(
    routed: Routed,
    ids: [&str; 3],
) -> Option<(
    crate::support::moto::Moto,
    aws_sdk_route53::Client,
    aws_routed::Zone,
    Run,
)> {
    let moto = crate::support::moto::start()?;
    let c = crate::support::aws::client(&moto.url()).await;
    let zone = aws_routed::seed(&c, routed).await;
    let run = Run::new(
        aws_routed::fleet_toml(&moto.url(), &zone, ids),
        crate::support::aws_test_env(),
    );
    Some((moto, c, zone, run))
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_004_latency_records_drain_and_restore_to_exactly_what_was_there() {
    let Some((_moto, c, zone, run)) = route53(
        Routed::Latency,
        ["us-east-1", "eu-west-1", "ap-southeast-1"],
    )
    .await
    else {
        return;
    };
    let sets_before = aws_routed::all_sets(&c, &zone.id).await;
    let checks_before = aws_routed::check_ids(&c).await;

    // The policy and rotation, never a made-up share.
    let s = run.status();
    let eu = region(&s, "eu-west-1");
    assert_eq!(eu["policy"], "latency", "{eu}");
    assert_eq!(eu["rotation"], "serving");
    assert_eq!(eu["traffic_share"], Value::Null);
    assert_eq!(eu["weight"], Value::Null);
    let (_, table, _) = run.run(&["status"]);
    assert!(table.contains("latency · serving"), "{table}");

    // Weights do not apply: a usage error that says what does.
    let (code, _, err) = run.run(&["weights", "eu-west-1=10", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("eu-west-1 is routed by latency (Route 53)")
            && err.contains("meridian drain eu-west-1"),
        "{err}"
    );
    assert_eq!(
        aws_routed::all_sets(&c, &zone.id).await,
        sets_before,
        "nothing sent"
    );

    let (code, _, err) = run.run(&["drain", "eu-west-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("eu-west-1 traffic: latency · serving -> latency · drained"),
        "the change in words:\n{err}"
    );
    assert!(err.contains("a new meridian drain check"), "{err}");
    assert!(err.contains("TTL"), "the plan says resolvers cache:\n{err}");
    let sets = aws_routed::all_sets(&c, &zone.id).await;
    let eu_set = sets
        .iter()
        .find(|s| s.set_identifier.as_deref() == Some("eu-west-1"))
        .expect("eu set");
    let drain = eu_set.health_check_id.clone().expect("a health check");
    assert_ne!(drain, zone.checks[1], "pointed at meridian's check");
    assert!(
        eu_set.weight.is_none(),
        "never a Weight on a latency record"
    );
    let hc = c
        .get_health_check()
        .health_check_id(&drain)
        .send()
        .await
        .expect("drain check");
    let cfg = hc
        .health_check()
        .and_then(|h| h.health_check_config())
        .expect("config");
    assert_eq!(cfg.disabled(), Some(true));
    assert_eq!(cfg.inverted(), Some(true));
    let s = run.status();
    assert_eq!(region(&s, "eu-west-1")["rotation"], "drained");
    assert_eq!(region(&s, "us-east-1")["rotation"], "serving");
    // What restoring needs is in the shared store, for whoever restores.
    let book: Value = serde_json::from_str(
        &std::fs::read_to_string(
            run.dir
                .path()
                .join("state/fleets/routed/shared/traffic/drains.json"),
        )
        .expect("drain book"),
    )
    .expect("json");
    assert_eq!(
        book["regions"]["eu-west-1"]["undo"]["health_check"],
        json!(zone.checks[1])
    );

    // ap-southeast-1's record has no health check: it gets a drain check, and loses it.
    let (code, _, err) = run.run(&["drain", "ap-southeast-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("health check none -> a new meridian drain check"),
        "{err}"
    );
    // The last region in rotation is never drained.
    let (code, _, err) = run.run(&["drain", "us-east-1", "--yes"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("last-healthy-region") || err.contains("all-weights-zero"),
        "{err}"
    );

    let (code, _, err) = run.run(&["restore", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        aws_routed::all_sets(&c, &zone.id).await,
        sets_before,
        "restore puts back exactly what was there"
    );
    assert_eq!(
        aws_routed::check_ids(&c).await,
        checks_before,
        "the drain checks are gone"
    );
    let (code, _, err) = run.run(&["status", "--check"]);
    assert_eq!(code, 0, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn draining_a_failover_primary_says_the_secondary_takes_over_and_restore_undoes_it() {
    let Some((_moto, c, zone, run)) =
        route53(Routed::Failover, ["primary", "secondary", "none"]).await
    else {
        return;
    };
    let before = aws_routed::all_sets(&c, &zone.id).await;
    let s = run.status();
    assert_eq!(region(&s, "us-east-1")["policy"], "failover-primary");
    assert_eq!(region(&s, "us-east-1")["rotation"], "serving");
    assert_eq!(region(&s, "eu-west-1")["rotation"], "standby");
    let (code, _, err) = run.run(&["drain", "us-east-1", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("eu-west-1 (failover secondary) takes over"),
        "the plan says which record answers instead:\n{err}"
    );
    let (code, _, err) = run.run(&["drain", "us-east-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let s = run.status();
    assert_eq!(region(&s, "us-east-1")["rotation"], "drained");
    assert_eq!(region(&s, "eu-west-1")["rotation"], "serving");
    let (code, _, err) = run.run(&["restore", "us-east-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(aws_routed::all_sets(&c, &zone.id).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_alias_is_followed_to_the_latency_records_that_decide_traffic() {
    let Some((_moto, c, zone, run)) = route53(
        Routed::AliasToLatency,
        ["us-east-1", "eu-west-1", "ap-southeast-1"],
    )
    .await
    else {
        return;
    };
    let before = aws_routed::all_sets(&c, &zone.id).await;
    let s = run.status();
    let eu = region(&s, "eu-west-1");
    assert_eq!(eu["rotation"], "serving", "{eu}");
    let via = eu["route"]["via"].as_str().unwrap_or_default();
    assert!(
        via.contains("app.example.com. alias") && via.contains("latency.app.example.com."),
        "{via}"
    );
    let (code, _, err) = run.run(&["drain", "eu-west-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(region(&run.status(), "eu-west-1")["rotation"], "drained");
    let (code, _, err) = run.run(&["restore", "eu-west-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(aws_routed::all_sets(&c, &zone.id).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn draining_the_only_region_of_a_geolocation_warns_where_those_users_go() {
    let Some((_moto, _c, _zone, run)) = route53(
        Routed::Geolocation,
        ["us-east-1", "eu-west-1", "ap-southeast-1"],
    )
    .await
    else {
        return;
    };
    let (code, _, err) = run.run(&["drain", "eu-west-1", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("geo-coverage"), "{err}");
    assert!(
        err.contains("continent EU map only to eu-west-1")
            && err.contains("the default (*) record"),
        "{err}"
    );
}

fn cf_lb(cf: &crate::support::standin::Standin, id: &str) -> Value {
    let state = cf.control("GET", "state", &json!({}));
    let lbs = state["load_balancers"].clone();
    let found = match &lbs {
        Value::Array(a) => a.iter().find(|l| l["id"] == id).cloned(),
        Value::Object(m) => m.get(id).cloned(),
        _ => None,
    };
    let mut lb = found.unwrap_or(Value::Null);
    // What changes on every write, whatever was written.
    if let Some(m) = lb.as_object_mut() {
        m.remove("modified_on");
    }
    lb
}

#[test]
fn seed_001_geo_steered_pool_leaves_the_lists_and_comes_back_to_the_same_places() {
    let seed = crate::support::cloudflare::seed_with_geo();
    let Some(cf) = crate::support::cloudflare::start_with(&seed, &[]) else {
        return;
    };
    let run = Run::new(
        crate::support::cloudflare::fleet_toml(&cf, &["geo.aragora.example"], "")
            + "[policy]\nhealth_gate = \"0s\"\nproduction_environments = []\n",
        vec![(
            crate::support::cloudflare::TOKEN_ENV,
            crate::support::cloudflare::TOKEN,
        )],
    );
    let geo_before = cf_lb(&cf, "lb-geo");
    let api_before = cf_lb(&cf, "lb-api");
    let s = run.status();
    assert_eq!(region(&s, "eu-west-1")["policy"], "geo");
    assert_eq!(region(&s, "eu-west-1")["rotation"], "serving");
    let (code, _, err) = run.run(&["weights", "eu-west-1=0.5", "--yes"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run.run(&["drain", "eu-west-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("geo-coverage"), "{err}");
    assert!(
        err.contains("region WEU") && err.contains("the default pools (us-east-2, ap-south-1)"),
        "where those users go:\n{err}"
    );
    let geo = cf_lb(&cf, "lb-geo");
    assert_eq!(
        geo["default_pools"],
        json!(["pool-us-east-2", "pool-ap-south-1"])
    );
    assert!(geo["region_pools"].get("WEU").is_none(), "{geo}");
    assert_eq!(
        cf_lb(&cf, "lb-api"),
        api_before,
        "a load balancer outside the fleet is untouched"
    );
    assert_eq!(region(&run.status(), "eu-west-1")["rotation"], "drained");
    let (code, _, err) = run.run(&["restore", "eu-west-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        cf_lb(&cf, "lb-geo"),
        geo_before,
        "the same lists, the same order"
    );
    cf.assert_no_violations();
}

fn az_endpoints(az: &crate::support::standin::Standin) -> Value {
    let state = az.control_tls("GET", "state", &json!({}));
    state["profiles"][0]["properties"]["endpoints"].clone()
}

#[test]
fn a_priority_routed_endpoint_drains_to_the_next_priority_and_drift_shows() {
    let seed = crate::support::azure::seed_routing("Priority");
    let Some(az) = crate::support::azure::start_with(&seed) else {
        return;
    };
    let run = Run::new(
        crate::support::azure::fleet_toml(&az, "")
            + "[policy]\nhealth_gate = \"0s\"\nproduction_environments = []\n",
        crate::support::azure::env(),
    );
    let before = az_endpoints(&az);
    let s = run.status();
    assert_eq!(region(&s, "eastus")["policy"], "priority");
    assert_eq!(region(&s, "eastus")["rotation"], "serving");
    assert_eq!(region(&s, "westeurope")["rotation"], "standby");
    let (code, _, err) = run.run(&["drain", "eastus", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("westeurope (priority 2) takes over"),
        "the plan says which endpoint becomes active:\n{err}"
    );
    assert!(err.contains("endpointStatus Enabled -> Disabled"), "{err}");
    let (code, _, err) = run.run(&["restore", "eastus", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        az_endpoints(&az),
        before,
        "restore leaves the profile as it was"
    );
    // Someone disables westeurope in the portal: drift, said by status --check.
    az.control_tls(
        "POST",
        "endpoints/app-tm/westeurope",
        &json!({"endpointStatus": "Disabled"}),
    );
    let (code, out, err) = run.run(&["status", "--check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("DRIFT"), "{err}");
    az.assert_no_violations();
}
