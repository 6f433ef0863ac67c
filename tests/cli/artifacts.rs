//! Artifact approval through the real binary: a real process writes a plan file and its
//! text form, meridian keeps it with its sha256, the writer cannot approve it, a second
//! person approves that hash, a changed file and an expired approval are refused at the
//! apply step, and the apply runs only on the approved bytes. People are told apart by
//! `$USER`; the approval's expiry is passed with MERIDIAN_TEST_ROLLOUT_SKEW.

use assert_cmd::Command;
use tempfile::TempDir;

use super::artifact_support::{Out, assert_audited, sha256_hex};

const FLEET: &str = r#"[fleet]
name = "artifacts"

[[regions]]
id = "eastus"
role = "primary"
steady_weight = 70

[[regions]]
id = "westeurope"
role = "secondary"
steady_weight = 30

[[tenants]]
id = "shop-stg"
environment = "stg"
regions = ["eastus", "westeurope"]

[[rollouts]]
id = "infra"
params = ["dir"]
steps = [
  { gate = "command", run = "printf 'plan:%s\\n' \"$(date +%s%N)\" > {dir}/tfplan && printf '+ resource web\\n~ resource lb\\n' > {dir}/tfplan.txt", artifact = { name = "tfplan", path = "{dir}/tfplan", text = "{dir}/tfplan.txt" } },
  { gate = "approval", artifact = "tfplan" },
  { gate = "command", run = "cp {dir}/tfplan {dir}/applied", uses = "tfplan" },
]
"#;

fn run(dir: &TempDir, user: &str, skew: &str, args: &[&str]) -> Out {
    Command::cargo_bin("meridian")
        .unwrap()
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("MERIDIAN_SIM_SPEED", "0")
        .env("MERIDIAN_CONFIG", dir.path().join("fleet.toml"))
        .env("MERIDIAN_TEST_ROLLOUT_SKEW", skew)
        .env("USER", user)
        .env_remove("MERIDIAN_READ_ONLY")
        .args(args)
        .output()
        .unwrap()
        .into()
}

/// Start the rollout and run its first step as alice: the plan is written and kept.
fn planned(dir: &TempDir) -> String {
    std::fs::write(dir.path().join("fleet.toml"), FLEET).unwrap();
    let param = format!("dir={}", dir.path().display());
    let r = run(
        dir,
        "alice",
        "0s",
        &[
            "rollout", "start", "infra", "--param", &param, "--reason", "CHG-7",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let r = run(dir, "alice", "0s", &["rollout", "next"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.out.contains("artifact tfplan sha256"), "{}", r.out);
    let bytes = std::fs::read(dir.path().join("tfplan")).unwrap();
    let hash = sha256_hex(&bytes);
    assert!(r.out.contains(&hash), "the full sha256 is said: {}", r.out);
    // Kept as evidence beside the phase runs'.
    let kept = dir.path().join("state/fleets/artifacts/evidence/artifacts");
    let found = walk(&kept);
    assert!(
        found
            .iter()
            .any(|p| p.ends_with("tfplan") && std::fs::read(p).unwrap() == bytes),
        "{found:?}"
    );
    hash
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_second_person_approves_the_plan_file_and_only_those_bytes_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let hash = planned(&dir);
    let short = &hash[..12];

    // The list shows the artifact's text to read before approving.
    let r = run(&dir, "bob", "0s", &["approve", "--artifact"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains(short) && r.out.contains("| ~ resource lb"),
        "{}",
        r.out
    );

    // Not approved yet: the approval gate waits.
    let r = run(&dir, "alice", "0s", &["rollout", "next"]);
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    assert!(r.err.contains("is not approved"), "{}", r.err);

    // The writer cannot approve their own artifact (refused and audited).
    let r = run(
        &dir,
        "alice",
        "0s",
        &["approve", "--artifact", short, "--yes"],
    );
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    assert!(r.err.contains("cannot approve their own"), "{}", r.err);
    assert!(
        r.err
            .contains(&format!("must run `meridian approve --artifact {short}`")),
        "{}",
        r.err
    );

    // A plan hash is not an artifact, and `rollout approve` points to the artifact's own.
    let r = run(&dir, "bob", "0s", &["rollout", "approve"]);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("meridian approve --artifact"), "{}", r.err);

    let r = run(
        &dir,
        "bob",
        "0s",
        &["approve", "--artifact", short, "--yes"],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.out.contains(&format!("approved {short}")), "{}", r.out);

    let r = run(&dir, "alice", "0s", &["rollout", "next"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.out.contains("approved by bob"), "{}", r.out);

    // Someone re-plans after the approval: the apply refuses the changed bytes.
    let approved = std::fs::read(dir.path().join("tfplan")).unwrap();
    std::fs::write(dir.path().join("tfplan"), b"plan:someone-else\n").unwrap();
    let r = run(&dir, "alice", "0s", &["rollout", "next"]);
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    assert!(r.err.contains("changed since it was written"), "{}", r.err);
    assert!(!dir.path().join("applied").exists(), "nothing was applied");

    // The approved bytes back: the apply runs, on exactly them.
    std::fs::write(dir.path().join("tfplan"), &approved).unwrap();
    let r = run(&dir, "alice", "0s", &["rollout", "next"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.out.contains("applied artifact tfplan"), "{}", r.out);
    assert_eq!(std::fs::read(dir.path().join("applied")).unwrap(), approved);

    // Every step of it is in the audit log.
    assert_audited(&run(&dir, "alice", "0s", &["audit", "--json"]));
}

#[test]
fn an_approval_that_expired_before_the_apply_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hash = planned(&dir);
    let r = run(
        &dir,
        "bob",
        "0s",
        &["approve", "--artifact", &hash, "--yes"],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let r = run(&dir, "alice", "0s", &["rollout", "next"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    // The default expiry is 15 minutes.
    let r = run(&dir, "alice", "20m", &["rollout", "next"]);
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    assert!(r.err.contains("expired"), "{}", r.err);
    assert!(!dir.path().join("applied").exists(), "nothing was applied");
}

/// Only the driver runs a command gate: a partner's `rollout next` on a gate that writes a
/// plan is refused before the command runs (found on the lab: a partner's Enter ran the
/// Terraform plan, recorded an artifact request under their name, then was refused).
#[test]
fn a_command_gate_is_not_run_by_someone_who_does_not_drive() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fleet.toml"), FLEET).unwrap();
    let param = format!("dir={}", dir.path().display());
    let r = run(
        &dir,
        "alice",
        "0s",
        &[
            "rollout", "start", "infra", "--param", &param, "--reason", "CHG-8",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let r = run(&dir, "bob", "0s", &["rollout", "next"]);
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    assert!(
        r.err.contains("only the driver runs its steps"),
        "{}",
        r.err
    );
    assert!(!dir.path().join("tfplan").exists(), "the plan was not run");
    let r = run(&dir, "bob", "0s", &["approve", "--artifact"]);
    assert!(!r.out.contains("tfplan"), "no artifact waits: {}", r.out);
    // The driver's own run goes ahead.
    let r = run(&dir, "alice", "0s", &["rollout", "next"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(dir.path().join("tfplan").exists());
}
