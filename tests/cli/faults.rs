//! The real binary under faults: bad numbers and switches, damaged state files (lock, audit
//! log, simulated world), signals and kill -9 mid-action. Each test has its own state dir.

use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state/fleets/demo")
    }

    fn envs(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("MERIDIAN_STATE_DIR", self.dir.path().join("state")),
            ("XDG_CONFIG_HOME", self.dir.path().join("config")),
        ]
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("meridian").unwrap_or_else(|e| panic!("{e}"));
        c.envs(self.envs())
            .env("MERIDIAN_SIM_SPEED", "0")
            .env_remove("MERIDIAN_CONFIG")
            .env_remove("MERIDIAN_READ_ONLY")
            .env_remove("MERIDIAN_SEED")
            .env_remove("MERIDIAN_TEST_PANIC");
        c
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut c = self.cmd();
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.args(args).output().unwrap_or_else(|e| panic!("{e}"));
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
        (out.status.code().unwrap_or(-1), stdout, stderr)
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_env(args, &[])
    }

    fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}:\n{out}"))
    }

    fn outcomes(&self) -> Vec<(String, String)> {
        let records = self.json(&["audit", "--json"]);
        let list = records.as_array().cloned().unwrap_or_default();
        list.iter()
            .map(|r| {
                let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                (s("action"), s("outcome"))
            })
            .collect()
    }

    /// A meridian process in the background, slow enough to be caught mid-action.
    fn spawn(&self, args: &[&str]) -> Child {
        let bin = assert_cmd::cargo::cargo_bin("meridian");
        Process::new(bin)
            .envs(self.envs())
            .env("MERIDIAN_SIM_SPEED", "0.02")
            .env_remove("MERIDIAN_CONFIG")
            .env_remove("MERIDIAN_READ_ONLY")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Wait until the audit log has a `started` record (the change is under way).
    fn wait_started(&self) {
        let log = self.state().join("audit.jsonl");
        let start = Instant::now();
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("\"outcome\":\"started\"")
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no started record"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn signal(child: &Child, name: &str) {
    let ok = Process::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill -{name}");
}

#[test]
fn read_only_accepts_the_usual_spellings_and_refuses_with_exit_3() {
    let sb = Sandbox::new();
    for on in ["1", "yes", "on", "TRUE", "True", "y"] {
        let env = [("MERIDIAN_READ_ONLY", on)];
        let (code, _, err) = sb.run_env(&["drain", "eu-west-1", "--yes"], &env);
        assert_eq!(code, 3, "{on}: {err}");
        let (code, out, _) = sb.run_env(&["status", "--json"], &env);
        assert_eq!(code, 0, "{on}");
        assert!(out.contains("\"read_only\": true"), "{on}");
        let (code, _, _) = sb.run_env(&["demo", "reset"], &env);
        assert_eq!(code, 3, "{on}: demo reset respects read-only");
    }
    for off in ["0", "no", "off", "false", ""] {
        let (code, out, err) = sb.run_env(&["status", "--json"], &[("MERIDIAN_READ_ONLY", off)]);
        assert_eq!(code, 0, "{off}: {err}");
        assert!(out.contains("\"read_only\": false"), "{off}");
    }
    let (code, _, err) = sb.run_env(&["status"], &[("MERIDIAN_READ_ONLY", "maybe")]);
    assert_eq!(code, 2);
    assert!(err.contains("neither yes nor no"), "{err}");
}

#[test]
fn sim_speed_at_the_edges_names_the_valid_range() {
    let sb = Sandbox::new();
    for bad in [
        "1e-300", "1e300", "NaN", "inf", "-1", "0.001", "1001", "fast",
    ] {
        let flag = format!("--sim-speed={bad}");
        let (code, _, err) = sb.run(&["drain", "eu-west-1", "--yes", &flag]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains("0.01..=1000") || err.contains("not a number"),
            "{bad}: {err}"
        );
    }
    for good in ["0", "0.01", "1000"] {
        let (code, _, err) = sb.run(&["status", "--sim-speed", good]);
        assert_eq!(code, 0, "{good}: {err}");
    }
}

#[test]
fn every_command_honours_json() {
    let sb = Sandbox::new();
    let cases: &[&[&str]] = &[
        &["status"],
        &["paths"],
        &["config", "check"],
        &["drain", "eu-west-1", "--dry-run"],
        &["drain", "eu-west-1", "--yes"],
        &["restore", "--yes"],
        &["weights", "eu-west-1=20", "--yes"],
        &["promote", "eu-west-1", "--reason", "drill", "--yes"],
        &["rollback", "search-stg", "--region", "eu-west-1", "--yes"],
        &["phase", "run", "ap-south-1", "platform-services", "--yes"],
        &["demo", "fault", "eu-west-1", "lag"],
        &["demo", "reset"],
        &["audit"],
    ];
    for args in cases {
        let mut all = args.to_vec();
        all.push("--json");
        let (_, out, err) = sb.run(&all);
        let doc: Result<Value, _> = serde_json::from_str(&out);
        assert!(doc.is_ok(), "{args:?} printed no JSON:\n{out}\n{err}");
    }
}

#[test]
fn impossible_lock_files_are_never_shown_as_held_and_their_takeover_is_audited() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.state()).unwrap_or_else(|e| panic!("{e}"));
    let host = sb.json(&["status", "--json"]);
    assert_eq!(host["fleet"]["lock"], Value::Null);
    let lock = sb.state().join("fleet.lock");
    let lines = [
        r#"{"user":"a@b","host":"elsewhere","pid":0,"action":"drain","since_ms":1}"#,
        r#"{"user":"a@b","host":"elsewhere","pid":4294967295,"action":"drain","since_ms":1}"#,
        r#"{"user":"a@b","host":"elsewhere","pid":42,"action":"drain","since_ms":9223372036854775807}"#,
        r#"{"user":"a@b","host":"elsewhere","pid":42,"action":"drain","since_ms":-9223372036854775808}"#,
        r#"{"user":"a@b","host":"elsewh"#,
    ];
    for (i, text) in lines.iter().enumerate() {
        std::fs::write(&lock, text).unwrap_or_else(|e| panic!("{e}"));
        let status = sb.json(&["status", "--json"]);
        assert_eq!(status["fleet"]["lock"], Value::Null, "{text}");
        let (code, human, _) = sb.run(&["status"]);
        assert_eq!(code, 0);
        assert!(!human.contains("lock held"), "{text}:\n{human}");
        let weight = if i % 2 == 0 {
            "eu-west-1=20"
        } else {
            "eu-west-1=30"
        };
        let (code, _, err) = sb.run(&["weights", weight, "--yes"]);
        assert_eq!(code, 0, "{text}: {err}");
        assert!(!lock.exists(), "released");
    }
    let takeovers = sb
        .outcomes()
        .iter()
        .filter(|(a, o)| a == "lock-takeover" && o == "succeeded")
        .count();
    assert_eq!(takeovers, lines.len());
}

