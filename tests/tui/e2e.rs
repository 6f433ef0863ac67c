//! End to end: the real binary in a real pseudo-terminal (tmux), driven with keystrokes.
//! Drains a region of the demo fleet, checks the screen and the audit log, quits, and
//! checks the terminal was given back (every other way of ending: tui_restore.rs). Needs
//! `tmux` (apt-get install tmux).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux is needed for this test (apt-get install tmux): {e}"));
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "e2e", k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn literal(&self, text: &str) {
        self.run(&["send-keys", "-t", "e2e", "-l", text]);
        std::thread::sleep(Duration::from_millis(60));
    }

    fn wait_for(&self, needle: &str, secs: u64) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("timed out waiting for {needle:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn audit_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn drain_a_region_with_keystrokes_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = dir.path().join("state");
    let bin = env!("CARGO_BIN_EXE_meridian");
    let tmux = Tmux {
        socket: format!("meridian-e2e-{}", std::process::id()),
    };
    let cmd = format!(
        "env MERIDIAN_STATE_DIR='{}' MERIDIAN_SIM_SPEED=50 XDG_CONFIG_HOME='{}' TERM=xterm-256color '{bin}'; echo MERIDIAN_EXIT=$?; sleep 30",
        state.display(),
        dir.path().join("config").display()
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    let first = tmux.wait_for("Regions", 20);
    assert!(first.contains("PRODUCTION"), "{first}");
    tmux.wait_for("● live", 20);

    // Select eu-west-1 (staging only in the demo), drain: the modal asks for the typed
    // name; a reason is optional and recorded.
    tmux.keys(&["Down", "d"]);
    let modal = tmux.wait_for("Drain eu-west-1", 10);
    assert!(modal.contains("type eu-west-1 to confirm"), "{modal}");
    tmux.keys(&["BTab"]);
    tmux.literal("INC-E2E");
    tmux.keys(&["Tab"]);
    tmux.literal("eu-west-1");
    tmux.keys(&["Enter"]);
    tmux.wait_for("▶ [ Cancel ]   [ Drain eu-west-1 ]", 10);
    tmux.keys(&["Enter"]);
    let done = tmux.wait_for("Drain eu-west-1: succeeded and verified", 60);
    assert!(
        done.contains("drain succeeded: verified") || done.contains("succeeded"),
        "{done}"
    );
    // The board shows the new weight once the poller has read it back.
    let start = Instant::now();
    loop {
        let s = tmux.screen();
        let row = s
            .lines()
            .find(|l| l.contains("eu-west-1") && l.contains("secondary"))
            .unwrap_or("")
            .to_string();
        if row.contains("0/30") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "weight not shown as 0/30:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let audit = audit_lines(&state.join("fleets/demo/audit.jsonl"));
    let drains: Vec<&serde_json::Value> = audit
        .iter()
        .filter(|r| r.to_string().contains("drain"))
        .collect();
    let text = serde_json::to_string(&drains).unwrap_or_default();
    assert!(text.contains("\"started\""), "{text}");
    assert!(text.contains("\"succeeded\""), "{text}");
    assert!(text.contains("INC-E2E"), "{text}");

    // Quit: the terminal comes back (no alternate screen, exit 0).
    tmux.keys(&["q"]);
    let after = tmux.wait_for("MERIDIAN_EXIT=", 10);
    assert!(after.contains("MERIDIAN_EXIT=0"), "{after}");
    assert!(
        !after.contains("Regions"),
        "the alternate screen was left:\n{after}"
    );
}

#[test]
fn resizing_at_any_moment_and_ctrl_c_restore_the_terminal() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bin = env!("CARGO_BIN_EXE_meridian");
    let tmux = Tmux {
        socket: format!("meridian-e2e-resize-{}", std::process::id()),
    };
    let cmd = format!(
        "env MERIDIAN_STATE_DIR='{}' MERIDIAN_SIM_SPEED=0 XDG_CONFIG_HOME='{}' TERM=xterm-256color '{bin}' --theme high-contrast --keymap vim; echo MERIDIAN_EXIT=$?; sleep 30",
        dir.path().join("state").display(),
        dir.path().join("config").display()
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    tmux.wait_for("Regions", 20);
    // Keys before the first reading move nothing (no rows yet): wait for it, as an
    // operator would.
    tmux.wait_for("● live", 20);
    // Open a modal, then shrink below 80x24 and grow again while it is open.
    tmux.keys(&["j", "d"]);
    tmux.wait_for("Drain eu-west-1", 10);
    tmux.run(&["resize-window", "-t", "e2e", "-x", "60", "-y", "15"]);
    tmux.wait_for("needs at least 80x24", 10);
    tmux.run(&["resize-window", "-t", "e2e", "-x", "140", "-y", "40"]);
    // Wait for the whole modal: a capture can land while a frame is still being written.
    let big = tmux.wait_for("type eu-west-1 to confirm", 10);
    assert!(big.contains("Drain eu-west-1"), "{big}");
    tmux.keys(&["C-c"]);
    let after = tmux.wait_for("MERIDIAN_EXIT=", 10);
    assert!(after.contains("MERIDIAN_EXIT=0"), "{after}");
    assert!(!after.contains("Regions"), "{after}");
}
