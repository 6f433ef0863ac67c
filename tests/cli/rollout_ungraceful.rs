//! Switching a failover to ungraceful mid-run (`meridian rollout ungraceful --reason`), as
//! AWS ARC does when the old region cannot answer: the steps that need it are left out,
//! each said, and the outcome lists them. On the demo fleet's failover-eu-west-1, whose lag
//! gate (graceful only) waits for us-east-1 to hand over.

use super::rollout::Sandbox;

#[test]
fn going_ungraceful_skips_the_steps_that_need_the_old_region_and_says_which() {
    let s = Sandbox::new();
    let r = s.run(&[
        "rollout",
        "start",
        "failover-eu-west-1",
        "--reason",
        "INC-4",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    // Graceful: the lag gate is in the plan.
    assert_eq!(s.state(2), "pending");
    s.step(); // drain us-east-1

    // Only the driver switches; a reason is required.
    let r = s.run_as(
        "bo",
        "0s",
        &["rollout", "ungraceful", "--reason", "us-east-1 is gone"],
    );
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(
        r.err.contains("only the driver runs its steps"),
        "{}",
        r.err
    );
    let r = s.run(&["rollout", "ungraceful"]);
    assert_eq!(r.code, 2, "{}", r.err);

    let r = s.run(&["rollout", "ungraceful", "--reason", "us-east-1 is gone"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let said = format!("{}{}", r.out, r.err);
    assert!(
        said.contains(
            "step 2 (eu-west-1 lag under 5s) skipped: ungraceful mode: it runs only while the old region answers (us-east-1 is gone)"
        ),
        "{said}"
    );
    assert_eq!(s.state(1), "done");
    assert_eq!(s.state(2), "skipped");
    // The steps that do not need the old region still run: promote is next.
    assert_eq!(s.state(3), "pending");
    let doc = s.json(&["rollout", "status", "--json"]);
    assert_eq!(doc["rollout"]["mode"], "ungraceful", "{doc}");
    assert!(
        doc["exceptions"][0].as_str().is_some_and(
            |e| e.starts_with("step 2 (eu-west-1 lag under 5s) left out: ungraceful mode")
        ),
        "{doc}"
    );
    let text = s.run(&["rollout", "status"]);
    assert!(text.out.contains("mode: ungraceful"), "{}", text.out);

    // Once is enough; and a template with no ungraceful mode cannot switch.
    let r = s.run(&["rollout", "ungraceful", "--reason", "again"]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("already runs ungraceful"), "{}", r.err);
    let r = s.run(&["rollout", "abort"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let r = s.run(&["rollout", "start", "release", "--reason", "CHG-4"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let r = s.run(&["rollout", "ungraceful", "--reason", "x"]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("has no ungraceful mode"), "{}", r.err);
}

#[test]
fn a_failover_started_ungraceful_leaves_the_lag_gate_out_from_the_start() {
    let s = Sandbox::new();
    let r = s.run(&[
        "rollout",
        "start",
        "failover-eu-west-1",
        "--mode",
        "ungraceful",
        "--reason",
        "INC-5",
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(s.state(2), "skipped");
    let text = s.run(&["rollout", "status"]);
    assert!(
        text.out.contains("eu-west-1 lag under 5s") && text.out.contains("ungraceful mode"),
        "{}",
        text.out
    );
}
