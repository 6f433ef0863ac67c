//! `meridian rollout` on the demo fleet's seed-002 release, each test in its own state
//! directory. Gate time is moved with MERIDIAN_TEST_ROLLOUT_SKEW (test-only) so a 15-minute
//! health gate passes without 15 minutes of waiting; the person is faked with USER.

use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub(crate) struct Sandbox {
    pub(crate) dir: TempDir,
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) out: String,
    pub(crate) err: String,
}

impl Sandbox {
    pub(crate) fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn cmd(&self, user: &str, skew: &str) -> Command {
        let mut c = Command::cargo_bin("meridian").unwrap();
        c.env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("MERIDIAN_SIM_SPEED", "0")
            .env("USER", user)
            .env("MERIDIAN_TEST_ROLLOUT_SKEW", skew)
            .env_remove("MERIDIAN_CONFIG")
            .env_remove("MERIDIAN_READ_ONLY")
            .env_remove("MERIDIAN_SEED");
        c
    }

    pub(crate) fn run_as(&self, user: &str, skew: &str, args: &[&str]) -> Run {
        let out = self.cmd(user, skew).args(args).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&out.stdout).into_owned(),
            err: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_as("alice", "0s", args)
    }

    /// Run `rollout next --yes` and expect it to succeed.
    pub(crate) fn step(&self) -> Run {
        let r = self.run(&["rollout", "next", "--yes"]);
        assert_eq!(r.code, 0, "{}{}", r.out, r.err);
        r
    }

    pub(crate) fn json(&self, args: &[&str]) -> Value {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{}", r.err);
        serde_json::from_str(&r.out).unwrap()
    }

    pub(crate) fn state(&self, n: usize) -> String {
        let s = self.json(&["rollout", "status", "--json"]);
        s["steps"][n - 1]["state"].as_str().unwrap().to_string()
    }

    pub(crate) fn rollout_file(&self) -> std::path::PathBuf {
        self.dir
            .path()
            .join("state/fleets/demo/shared/rollout/current.json")
    }
}

