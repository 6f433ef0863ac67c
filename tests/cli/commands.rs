//! The real binary against the demo fleet, each test in its own state directory.

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// A sandbox: its own state and config directories, a frozen simulated world.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("meridian").unwrap();
        c.env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("MERIDIAN_SIM_SPEED", "0")
            .env_remove("MERIDIAN_CONFIG")
            .env_remove("MERIDIAN_READ_ONLY")
            .env_remove("MERIDIAN_SEED");
        c
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn status(&self) -> Value {
        let (code, out, err) = self.run(&["status", "--json"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    }

    fn audit(&self) -> Vec<Value> {
        let (code, out, err) = self.run(&["audit", "--json"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Vec<Value>>(&out).unwrap()
    }
}

fn region<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

#[test]
fn status_json_has_the_documented_shape() {
    let s = Sandbox::new().status();
    assert_eq!(s["fleet"]["name"], "demo");
    assert_eq!(s["fleet"]["simulated"], true);
    let regions = s["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 4);
    let mut share = 0.0;
    for r in regions {
        for key in [
            "id",
            "role",
            "health",
            "weight",
            "steady_weight",
            "traffic_share",
            "lag_seconds",
            "observed_at",
            "phases",
        ] {
            assert!(r.get(key).is_some(), "region lacks {key}: {r}");
        }
        assert!(
            ["healthy", "degraded", "down", "unknown"].contains(&r["health"].as_str().unwrap())
        );
        assert!(["primary", "secondary"].contains(&r["role"].as_str().unwrap()));
        for p in r["phases"].as_array().unwrap() {
            assert!(p["id"].is_string() && p["name"].is_string());
            assert!(
                ["pending", "running", "succeeded", "failed"]
                    .contains(&p["state"].as_str().unwrap())
            );
        }
        share += r["traffic_share"].as_f64().unwrap();
    }
    assert!((share - 1.0).abs() < 0.001, "shares add up to {share}");
    assert_eq!(
        region(&s, "us-east-1")["lag_seconds"],
        Value::Null,
        "the primary has no lag"
    );
    assert!(region(&s, "eu-west-1")["lag_seconds"].is_number());
    assert_eq!(region(&s, "ap-south-1")["weight"], 0);
    let tenants = s["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 3);
    for t in tenants {
        assert!(t["id"].is_string() && t["environment"].is_string());
        for cell in t["regions"].as_array().unwrap() {
            for key in ["region", "sync", "health", "revision", "auto_sync"] {
                assert!(cell.get(key).is_some(), "cell lacks {key}: {cell}");
            }
        }
    }
}

#[test]
fn human_status_fits_100_columns() {
    let (code, out, _) = Sandbox::new().run(&["status"]);
    assert_eq!(code, 0);
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
    assert!(out.contains("REGION") && out.contains("TENANT") && out.contains("ap-south-1"));
}

#[test]
fn drain_then_status_shows_the_region_drained() {
    let sb = Sandbox::new();
    let (code, out, err) = sb.run(&["drain", "eu-west-1", "--reason", "INC-4711", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("drain eu-west-1: done and verified"), "{out}");
    let s = sb.status();
    assert_eq!(region(&s, "eu-west-1")["weight"], 0);
    assert_eq!(region(&s, "eu-west-1")["traffic_share"], 0.0);
    assert_eq!(region(&s, "us-east-1")["weight"], 50);
    // And restore brings it back.
    let (code, _, err) = sb.run(&["--yes", "--reason", "INC-4711", "restore", "eu-west-1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(region(&sb.status(), "eu-west-1")["weight"], 30);
}

#[test]
fn the_issue_example_drains_a_staging_only_region_without_a_reason() {
    let sb = Sandbox::new();
    let (code, out, err) = sb.run(&["drain", "eu-west-1", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(region(&sb.status(), "eu-west-1")["weight"], 0);
    // A region serving production needs a reason.
    let (code, _, err) = sb.run(&["drain", "ap-southeast-1", "--yes"]);
    assert_eq!(code, 3);
    assert!(err.contains("BLOCK reason-required"), "{err}");
}

#[test]
fn draining_the_last_healthy_region_is_refused() {
    let sb = Sandbox::new();
    for r in ["eu-west-1", "ap-southeast-1"] {
        assert_eq!(sb.run(&["demo", "fault", r, "down"]).0, 0);
    }
    let (code, _, err) = sb.run(&["drain", "us-east-1", "--reason", "x", "--yes"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("BLOCK last-healthy-region"), "{err}");
    assert_eq!(region(&sb.status(), "us-east-1")["weight"], 50);
}

#[test]
fn all_zero_weights_are_refused() {
    let sb = Sandbox::new();
    let (code, _, err) = sb.run(&[
        "weights",
        "us-east-1=0",
        "eu-west-1=0",
        "ap-southeast-1=0",
        "--reason",
        "x",
        "--yes",
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("BLOCK all-weights-zero"), "{err}");
}

#[test]
fn weights_out_of_range_and_garbage_are_usage_errors_naming_the_range() {
    let sb = Sandbox::new();
    for edge in [
        "256",
        "-1",
        "-5",
        "99999999999",
        "340282366920938463463374607431768211456",
    ] {
        let arg = format!("us-east-1={edge}");
        let (code, _, err) = sb.run(&["weights", &arg, "--reason", "x", "--yes"]);
        assert_eq!(code, 2, "{edge}: {err}");
        assert!(err.contains("out of range 0..=255"), "{edge}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = sb.run(&["weights", "us-east-1=ten", "--yes"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("REGION=WEIGHT") && err.contains("not a whole number"),
        "{err}"
    );
}

#[test]
fn promote_with_lag_over_budget_is_refused_until_data_loss_is_accepted() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&["demo", "fault", "eu-west-1", "lag"]).0, 0);
    let (code, _, err) = sb.run(&["promote", "eu-west-1", "--reason", "INC-1", "--yes"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("BLOCK replication-lag") && err.contains("over the RPO budget"),
        "{err}"
    );
    let (code, _, err) = sb.run(&[
        "promote",
        "eu-west-1",
        "--reason",
        "INC-1",
        "--yes",
        "--accept-data-loss",
    ]);
    assert_eq!(code, 0, "{err}");
    let s = sb.status();
    assert_eq!(region(&s, "eu-west-1")["role"], "primary");
    assert_eq!(region(&s, "us-east-1")["role"], "secondary");
}

#[test]
fn unknown_region_is_a_usage_error_with_a_suggestion() {
    let (code, _, err) = Sandbox::new().run(&["drain", "eu-wset-1", "--yes"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(r#"unknown region "eu-wset-1" (did you mean "eu-west-1"?)"#),
        "{err}"
    );
}

#[test]
fn bad_config_is_a_usage_error_with_line_and_column() {
    let sb = Sandbox::new();
    let file = sb.dir.path().join("fleet.toml");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/fleet.toml"))
        .unwrap();
    std::fs::write(
        &file,
        text.replace(
            r#"regions = ["us-east-1", "eu-west-1"]"#,
            r#"regions = ["us-east-1", "eu-wset-1"]"#,
        ),
    )
    .unwrap();
    let (code, _, err) = sb.run(&["config", "check", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    // The example file changes; find the line the error must name.
    let line = 1 + text
        .lines()
        .position(|l| l.contains(r#"regions = ["us-east-1", "eu-west-1"]"#))
        .unwrap();
    let want = format!(
        r#"fleet.toml:{line}:25: tenants[1].regions: unknown region "eu-wset-1" (did you mean "eu-west-1"?)"#
    );
    assert!(err.contains(&want), "{err}");
    // Any command refuses to run on it.
    assert_eq!(sb.run(&["-c", file.to_str().unwrap(), "status"]).0, 2);
    assert_eq!(sb.run(&["status", "-c", "/nonexistent/fleet.toml"]).0, 2);
    let (code, out, _) = sb.run(&[
        "config",
        "check",
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/fleet.toml"),
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("ok: fleet acme-shop with 4 regions, 3 tenants, 7 phases"),
        "{out}"
    );
}

#[test]
fn a_mutation_without_a_terminal_or_yes_is_refused() {
    let sb = Sandbox::new();
    let (code, out, _) = sb.run(&["drain", "eu-west-1", "--reason", "x"]);
    assert_eq!(code, 3);
    assert!(out.contains("no terminal"), "{out}");
    assert_eq!(region(&sb.status(), "eu-west-1")["weight"], 30);
}

#[test]
fn read_only_is_refused_by_the_library() {
    let sb = Sandbox::new();
    let (code, out, err) = sb.run(&[
        "--read-only",
        "drain",
        "eu-west-1",
        "--reason",
        "x",
        "--yes",
    ]);
    assert_eq!(code, 3);
    assert!(
        err.contains("BLOCK read-only") && out.contains("read-only"),
        "{out}{err}"
    );
    assert_eq!(region(&sb.status(), "eu-west-1")["weight"], 30);
}

#[test]
fn the_lock_held_by_someone_else_gives_exit_4() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("state/fleets/demo");
    std::fs::create_dir_all(&dir).unwrap();
    // Held by this (live) test process.
    let holder = serde_json::json!({"user": "alice@ops", "host": "elsewhere", "pid": std::process::id(), "action": "promote", "since_ms": 0});
    std::fs::write(dir.join("fleet.lock"), holder.to_string()).unwrap();
    let (code, out, _) = sb.run(&["drain", "eu-west-1", "--reason", "x", "--yes"]);
    assert_eq!(code, 4);
    assert!(out.contains("alice@ops"), "{out}");
}

#[test]
fn every_action_leaves_an_audit_record_refused_ones_too() {
    let sb = Sandbox::new();
    sb.run(&["drain", "eu-west-1", "--reason", "INC-1", "--yes"]); // succeeded
    sb.run(&["drain", "us-east-1", "--yes"]); // refused: production needs a reason
    sb.run(&["drain", "ap-southeast-1", "--reason", "x"]); // refused: not confirmed
    sb.run(&["phase", "run", "ap-south-1", "smoke-test", "--yes"]); // refused: phase order
    sb.run(&["rollback", "search-stg", "--region", "ap-south-1", "--yes"]); // succeeded
    let records = sb.audit();
    let summary: Vec<(String, String)> = records
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        ("drain", "started"),
        ("drain", "succeeded"),
        ("drain", "refused"),
        ("drain", "refused"),
        ("run-phase", "refused"),
        ("rollback", "started"),
        ("rollback", "succeeded"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(a, o)| (a.to_string(), o.to_string()))
        .collect();
    assert_eq!(summary, expect);
    let first = &records[0];
    assert_eq!(first["reason"], "INC-1");
    assert!(first["user"].as_str().unwrap().contains('@'));
    assert_eq!(first["before"]["weights"]["eu-west-1"], 30);
    assert_eq!(records[1]["after"]["weights"]["eu-west-1"], 0);
    assert!(records[1]["plan"]["checks"].is_array());
    let (_, text, _) = sb.run(&["audit"]);
    assert!(
        text.contains("refused") && text.contains("succeeded") && text.contains("INC-1"),
        "{text}"
    );
    // A tenant's action names its region too.
    let rollback = text
        .lines()
        .find(|l| l.contains("rollback"))
        .unwrap_or_default();
    assert!(rollback.contains("search-stg in ap-south-1"), "{text}");
}

#[test]
fn overrides_are_recorded() {
    let sb = Sandbox::new();
    let (code, _, err) = sb.run(&[
        "phase",
        "run",
        "ap-south-1",
        "smoke-test",
        "--override",
        "phase-order",
        "--reason",
        "manual fix",
        "--yes",
    ]);
    assert_eq!(code, 0, "{err}");
    let records = sb.audit();
    let last = records.last().unwrap();
    assert_eq!(last["overrides"], serde_json::json!(["phase-order"]));
    assert_eq!(last["reason"], "manual fix");
}

#[test]
fn a_phase_fails_on_a_bad_step_and_succeeds_when_run_again() {
    let sb = Sandbox::new();
    let (code, out, _) = sb.run(&["phase", "run", "ap-south-1", "platform-services", "--yes"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("failed") && out.contains("observability stack"),
        "{out}"
    );
    let s = sb.status();
    let phase = &region(&s, "ap-south-1")["phases"][4];
    assert_eq!(phase["state"], "failed");
    assert_eq!(
        sb.run(&["phase", "run", "ap-south-1", "platform-services", "--yes"])
            .0,
        0
    );
    assert_eq!(
        region(&sb.status(), "ap-south-1")["phases"][4]["state"],
        "succeeded"
    );
}

#[test]
fn rollback_changes_the_revision_and_pauses_auto_sync() {
    let sb = Sandbox::new();
    let (code, out, err) = sb.run(&[
        "rollback",
        "storefront-prd",
        "--region",
        "ap-southeast-1",
        "--reason",
        "CHG-1",
        "--yes",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["outcome"], "succeeded");
    assert!(
        doc["plan"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["guard"] == "auto-sync" && c["verdict"] == "warn")
    );
    assert_ne!(doc["before"]["revision"], doc["after"]["revision"]);
    assert_eq!(doc["after"]["auto_sync"], false);
    let (code, _, err) = sb.run(&[
        "rollback",
        "storefront-prd",
        "--region",
        "ap-southeast-1",
        "--to",
        "nope",
        "--reason",
        "x",
        "--yes",
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("BLOCK revision-unknown"), "{err}");
}

#[test]
fn dry_run_changes_nothing_and_says_whether_it_would_refuse() {
    let sb = Sandbox::new();
    let (code, out, _) = sb.run(&["drain", "eu-west-1", "--dry-run", "--json", "--reason", "x"]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["would_refuse"], false);
    assert_eq!(
        doc["plan"]["cli_equivalent"],
        "meridian drain eu-west-1 --reason x"
    );
    assert_eq!(
        sb.run(&["drain", "ap-southeast-1", "--dry-run"]).0,
        3,
        "production without a reason would be refused"
    );
    assert_eq!(region(&sb.status(), "eu-west-1")["weight"], 30);
    assert!(sb.audit().is_empty(), "a dry run is not an action");
}

#[test]
fn demo_reset_and_faults() {
    let sb = Sandbox::new();
    assert_eq!(
        sb.run(&["drain", "eu-west-1", "--reason", "x", "--yes"]).0,
        0
    );
    assert_eq!(sb.run(&["demo", "fault", "ap-southeast-1", "down"]).0, 0);
    let s = sb.status();
    assert_eq!(region(&s, "ap-southeast-1")["health"], "down");
    assert!(
        region(&s, "ap-southeast-1")["errors"]["lag"]
            .as_str()
            .unwrap()
            .contains("ap-southeast-1")
    );
    assert_eq!(sb.run(&["demo", "reset"]).0, 0);
    let s = sb.status();
    assert_eq!(region(&s, "eu-west-1")["weight"], 30);
    assert_eq!(region(&s, "ap-southeast-1")["health"], "healthy");
    assert_eq!(sb.run(&["demo", "fault", "mars-1", "down"]).0, 2);
}

#[test]
fn the_same_seed_gives_the_same_world() {
    let lags = |seed: &str| {
        let sb = Sandbox::new();
        let (code, out, _) = sb.run(&["status", "--json", "--seed", seed]);
        assert_eq!(code, 0);
        let s: Value = serde_json::from_str(&out).unwrap();
        s["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["lag_seconds"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(lags("5"), lags("5"));
    assert_ne!(lags("5"), lags("6"));
}

#[test]
fn paths_and_help_speak_plainly() {
    let sb = Sandbox::new();
    let (code, out, _) = sb.run(&["paths"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("audit log") && out.contains("embedded demo fleet"),
        "{out}"
    );
    let (code, out, _) = sb.run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Exit codes") && out.contains("drain"), "{out}");
}

/// Run under `script`, which gives the binary a pseudo-terminal on stdin, and answer.
fn on_a_terminal(sb: &Sandbox, command: &str, answer: &str) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("meridian");
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &format!("{} {command}", bin.display()), "/dev/null"])
        .env("MERIDIAN_STATE_DIR", sb.dir.path().join("state"))
        .env("XDG_CONFIG_HOME", sb.dir.path().join("config"))
        .env("MERIDIAN_SIM_SPEED", "0")
        .env_remove("MERIDIAN_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd
        .spawn()
        .expect("the `script` command (util-linux) is needed for terminal tests");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin.write_all(answer.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_terminal_asks_for_the_typed_name_on_risky_actions() {
    let sb = Sandbox::new();
    let (code, out) = on_a_terminal(&sb, "drain eu-west-1 --reason drill", "eu-west\n");
    assert_eq!(code, 3, "a near miss is not a confirmation: {out}");
    assert!(out.contains("type \"eu-west-1\" to confirm"), "{out}");
    assert_eq!(region(&sb.status(), "eu-west-1")["weight"], 30);
    let (code, out) = on_a_terminal(&sb, "drain eu-west-1 --reason drill", "eu-west-1\n");
    assert_eq!(code, 0, "{out}");
    assert_eq!(region(&sb.status(), "eu-west-1")["weight"], 0);
    let outcomes: Vec<Value> = sb.audit().iter().map(|r| r["outcome"].clone()).collect();
    assert_eq!(outcomes, vec!["declined", "started", "succeeded"]);
}

#[test]
fn a_terminal_asks_yes_no_with_no_as_the_default() {
    let sb = Sandbox::new();
    let (code, out) = on_a_terminal(&sb, "phase run ap-south-1 platform-services", "\n");
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("Run platform-services in ap-south-1? [y/N]"),
        "{out}"
    );
}

#[test]
fn the_demo_resumes_the_auto_sync_a_rollback_paused_and_syncs() {
    let sb = Sandbox::new();
    let rollback = [
        "rollback",
        "storefront-prd",
        "--region",
        "ap-southeast-1",
        "--reason",
        "CHG-1",
        "--yes",
    ];
    let (code, _, err) = sb.run(&rollback);
    assert_eq!(code, 0, "{err}");
    let resume = [
        "resume-auto-sync",
        "storefront-prd",
        "--region",
        "ap-southeast-1",
        "--reason",
        "CHG-2",
        "--yes",
        "--json",
    ];
    let (code, out, err) = sb.run(&resume);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(
        doc["plan"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["guard"] == "auto-sync"
                && c["verdict"] == "warn"
                && c["reason"]
                    .as_str()
                    .unwrap_or("")
                    .contains("undoes the rollback")),
        "{doc}"
    );
    assert_eq!(doc["outcome"], "succeeded", "{doc}");
    assert_eq!(doc["after"]["auto_sync"], true);
    assert_ne!(
        doc["before"]["revision"], doc["after"]["revision"],
        "auto-sync deployed the head"
    );
    let (code, _, err) = sb.run(&resume);
    assert_eq!(code, 3, "nothing to resume now: {err}");
    let (code, out, err) = sb.run(&[
        "sync",
        "storefront-prd",
        "--region",
        "ap-southeast-1",
        "--reason",
        "CHG-3",
        "--yes",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["outcome"], "succeeded", "{doc}");
    assert_eq!(doc["plan"]["name"], "sync");
    assert!(
        doc["plan"]["cli_equivalent"]
            .as_str()
            .is_some_and(|c| c.starts_with("meridian sync storefront-prd --region ap-southeast-1")),
        "{doc}"
    );
}

#[test]
fn a_simulated_phase_whose_process_was_killed_reads_interrupted_and_resumes() {
    let sb = Sandbox::new();
    assert_eq!(sb.status()["regions"][3]["phases"][4]["state"], "pending");
    // Slow simulated time: each step takes 40 s, so the run is surely mid-step when killed.
    let mut runner = std::process::Command::new(assert_cmd::cargo::cargo_bin("meridian"))
        .args(["phase", "run", "ap-south-1", "platform-services", "--yes"])
        .env("MERIDIAN_STATE_DIR", sb.dir.path().join("state"))
        .env("XDG_CONFIG_HOME", sb.dir.path().join("config"))
        .env("MERIDIAN_SIM_SPEED", "0.05")
        .env_remove("MERIDIAN_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while sb.status()["regions"][3]["phases"][4]["state"] != "running" {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: our own child.
    unsafe {
        libc::kill(runner.id() as i32, libc::SIGKILL);
    }
    let _ = runner.wait();
    let p = sb.status()["regions"][3]["phases"][4].clone();
    assert_eq!(p["state"], "interrupted", "{p}");
    // The next start (that status) settled the dead run's `started` record as interrupted.
    assert_eq!(sb.audit().last().unwrap()["outcome"], "interrupted");
    let (code, _, err) = sb.run(&["phase", "run", "ap-south-1", "platform-services", "--yes"]);
    assert!(err.contains("WARN  phase-running"), "{err}");
    assert!(err.contains("was interrupted at step 1"), "{err}");
    // The demo's fail-once step fails the first time; the next run resumes and finishes.
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = sb.run(&["phase", "run", "ap-south-1", "platform-services", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("resumes at step 4 (observability stack)"),
        "{err}"
    );
}
