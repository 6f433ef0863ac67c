//! Temporary weights and drift through the real binary on the demo fleet: `weights --for`
//! shows as temporary in `status --json`, its expiry is raised by `status --check`, and
//! weights changed behind meridian's back (in the simulated world's file) show as drift;
//! a drain reports its recovery clock against the RTO.

use serde_json::Value;

use crate::runbook::Sandbox;

/// The weights block of `status --json`.
fn weights(sb: &Sandbox) -> Value {
    let (code, out, err) = sb.run(&["status", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    doc["weights"].clone()
}

#[test]
fn temporary_weights_show_until_when_and_their_expiry_is_a_problem() {
    let s = Sandbox::new();
    assert_eq!(weights(&s)["state"], "steady");
    let (code, _, err) = s.run(&[
        "weights",
        "us-east-1=60",
        "eu-west-1=20",
        "--for",
        "2s",
        "--yes",
        "--reason",
        "CHG-7",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("temporary until"), "{err}");

    let w = weights(&s);
    assert_eq!(w["state"], "temporary", "{w}");
    assert_eq!(w["expired"], false, "{w}");
    let text = w["text"].as_str().unwrap();
    assert!(text.starts_with("temporary 60/20/20/0 until "), "{text}");
    assert!(text.ends_with("(steady 50/30/20/0)"), "{text}");

    std::thread::sleep(std::time::Duration::from_millis(2200));
    let w = weights(&s);
    assert_eq!(w["expired"], true, "{w}");
    assert!(
        w["problem"].as_str().unwrap().contains("meridian restore"),
        "{w}"
    );
    let (code, out, err) = s.run(&["status", "--check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("EXPIRED temporary 60/20/20/0"), "{err}");
    assert!(out.contains("weights: EXPIRED"), "{out}");

    let (code, _, err) = s.run(&["restore", "--yes", "--reason", "CHG-7"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(weights(&s)["state"], "steady");
}

#[test]
fn weights_changed_behind_meridians_back_show_as_drift_with_since_when() {
    let s = Sandbox::new();
    assert_eq!(weights(&s)["state"], "steady");
    let world = s.dir.path().join("state/fleets/demo/sim-world.json");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&world).unwrap()).unwrap();
    let regions = doc["regions"].as_array_mut().unwrap();
    let eu = regions.iter_mut().find(|r| r["id"] == "eu-west-1").unwrap();
    eu["weight"] = Value::from(5);
    std::fs::write(&world, serde_json::to_vec(&doc).unwrap()).unwrap();

    let w = weights(&s);
    assert_eq!(w["state"], "drift", "{w}");
    let since = w["since_ms"].as_i64().unwrap();
    let text = w["text"].as_str().unwrap();
    assert!(text.starts_with("DRIFT 50/5/20/0 since "), "{text}");
    // Seen again: since the first sighting, not since now.
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(weights(&s)["since_ms"].as_i64().unwrap(), since);

    // A change meridian makes is intended, not drift.
    let (code, _, err) = s.run(&["weights", "eu-west-1=10", "--yes", "--reason", "CHG-8"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(weights(&s)["state"], "set");
}

#[test]
fn a_drain_reports_its_recovery_clock_against_the_rto() {
    let s = Sandbox::new();
    let (code, out, err) = s.run(&["drain", "eu-west-1", "--yes", "--reason", "CHG-9"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("recovery: recovered in "), "{out}");
    assert!(out.contains("(RTO 5m00s: within)"), "{out}");
    let (code, out, err) = s.run(&["audit", "--json"]);
    assert_eq!(code, 0, "{err}");
    let records: Vec<Value> = serde_json::from_str(&out).unwrap();
    let done = records
        .iter()
        .find(|r| r["action"] == "drain" && r["outcome"] == "succeeded")
        .expect("a succeeded drain");
    assert_eq!(done["recovery"]["recovered"], true, "{done}");
    assert_eq!(done["recovery"]["rto_ms"], 300_000, "{done}");
}

#[test]
fn a_recovery_clock_keeps_running_until_the_fleet_recovers_then_is_audited_once() {
    let s = Sandbox::new();
    let (code, _, err) = s.run(&["demo", "fault", "ap-southeast-1", "down"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = s.run(&["drain", "eu-west-1", "--yes", "--reason", "CHG-10"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("NOT yet recovered after"), "{out}");
    assert!(err.contains("the recovery clock keeps running"), "{err}");

    // Still running: `status` shows it, `--check` counts it, `wait` times out.
    let (code, out, err) = s.run(&["status", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let clock = &doc["recovery"][0];
    assert_eq!(clock["clock"]["action"], "drain", "{clock}");
    assert_eq!(clock["recovery"]["recovered"], false, "{clock}");
    assert_eq!(
        clock["recovery"]["waiting_on"][0], "ap-southeast-1 down",
        "{clock}"
    );
    let (code, _, err) = s.run(&["status", "--check"]);
    assert_eq!(code, 1);
    assert!(err.contains("drain eu-west-1: NOT yet recovered"), "{err}");
    let wait = [
        "wait",
        "recovered",
        "--timeout",
        "1s",
        "--interval",
        "100ms",
    ];
    let (code, _, err) = s.run(&wait);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("timed out after 1s"), "{err}");

    // Healed: the next wait stops the clock and audits it; a later one finds none.
    s.run(&["demo", "fault", "ap-southeast-1", "clear"]);
    let (code, out, err) = s.run(&wait);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("drain eu-west-1: recovered in "), "{out}");
    let (code, out, _) = s.run(&wait);
    assert_eq!(code, 0);
    assert!(out.contains("no recovery clock is running"), "{out}");
    let (_, out, _) = s.run(&["audit", "--json"]);
    let records: Vec<Value> = serde_json::from_str(&out).unwrap();
    let stopped: Vec<&Value> = records
        .iter()
        .filter(|r| r["action"] == "recovery")
        .collect();
    assert_eq!(stopped.len(), 1, "{out}");
    assert_eq!(stopped[0]["target"], "drain eu-west-1");
    assert_eq!(stopped[0]["recovery"]["recovered"], true);
    assert_eq!(stopped[0]["recovery"]["within_rto"], true);
}

#[test]
fn a_rollouts_recovery_clock_runs_from_its_start_until_it_is_done() {
    let s = Sandbox::new();
    // An ordinary release has no recovery clock (RTO): it is not a recovery.
    let (code, _, err) = s.run(&["rollout", "start", "release", "--reason", "REL-1"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = s.run(&["status", "--json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(
        doc["recovery"].as_array().is_none_or(|c| c.is_empty()),
        "{}",
        doc["recovery"]
    );
    assert_eq!(s.run(&["rollout", "abort"]).0, 0);
    // A failover's runs from its start until it is done.
    let (code, _, err) = s.run(&[
        "rollout",
        "start",
        "failover-eu-west-1",
        "--reason",
        "INC-1",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = s.run(&["status", "--json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let clock = &doc["recovery"][0];
    assert_eq!(clock["clock"]["action"], "rollout", "{clock}");
    let waiting = clock["recovery"]["waiting_on"][0].as_str().unwrap();
    assert!(
        waiting.starts_with("rollout failover-eu-west-1-") && waiting.ends_with(" to finish"),
        "{clock}"
    );
    let (code, _, _) = s.run(&["rollout", "abort"]);
    assert_eq!(code, 0);
    // Aborted is finished; the fleet is steady and healthy, so the clock stops.
    let (code, out, err) = s.run(&["wait", "recovered", "--timeout", "2s"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("rollout failover-eu-west-1-"), "{out}");
    assert!(out.contains(": recovered in "), "{out}");
}

/// Draining a region that has been down a while: the clock runs from when it was first seen
/// down (by any earlier command), and the result says that traffic moved off it, not that
/// the region recovered.
#[test]
fn a_drain_late_in_an_outage_is_timed_from_the_first_sign_of_trouble() {
    let s = Sandbox::new();
    let (code, _, err) = s.run(&["demo", "fault", "ap-southeast-1", "down"]);
    assert_eq!(code, 0, "{err}");
    // The on-call engineer looks first; the trouble is recorded then.
    let (code, _, err) = s.run(&["status"]);
    assert_eq!(code, 0, "{err}");
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let (code, out, err) = s.run(&["drain", "ap-southeast-1", "--yes", "--reason", "INC-1"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("recovery: traffic moved off ap-southeast-1 (still down) in "),
        "{out}"
    );
    assert!(
        out.contains(", counted from the first sign of trouble (ap-southeast-1 down at "),
        "{out}"
    );
    assert!(!out.contains("recovered in 0s"), "{out}");
    let (_, out, _) = s.run(&["audit", "--json"]);
    let records: Vec<Value> = serde_json::from_str(&out).unwrap();
    let done = records
        .iter()
        .find(|r| r["action"] == "drain" && r["outcome"] == "succeeded")
        .expect("a succeeded drain");
    assert!(
        done["recovery"]["elapsed_ms"].as_i64().unwrap_or(0) >= 1_000,
        "{done}"
    );
    assert_eq!(
        done["recovery"]["trouble"]["what"], "ap-southeast-1 down",
        "{done}"
    );
}
