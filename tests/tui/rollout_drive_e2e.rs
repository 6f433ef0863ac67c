//! A pair drives a rollout from start to finish in the dashboard alone, under tmux, with the
//! real binary on the demo fleet: alice starts release-to with its region parameter (a
//! wrong region is refused in the form), a sync fails on a demo fault and is retried, she
//! pauses and resumes, bob takes over from his own dashboard and skips the health gate
//! with a comment, alice approves the skip (it touches production), carol approves the
//! last gate, and everyone sees `succeeded with exceptions`. The audit log holds each
//! step as the person who did it.

use std::path::Path;
use std::process::Command;

use crate::support::tmux::Tmux;

struct Pair {
    state: std::path::PathBuf,
    config: std::path::PathBuf,
}

impl Pair {
    /// A dashboard of `user` on the shared state directory.
    fn dashboard(&self, user: &str) -> Tmux {
        let bin = env!("CARGO_BIN_EXE_meridian");
        let cmd = format!(
            "env USER={user} MERIDIAN_STATE_DIR='{}' MERIDIAN_SIM_SPEED=5 XDG_CONFIG_HOME='{}' TERM=xterm-256color '{bin}'; echo MERIDIAN_EXIT=$?; sleep 30",
            self.state.display(),
            self.config.display()
        );
        let t = Tmux::start(&format!("drive-{user}"), &cmd);
        t.run(&["resize-window", "-t", "e2e", "-x", "120", "-y", "40"]);
        t.wait_for("● live", 30);
        t
    }

