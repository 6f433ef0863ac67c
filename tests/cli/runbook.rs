//! The runbook commands against the demo fleet with simulated time: `wait` and
//! `status --check`. Each test has its own state directory. The simulated world runs at
//! `--sim-speed` simulated seconds per real second, so "healthy for 15m" takes about a
//! second; nothing here asserts on how long anything took.

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The real binary on the demo fleet, in a state directory of its own.
pub(crate) struct Sandbox {
    pub(crate) dir: TempDir,
}

impl Sandbox {
    pub(crate) fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs with a frozen world unless the arguments say `--sim-speed`.
    pub(crate) fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("meridian")
            .unwrap()
            .env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("MERIDIAN_SIM_SPEED", "0")
            .env_remove("MERIDIAN_CONFIG")
            .env_remove("MERIDIAN_READ_ONLY")
            .env_remove("MERIDIAN_SEED")
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            err,
        )
    }

    fn ok(&self, args: &[&str]) {
        let (code, _, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }

    fn json(&self, args: &[&str]) -> (i32, Value, String) {
        let mut all = args.to_vec();
        all.push("--json");
        let (code, out, err) = self.run(&all);
        let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
        (code, doc, err)
    }
}

#[test]
fn wait_healthy_is_met_at_once_in_the_demo_whose_regions_have_been_healthy_a_day() {
    let (code, doc, err) = Sandbox::new().json(&["wait", "healthy", "eu-west-1", "--for", "15m"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["met"], true);
    assert_eq!(doc["condition"], "healthy");
    assert_eq!(doc["for_seconds"], 900);
    assert!(doc["reason"].as_str().unwrap().contains("healthy for"));
    assert!(
        err.contains("waiting for eu-west-1 healthy for 15m"),
        "{err}"
    );
}

#[test]
fn wait_healthy_times_out_with_exit_1_on_a_region_that_is_down() {
    let s = Sandbox::new();
    s.ok(&["demo", "fault", "eu-west-1", "down"]);
    let (code, doc, err) = s.json(&[
        "wait",
        "healthy",
        "eu-west-1",
        "--timeout",
        "2m",
        "--interval",
        "50ms",
        "--sim-speed",
        "600",
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(doc["met"], false);
    assert!(
        doc["reason"]
            .as_str()
            .unwrap()
            .contains("not healthy (down")
    );
    assert!(err.contains("timed out after 2m"), "{err}");
}

#[test]
fn wait_healthy_for_waits_out_the_gate_in_simulated_time() {
    let s = Sandbox::new();
    // Tick 0 of the demo world is a day before it starts: 25h of health needs another hour.
    let (code, doc, err) = s.json(&[
        "wait",
        "healthy",
        "ap-southeast-1",
        "--for",
        "25h",
        "--timeout",
        "3h",
        "--interval",
        "100ms",
        "--sim-speed",
        "1000",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["met"], true);
    let reason = doc["reason"].as_str().unwrap();
    let hours: u64 = reason
        .strip_prefix("ap-southeast-1 healthy for ")
        .and_then(|h| h.strip_suffix('h'))
        .and_then(|h| h.parse().ok())
        .unwrap_or_else(|| panic!("{reason}"));
    // At 1000x a real second is about 17 simulated minutes: allow a slow machine a few hours.
    assert!((25..=30).contains(&hours), "{reason}");
    // The first reading was short of the gate, so it waited (simulated time) and said so.
    assert!(err.contains("] ap-southeast-1 "), "{err}");
    assert!(doc["waited_seconds"].as_u64().unwrap() >= 1, "{doc}");
}

#[test]
fn a_recovered_region_passes_the_gate_only_after_the_gate_duration() {
    let s = Sandbox::new();
    s.ok(&["demo", "fault", "eu-west-1", "down"]);
    s.ok(&["status", "--sim-speed", "600"]);
    s.ok(&["demo", "fault", "eu-west-1", "clear"]);
    let (code, doc, err) = s.json(&[
        "wait",
        "healthy",
        "eu-west-1",
        "--for",
        "3m",
        "--interval",
        "50ms",
        "--sim-speed",
        "120",
    ]);
    assert_eq!(code, 0, "{err}");
    let reason = doc["reason"].as_str().unwrap();
    // Met once the gate passed (polls are 6 simulated seconds apart; a slow start adds
    // two simulated minutes a real second), not on the day-old health from before the
    // fault.
    let minutes: u64 = reason
        .strip_prefix("eu-west-1 healthy for ")
        .and_then(|m| m.strip_suffix('m'))
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("{reason}"));
    assert!((3..60).contains(&minutes), "{reason}");
}

#[test]
fn wait_lag_and_synced_report_their_gate() {
    let s = Sandbox::new();
    let (code, doc, err) = s.json(&["wait", "lag", "eu-west-1", "--under", "10m"]);
    assert_eq!(code, 0, "{err}");
    assert!(doc["reason"].as_str().unwrap().contains("within 10m"));

    s.ok(&["demo", "fault", "eu-west-1", "lag"]);
    let (code, doc, _) = s.json(&[
        "wait",
        "lag",
        "eu-west-1",
        "--under",
        "5s",
        "--timeout",
        "1m",
        "--interval",
        "50ms",
        "--sim-speed",
        "600",
    ]);
    assert_eq!(code, 1);
    assert!(doc["reason"].as_str().unwrap().contains("over 5s"), "{doc}");

    let (code, doc, err) = s.json(&["wait", "synced", "payments-prd", "--region", "us-east-1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["regions"], serde_json::json!(["us-east-1"]));
}

#[test]
fn wait_for_holds_a_condition_across_polls() {
    let (code, doc, err) = Sandbox::new().json(&[
        "wait",
        "synced",
        "search-stg",
        "--for",
        "30s",
        "--interval",
        "50ms",
        "--sim-speed",
        "300",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["regions"].as_array().unwrap().len(), 4);
    assert!(err.contains("(held 0s of 30s)"), "{err}");
}

#[test]
fn wait_names_unknown_targets_with_exit_2() {
    let s = Sandbox::new();
    let (code, _, err) = s.run(&["wait", "healthy", "eu-wset-1"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean \"eu-west-1\""), "{err}");
    let (code, _, err) = s.run(&["wait", "synced", "payments-prd", "--region", "eu-west-1"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not run in eu-west-1"), "{err}");
    let (code, _, err) = s.run(&["wait", "lag", "eu-west-1"]);
    assert_eq!(code, 2, "--under is required: {err}");
}

#[test]
fn status_check_passes_on_a_healthy_fleet_and_fails_with_reasons() {
    let s = Sandbox::new();
    let (code, doc, err) = s.json(&["status", "--check"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["check"]["ok"], true);
    assert!(err.contains("check passed"), "{err}");

    s.ok(&["demo", "fault", "ap-southeast-1", "down"]);
    s.ok(&["status", "--sim-speed", "60"]);
    let (code, out, err) = s.run(&["status", "--check"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("ap-southeast-1 is down"), "{err}");
    let (code, doc, _) = s.json(&["status", "--check"]);
    assert_eq!(code, 1);
    assert_eq!(doc["check"]["ok"], false);
    let problems = doc["check"]["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().unwrap().starts_with("ap-southeast-1 is down")),
        "{problems:?}"
    );
    // Without --check the same fleet is only reported, not judged.
    assert_eq!(s.run(&["status"]).0, 0);
}
