//! The shell phase runner with real processes, through the real binary: success with
//! complete evidence, failure and resume, check-skips, timeout, cancel from another process,
//! 10 MB of hostile output, and meridian killed with SIGKILL mid-step.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

const FLEET: &str = r#"
[fleet]
name = "shell-test"

[runner]
provider = "shell"
workdir = "work"
environment = "tst"
grace = "2s"
env = { GREETING = "hello {region}" }

[[regions]]
id = "r1"
cloud_region = "xx-central-1"
role = "primary"
steady_weight = 1

[[phases]]
id = "build"
name = "Build"
steps = [
  { name = "one", run = "echo one $MERIDIAN_REGION $GREETING >> ran.txt; echo to-stderr >&2" },
  { name = "two", run = ["sh", "-c", "test ! -e fail-two || exit 3; echo two {cloud_region} {env} {fleet} $MERIDIAN_ENV >> ran.txt"] },
  { name = "three", run = "echo three >> ran.txt", check = "test -e three-done" },
]

[[phases]]
id = "slow"
steps = [
  { name = "prepare", run = "echo prepare >> ran.txt" },
  { name = "wait", run = "test -e go-fast && exit 0; sleep 60 & echo $! > grandchild.pid; echo $$ > child.pid; wait" },
  { name = "after", run = "echo after >> ran.txt" },
]

[[phases]]
id = "timeout"
steps = [{ name = "too slow", run = "sleep 30", timeout = "1s" }]

[[phases]]
id = "noisy"
steps = [{ name = "ten megabytes", run = "yes \"$(printf 'line \\033[31mred\\033[0m \\033]0;title\\007 \\377\\376 end')\" | head -c 10485760" }]
"#;