    /// `meridian demo fault us-east-1 KIND`, as a person would from another terminal.
    fn fault(&self, kind: &str) {
        let out = Command::new(env!("CARGO_BIN_EXE_meridian"))
            .args(["demo", "fault", "us-east-1", kind])
            .env("MERIDIAN_STATE_DIR", &self.state)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("USER", "alice")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
}

/// Plan the rollout's step `n` (a sync of `tenant`) from the pane and confirm it in the
/// modal: acknowledge the warnings and type the tenant's name where the plan asks. Returns
/// how it ended, as the audit log records it.
fn run_step(t: &Tmux, audit_log: &Path, n: usize, tenant: &str) -> String {
    t.keys(&["o"]);
    // The pane shows the step as the next one (the rollout is re-read each second).
    t.wait_for(&format!("▶ {n} pending sync {tenant}"), 15);
    let before = audit(audit_log).len();
    t.keys(&["Enter"]);
    // The whole modal: its last line is the typed name, or the buttons.
    let modal = wait_any(t, &["to confirm:", "[ No ]"]);
    assert!(
        modal.contains(&format!("Sync {tenant} in us-east-1")),
        "{modal}"
    );
    let ack = modal.contains("I have read the warnings");
    if modal.contains("to confirm:") {
        t.literal(tenant);
        if ack {
            t.keys(&["BTab", "Space", "Tab"]);
        }
        t.keys(&["Tab"]);
    } else if ack {
        t.keys(&["BTab", "Space", "Tab"]);
    }
    t.keys(&["y"]);
    for _ in 0..600 {
        let ended = audit(audit_log)
            .into_iter()
            .skip(before)
            .find(|r| r["action"] == "sync" && r["target"] == tenant && r["outcome"] != "started");
        if let Some(r) = ended {
            let outcome = r["outcome"].as_str().unwrap_or_default().to_string();
            t.wait_for(&format!("Sync {tenant} in us-east-1: {outcome}"), 10);
            return outcome;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no outcome for sync {tenant}:\n{}", t.screen());
}

/// The screen once it shows one of `needles`.
fn wait_any(t: &Tmux, needles: &[&str]) -> String {
    for _ in 0..150 {
        let s = t.screen();
        if needles.iter().any(|n| s.contains(n)) {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("none of {needles:?} on screen:\n{}", t.screen());
}

/// A step that must succeed: a plan made just before a reading changed is refused by the
/// executor's re-check ("conditions changed"), and is simply planned again.
fn step_succeeds(t: &Tmux, audit_log: &Path, n: usize, tenant: &str) {
    for _ in 0..5 {
        match run_step(t, audit_log, n, tenant).as_str() {
            "succeeded" => return,
            "refused" => continue,
            other => panic!("sync {tenant} {other}:\n{}", t.screen()),
        }
    }
    panic!("sync {tenant} refused five times:\n{}", t.screen());
}

fn audit(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn a_pair_drives_a_rollout_from_start_to_succeeded_with_exceptions_in_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let pair = Pair {
        state: dir.path().join("state"),
        config: dir.path().join("config"),
    };
    let log = pair.state.join("fleets/demo/audit.jsonl");
    let alice = pair.dashboard("alice");

    // Start release-to with its parameter: a wrong region is refused as the CLI refuses it.
    alice.keys(&["o", "n", "Down", "Down", "Enter"]);
    alice.wait_for("Start rollout release-to", 10);
    alice.literal("us-east");
    alice.wait_for("\"us-east\" is not a region of fleet demo", 10);
    // (tmux would read a literal "-1" as an option: type the region again.)
    alice.keys(&["BSpace"; 7]);
    alice.literal("us-east-1");
    alice.keys(&["Tab"]);
    alice.literal("CHG-E2E");
    let form = alice.wait_for("The rollout (5 steps):", 10);
    assert!(
        form.contains("1 sync storefront-prd in us-east-1  (production)"),
        "{form}"
    );
    alice.keys(&["Tab", "Enter"]);
    alice.wait_for("Rollout Release to one region · in progress", 10);
    alice.wait_for("driven by alice@", 10);

    // A sync fails on a demo fault (the failed migration hook), and is retried once the
    // fault is cleared.
    pair.fault("hook");
    let mut failed = false;
    for _ in 0..5 {
        match run_step(&alice, &log, 1, "storefront-prd").as_str() {
            "failed" => {
                failed = true;
                break;
            }
            // Planned from a reading just before auto-sync met the fault: plan again.
            "refused" => continue,
            other => panic!("the sync {other} despite the hook fault"),
        }
    }
    assert!(failed, "{}", alice.screen());
    alice.keys(&["o"]);
    alice.wait_for("failed at step 1", 10);
    pair.fault("clear");
    alice.keys(&["r"]);
    alice.wait_for("will be tried again", 10);
    alice.wait_for("▶ 1 pending sync storefront-prd", 10);
    alice.keys(&["Escape"]);
    step_succeeds(&alice, &log, 1, "storefront-prd");
    step_succeeds(&alice, &log, 2, "payments-prd");
    step_succeeds(&alice, &log, 3, "search-stg");

    // Pause with a reason (everyone sees it), resume.
    alice.keys(&["o", "p"]);
    alice.wait_for("Pause the rollout", 10);
    alice.literal("CDN incident");
    alice.keys(&["Enter"]);
    alice.wait_for("PAUSED by alice@", 10);
    alice.keys(&["u"]);
    alice.wait_for("Resume the rollout", 10);
    alice.literal("CDN fixed");
    alice.keys(&["Enter"]);
    alice.wait_for("resumed by alice@", 10);

    // Bob takes over from his own dashboard and skips the health gate with a comment; it
    // touches production, so it waits for a second person.
    let bob = pair.dashboard("bob");
    bob.keys(&["o"]);
    bob.wait_for("driven by alice@", 10);
    bob.keys(&["t"]);
    bob.wait_for("Take over driving from alice@", 10);
    bob.literal("alice off shift");
    bob.keys(&["Enter"]);
    bob.wait_for("driven by bob@", 10);
    bob.keys(&["s"]);
    bob.wait_for("Skip step 4 (us-east-1 healthy 15m)", 10);
    bob.literal("green for 10m on the dashboards");
    bob.keys(&["Enter"]);
    bob.wait_for("skip of step 4 asked by bob@", 10);
    drop(bob);

    // Alice sees who drives and approves the skip in her pane.
    alice.wait_for("driven by bob@", 10);
    alice.wait_for("approve the skip", 10);
    alice.keys(&["Enter"]);
    alice.wait_for("exception: step 4", 10);

    // Carol, neither the starter nor the driver, approves the last gate.
    let carol = pair.dashboard("carol");
    carol.keys(&["o", "Enter"]);
    let end = carol.wait_for("succeeded with exceptions", 10);
    assert!(end.contains("skipped by bob@"), "{end}");
    drop(carol);
    alice.wait_for("succeeded with exceptions", 10);

    let records = audit(&log);
    let by = |action: &str| -> Vec<String> {
        records
            .iter()
            .filter(|r| r["action"] == action)
            .map(|r| {
                format!(
                    "{} {} {}",
                    r["user"].as_str().unwrap_or_default(),
                    r["outcome"].as_str().unwrap_or_default(),
                    r["detail"].as_str().unwrap_or_default()
                )
            })
            .collect()
    };
    let start = by("rollout-start");
    assert!(
        start.len() == 1 && start[0].starts_with("alice@"),
        "{start:?}"
    );
    assert!(
        by("rollout-take")
            .iter()
            .any(|l| l.starts_with("bob@") && l.contains("alice off shift")),
        "{:?}",
        by("rollout-take")
    );
    assert!(
        by("rollout-skip")
            .iter()
            .any(|l| l.starts_with("bob@") && l.contains("waits for a second person")),
        "{:?}",
        by("rollout-skip")
    );
    let approvals = by("rollout-approve");
    assert!(
        approvals
            .iter()
            .any(|l| l.starts_with("alice@") && l.contains("approved by alice@")),
        "{approvals:?}"
    );
    assert!(
        approvals.iter().any(|l| l.starts_with("carol@")),
        "{approvals:?}"
    );
    assert!(
        by("rollout-pause")
            .iter()
            .any(|l| l.contains("CDN incident")),
        "{:?}",
        by("rollout-pause")
    );
    assert!(
        by("rollout-retry").iter().any(|l| l.starts_with("alice@")),
        "{:?}",
        by("rollout-retry")
    );
}
