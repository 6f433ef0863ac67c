//! A pair driving the demo fleet's seed-002 release through the real binary: pause (no gate
//! counts while paused), take over, skip with a comment approved by a second person, retry
//! a failed gate, per-step timeouts, and the outcome said precisely. People are faked with
//! USER (the demo fleet has no authenticated principal: the OS user, unverified).

use assert_cmd::Command;
use tempfile::TempDir;

use super::rollout::{Sandbox, deployed_east};

#[test]
fn a_pair_pauses_hands_over_skips_and_ends_succeeded_with_exceptions() {
    let s = Sandbox::new();
    deployed_east(&s);
    // Only the driver runs steps: bo's dashboard sees the gate met but may not record it.
    let r = s.run_as("bo", "20m", &["rollout", "next", "--yes"]);
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    assert!(
        r.err.contains("only the driver runs its steps"),
        "{}",
        r.err
    );
    assert_eq!(s.state(5), "waiting");

    // bo pauses (anyone may); everyone sees who and why; nothing runs, nothing counts.
    let r = s.run_as("bo", "0s", &["rollout", "pause"]);
    assert_eq!(r.code, 2, "a pause needs a reason: {}", r.err);
    let r = s.run_as(
        "bo",
        "0s",
        &["rollout", "pause", "--reason", "CDN incident"],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let r = s.run(&["rollout", "status"]);
    assert!(r.out.contains(": paused (started by alice"), "{}", r.out);
    assert!(r.out.contains("PAUSED by bo"), "{}", r.out);
    assert!(r.out.contains("CDN incident"), "{}", r.out);
    let r = s.run_as("alice", "1h", &["rollout", "next", "--yes"]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("paused at step 5 by bo"), "{}", r.err);

    // Resumed an hour later: the gate stands where it was (under a minute of 15).
    let r = s.run_as(
        "alice",
        "1h",
        &["rollout", "resume", "--reason", "CDN fixed"],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.err.contains("resumed by alice"), "{}", r.err);
    let r = s.run_as("alice", "1h", &["rollout", "next"]);
    assert_eq!(r.code, 3, "a paused hour does not count: {}", r.err);
    assert!(r.err.contains("not met yet"), "{}", r.err);
    let r = s.run_as("alice", "1h16m", &["rollout", "next"]);
    assert_eq!(r.code, 0, "{}", r.err);

    // The approval gate: a second person.
    let r = s.run_as("bo", "1h16m", &["rollout", "approve"]);
    assert_eq!(r.code, 0, "{}", r.err);

    // bo takes over (audited); alice may no longer run a step.
    let r = s.run_as("bo", "1h16m", &["rollout", "take"]);
    assert_eq!(r.code, 2, "taking over needs a reason: {}", r.err);
    let r = s.run_as(
        "bo",
        "1h16m",
        &["rollout", "take", "--reason", "alice off shift"],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("bo@"), "{}", r.out);
    assert!(r.out.contains("took over from alice@"), "{}", r.out);
    let r = s.run_as("alice", "1h16m", &["rollout", "next", "--yes"]);
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    assert!(
        format!("{}{}", r.out, r.err).contains("drives rollout"),
        "{}{}",
        r.out,
        r.err
    );
    for _ in 0..3 {
        let r = s.run_as("bo", "1h16m", &["rollout", "next", "--yes"]);
        assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    }

    // Skip the ap-southeast-1 gate: a comment, and (production) a second person.
    let r = s.run_as("bo", "1h16m", &["rollout", "skip"]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("--comment"), "{}", r.err);
    let r = s.run_as(
        "bo",
        "1h16m",
        &[
            "rollout",
            "skip",
            "--comment",
            "probe flaps; checked by hand",
        ],
    );
    assert_eq!(r.code, 3, "waits for a second person: {}{}", r.out, r.err);
    assert!(r.out.contains("second person"), "{}", r.out);
    assert_eq!(s.state(10), "waiting");
    let r = s.run_as("bo", "1h16m", &["rollout", "approve"]);
    assert_eq!(r.code, 3, "not their own skip: {}", r.err);
    let r = s.run_as("alice", "1h16m", &["rollout", "approve"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(s.state(10), "skipped");
    let r = s.run_as("bo", "1h16m", &["rollout", "next", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);

    let doc = s.json(&["rollout", "status", "--json"]);
    assert_eq!(doc["outcome_text"], "succeeded with exceptions", "{doc}");
    let exceptions = doc["exceptions"].as_array().unwrap();
    assert_eq!(exceptions.len(), 1, "{doc}");
    let e = exceptions[0].as_str().unwrap();
    assert!(
        e.starts_with("step 10 (ap-southeast-1 healthy 15m) skipped by bo@")
            && e.contains("probe flaps; checked by hand")
            && e.contains("(approved by alice@"),
        "{e}"
    );
    let r = s.run(&["rollout", "status"]);
    assert!(r.out.contains(": succeeded with exceptions ("), "{}", r.out);
    // Every move is in the audit log.
    let r = s.run(&["audit"]);
    for action in [
        "rollout-pause",
        "rollout-resume",
        "rollout-take",
        "rollout-skip",
    ] {
        assert!(r.out.contains(action), "{action} in {}", r.out);
    }
}

#[test]
fn a_failed_gate_is_retried_by_the_driver() {
    let s = Sandbox::new();
    deployed_east(&s);
    assert_eq!(s.run(&["demo", "fault", "us-east-1", "down"]).code, 0);
    let r = s.run(&["rollout", "next"]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("rollout retry"), "{}", r.err);
    let doc = s.json(&["rollout", "status", "--json"]);
    assert_eq!(doc["outcome_text"], "failed at step 5", "{doc}");
    assert_eq!(s.run(&["demo", "fault", "us-east-1", "clear"]).code, 0);
    let r = s.run_as("bo", "0s", &["rollout", "retry"]);
    assert_eq!(r.code, 3, "not the driver: {}", r.err);
    let r = s.run(&["rollout", "retry"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out
            .contains("step 5 (us-east-1 healthy 15m) will be tried again"),
        "{}",
        r.out
    );
    assert_eq!(s.state(5), "waiting");
    let r = s.run(&["rollout", "retry"]);
    assert_eq!(r.code, 2, "nothing failed now: {}", r.err);
}

const FLEET: &str = r#"[fleet]
name = "timeouts"

[[regions]]
id = "eastus"
role = "primary"
steady_weight = 70

[[regions]]
id = "westeurope"
role = "secondary"
steady_weight = 30

[[tenants]]
id = "shop-stg"
environment = "stg"
regions = ["eastus", "westeurope"]

[[rollouts]]
id = "timed"
steps = [
  { gate = "wait", for = "10m", timeout = "5m" },
  { weights = { eastus = 50, westeurope = 50 }, timeout = "2s" },
]
"#;

fn run(dir: &TempDir, skew: &str, speed: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("meridian")
        .unwrap()
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("MERIDIAN_SIM_SPEED", speed)
        .env("MERIDIAN_CONFIG", dir.path().join("fleet.toml"))
        .env("MERIDIAN_TEST_ROLLOUT_SKEW", skew)
        .env("USER", "alice")
        .env_remove("MERIDIAN_READ_ONLY")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_step_past_its_timeout_fails_saying_what_it_was_waiting_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fleet.toml"), FLEET).unwrap();
    let (code, out, err) = run(
        &dir,
        "0s",
        "0",
        &["rollout", "start", "timed", "--reason", "t"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("timeout 2s"), "{out}");
    let (code, _, err) = run(&dir, "4m", "0", &["rollout", "next"]);
    assert_eq!(code, 3, "still within its timeout: {err}");
    let (code, _, err) = run(&dir, "6m", "0", &["rollout", "next"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("timed out after 6m (timeout = \"5m\") waiting for 6m of 10m passed"),
        "{err}"
    );
    // Retried, then passed; the weights step has 2 s, and the world moves slowly.
    assert_eq!(run(&dir, "6m", "0", &["rollout", "retry"]).0, 0);
    let (code, _, err) = run(&dir, "16m", "0", &["rollout", "next"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&dir, "16m", "0.01", &["rollout", "next", "--yes"]);
    assert_ne!(code, 0, "{out}{err}");
    let (_, status, _) = run(&dir, "16m", "0", &["rollout", "status"]);
    assert!(status.contains("failed at step 2"), "{status}");
    assert!(
        status.contains("the step's timeout of 2s passed"),
        "{status}"
    );
}
