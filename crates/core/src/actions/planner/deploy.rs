//! A Helm deploy: `helm upgrade --install RELEASE CHART --version V --set K=V --values F
//! --wait` in the region's cluster. The rendered diff (made before planning, by `helm
//! template` against `helm get manifest`) comes with the request; the plan names each
//! object it adds, changes or removes and each image it changes, and carries the whole
//! diff so the audit record keeps it as evidence.

use super::release::tenant_radius;
use super::{Request, empty_plan};
use crate::actions::guards_deploy as gd;
use crate::actions::plan::*;
use meridian_model::fleet::settings::Settings;
use meridian_model::fleet::{Fleet, ProviderKind};
use meridian_model::state::{FleetState, HelmRelease};

/// What the operator asked to deploy.
pub(super) struct Ask<'a> {
    pub tenant: &'a str,
    pub region: &'a str,
    pub version: Option<&'a str>,
    pub set: &'a [(String, String)],
    pub values: &'a [String],
}

pub(super) fn deploy_plan(req: &Request, fleet: &Fleet, state: &FleetState, a: &Ask) -> Plan {
    let (tenant, region) = (a.tenant, a.region);
    let mut plan = empty_plan(
        req,
        tenant.to_string(),
        format!(
            "Deploy {tenant}{} in {region} (helm upgrade --install --wait)",
            a.version.map(|v| format!(" {v}")).unwrap_or_default()
        ),
    );
    plan.blast_radius = tenant_radius(fleet, state, tenant, region);
    // A practice copy has no Helm (a deploy would reach the real cluster): refused, saying
    // how the rehearsal goes on.
    if crate::actions::practice::is_copy(fleet) {
        plan.checks.push(Check::block(
            Guard::ReadOnly,
            format!(
                "PRACTICE: not run: a Helm deploy of {tenant} in {region} would reach the real cluster, so a practice never deploys; skip the step with `meridian rollout skip --practice --comment TEXT` (listed as an exception)"
            ),
        ));
        return plan;
    }
    let t = fleet.tenant(tenant);
    let chart = t
        .and_then(|t| t.helm.as_ref())
        .and_then(|h| match &h.settings {
            Settings::Helm(h) => h.chart.clone(),
            _ => None,
        });
    let Some(chart) = chart else {
        plan.checks.push(Check::block(
            Guard::RevisionUnknown,
            format!(
                "{tenant} has no chart to deploy: set helm = {{ provider = \"helm\", chart = \"PATH or repo/chart\" }}"
            ),
        ));
        return plan;
    };
    let ts = state.tenant(tenant);
    let observed = ts.and_then(|t| t.release(region));
    // Helm itself found no release when rendering: a first install, with no history.
    let none = first_install(fleet, tenant, req);
    let Some(release) = observed.and_then(|r| r.value.as_ref()).or(none.as_ref()) else {
        let why = observed
            .and_then(|r| r.error.clone())
            .unwrap_or_else(|| "not observed yet".into());
        plan.checks.push(Check::block(
            Guard::RevisionUnknown,
            format!("the Helm release's history is unknown: {why}"),
        ));
        return plan;
    };
    let installed = release.latest().is_some();
    plan.checks
        .push(gd::deploy_helm_pending(installed.then_some(release)));
    let argo_app = ts
        .and_then(|t| t.app(region))
        .and_then(|a| a.value.as_ref())
        .filter(|_| fleet.gitops.provider == ProviderKind::Argocd);
    plan.checks
        .push(gd::deploy_argo_managed(&release.name, argo_app));
    plan.checks.push(gd::deploy_target_health(state, region));
    plan.checks
        .push(gd::deploy_diff_known(req.deploy_diff.as_deref()));
    let latest = release.latest().map(|r| r.revision).unwrap_or(0);
    let current = release.deployed().or(release.latest());
    let object = format!("{}/{}", release.namespace, release.name);
    plan.changes.push(Change::new(
        &*object,
        "helm revision",
        current
            .map(|c| format!("{} ({})", c.revision, c.chart_label()))
            .unwrap_or_else(|| "not installed".into()),
        format!(
            "{} ({chart}{})",
            latest + 1,
            a.version.map(|v| format!(" {v}")).unwrap_or_default()
        ),
    ));
    let diff = req.deploy_diff.as_deref().cloned().unwrap_or_default();
    for o in &diff.added {
        plan.changes
            .push(Change::new(&**o, "object", "absent", "added"));
    }
    for o in &diff.changed {
        plan.changes
            .push(Change::new(&**o, "object", "deployed", "changed"));
    }
    for o in &diff.removed {
        plan.changes
            .push(Change::new(&**o, "object", "deployed", "removed"));
    }
    for i in &diff.images {
        plan.notes.push(format!("image: {i}"));
    }
    if req.deploy_diff.is_none() {
        return plan;
    }
    plan.operation = Some(Operation::HelmDeploy {
        tenant: tenant.to_string(),
        region: region.to_string(),
        release: release.name.clone(),
        namespace: release.namespace.clone(),
        chart,
        version: a.version.map(str::to_string),
        set: a.set.to_vec(),
        values: a.values.to_vec(),
        from_revision: latest,
        diff,
    });
    plan
}

/// The empty release a first install starts from, when the rendered diff says helm found
/// none (the release reader then reports it missing).
fn first_install(fleet: &Fleet, tenant: &str, req: &Request) -> Option<HelmRelease> {
    let t = fleet.tenant(tenant)?;
    req.deploy_diff
        .as_deref()
        .filter(|d| d.first_install)
        .map(|_| HelmRelease {
            name: t.helm_release_name().to_string(),
            namespace: t.helm_namespace().to_string(),
            revisions: Vec::new(),
        })
}
