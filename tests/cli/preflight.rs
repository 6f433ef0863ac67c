//! `meridian preflight` through the binary: the demo's failover is ready (exit 0, text and
//! JSON); with its target down it is not (exit 3, naming the check); a fleet file whose
//! failover target has no health check, over a traffic provider that cannot be reached,
//! fails naming the missing health check and the unreadable records; a wrong template is
//! a usage error.

use serde_json::Value;

use crate::runbook::Sandbox;

fn items(doc: &Value) -> Vec<(String, String, String)> {
    doc["templates"][0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["check"].as_str().unwrap_or_default().to_string(),
                i["status"].as_str().unwrap_or_default().to_string(),
                i["detail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_demo_failover_is_ready_and_says_what_it_checked() {
    let s = Sandbox::new();
    let (code, out, err) = s.run(&["preflight"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.starts_with(
            "preflight failover-eu-west-1 \"Fail over to eu-west-1\" (failover): READY"
        ),
        "{out}"
    );
    for want in [
        "ok    fleet lock: reachable and free",
        "ok    step 3: promote eu-west-1: planned: ",
        "ok    eu-west-1 database: found (sim, secondary); ",
        "within the RPO budget of 1m",
    ] {
        assert!(out.contains(want), "no {want:?} in\n{out}");
    }

    let (code, out, err) = s.run(&["preflight", "failover-eu-west-1", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["ready"], true);
    assert_eq!(doc["templates"][0]["kind"], "failover");
    assert!(
        items(&doc).iter().all(|(_, status, _)| status != "fail"),
        "{doc:#}"
    );
    // Nothing was started: no rollout.
    let (code, _, err) = s.run(&["rollout", "status"]);
    assert_ne!(code, 0, "a rollout exists after preflight: {err}");
}

#[test]
fn the_demo_failover_is_not_ready_while_its_target_is_down() {
    let s = Sandbox::new();
    let (code, _, err) = s.run(&["demo", "fault", "eu-west-1", "down"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = s.run(&["preflight", "--json"]);
    assert_eq!(code, 3, "{out}\n{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["ready"], false);
    let failed: Vec<String> = items(&doc)
        .into_iter()
        .filter(|(_, st, _)| st == "fail")
        .map(|(c, _, d)| format!("{c}: {d}"))
        .collect();
    assert!(
        failed
            .iter()
            .any(|l| l.starts_with("step 4: eu-west-1 healthy 2m: eu-west-1 is down now")),
        "{failed:#?}"
    );
    assert!(err.contains("failover-eu-west-1 is not ready:"), "{err}");
}

#[test]
fn a_fleet_file_whose_failover_target_has_no_health_check_fails_naming_it() {
    let s = Sandbox::new();
    let fleet = s.dir.path().join("fleet.toml");
    std::fs::write(
        &fleet,
        r#"[fleet]
name = "nohc"
[traffic]
provider = "route53"
hosted_zone_id = "Z0000000000000"
record_name = "app.example.com"
endpoint_url = "http://127.0.0.1:9"
aws_region = "us-east-1"
max_attempts = 1
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
health = { provider = "http", probes = ["http://127.0.0.1:9/healthz"] }
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 50
[[rollouts]]
id = "failover-eu-west-1"
name = "Fail over to eu-west-1"
kind = "failover"
steps = [{ drain = "us-east-1" }, { promote = "eu-west-1" }]
"#,
    )
    .expect("fleet");
    let path = fleet.to_str().expect("utf-8 path");
    let (code, out, err) = s.run(&["-c", path, "preflight"]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        out.contains("FAIL  eu-west-1 health check: its health check is missing: eu-west-1 has no health source of its own"),
        "{out}"
    );
    // Its records cannot be read either: said per region, with what to check.
    assert!(
        out.contains("FAIL  us-east-1 traffic record: not found or not readable (route53): "),
        "{out}"
    );
    assert!(
        out.contains("-> check set_identifier \"us-east-1\""),
        "{out}"
    );
    assert!(
        err.contains("eu-west-1 health check: its health check is missing"),
        "{err}"
    );
}

#[test]
fn a_wrong_template_or_parameter_is_a_usage_error() {
    let s = Sandbox::new();
    let (code, _, err) = s.run(&["preflight", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("has no rollout \"nope\""), "{err}");
    let (code, _, err) = s.run(&["preflight", "release", "--param", "oops"]);
    assert_eq!(code, 2);
    assert!(err.contains("write NAME=VALUE"), "{err}");
}

/// `--mode ungraceful` judges the run without the old region: the lag gate that needs it
/// is left out and named; a template with no ungraceful mode is a usage error.
#[test]
fn preflight_judges_the_ungraceful_run_of_a_failover() {
    let s = Sandbox::new();
    let (code, out, err) = s.run(&["preflight", "--mode", "ungraceful"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.starts_with(
            "preflight failover-eu-west-1 \"Fail over to eu-west-1\" (failover, ungraceful): READY"
        ),
        "{out}"
    );
    assert!(
        out.contains("ok    step 2: eu-west-1 lag under 5s: left out in ungraceful mode: it runs only while the old region answers\n"),
        "{out}"
    );
    let (code, _, err) = s.run(&[
        "preflight",
        "release-to",
        "--param",
        "region=eu-west-1",
        "--mode",
        "ungraceful",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("has no ungraceful mode"), "{err}");
}