fn weight(status: &Value, region: &str) -> Value {
    status["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == region)
        .unwrap()["weight"]
        .clone()
}

#[test]
fn a_pair_steps_through_the_release_end_to_end() {
    let s = Sandbox::new();
    let r = s.run(&["rollout", "start", "release"]);
    assert_eq!(r.code, 2, "a rollout needs a reason: {}", r.err);
    assert!(r.err.contains("--reason"), "{}", r.err);
    let r = s.run(&["rollout", "start", "release", "--reason", "CHG-7"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out
            .contains("1 pending  weights ap-southeast-1=60 us-east-1=10"),
        "{}",
        r.out
    );
    // Temporary weights.
    s.step();
    let status = s.json(&["status", "--json"]);
    assert_eq!(weight(&status, "us-east-1"), 10);
    assert_eq!(weight(&status, "ap-southeast-1"), 60);
    // The template says `for = "2h"`: the change is on record as temporary.
    let w = &status["weights"];
    assert_eq!(w["state"], "temporary", "{w}");
    assert!(
        w["text"].as_str().is_some_and(|t| t.contains(" until ")),
        "{w}"
    );
    // Deploy us-east-1: one sync per tenant.
    for _ in 0..3 {
        assert!(s.step().out.contains("sync"));
    }
    // The gate counts from its own start: not met yet, exit 3 with what and how long.
    let r = s.run(&["rollout", "next"]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(
        r.err.contains("us-east-1 healthy 0s of 15m (14m"),
        "{}",
        r.err
    );
    let r = s.run_as("alice", "9m", &["rollout", "status"]);
    assert!(r.out.contains("us-east-1 healthy 9m"), "{}", r.out);
    let r = s.run_as("alice", "15m1s", &["rollout", "next"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("step 5 (us-east-1 healthy 15m) met"),
        "{}",
        r.out
    );
    // The starter cannot be the second person; another person can.
    let r = s.run(&["rollout", "next"]);
    assert_eq!(r.code, 3);
    assert!(r.err.contains("approval by a second person"), "{}", r.err);
    let r = s.run(&["rollout", "approve"]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("needs a second person"), "{}", r.err);
    let r = s.run_as("bob", "0s", &["rollout", "approve"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let status = s.json(&["rollout", "status", "--json"]);
    assert_eq!(status["steps"][5]["state"], "done");
    assert!(
        status["steps"][5]["detail"]
            .as_str()
            .unwrap()
            .starts_with("bob@")
    );
    // Next region, its gate, then steady weights back.
    for _ in 0..3 {
        s.step();
    }
    let r = s.run_as("alice", "16m", &["rollout", "next"]);
    assert_eq!(r.code, 0, "{}", r.err);
    s.step();
    let status = s.json(&["status", "--json"]);
    assert_eq!(weight(&status, "us-east-1"), 50);
    assert_eq!(weight(&status, "ap-southeast-1"), 20);
    assert_eq!(
        s.json(&["rollout", "status", "--json"])["rollout"]["status"],
        "done"
    );
    // Every step's audit records carry the rollout id; the refused approval is there too.
    let id = status_id(&s);
    let audit = s.json(&["audit", "--json"]);
    let ours: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rollout"]["id"] == id.as_str())
        .collect();
    let ok = |action: &str| {
        ours.iter()
            .filter(|a| a["action"] == action && a["outcome"] == "succeeded")
            .count()
    };
    assert_eq!((ok("set-weights"), ok("sync"), ok("restore")), (1, 6, 1));
    assert!(
        ours.iter()
            .any(|a| a["action"] == "rollout-approve" && a["outcome"] == "refused")
    );
}

fn status_id(s: &Sandbox) -> String {
    s.json(&["rollout", "status", "--json"])["rollout"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Start, then run the weights step and us-east-1's three syncs.
pub(crate) fn deployed_east(s: &Sandbox) {
    let r = s.run(&["rollout", "start", "release", "--reason", "CHG-8"]);
    assert_eq!(r.code, 0, "{}", r.err);
    for _ in 0..4 {
        s.step();
    }
}

#[test]
fn a_region_failing_during_its_gate_stops_the_rollout_and_abort_rolls_back() {
    let s = Sandbox::new();
    deployed_east(&s);
    assert_eq!(s.run(&["demo", "fault", "us-east-1", "down"]).code, 0);
    let r = s.run(&["rollout", "next"]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("us-east-1 went down"), "{}", r.err);
    assert_eq!(s.state(5), "failed");
    // Healthy again, much later: it still does not go on by itself.
    assert_eq!(s.run(&["demo", "fault", "us-east-1", "clear"]).code, 0);
    let r = s.run_as("alice", "1h", &["rollout", "next", "--yes"]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("does not go on by itself"), "{}", r.err);
    // Abort with rollback: the three synced apps go back, newest first.
    let r = s.run(&["rollout", "abort", "--rollback"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("3 rollback step(s) added"), "{}", r.out);
    let status = s.json(&["rollout", "status", "--json"]);
    assert_eq!(status["rollout"]["status"], "rolling-back");
    assert_eq!(
        status["steps"][11]["label"],
        "rollback search-stg in us-east-1"
    );
    assert_eq!(status["steps"][6]["state"], "skipped");
    for _ in 0..3 {
        assert!(s.step().out.contains("rollback"));
    }
    assert_eq!(
        s.json(&["rollout", "status", "--json"])["rollout"]["status"],
        "rolled-back"
    );
}

#[test]
fn kill_9_mid_step_then_resume_picks_up_exactly_there() {
    let s = Sandbox::new();
    let r = s.run(&["rollout", "start", "release", "--reason", "CHG-9"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("meridian"))
        .env("MERIDIAN_STATE_DIR", s.dir.path().join("state"))
        .env("XDG_CONFIG_HOME", s.dir.path().join("config"))
        .env("MERIDIAN_SIM_SPEED", "0.01")
        .env("USER", "alice")
        .env_remove("MERIDIAN_CONFIG")
        .env_remove("MERIDIAN_READ_ONLY")
        .args(["rollout", "next", "--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(s.rollout_file()).unwrap_or_default();
        if text.contains("\"state\": \"running\"") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the step never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL: no handler runs, nothing is recorded on the way out.
    child.wait().unwrap();
    assert_eq!(s.state(1), "running");
    let r = s.run(&["rollout", "resume"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.err
            .contains("step 1 (weights ap-southeast-1=60 us-east-1=10) was interrupted"),
        "{}",
        r.err
    );
    assert_eq!(s.state(1), "pending");
    let r = s.step();
    assert!(r.out.contains("set-weights"), "{}", r.out);
    assert_eq!(s.state(1), "done");
    assert_eq!(s.state(2), "pending");
    let status = s.json(&["status", "--json"]);
    assert_eq!(weight(&status, "us-east-1"), 10);
}

#[test]
fn read_only_refuses_every_rollout_change_but_shows_it() {
    let s = Sandbox::new();
    let r = s.run(&[
        "--read-only",
        "rollout",
        "start",
        "release",
        "--reason",
        "x",
    ]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("read-only"), "{}", r.err);
    assert_eq!(
        s.run(&["rollout", "start", "release", "--reason", "x"])
            .code,
        0
    );
    for args in [
        &["--read-only", "rollout", "next", "--yes"][..],
        &["--read-only", "rollout", "approve"],
        &["--read-only", "rollout", "abort"],
        &["--read-only", "rollout", "resume"],
    ] {
        let r = s.run_as("bob", "0s", args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.err);
    }
    assert_eq!(s.state(1), "pending");
    assert_eq!(s.run(&["--read-only", "rollout", "status"]).code, 0);
    let r = s.run(&["rollout", "start", "release", "--reason", "again"]);
    assert_eq!(r.code, 3, "one rollout at a time: {}", r.err);
}
