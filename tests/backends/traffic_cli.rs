//! End to end with the real binary against the vendor stand-ins on 127.0.0.1: seed 002's
//! Traffic Manager shift (90/10 then back to 70/30), every endpoint disabled refused, a
//! Cloudflare drain and restore like seeds 000/001, throttling retried, drift reported; and
//! shares (`90%`) on the command line shown in units and effective shares.

use crate::support::standin::Standin;
use assert_cmd::Command;
use serde_json::{Value, json};

/// The real binary on a fleet file of its own, with a state directory of its own.
pub(crate) struct Run {
    pub(crate) dir: tempfile::TempDir,
    fleet: std::path::PathBuf,
    env: Vec<(&'static str, &'static str)>,
}

impl Run {
    pub(crate) fn new(fleet_text: String, env: Vec<(&'static str, &'static str)>) -> Run {
        let dir = tempfile::tempdir().expect("tmp");
        let fleet = dir.path().join("fleet.toml");
        std::fs::write(&fleet, fleet_text).expect("fleet file");
        Run { dir, fleet, env }
    }

    pub(crate) fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut c = Command::cargo_bin("meridian").expect("binary");
        c.env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env_remove("MERIDIAN_READ_ONLY")
            .envs(self.env.iter().copied())
            .arg("-c")
            .arg(&self.fleet)
            .args(args);
        let out = c.output().expect("run meridian");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub(crate) fn status(&self) -> Value {
        let (code, out, err) = self.run(&["status", "--json"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).expect("json")
    }
}

pub(crate) fn region<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["regions"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["id"] == id))
        .unwrap_or(&Value::Null)
}

fn azure_endpoint(az: &Standin, name: &str) -> Value {
    let state = az.control_tls("GET", "state", &json!({}));
    state["profiles"][0]["properties"]["endpoints"]
        .as_array()
        .and_then(|eps| eps.iter().find(|e| e["name"] == name).cloned())
        .unwrap_or(Value::Null)
}

