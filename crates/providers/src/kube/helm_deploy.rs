//! Deploying a Helm release with the real `helm` command: `helm upgrade --install NAME
//! CHART --version V --set K=V --values F --namespace NS --kube-context CTX --wait
//! --timeout D`, streamed and bounded as a rollback is (`helm_rollback::stream`).

use std::path::PathBuf;
use std::time::Duration;

use meridian_model::fleet::Tenant;
use meridian_model::fleet::settings::Dur;

use super::client::Target;
use super::helm_render::DeployChart;
use crate::{DeployRequest, Progress, ProviderResult};

/// Helm's `--timeout` when the tenant sets none (Helm's own default).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The command line, without the program.
pub fn args(t: &Tenant, target: &Target, req: &DeployRequest, timeout: Duration) -> Vec<String> {
    let mut a = vec![
        "upgrade".to_string(),
        "--install".into(),
        t.helm_release_name().to_string(),
        req.chart.clone(),
    ];
    a.extend(chart(req).flags());
    a.extend([
        "--namespace".into(),
        t.helm_namespace().to_string(),
        "--kube-context".into(),
        target.context.clone(),
        "--wait".into(),
        "--timeout".into(),
        format!("{}s", timeout.as_secs().max(1)),
    ]);
    if let Some(k) = &target.kubeconfig {
        a.push("--kubeconfig".into());
        a.push(k.display().to_string());
    }
    a
}

/// The deploy as `helm template` renders it (for the diff) and `helm upgrade` takes it.
pub fn chart(req: &DeployRequest) -> DeployChart {
    DeployChart {
        chart: req.chart.clone(),
        version: req.version.clone(),
        set: req.set.clone(),
        values: req.values.iter().map(PathBuf::from).collect(),
    }
}

/// Run `helm upgrade --install --wait` and stream what it says.
pub async fn run(
    t: &Tenant,
    target: &Target,
    req: &DeployRequest,
    progress: &Progress,
) -> ProviderResult<()> {
    let binary = t.helm_binary();
    let timeout = t
        .helm_settings()
        .and_then(|h| h.deploy_timeout)
        .map_or(DEFAULT_TIMEOUT, Dur::get);
    let args = args(t, target, req, timeout);
    let call = format!("helm upgrade {}", t.helm_release_name());
    let pending = "helm was stopped; the release may be pending-upgrade: check `helm history`";
    super::helm_rollback::stream(
        &binary,
        &args,
        &call,
        timeout,
        &req.region,
        progress,
        pending,
    )
    .await?;
    // Read back what Helm keeps as asked (`helm get values`): each `--set` must be there.
    super::helm_values::check(t, target, req, progress).await
}
