//! The recorder and the report through the real binary on the demo: `meridian watch` records
//! a drill (a region down, drained from the finding's own command, healed), stops cleanly on
//! SIGTERM, and `meridian report` writes its timeline in Markdown, JSON and HTML.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn envs(&self) -> [(&'static str, std::path::PathBuf); 2] {
        [
            ("MERIDIAN_STATE_DIR", self.dir.path().join("state")),
            ("XDG_CONFIG_HOME", self.dir.path().join("config")),
        ]
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("meridian")
            .unwrap()
            .envs(self.envs())
            .env("MERIDIAN_SIM_SPEED", "0")
            .env_remove("MERIDIAN_CONFIG")
            .env_remove("MERIDIAN_READ_ONLY")
            .env_remove("MERIDIAN_SEED")
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            err,
        )
    }

    fn watch(&self) -> Child {
        Process::new(assert_cmd::cargo::cargo_bin("meridian"))
            .envs(self.envs())
            .env("MERIDIAN_SIM_SPEED", "0")
            .env_remove("MERIDIAN_CONFIG")
            .env_remove("MERIDIAN_READ_ONLY")
            .args(["watch", "--every", "200ms"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

/// The watcher's lines, read in a thread so a missing line fails the test instead of
/// hanging it.
fn lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

fn until(rx: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(e) => panic!("watch never printed {needle:?}: {e}"),
        }
    }
}

#[test]
fn watch_every_zero_is_a_usage_error_not_a_panic() {
    let s = Sandbox::new();
    let (code, _, err) = s.run(&["watch", "--every", "0s"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--every must be longer than 0s"), "{err}");
}

#[test]
fn watch_records_a_drill_and_report_writes_its_timeline() {
    let s = Sandbox::new();
    let mut child = s.watch();
    let rx = lines(child.stdout.take().unwrap());
    until(&rx, "recording:");

    let (code, _, err) = s.run(&["demo", "fault", "ap-southeast-1", "down"]);
    assert_eq!(code, 0, "{err}");
    let raised = until(&rx, "finding/region-down/ap-southeast-1");
    assert!(raised.contains("-> drain ap-southeast-1"), "{raised}");
    until(&rx, "health/ap-southeast-1 healthy -> down");

    let (code, _, err) = s.run(&["drain", "ap-southeast-1", "--reason", "INC-7", "--yes"]);
    assert_eq!(code, 0, "{err}");
    until(&rx, "serving/ap-southeast-1 20% -> drained");
    until(
        &rx,
        "finding/region-down/ap-southeast-1 critical -> drain ap-southeast-1 -> (gone)",
    );

    let ok = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "watch stops cleanly on SIGTERM");

    let (code, out, err) = s.run(&["report", "--since", "1h", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert!(r["recorded"].as_bool().unwrap());
    // The region's health and its apps (Unknown once it is down) are read by separate
    // tasks; whichever reading saw the outage first is the first sign.
    let first = r["first_sign"]["what"].as_str().unwrap();
    assert!(
        first.contains("ap-southeast-1 health healthy -> down")
            || (first.contains("/ap-southeast-1 app ") && first.contains("-> Unknown Unknown")),
        "{first}"
    );
    assert!(
        r["detected"]["what"]
            .as_str()
            .unwrap()
            .contains("ap-southeast-1 down"),
        "{}",
        r["detected"]
    );
    let a = &r["actions"][0];
    assert_eq!(a["action"], "drain");
    assert_eq!(a["target"], "ap-southeast-1");
    assert_eq!(a["reason"], "INC-7");
    assert_eq!(a["outcome"], "succeeded");
    assert_eq!(a["command"], "meridian drain ap-southeast-1 --reason INC-7");
    assert!(r["recovered"]["t"].as_i64().unwrap() >= a["t"].as_i64().unwrap());
    assert_eq!(r["rto"]["within"], true, "{}", r["rto"]);
    assert!(r["share"]["ap-southeast-1"].as_array().unwrap().len() >= 2);

    let (code, md, _) = s.run(&["report", "--since", "1h"]);
    assert_eq!(code, 0);
    for section in [
        "## Summary",
        "## Actions",
        "## Traffic moved",
        "## Timeline",
        "## Evidence",
    ] {
        assert!(md.contains(section), "{section}:\n{md}");
    }
    let (code, html, _) = s.run(&["report", "--from", "-1h", "--to", "-0s", "--format", "html"]);
    assert_eq!(code, 0);
    assert_eq!(html.matches("<svg").count(), 2, "{html}");

    // A bad time is a usage error that says what a time looks like.
    let (code, _, err) = s.run(&["report", "--from", "yesterday"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("03:12"), "{err}");
}