struct Lab {
    dir: TempDir,
    fleet: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let fleet = dir.path().join("fleet.toml");
        std::fs::write(&fleet, FLEET).unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        Lab { dir, fleet }
    }

    fn work(&self, file: &str) -> PathBuf {
        self.dir.path().join("work").join(file)
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("meridian").unwrap();
        self.env(
            c.env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default()),
        );
        c
    }

    fn env<'a>(&self, c: &'a mut Command) -> &'a mut Command {
        c.env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("MERIDIAN_CONFIG", &self.fleet)
            .env("USER", "tester")
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `meridian phase run` in the background.
    fn spawn(&self, args: &[&str]) -> Child {
        let bin = assert_cmd::cargo::cargo_bin("meridian");
        std::process::Command::new(bin)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("MERIDIAN_CONFIG", &self.fleet)
            .env("USER", "tester")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn phase(&self, id: &str) -> Value {
        let (code, out, err) = self.run(&["status", "--json"]);
        assert_eq!(code, 0, "{err}");
        let s: Value = serde_json::from_str(&out).unwrap();
        s["regions"][0]["phases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap()
    }

    fn ran(&self) -> String {
        std::fs::read_to_string(self.work("ran.txt")).unwrap_or_default()
    }

    fn audit(&self) -> Vec<Value> {
        let (code, out, err) = self.run(&["audit", "--json"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    }
}

/// Wait (bounded) for a condition that a background process makes true.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A process is gone (or a zombie nobody reaped yet).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/status", pid.trim())) {
        Err(_) => true,
        Ok(s) => s
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z')),
    }
}

fn run_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

#[test]
fn three_steps_succeed_with_complete_evidence() {
    let lab = Lab::new();
    let (code, out, err) = lab.run(&["phase", "run", "r1", "build", "--yes", "--reason", "CHG-1"]);
    assert_eq!(code, 0, "{out}\n{err}");
    // The plan shows the exact commands after substitution.
    assert!(
        err.contains("step 2: two: sh -c 'test ! -e fail-two"),
        "{err}"
    );
    assert!(!err.contains("echo two {cloud_region}"), "{err}");
    assert!(
        err.contains("skipped if this exits 0: test -e three-done"),
        "{err}"
    );
    // Output streams to stderr with the step it came from.
    assert!(err.contains("r1 build 1/3 │ to-stderr"), "{err}");
    assert_eq!(
        lab.ran(),
        "one r1 hello r1\ntwo xx-central-1 tst shell-test tst\nthree\n"
    );
    assert_eq!(lab.phase("build")["state"], "succeeded");
    let audit = lab.audit();
    let done = audit.last().unwrap();
    assert_eq!(done["outcome"], "succeeded");
    let dir = PathBuf::from(done["evidence"].as_str().unwrap());
    assert_eq!(
        audit[audit.len() - 2]["evidence"],
        done["evidence"],
        "the started record points at it too"
    );
    let run = run_json(&dir);
    assert_eq!(run["outcome"], "succeeded");
    assert_eq!(
        run["user"].as_str().unwrap().split('@').next(),
        Some("tester")
    );
    assert_eq!(run["reason"], "CHG-1");
    for (i, s) in run["steps"].as_array().unwrap().iter().enumerate() {
        assert_eq!(s["status"], "succeeded", "{s}");
        assert_eq!(s["exit_code"], 0);
        assert!(s["started"].is_string() && s["finished"].is_string());
        let log = std::fs::read_to_string(dir.join(s["output"].as_str().unwrap())).unwrap();
        assert!(log.contains("--- exit code 0"), "step {i}: {log}");
    }
    let first = std::fs::read_to_string(dir.join("01-one.log")).unwrap();
    let line = first.lines().find(|l| l.contains(" err ")).unwrap();
    assert!(line.ends_with(" err to-stderr"), "{line}");
    assert!(line.starts_with("20"), "timestamped: {line}");
    // `meridian evidence` lists the run and prints it.
    let (code, list, _) = lab.run(&["evidence"]);
    assert_eq!(code, 0);
    assert!(
        list.contains("succeeded") && list.contains("CHG-1"),
        "{list}"
    );
    let (code, shown, _) = lab.run(&["evidence", "r1", "build"]);
    assert_eq!(code, 0);
    assert!(shown.contains("step 2 two [succeeded, exit 0]"), "{shown}");
    assert!(shown.contains("err to-stderr"), "{shown}");
}

#[test]
fn a_failing_step_stops_the_phase_and_a_rerun_resumes_there() {
    let lab = Lab::new();
    std::fs::write(lab.work("fail-two"), "").unwrap();
    let (code, out, err) = lab.run(&["phase", "run", "r1", "build", "--yes"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("step 2 (two) exited with code 3"), "{out}");
    let p = lab.phase("build");
    assert_eq!(p["state"], "failed");
    assert_eq!(p["current_step"], "two");
    assert_eq!(lab.ran(), "one r1 hello r1\n");
    let dir = PathBuf::from(p["evidence"].as_str().unwrap());
    let run = run_json(&dir);
    assert_eq!(run["outcome"], "failed");
    assert_eq!(run["steps"][1]["exit_code"], 3);
    assert_eq!(run["steps"][2]["status"], "pending");

    std::fs::remove_file(lab.work("fail-two")).unwrap();
    let (code, out, err) = lab.run(&["phase", "run", "r1", "build", "--yes"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("resumes at step 2 (two)"), "{err}");
    assert!(err.contains("step 1: one (done earlier; not run)"), "{err}");
    assert_eq!(
        lab.ran(),
        "one r1 hello r1\ntwo xx-central-1 tst shell-test tst\nthree\n",
        "step one ran once"
    );
    // --from-start redoes everything.
    let (code, _, err) = lab.run(&["phase", "run", "r1", "build", "--from-start", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(lab.ran().matches("one r1").count(), 2);
}

#[test]
fn a_check_that_exits_zero_skips_the_step() {
    let lab = Lab::new();
    std::fs::write(lab.work("three-done"), "").unwrap();
    let (code, _, err) = lab.run(&["phase", "run", "r1", "build", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("three: already done (check exited 0); skipped"),
        "{err}"
    );
    assert!(!lab.ran().contains("three"));
    let dir = PathBuf::from(lab.phase("build")["evidence"].as_str().unwrap());
    assert_eq!(run_json(&dir)["steps"][2]["status"], "skipped");
}

#[test]
fn a_step_past_its_timeout_is_stopped() {
    let lab = Lab::new();
    let (code, out, _) = lab.run(&[
        "phase",
        "run",
        "r1",
        "timeout",
        "--yes",
        "--override",
        "phase-order",
        "--reason",
        "test",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("step 1 (too slow) timed out after 1s"),
        "{out}"
    );
    let p = lab.phase("timeout");
    assert_eq!(p["state"], "failed");
    let run = run_json(Path::new(p["evidence"].as_str().unwrap()));
    assert_eq!(run["steps"][0]["status"], "timed-out");
}

#[test]
fn cancel_from_another_process_stops_the_whole_step() {
    let lab = Lab::new();
    let mut runner = lab.spawn(&[
        "phase",
        "run",
        "r1",
        "slow",
        "--yes",
        "--override",
        "phase-order",
        "--reason",
        "test",
    ]);
    wait_for("the step to start", || {
        lab.work("grandchild.pid").exists() && lab.work("child.pid").exists()
    });
    assert_eq!(lab.phase("slow")["state"], "running");
    let (code, out, err) = lab.run(&[
        "phase",
        "run",
        "r1",
        "slow",
        "--yes",
        "--override",
        "phase-order",
        "--reason",
        "test",
    ]);
    assert_eq!(code, 3, "refused while running: {out}\n{err}");
    assert!(err.contains("phase-running"), "{err}");
    // Read-only mode refuses to stop it, through the action library, and says so in the
    // audit log.
    let (code, out, err) = lab.run(&["phase", "cancel", "r1", "slow", "--read-only"]);
    assert_eq!(code, 3, "refused in read-only mode: {out}\n{err}");
    assert_eq!(lab.phase("slow")["state"], "running");
    let (code, out, err) = lab.run(&["phase", "cancel", "r1", "slow"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("stopped"), "{out}");
    let (_, audit, _) = lab.run(&["audit", "--json"]);
    let records: Vec<serde_json::Value> = serde_json::from_str(&audit).unwrap();
    let cancels: Vec<&str> = records
        .iter()
        .filter(|r| r["action"] == "cancel-phase")
        .map(|r| r["outcome"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(cancels, ["refused", "succeeded"], "{audit}");
    let status = runner.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let p = lab.phase("slow");
    assert_eq!(p["state"], "failed");
    assert!(
        p["error"]
            .as_str()
            .unwrap()
            .contains("cancelled by tester@"),
        "{p}"
    );
    for f in ["child.pid", "grandchild.pid"] {
        let pid = std::fs::read_to_string(lab.work(f)).unwrap();
        wait_for("the step's processes to go", || gone(&pid));
    }
    assert!(!lab.ran().contains("after"), "the next step did not run");
    let run = run_json(Path::new(p["evidence"].as_str().unwrap()));
    assert_eq!(run["outcome"], "cancelled");
    assert_eq!(run["steps"][1]["status"], "cancelled");
}

#[test]
fn ten_megabytes_of_hostile_output_are_saved_whole_and_shown_safely() {
    let lab = Lab::new();
    let out = lab
        .cmd()
        .args([
            "phase",
            "run",
            "r1",
            "noisy",
            "--yes",
            "--override",
            "phase-order",
            "--reason",
            "test",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let shown = out.stderr;
    assert!(
        shown.len() < 2 * 1024 * 1024,
        "the screen got {} bytes",
        shown.len()
    );
    assert!(
        !shown.contains(&0x1b),
        "no escape sequence reaches the terminal"
    );
    let text = String::from_utf8(shown).expect("what is shown is valid UTF-8");
    assert!(
        text.contains("lines not shown here (too fast)"),
        "{}",
        &text[..2000.min(text.len())]
    );
    assert!(
        text.contains("line red  \u{fffd}\u{fffd} end"),
        "sanitised lines are shown"
    );
    let p = lab.phase("noisy");
    let dir = PathBuf::from(p["evidence"].as_str().unwrap());
    let run = run_json(&dir);
    let saved = std::fs::read(dir.join(run["steps"][0]["output"].as_str().unwrap())).unwrap();
    let payload: usize = saved
        .split(|b| *b == b'\n')
        .filter(|l| l.splitn(3, |b| *b == b' ').nth(1) == Some(b"out"))
        .filter_map(|l| l.splitn(3, |b| *b == b' ').nth(2))
        .map(|l| l.len() + 1)
        .sum();
    // Every byte of output is kept (the last line lacks its newline in the output).
    assert_eq!(payload, 10_485_761, "saved {payload} bytes of output");
    assert!(
        saved.windows(2).any(|w| w == b"\x1b["),
        "the file keeps the raw bytes"
    );
}

#[test]
fn meridian_killed_mid_step_leaves_the_phase_interrupted_and_a_rerun_resumes() {
    let lab = Lab::new();
    let mut runner = lab.spawn(&[
        "phase",
        "run",
        "r1",
        "slow",
        "--yes",
        "--override",
        "phase-order",
        "--reason",
        "test",
    ]);
    wait_for("the step to start", || lab.work("grandchild.pid").exists());
    // SAFETY: the pid is our own child's.
    unsafe {
        libc::kill(runner.id() as i32, libc::SIGKILL);
    }
    let _ = runner.wait();
    let p = lab.phase("slow");
    assert_eq!(p["state"], "interrupted", "{p}");
    assert_eq!(p["current_step"], "wait");
    assert!(
        p["error"]
            .as_str()
            .unwrap()
            .contains("died during step 2 (wait)"),
        "{p}"
    );
    // The next start found the `started` record whose process died and said so.
    let audit = lab.audit();
    let last = audit.last().unwrap();
    assert_eq!(last["outcome"], "interrupted", "{last}");
    assert!(
        last["detail"].as_str().is_some_and(|d| d.contains("died")),
        "{last}"
    );
    // A rerun stops what the dead run left behind, then resumes at the interrupted step.
    let grandchild = std::fs::read_to_string(lab.work("grandchild.pid")).unwrap();
    std::fs::write(lab.work("go-fast"), "").unwrap();
    let (code, out, err) = lab.run(&[
        "phase",
        "run",
        "r1",
        "slow",
        "--yes",
        "--override",
        "phase-order",
        "--reason",
        "test",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("resumes at step 2 (wait)"), "{err}");
    assert!(
        err.contains("stopping processes left by the interrupted run"),
        "{err}"
    );
    wait_for("the old step's processes to go", || gone(&grandchild));
    assert_eq!(lab.ran(), "prepare\nafter\n", "step 1 ran once");
    assert_eq!(lab.phase("slow")["state"], "succeeded");
    let (_, all, _) = lab.run(&["evidence", "--json"]);
    let all: Vec<Value> = serde_json::from_str(&all).unwrap();
    let outcomes: Vec<&str> = all.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["interrupted", "succeeded"]);
    assert_eq!(all[1]["run"]["steps"][0]["status"], "done-earlier");
}