#[test]
fn seed_002_deploy_shift_90_10_then_restore_70_30() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let run = Run::new(
        crate::support::azure::fleet_toml(&az, "")
            + "[policy]\nhealth_gate = \"0s\"\nproduction_environments = []\n",
        crate::support::azure::env(),
    );
    let s = run.status();
    assert_eq!(region(&s, "eastus")["weight"], 70);
    assert_eq!(region(&s, "westeurope")["health"], "healthy");
    let (code, _, err) = run.run(&["weights", "eastus=90%", "westeurope=10%", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("eastus weight: 70 (70%) -> 900 (90%)"),
        "units and shares:\n{err}"
    );
    assert!(
        err.contains("one PATCH of profile app-tm"),
        "the provider's words:\n{err}"
    );
    assert!(
        err.contains("weights are 1..1000 and cannot be 0"),
        "the rules:\n{err}"
    );
    assert_eq!(azure_endpoint(&az, "eastus")["properties"]["weight"], 900);
    assert_eq!(
        azure_endpoint(&az, "westeurope")["properties"]["weight"],
        100
    );
    let (code, _, err) = run.run(&["restore", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(azure_endpoint(&az, "eastus")["properties"]["weight"], 70);
    assert_eq!(
        azure_endpoint(&az, "westeurope")["properties"]["weight"],
        30
    );
}

#[test]
fn azure_drain_disables_restore_enables_and_all_disabled_is_refused() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let run = Run::new(
        crate::support::azure::fleet_toml(&az, "")
            + "[policy]\nhealth_gate = \"0s\"\nproduction_environments = []\n",
        crate::support::azure::env(),
    );
    let (code, _, err) = run.run(&["drain", "westeurope", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("westeurope weight: 30 (30%) -> disabled (30) (0%)"),
        "{err}"
    );
    assert_eq!(
        azure_endpoint(&az, "westeurope")["properties"]["endpointStatus"],
        "Disabled"
    );
    let s = run.status();
    assert_eq!(region(&s, "westeurope")["drained"], true);
    assert_eq!(region(&s, "westeurope")["weight_text"], "disabled (30)");
    // Draining the other one too would make the profile Inactive: refused, nothing sent.
    let (code, _, err) = run.run(&["weights", "eastus=0", "--yes"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("Inactive"), "{err}");
    assert_eq!(
        azure_endpoint(&az, "eastus")["properties"]["endpointStatus"],
        "Enabled"
    );
    let (code, _, err) = run.run(&["restore", "westeurope", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        azure_endpoint(&az, "westeurope")["properties"]["endpointStatus"],
        "Enabled"
    );
}

#[test]
fn azure_drift_behind_meridians_back_fails_the_change_as_unverified() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let run = Run::new(
        crate::support::azure::fleet_toml(&az, "")
            + "[policy]\nhealth_gate = \"0s\"\nproduction_environments = []\n",
        crate::support::azure::env(),
    );
    az.control_tls(
        "POST",
        "drift_after_write",
        &json!({"path": "endpoints/app-tm/eastus", "body": {"weight": 640}}),
    );
    let (code, _, err) = run.run(&["weights", "eastus=80", "--yes"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("eastus reads 640, expected 80"), "{err}");
}

#[test]
fn cloudflare_drain_and_restore_like_seeds_000_001_with_throttling() {
    let Some(cf) = crate::support::cloudflare::start(&[]) else {
        return;
    };
    let text = crate::support::cloudflare::fleet_toml(
        &cf,
        &["api.aragora.example", "ws.aragora.example"],
        "",
    ) + "[policy]\nhealth_gate = \"0s\"\nproduction_environments = []\n";
    let run = Run::new(
        text,
        vec![(
            crate::support::cloudflare::TOKEN_ENV,
            crate::support::cloudflare::TOKEN,
        )],
    );
    let s = run.status();
    assert_eq!(region(&s, "us-east-2")["weight_text"], "0.50");
    cf.control("POST", "throttle", &json!({"count": 2, "retry_after": 1}));
    let (code, _, err) = run.run(&["drain", "us-east-2", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("us-east-2 weight: 0.50 (50%) -> 0.00 (0%)"),
        "{err}"
    );
    assert!(err.contains("NOT atomic: 2 load balancers"), "{err}");
    let reqs = cf.control("GET", "requests", &json!({}));
    assert!(
        reqs["requests"].as_array().map_or(0, |r| r.len()) > 2,
        "the 429s were retried"
    );
    assert!(
        !err.contains(crate::support::cloudflare::TOKEN),
        "the token never shows"
    );
    let s = run.status();
    assert_eq!(region(&s, "us-east-2")["weight"], 0);
    // eu-west-1 to 75% while ap-south-1 keeps 0.20: 0.60 against 0.20.
    let (code, _, err) = run.run(&["weights", "eu-west-1=75%", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("eu-west-1 weight: 0.30 (60%) -> 0.60 (75%)"),
        "{err}"
    );
    let (code, _, err) = run.run(&["restore", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let s = run.status();
    assert_eq!(region(&s, "us-east-2")["weight"], 50);
    // Pool health reaches region health.
    cf.control(
        "POST",
        "pools/ap-south-1/health",
        &json!({"healthy": false}),
    );
    let s = run.status();
    assert_eq!(region(&s, "ap-south-1")["health"], "down");
}

#[test]
fn shares_on_the_command_line_show_units_and_effective_shares() {
    // The demo fleet (simulated Route 53-style weights 50/30/20/0): 60% for us-east-1 against
    // the 50 the others keep is 75.
    let run = Run::new(String::new(), Vec::new());
    let demo = |args: &[&str]| {
        let mut all = vec!["--demo"];
        all.extend_from_slice(args);
        let mut c = Command::cargo_bin("meridian").expect("binary");
        c.env("MERIDIAN_STATE_DIR", run.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", run.dir.path().join("config"))
            .env_remove("MERIDIAN_READ_ONLY")
            .args(&all);
        let out = c.output().expect("run meridian");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = demo(&["weights", "us-east-1=60%", "--reason", "x", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("us-east-1 weight: 50 (50%) -> 75 (60%)"),
        "{err}"
    );
    let (code, err) = demo(&["weights", "us-east-1=150%", "--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the share is not a percentage 0%..=100%"),
        "{err}"
    );
    // 90% would need 450, over the 255 Route 53 allows: refused with the weight it needs.
    let (code, err) = demo(&["weights", "us-east-1=90%", "--reason", "x", "--dry-run"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("us-east-1=90% (weight 450)"), "{err}");
}