#[test]
fn a_torn_audit_line_is_reported_and_the_next_record_survives() {
    let sb = Sandbox::new();
    sb.run(&["drain", "eu-west-1", "--yes"]);
    let log = sb.state().join("audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let last = text.lines().last().unwrap_or_default().to_string();
    // Power lost half-way through a record.
    let torn = format!("{text}{}", &last[..last.len() / 2]);
    std::fs::write(&log, torn).unwrap_or_else(|e| panic!("{e}"));
    let (code, _, _) = sb.run(&["restore", "--yes"]);
    assert_eq!(code, 0);
    let restores = sb.outcomes().iter().filter(|(a, _)| a == "restore").count();
    assert_eq!(restores, 2, "started and succeeded both readable");
    let (code, out, _) = sb.run(&["audit"]);
    assert_eq!(code, 0);
    assert!(out.contains("line 3: a line is torn"), "{out}");
    let (_, _, err) = sb.run(&["audit", "--json"]);
    assert!(err.contains("torn"), "{err}");
}

#[test]
fn a_world_file_with_impossible_times_is_an_error_not_a_panic() {
    let sb = Sandbox::new();
    sb.run(&["status"]);
    let world = sb.state().join("sim-world.json");
    let text = std::fs::read_to_string(&world).unwrap_or_default();
    let mut doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    for (key, value) in [
        ("tick", Value::from(u64::MAX)),
        ("wall_ms", Value::from(i64::MAX)),
    ] {
        let mut bad = doc.clone();
        bad[key] = value;
        std::fs::write(&world, bad.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let (code, out, err) = sb.run(&["status"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("demo reset"), "{key}: {out}");
        let (code, _, err) = sb.run(&["drain", "eu-west-1", "--yes"]);
        assert_ne!(code, 0, "{err}");
    }
    assert_eq!(sb.run(&["demo", "reset"]).0, 0);
    doc = sb.json(&["status", "--json"]);
    assert_eq!(doc["regions"][1]["errors"], serde_json::json!({}));
}

#[test]
fn demo_commands_take_the_fleet_lock() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.state()).unwrap_or_else(|e| panic!("{e}"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    let holder = serde_json::json!({"user": "alice@ops", "host": "elsewhere",
        "pid": std::process::id(), "action": "promote", "since_ms": now});
    std::fs::write(sb.state().join("fleet.lock"), holder.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    for args in [
        &["demo", "reset"][..],
        &["demo", "fault", "eu-west-1", "down"],
    ] {
        let (code, _, err) = sb.run(args);
        assert_eq!(code, 4, "{args:?}: {err}");
        assert!(err.contains("alice@ops"), "{err}");
    }
}

/// Ctrl-C, SIGTERM, SIGHUP and SIGQUIT mid-change: exit 1, `interrupted` recorded with
/// what reading back found, the lock released, and the next action runs.
#[test]
fn a_signal_mid_action_records_interrupted_and_releases_the_lock() {
    for name in ["INT", "TERM", "HUP", "QUIT"] {
        let sb = Sandbox::new();
        let child = sb.spawn(&["drain", "eu-west-1", "--yes"]);
        sb.wait_started();
        signal(&child, name);
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(1), "SIG{name}: {stdout}\n{stderr}");
        assert!(
            stdout.contains("drain eu-west-1: interrupted: stopped by SIG"),
            "{stdout}"
        );
        assert!(stdout.contains("reading back"), "{stdout}");
        assert!(
            !sb.state().join("fleet.lock").exists(),
            "SIG{name}: lock left"
        );
        let outcomes = sb.outcomes();
        assert_eq!(
            outcomes.last().map(|(_, o)| o.as_str()),
            Some("interrupted"),
            "{outcomes:?}"
        );
        let (code, _, err) = sb.run(&["drain", "eu-west-1", "--yes"]);
        assert_eq!(code, 0, "SIG{name}: the next start: {err}");
    }
}

/// kill -9 mid-change: nothing can run in the process, so the next start must tell the
/// truth: no dead lock holder shown, the orphaned `started` settled as interrupted, the
/// stale lock taken over and that audited.
#[test]
fn kill_9_mid_weight_change_is_settled_by_the_next_start() {
    let sb = Sandbox::new();
    let mut child = sb.spawn(&["weights", "eu-west-1=10", "--yes"]);
    sb.wait_started();
    signal(&child, "KILL");
    let _ = child.wait();
    assert!(
        sb.state().join("fleet.lock").exists(),
        "a dead process leaves its lock"
    );
    let status = sb.json(&["status", "--json"]);
    assert_eq!(
        status["fleet"]["lock"],
        Value::Null,
        "a dead holder is never shown"
    );
    let records = sb.json(&["audit", "--json"]);
    let list = records.as_array().cloned().unwrap_or_default();
    let settled: Vec<&Value> = list
        .iter()
        .filter(|r| r["outcome"] == "interrupted")
        .collect();
    assert_eq!(settled.len(), 1, "{records:#}");
    let detail = settled[0]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("process {}", child.id())),
        "{detail}"
    );
    assert!(detail.contains("weight change may or may not"), "{detail}");
    assert_eq!(
        settled[0]["id"], list[0]["id"],
        "it ends the started record"
    );
    // Starting again does not settle it twice.
    sb.run(&["status"]);
    let (code, _, err) = sb.run(&["weights", "eu-west-1=10", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let outcomes: Vec<String> = sb
        .outcomes()
        .into_iter()
        .map(|(a, o)| format!("{a} {o}"))
        .collect();
    assert_eq!(
        outcomes,
        [
            "set-weights started",
            "set-weights interrupted",
            "lock-takeover succeeded",
            "set-weights started",
            "set-weights succeeded"
        ]
    );
}
