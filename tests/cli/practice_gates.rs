//! A practice never runs a gate's command, an artifact's apply or a phase's shell step:
//! through the real binary, a template whose command gate, artifact gates and shell phase
//! step would each create a file is rehearsed end to end, and none of those files exists
//! afterwards. Each gate not run is passed by the driver (`--yes`), says
//! "PRACTICE: not run", and is listed as an exception, so the practice ends
//! `succeeded with exceptions`; the artifact's approval is still rehearsed by two people
//! on a practice artifact marked as such.

use std::path::Path;

use serde_json::Value;

use crate::rollout::{Run, Sandbox};

fn fleet(dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"[fleet]
name = "practice-gates"

[runner]
provider = "shell"
workdir = "{d}"

[[regions]]
id = "r1"
role = "primary"
steady_weight = 1

[[phases]]
id = "build"
steps = [{{ name = "touch", run = "touch {d}/phase-ran" }}]

[[rollouts]]
id = "rehearse"
steps = [
  {{ gate = "command", run = "touch {d}/gate-ran" }},
  {{ gate = "command", run = "touch {d}/tfplan", artifact = {{ name = "tfplan", path = "{d}/tfplan" }} }},
  {{ gate = "approval", artifact = "tfplan" }},
  {{ gate = "command", run = "touch {d}/applied", uses = "tfplan" }},
  {{ phase = "build", region = "r1" }},
]
"#
    )
}

fn run(s: &Sandbox, user: &str, args: &[&str]) -> Run {
    let config = s.dir.path().join("fleet.toml");
    let mut all = vec!["--config", config.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    s.run_as(user, "0s", &all)
}

#[test]
fn a_practice_runs_no_gate_command_no_apply_and_no_shell_step_and_says_why() {
    let s = Sandbox::new();
    let d = s.dir.path();
    std::fs::write(d.join("fleet.toml"), fleet(d)).expect("fleet");
    let made = ["gate-ran", "tfplan", "applied", "phase-ran"];
    let none_made = || {
        for f in made {
            assert!(!d.join(f).exists(), "{f} was created by a practice");
        }
    };

    let r = run(
        &s,
        "alice",
        &[
            "rollout",
            "start",
            "rehearse",
            "--practice",
            "--reason",
            "DRILL-9",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);

    // The command gate is shown as not run, and passes only when the driver says so.
    let r = run(&s, "alice", &["rollout", "next", "--practice"]);
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    assert!(
        r.err.contains(&format!(
            "PRACTICE: not run: `touch {}/gate-ran`",
            d.display()
        )),
        "{}",
        r.err
    );
    assert!(r.err.contains("rollout next --practice --yes"), "{}", r.err);
    none_made();
    let r = run(&s, "alice", &["rollout", "next", "--practice", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.out.contains("met: PRACTICE: not run"), "{}", r.out);

    // The artifact-writing gate writes a practice artifact, kept for approval.
    let r = run(&s, "alice", &["rollout", "next", "--practice", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.out.contains("artifact tfplan sha256"), "{}", r.out);
    none_made();
    let hash = r
        .out
        .split("approves it with `meridian approve --artifact ")
        .nth(1)
        .and_then(|t| t.split('`').next())
        .expect("the hash to approve")
        .to_string();
    // The writer cannot approve it; a second person can.
    let r = run(
        &s,
        "alice",
        &["approve", "--artifact", &hash, "--practice", "--yes"],
    );
    assert_ne!(r.code, 0, "{}{}", r.out, r.err);
    let r = run(
        &s,
        "bob",
        &["approve", "--artifact", &hash, "--practice", "--yes"],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let r = run(&s, "alice", &["rollout", "next", "--practice", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    // The apply checks the approval and applies nothing.
    let r = run(&s, "alice", &["rollout", "next", "--practice", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(
        r.out.contains("PRACTICE: not applied artifact tfplan"),
        "{}",
        r.out
    );
    // The shell phase step runs on the simulator.
    let r = run(&s, "alice", &["rollout", "next", "--practice", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    none_made();

    let r = run(&s, "alice", &["rollout", "status", "--practice", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let doc: Value = serde_json::from_str(&r.out).expect("json");
    assert_eq!(doc["outcome_text"], "succeeded with exceptions", "{doc:#}");
    let exceptions = doc["rollout"]["exceptions"].as_array().expect("exceptions");
    let steps: Vec<u64> = exceptions
        .iter()
        .filter(|e| e["kind"] == "not-run-in-practice")
        .map(|e| e["step"].as_u64().expect("step"))
        .collect();
    assert_eq!(steps, [0, 1, 3], "{doc:#}");
    assert!(
        exceptions.iter().all(|e| e["why"]
            .as_str()
            .is_some_and(|w| w.starts_with("PRACTICE: not run: "))),
        "{doc:#}"
    );
    // The practice artifact says what it is.
    let kept = std::fs::read_to_string(
        d.join("state/fleets/practice-gates/practice/practice-artifacts")
            .read_dir()
            .expect("practice artifacts")
            .next()
            .expect("a rollout")
            .expect("entry")
            .path()
            .join("2-tfplan/tfplan"),
    )
    .expect("the practice artifact");
    assert!(kept.starts_with("PRACTICE ARTIFACT (not real)"), "{kept}");
    none_made();
}
