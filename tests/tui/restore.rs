//! Every way the dashboard can end gives the terminal back, in a real pseudo-terminal
//! (tmux): Ctrl-C, SIGTERM, SIGHUP, SIGQUIT, and a panic inside an action. After meridian
//! exits, the pane's shell prints `stty -a` (raw mode is off when icanon, echo and isig are
//! on) and tmux reports whether the alternate screen is still on. A panic or a signal
//! mid-action must also leave an `interrupted` record and no lock. Needs `tmux`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Pane {
    socket: String,
    state: PathBuf,
    _dir: tempfile::TempDir,
}

impl Pane {
    /// meridian in a 100x30 tmux pane; the shell reports its exit code and terminal modes.
    fn start(name: &str, env: &str) -> Pane {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let state = dir.path().join("state");
        let bin = env!("CARGO_BIN_EXE_meridian");
        let pane = Pane {
            socket: format!("meridian-restore-{name}-{}", std::process::id()),
            state: state.clone(),
            _dir: dir,
        };
        let cmd = format!(
            "env MERIDIAN_STATE_DIR='{}' XDG_CONFIG_HOME='{}' MERIDIAN_SIM_SPEED=0.05 {env} \
             TERM=xterm-256color '{bin}'; echo MERIDIAN_EXIT=$?; \
             stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo|isig)$' | tr '\\n' ' '; \
             echo STTY_DONE; sleep 60",
            state.display(),
            pane._dir.path().join("config").display(),
        );
        pane.tmux(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "100",
            "-y",
            "30",
            &cmd,
        ]);
        pane.wait_for("● live", 30);
        pane
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux is needed for this test (apt-get install tmux): {e}"));
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "t", k]);
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    fn wait_for(&self, needle: &str, secs: u64) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "timed out waiting for {needle:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The dashboard process (the child of the pane's shell).
    fn pid(&self) -> String {
        let shell = self.tmux(&["list-panes", "-t", "t", "-F", "#{pane_pid}"]);
        child_of(shell.trim()).unwrap_or_else(|| panic!("no child of the pane's shell {shell}"))
    }

    /// Drain eu-west-1 with keystrokes and wait until the change is under way.
    fn start_drain(&self) {
        self.keys(&["Down", "d"]);
        self.wait_for("type eu-west-1 to confirm", 10);
        self.tmux(&["send-keys", "-t", "t", "-l", "eu-west-1"]);
        self.keys(&["Enter"]);
        self.wait_for("[ Drain eu-west-1 ]", 10);
        self.keys(&["Enter"]);
        let log = self.state.join("fleets/demo/audit.jsonl");
        let start = Instant::now();
        while !read(&log).contains("\"outcome\":\"started\"") {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "drain did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait for meridian to exit; check the terminal is back. Returns the final screen.
    fn check_restored(&self, exit: &str) -> String {
        let after = self.wait_for("STTY_DONE", 20);
        assert!(after.contains(&format!("MERIDIAN_EXIT={exit}")), "{after}");
        let modes = after
            .lines()
            .find(|l| l.contains("STTY_DONE"))
            .unwrap_or_default();
        for mode in ["isig", "icanon", "echo"] {
            assert!(
                modes.split_whitespace().any(|m| m == mode),
                "raw mode left on ({mode} is off): {modes}\n{after}"
            );
        }
        let alternate = self.tmux(&["display", "-p", "-t", "t", "#{alternate_on}"]);
        assert_eq!(
            alternate.trim(),
            "0",
            "still on the alternate screen:\n{after}"
        );
        let cursor = self.tmux(&["display", "-p", "-t", "t", "#{cursor_flag}"]);
        assert_eq!(cursor.trim(), "1", "the cursor is still hidden");
        assert!(
            !after.contains("Regions"),
            "the dashboard is still drawn:\n{after}"
        );
        after
    }

    /// The outcomes in the audit log, and that no lock was left behind.
    fn outcomes(&self) -> Vec<String> {
        let dir = self.state.join("fleets/demo");
        assert!(!dir.join("fleet.lock").exists(), "the fleet lock was left");
        read(&dir.join("audit.jsonl"))
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|r| r["outcome"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn kill(pid: &str, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), pid])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill -{signal} {pid}");
}

#[test]
fn ctrl_c_restores_the_terminal() {
    let pane = Pane::start("int", "");
    pane.keys(&["C-c"]);
    pane.check_restored("0");
}

#[test]
fn sigterm_restores_the_terminal() {
    let pane = Pane::start("term", "");
    kill(&pane.pid(), "TERM");
    pane.check_restored("0");
}

#[test]
fn sighup_restores_the_terminal() {
    let pane = Pane::start("hup", "");
    kill(&pane.pid(), "HUP");
    pane.check_restored("0");
}

#[test]
fn sigquit_restores_the_terminal() {
    let pane = Pane::start("quit", "");
    kill(&pane.pid(), "QUIT");
    pane.check_restored("0");
}

#[test]
fn a_signal_mid_action_restores_the_terminal_and_records_interrupted() {
    let pane = Pane::start("hup-mid", "");
    pane.start_drain();
    kill(&pane.pid(), "HUP");
    let after = pane.check_restored("1");
    assert!(after.contains("interrupted"), "{after}");
    assert_eq!(pane.outcomes(), ["started", "interrupted"]);
}

#[test]
fn a_panic_in_an_action_ends_the_dashboard_restores_and_records_interrupted() {
    let pane = Pane::start("panic", "MERIDIAN_TEST_PANIC=action RUST_BACKTRACE=0");
    pane.start_drain();
    let after = pane.check_restored("1");
    assert!(after.contains("a panic forced by a test"), "{after}");
    assert!(
        after.contains("the dashboard stopped after a panic"),
        "{after}"
    );
    assert_eq!(pane.outcomes(), ["started", "interrupted"]);
}

#[test]
fn closing_the_terminal_ends_meridian_and_records_the_action() {
    let pane = Pane::start("gone", "");
    pane.start_drain();
    let pid = pane.pid();
    // The terminal itself goes away, as when an SSH session drops.
    pane.tmux(&["kill-server"]);
    let start = Instant::now();
    while running(&pid) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "meridian kept running without a terminal"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(pane.outcomes(), ["started", "interrupted"]);
}

/// Is the process still running (a zombie waiting to be reaped has ended)?
fn running(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit_once(')')
        .map(|(_, r)| r.trim_start())
        .unwrap_or("");
    !stat.is_empty() && !state.starts_with('Z')
}

/// The first process whose parent is `parent`, from /proc.
fn child_of(parent: &str) -> Option<String> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        if rest.split_whitespace().nth(1) == Some(parent) {
            return Some(name);
        }
    }
    None
}
