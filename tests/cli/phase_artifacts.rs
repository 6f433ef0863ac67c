//! A phase step's artifact through the real binary, on the shell runner: a real process
//! writes a plan file and its text form, meridian keeps it with its sha256 and asks for its
//! approval; the later step that `uses` it is refused unapproved, refused to the writer
//! who approves their own, refused on changed bytes and on an expired approval, and runs
//! only on the approved bytes. People are told apart by `$USER`; the approval's expiry is
//! passed with MERIDIAN_TEST_ROLLOUT_SKEW (the clock artifacts share with rollouts).

use assert_cmd::Command;
use tempfile::TempDir;

use super::artifact_support::{Out, assert_audited, sha256_hex};

const FLEET: &str = r#"[fleet]
name = "phase-artifacts"

[runner]
provider = "shell"
workdir = "work"
environment = "tst"

[[regions]]
id = "r1"
cloud_region = "xx-central-1"
role = "primary"
steady_weight = 1

[[phases]]
id = "plan"
steps = [
  { name = "plan", run = "printf 'plan:%s {region}\\n' \"$(date +%s%N)\" > tfplan && printf '+ resource web\\n~ resource lb\\n' > tfplan.txt", artifact = { name = "tfplan", path = "tfplan", text = "tfplan.txt" } },
]

[[phases]]
id = "apply"
steps = [{ name = "apply", run = "cp tfplan applied", uses = "tfplan" }]
"#;

fn run(dir: &TempDir, user: &str, skew: &str, args: &[&str]) -> Out {
    Command::cargo_bin("meridian")
        .unwrap()
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("MERIDIAN_CONFIG", dir.path().join("fleet.toml"))
        .env("MERIDIAN_TEST_ROLLOUT_SKEW", skew)
        .env("USER", user)
        .args(args)
        .output()
        .unwrap()
        .into()
}

fn work(dir: &TempDir, file: &str) -> std::path::PathBuf {
    dir.path().join("work").join(file)
}

/// Alice runs the plan phase: its step writes the plan, meridian keeps it. Its sha256.
fn planned(dir: &TempDir) -> String {
    std::fs::write(dir.path().join("fleet.toml"), FLEET).unwrap();
    std::fs::create_dir_all(dir.path().join("work")).unwrap();
    let r = run(dir, "alice", "0s", &["phase", "run", "r1", "plan", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let bytes = std::fs::read(work(dir, "tfplan")).unwrap();
    let hash = sha256_hex(&bytes);
    let said = format!("{}{}", r.out, r.err);
    assert!(
        said.contains(&format!("artifact tfplan sha256 {hash}")),
        "{said}"
    );
    assert!(said.contains("meridian approve --artifact"), "{said}");
    // Kept as evidence, bytes and text form, under the region and phase.
    let kept = dir
        .path()
        .join("state/fleets/phase-artifacts/evidence/artifacts/phases_r1/plan/1-tfplan");
    assert_eq!(std::fs::read(kept.join("tfplan")).unwrap(), bytes);
    assert!(
        std::fs::read_to_string(kept.join("text.txt"))
            .unwrap()
            .contains("~ resource lb")
    );
    hash
}

fn apply(dir: &TempDir, user: &str, skew: &str) -> Out {
    run(dir, user, skew, &["phase", "run", "r1", "apply", "--yes"])
}

#[test]
fn a_later_phase_step_applies_only_the_approved_unchanged_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let hash = planned(&dir);
    let short = &hash[..12];

    // Not approved: the apply step is refused and nothing runs.
    let r = apply(&dir, "alice", "0s");
    assert_ne!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.err.contains("is not approved"), "{}", r.err);
    assert!(!work(&dir, "applied").exists(), "nothing was applied");

    // The approver reads the text form, and the writer cannot approve their own.
    let r = run(&dir, "bob", "0s", &["approve", "--artifact"]);
    assert!(r.out.contains("~ resource lb"), "{}{}", r.out, r.err);
    let r = run(
        &dir,
        "alice",
        "0s",
        &["approve", "--artifact", short, "--yes"],
    );
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    assert!(
        r.err
            .contains(&format!("must run `meridian approve --artifact {short}`")),
        "{}",
        r.err
    );

    let r = run(
        &dir,
        "bob",
        "0s",
        &["approve", "--artifact", short, "--yes"],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);

    // Someone re-plans after the approval: the apply refuses the changed bytes.
    let approved = std::fs::read(work(&dir, "tfplan")).unwrap();
    std::fs::write(work(&dir, "tfplan"), b"plan:someone-else\n").unwrap();
    let r = apply(&dir, "alice", "0s");
    assert_ne!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.err.contains("changed since it was written"), "{}", r.err);
    assert!(!work(&dir, "applied").exists(), "nothing was applied");

    // The approved bytes back: the apply runs, on exactly them, and spends the approval.
    std::fs::write(work(&dir, "tfplan"), &approved).unwrap();
    let r = apply(&dir, "alice", "0s");
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let said = format!("{}{}", r.out, r.err);
    assert!(said.contains("applied artifact tfplan"), "{said}");
    assert!(said.contains("approved by bob"), "{said}");
    assert_eq!(std::fs::read(work(&dir, "applied")).unwrap(), approved);
    std::fs::remove_file(work(&dir, "applied")).unwrap();
    let r = apply(&dir, "alice", "0s");
    assert_ne!(
        r.code, 0,
        "a spent approval applies once: {}{}",
        r.out, r.err
    );
    assert!(!work(&dir, "applied").exists());

    assert_audited(&run(&dir, "alice", "0s", &["audit", "--json"]));
}

#[test]
fn a_phase_step_refuses_an_approval_that_expired() {
    let dir = tempfile::tempdir().unwrap();
    let hash = planned(&dir);
    let r = run(
        &dir,
        "bob",
        "0s",
        &["approve", "--artifact", &hash, "--yes"],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    // The default expiry is 15 minutes.
    let r = apply(&dir, "alice", "20m");
    assert_ne!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.err.contains("expired"), "{}", r.err);
    assert!(!work(&dir, "applied").exists(), "nothing was applied");
}

#[test]
fn a_step_using_an_artifact_no_earlier_step_declares_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = FLEET.replace("uses = \"tfplan\"", "uses = \"tfplna\"");
    std::fs::write(dir.path().join("fleet.toml"), fleet).unwrap();
    let r = run(&dir, "alice", "0s", &["config", "check"]);
    assert_ne!(r.code, 0, "{}{}", r.out, r.err);
    assert!(
        r.err
            .contains("no earlier phase step declares artifact \"tfplna\""),
        "{}",
        r.err
    );
}
