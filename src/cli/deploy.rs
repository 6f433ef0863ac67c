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
    let mut request = Request::new(Action::Deploy {
        tenant,
        region,
        version,
        set: pairs,
        values,
    });
    request.reason = global.reason.clone();
    request.overrides = global.overrides.clone();
    render_into(&ctx, &mut request, global.json).await;
    let (exit, _) = super::act::run_prepared(&ctx, request, global).await?;
    Ok(exit)
}

/// For a deploy request (from the command or a rollout step): render its diff (a read)
/// and attach it, printing it unless `json`. No chart, an unknown tenant or a failed render
/// leave it without one: the plan then says why and refuses.
pub async fn render_into(ctx: &Context, request: &mut Request, json: bool) {
    let Action::Deploy {
        tenant,
        region,
        version,
        set,
        values,
    } = &request.action
    else {
        return;
    };
    let chart = ctx
        .fleet
        .tenant(tenant)
        .and_then(|t| t.helm.as_ref())
        .and_then(|h| match &h.settings {
            Settings::Helm(h) => h.chart.clone(),
            _ => None,
        });
    let Some(chart) = chart else { return };
    let req = DeployRequest {
        tenant: tenant.clone(),
        region: region.clone(),
        chart,
        version: version.clone(),
        set: set.clone(),
        values: values.clone(),
    };
    match ctx.providers.releases.render_deploy(&ctx.fleet, &req).await {
        Ok(r) => {
            if !json {
                note(&format!("rendered diff:\n{}", r.diff.text()));
            }
            let mut d = DeployDiff::of(&r.diff);
            d.first_install = !r.installed;
            request.deploy_diff = Some(Box::new(d));
        }
        Err(e) => note(&format!("cannot render the deploy: {e}")),
    }
}
