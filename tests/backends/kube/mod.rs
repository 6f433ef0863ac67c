//! End to end with the real binary against the Kubernetes API stand-in
//! (tests/servers/kube_standin) with one cluster per region: Argo CD apps, history and Helm
//! revisions in `status`; rollback, sync and resume-auto-sync with their guards; failing
//! and hanging operations; a stopped or black-holed region; two processes racing for the
//! Lease; Helm rollbacks with the real Helm SDK; and the live watch in-process.
//!
//! In CI a missing python3 (or Helm SDK, for the Helm tests) fails these tests; elsewhere
//! they print SKIPPED.

mod actions;
mod faults;
mod freeze;
mod helm;
mod helm_deploy;
mod helm_render;
mod hooks;
mod identity;
mod lease;
mod read;
mod shared;
mod watch;

use std::path::PathBuf;
use std::process::Output;

use crate::support::kube::{self, KubeStandin};
use serde_json::Value;

pub const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// Three revisions, oldest first.
pub const REVS: [&str; 3] = [
    "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "3333333ccccccccccccccccccccccccccccccccc",
];

/// What a test's fleet file says beyond the regions.
pub struct Opts<'a> {
    /// Extra keys of `[gitops]` (e.g. `sync_timeout = "2s"`).
    pub gitops: &'a str,
    /// `[lock]` table body, or "" for the lock file.
    pub lock: &'a str,
    /// The `[[tenants]]` tables.
    pub tenants: &'a str,
}

impl Default for Opts<'_> {
    fn default() -> Self {
        Opts {
            gitops: "",
            lock: "",
            tenants: CHECKOUT,
        }
    }
}

/// A tenant `checkout` with apps `checkout-REGION` in both regions.
pub const CHECKOUT: &str = r#"
[[tenants]]
id = "checkout"
environment = "prd"
regions = ["us-east-1", "eu-west-1"]
"#;

/// A running stand-in, a fleet file for it and a state directory.
pub struct Env {
    pub k: KubeStandin,
    pub dir: tempfile::TempDir,
    pub fleet: PathBuf,
}

impl Env {
    /// None (after SKIPPED) when python3 is missing outside CI.
    pub fn start(opts: Opts) -> Option<Env> {
        let k = kube::start(&REGIONS, &[])?;
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet = dir.path().join("fleet.toml");
        let kc = k.kubeconfig.display().to_string();
        let mut text = format!(
            "[fleet]\nname = \"kube-e2e\"\n[gitops]\nprovider = \"argocd\"\ntimeout = \"2s\"\n{}\n",
            opts.gitops
        );
        if !opts.lock.is_empty() {
            text += &format!("[lock]\n{}\n", opts.lock);
        }
        for (i, r) in REGIONS.iter().enumerate() {
            let role = if i == 0 { "primary" } else { "secondary" };
            text += &format!(
                "[[regions]]\nid = \"{r}\"\nrole = \"{role}\"\nsteady_weight = 50\ncluster = {{ context = \"{r}\", kubeconfig = \"{kc}\" }}\n"
            );
        }
        text += opts.tenants;
        std::fs::write(&fleet, text).expect("fleet file");
        Some(Env { k, dir, fleet })
    }

    /// Run meridian on this fleet (`--sim-speed 0` keeps the simulated parts still).
    pub fn run(&self, args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_meridian"))
            .arg("-c")
            .arg(&self.fleet)
            .args(["--sim-speed", "0"])
            .args(args)
            .env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("MERIDIAN_KUBE_VENV", kube::kube_venv())
            .env("HOME", self.dir.path())
            .env_remove("KUBECONFIG")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run meridian")
    }

    /// `status --json`.
    pub fn status(&self) -> Value {
        self.status_with(&[])
    }

    /// `status --json` with extra flags (such as `--history`).
    pub fn status_with(&self, extra: &[&str]) -> Value {
        let mut args = vec!["status", "--json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("status JSON: {e}: {}", text(&out)))
    }

    /// The audit log's records.
    pub fn audit(&self) -> Vec<Value> {
        let out = self.run(&["audit", "--json"]);
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap_or_default()
    }
}

/// The status cell of a tenant in a region.
pub fn cell<'a>(status: &'a Value, tenant: &str, region: &str) -> &'a Value {
    status["tenants"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["id"] == tenant))
        .and_then(|t| t["regions"].as_array())
        .and_then(|rs| rs.iter().find(|c| c["region"] == region))
        .unwrap_or_else(|| panic!("no cell {tenant}/{region} in {status}"))
}

/// stdout and stderr, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
