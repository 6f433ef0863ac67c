//! What a Helm deploy would change, before it runs: the release's deployed manifest (`helm
//! get manifest NAME`) against the new render (`helm template NAME CHART` with the deploy's
//! `--version`, `--set` and `--values`), compared object by object (`manifest_diff`). Both
//! through the real `helm` command, each bounded by a deadline. A release that does not exist
//! yet has an empty manifest: everything is added.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use meridian_model::fleet::Tenant;
use tokio::process::Command;

use super::client::Target;
use super::manifest_diff::{self, ManifestDiff};
use crate::{ErrorKind, ProviderError, ProviderResult};

/// How long one `helm get manifest` or `helm template` may take.
const DEADLINE: Duration = Duration::from_secs(60);

/// What a deploy asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployChart {
    /// A chart path, `repo/chart` or an OCI reference.
    pub chart: String,
    pub version: Option<String>,
    /// `--set KEY=VALUE`, in order.
    pub set: Vec<(String, String)>,
    /// `--values FILE`, in order.
    pub values: Vec<PathBuf>,
}

impl DeployChart {
    /// `--version V --set K=V... --values F...` as helm takes them.
    pub fn flags(&self) -> Vec<String> {
        let mut a = Vec::new();
        if let Some(v) = &self.version {
            a.extend(["--version".to_string(), v.clone()]);
        }
        for (k, v) in &self.set {
            a.extend(["--set".to_string(), format!("{k}={v}")]);
        }
        for f in &self.values {
            a.extend(["--values".to_string(), f.display().to_string()]);
        }
        a
    }
}

/// The deployed manifest, the new one, and their diff.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub deployed: String,
    pub new: String,
    pub diff: ManifestDiff,
    /// False when helm says the release does not exist: a first install.
    pub installed: bool,
}

pub(super) fn target_flags(t: &Tenant, target: &Target) -> Vec<String> {
    let mut a = vec![
        "--namespace".to_string(),
        t.helm_namespace().to_string(),
        "--kube-context".into(),
        target.context.clone(),
    ];
    if let Some(k) = &target.kubeconfig {
        a.push("--kubeconfig".into());
        a.push(k.display().to_string());
    }
    a
}

/// Render the deploy and compare it with what is deployed.
pub async fn render(
    t: &Tenant,
    target: &Target,
    region: &str,
    chart: &DeployChart,
) -> ProviderResult<Rendered> {
    let helm = t.helm_binary();
    let name = t.helm_release_name().to_string();
    let mut get = vec!["get".to_string(), "manifest".into(), name.clone()];
    get.extend(target_flags(t, target));
    let (deployed, installed) = match run(&helm, &get, region, "helm get manifest").await {
        Ok(text) => (text, true),
        // A first install: nothing is deployed yet.
        Err(e) if e.message.contains("not found") => (String::new(), false),
        Err(e) => return Err(e),
    };
    let mut template = vec!["template".to_string(), name, chart.chart.clone()];
    template.extend(target_flags(t, target));
    template.extend(chart.flags());
    let new = run(&helm, &template, region, "helm template").await?;
    let diff = manifest_diff::diff(&deployed, &new).map_err(|e| {
        ProviderError::new(Some(region), "helm template", e)
            .with_hint("check the chart renders with `helm template`")
    })?;
    Ok(Rendered {
        deployed,
        new,
        diff,
        installed,
    })
}

/// Run helm, return its standard output; its last error line on failure.
pub(super) async fn run(
    helm: &str,
    args: &[String],
    region: &str,
    call: &str,
) -> ProviderResult<String> {
    let child = Command::new(helm)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            ProviderError::new(Some(region), call, format!("cannot run {helm}: {e}"))
                .with_hint("install helm, or set binary = \"PATH\" in the tenant's helm table")
        })?;
    let out = match tokio::time::timeout(DEADLINE, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            return Err(ProviderError::new(
                Some(region),
                call,
                format!("waiting for helm failed: {e}"),
            ));
        }
        Err(_) => {
            return Err(ProviderError::new(
                Some(region),
                call,
                format!("helm did not answer within {}s", DEADLINE.as_secs()),
            )
            .with_kind(ErrorKind::Timeout));
        }
    };
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output");
    Err(ProviderError::new(
        Some(region),
        call,
        format!("helm failed: {}", last.trim()),
    ))
}
