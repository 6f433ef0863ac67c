//! Findings through the real binary on the demo fleet: a region down while it serves is the
//! first finding of `status --check --json` and `status --json`, with the exact command;
//! `status --check` prints it and fails; running that command clears it.

use serde_json::Value;

use crate::runbook::Sandbox;

/// What these tests read off the demo sandbox.
trait Findings {
    fn run(&self, args: &[&str]) -> (i32, String, String);

    fn doc(&self, args: &[&str]) -> (i32, Value) {
        let (code, out, err) = self.run(args);
        let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {err}"));
        (code, doc)
    }
}

impl Findings for Sandbox {
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        Sandbox::run(self, args)
    }
}

#[test]
fn a_healthy_demo_has_no_findings_and_passes_the_check() {
    let s = Sandbox::new();
    let (code, doc) = s.doc(&["status", "--check", "--json"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["findings"], serde_json::json!([]));
    assert_eq!(doc["check"]["findings"], serde_json::json!([]));
    assert_eq!(doc["check"]["ok"], true);
}

#[test]
fn a_region_down_while_serving_is_the_first_finding_with_its_command_until_drained() {
    let s = Sandbox::new();
    let (code, _, err) = s.run(&["demo", "fault", "ap-southeast-1", "down"]);
    assert_eq!(code, 0, "{err}");

    let (code, doc) = s.doc(&["status", "--json"]);
    assert_eq!(code, 0);
    let top = &doc["findings"][0];
    assert_eq!(top["kind"], "region-down", "{top}");
    assert_eq!(top["id"], "region-down/ap-southeast-1");
    assert_eq!(top["urgency"], "critical");
    assert_eq!(top["command"], "meridian drain ap-southeast-1");
    assert_eq!(top["suggestion"]["action"], "drain");
    assert_eq!(top["suggestion"]["reason_required"], true);
    assert!(
        top["since"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{top}"
    );
    assert!(
        top["title"]
            .as_str()
            .is_some_and(|t| t.contains("still 20% of traffic")),
        "{top}"
    );

    let (code, doc) = s.doc(&["status", "--check", "--json"]);
    assert_eq!(code, 1, "a region down while serving fails the check");
    assert_eq!(doc["check"]["ok"], false);
    assert_eq!(
        doc["check"]["findings"][0]["command"],
        "meridian drain ap-southeast-1"
    );

    let (code, out, _) = s.run(&["status", "--check"]);
    assert_eq!(code, 1);
    assert!(out.contains("findings, most urgent first"), "{out}");
    assert!(
        out.contains("-> meridian drain ap-southeast-1 --reason ID"),
        "{out}"
    );
    // Plain `status` names the top one and where the rest are.
    let (_, out, _) = s.run(&["status"]);
    assert!(
        out.contains("findings: ap-southeast-1 down") && out.contains("drain ap-southeast-1"),
        "{out}"
    );

    // The command it names, run as written (plus the reason and the confirmation), helps.
    let (code, _, err) = s.run(&["drain", "ap-southeast-1", "--reason", "drill", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let (_, doc) = s.doc(&["status", "--json"]);
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(!ids.contains(&"region-down/ap-southeast-1"), "{ids:?}");
}

#[test]
fn a_replica_lagging_past_the_rpo_while_serving_is_a_finding() {
    let s = Sandbox::new();
    let (code, _, err) = s.run(&["demo", "fault", "eu-west-1", "lag"]);
    assert_eq!(code, 0, "{err}");
    let (_, doc) = s.doc(&["status", "--json"]);
    let lag = doc["regions"][1]["lag_seconds"].as_f64().unwrap();
    let budget = doc["fleet"]["policy"]["rpo_budget_seconds"]
        .as_f64()
        .unwrap();
    assert!(lag > budget, "the fault pauses replay: {lag}s");
    let top = &doc["findings"][0];
    assert_eq!(top["id"], "lag-over-budget/eu-west-1", "{doc}");
    assert_eq!(top["command"], "meridian drain eu-west-1");
    // Promoting it is what the finding warns against: the guard refuses it.
    let (code, _, _) = s.run(&["promote", "eu-west-1", "--reason", "drill", "--yes"]);
    assert_eq!(code, 3);
}
