//! `meridian deploy TENANT --region R [--version V] [--set K=V]... [--values F]...`: render
//! the deploy's diff (a read: `helm get manifest` vs `helm template`), then plan, show,
//! confirm and execute it through the action library like any other action.

use super::args::GlobalArgs;
use super::{Exit, Failure, note};
use crate::actions::guards_deploy::DeployDiff;
use crate::actions::{Action, Request};
use crate::fleet::settings::Settings;
use crate::providers::DeployRequest;
use crate::session::Context;

pub async fn run(
    tenant: String,
    region: String,
    version: Option<String>,
    set: Vec<String>,
    values: Vec<String>,
    global: &GlobalArgs,
) -> Result<Exit, Failure> {
    let mut pairs = Vec::new();
    for s in &set {
        match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => pairs.push((k.to_string(), v.to_string())),
            _ => {
                return Err(Failure::new(
                    Exit::Usage,
                    format!("--set {s}: expected KEY=VALUE (e.g. --set image.tag=1.5.0)"),
                ));
            }
        }
    }
    for f in &values {
        if !std::path::Path::new(f).is_file() {
            return Err(Failure::new(
                Exit::Usage,
                format!("--values {f}: no such file"),
            ));
        }
    }
    let ctx = Context::load(&global.session())?;
    let chart = ctx
        .fleet
        .tenant(&tenant)
        .and_then(|t| t.helm.as_ref())
        .and_then(|h| match &h.settings {
            Settings::Helm(h) => h.chart.clone(),
            _ => None,
        });
    let mut request = Request::new(Action::Deploy {
        tenant: tenant.clone(),
        region: region.clone(),
        version: version.clone(),
        set: pairs.clone(),
        values: values.clone(),
    });
    request.reason = global.reason.clone();
    request.overrides = global.overrides.clone();
    // No chart, unknown tenant: the plan says why and refuses; nothing to render.
    if let Some(chart) = chart {
        let req = DeployRequest {
            tenant,
            region,
            chart,
            version,
            set: pairs,
            values,
        };
        match ctx.providers.releases.render_deploy(&ctx.fleet, &req).await {
            Ok(r) => {
                if !global.json {
                    note(&format!("rendered diff:\n{}", r.diff.text()));
                }
                let mut d = DeployDiff::of(&r.diff);
                d.first_install = !r.installed;
                request.deploy_diff = Some(Box::new(d));
            }
            Err(e) => note(&format!("cannot render the deploy: {e}")),
        }
    }
    let (exit, _) = super::act::run_prepared(&ctx, request, global).await?;
    Ok(exit)
}
