//! `meridian rollout start --override freeze` during a change freeze: in production the
//! rollout starts, but its first step is a second person's approval (as for any plan that
//! overrides a freeze in production); the starter cannot approve it. Staging-only rollouts
//! need the override alone.

use super::rollout::Sandbox;

#[test]
fn overriding_a_freeze_to_start_a_production_rollout_takes_a_second_person() {
    let s = Sandbox::new();
    let r = s.run_as(
        "ana",
        "0s",
        &["freeze", "--reason", "INC-9 bridge", "--for", "2h"],
    );
    assert_eq!(r.code, 0, "{}", r.err);

    // Without the override: refused, naming the freeze.
    let r = s.run(&["rollout", "start", "release", "--reason", "CHG-2"]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("blocked by freeze"), "{}", r.err);

    // With it: started, but it waits for a second person before any step runs.
    let r = s.run(&[
        "rollout",
        "start",
        "release",
        "--reason",
        "HOTFIX-1",
        "--override",
        "freeze",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let doc = s.json(&["rollout", "status", "--json"]);
    assert_eq!(
        doc["steps"][0]["label"], "approval by a second person",
        "{doc}"
    );
    assert_eq!(doc["steps"][0]["state"], "waiting", "{doc}");
    assert_eq!(doc["steps"][1]["state"], "pending", "{doc}");
    assert!(
        doc["exceptions"][0].as_str().is_some_and(
            |e| e.contains("overriding the change freeze") && e.contains("INC-9 bridge")
        ),
        "{doc}"
    );
    // Alice's next step is the approval she cannot give herself.
    let r = s.run(&["rollout", "next", "--yes"]);
    assert_ne!(r.code, 0, "{}{}", r.out, r.err);
    let r = s.run(&["rollout", "approve"]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("second person"), "{}", r.err);
    let r = s.run_as("bo", "0s", &["rollout", "approve"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(s.state(1), "done");
    // The release's own steps follow, in their order.
    let doc = s.json(&["rollout", "status", "--json"]);
    assert_eq!(doc["current"], 2, "{doc}");
    assert!(
        doc["steps"][1]["label"]
            .as_str()
            .is_some_and(|l| l.starts_with("weights")),
        "{doc}"
    );
}

#[test]
fn a_staging_only_rollout_overrides_a_freeze_alone() {
    let s = Sandbox::new();
    let r = s.run_as(
        "ana",
        "0s",
        &["freeze", "--reason", "INC-9 bridge", "--for", "2h"],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let r = s.run(&[
        "rollout",
        "start",
        "release-to",
        "--param",
        "region=eu-west-1",
        "--reason",
        "CHG-3",
        "--override",
        "freeze",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let doc = s.json(&["rollout", "status", "--json"]);
    assert_eq!(
        doc["steps"][0]["label"], "sync search-stg in eu-west-1",
        "{doc}"
    );
    assert_eq!(doc["steps"].as_array().map(Vec::len), Some(3), "{doc}");
}
