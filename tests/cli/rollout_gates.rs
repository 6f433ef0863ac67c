//! Rollout gates and parameters from a fleet file of our own, through the real binary:
//! a command gate waits until its command exits 0, a wait gate counts down, a parameter
//! reaches the step that uses it.

use assert_cmd::Command;
use tempfile::TempDir;

const FLEET: &str = r#"[fleet]
name = "gates"

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
id = "drill"
params = ["flag"]
steps = [
  { gate = "command", run = ["test", "-f", "{flag}"] },
  { gate = "wait", for = "10m" },
  { drain = "westeurope" },
  { restore = "all" },
]
"#;

fn run(dir: &TempDir, skew: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("meridian")
        .unwrap()
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("MERIDIAN_SIM_SPEED", "0")
        .env("MERIDIAN_CONFIG", dir.path().join("fleet.toml"))
        .env("MERIDIAN_TEST_ROLLOUT_SKEW", skew)
        .env_remove("MERIDIAN_READ_ONLY")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_command_gate_waits_for_exit_0_and_a_wait_gate_counts_down() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fleet.toml"), FLEET).unwrap();
    let flag = dir.path().join("go");
    let flag = flag.to_str().unwrap();
    let (code, _, err) = run(
        &dir,
        "0s",
        &["rollout", "start", "drill", "--reason", "DRILL-1"],
    );
    assert_eq!(code, 2, "the parameter is required: {err}");
    assert!(err.contains("needs --param flag=VALUE"), "{err}");
    let param = format!("flag={flag}");
    let (code, out, err) = run(
        &dir,
        "0s",
        &[
            "rollout", "start", "drill", "--param", &param, "--reason", "DRILL-1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("command test -f {flag}")), "{out}");
    let (code, _, err) = run(&dir, "0s", &["rollout", "next"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("to exit 0 (it exited 1"), "{err}");
    std::fs::write(flag, "").unwrap();
    let (code, out, err) = run(&dir, "0s", &["rollout", "next"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("met: "), "{out}");
    let (code, _, err) = run(&dir, "4m", &["rollout", "next"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("waiting: 4m of 10m passed ("), "{err}");
    let (code, out, err) = run(&dir, "10m", &["rollout", "next"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("step 2 (wait 10m) met"), "{out}");
    let (code, _, err) = run(&dir, "10m", &["rollout", "next", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&dir, "10m", &["rollout", "next", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&dir, "10m", &["rollout", "status", "--json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["rollout"]["status"], "done");
    assert_eq!(doc["steps"][2]["label"], "drain westeurope");
}
