//! The Helm side of a rollback: `helm rollback RELEASE REVISION` in the region's cluster.

use crate::actions::guards;
use crate::actions::guards_gitops as gg;
use crate::actions::plan::*;
use meridian_model::fleet::{Fleet, ProviderKind};
use meridian_model::state::FleetState;

/// Fill a rollback plan for a tenant's Helm release.
pub(super) fn rollback(
    plan: &mut Plan,
    fleet: &Fleet,
    state: &FleetState,
    tenant: &str,
    region: &str,
    to: Option<&str>,
) {
    let ts = state.tenant(tenant);
    let observed = ts.and_then(|t| t.release(region));
    let Some(release) = observed.and_then(|r| r.value.as_ref()) else {
        let why = observed.and_then(|r| r.error.clone()).unwrap_or_else(|| {
            "not observed yet (does the tenant have helm = { provider = \"helm\" }?)".into()
        });
        plan.checks.push(Check::block(
            Guard::RevisionUnknown,
            format!("the Helm release's history is unknown: {why}"),
        ));
        return;
    };
    plan.checks.push(gg::helm_pending(release));
    let argo_app = ts
        .and_then(|t| t.app(region))
        .and_then(|a| a.value.as_ref())
        .filter(|_| fleet.gitops.provider == ProviderKind::Argocd);
    plan.checks.push(gg::argo_managed(&release.name, argo_app));
    let target = match to {
        Some(t) => t
            .trim_start_matches('#')
            .parse()
            .ok()
            .and_then(|n| release.revision(n)),
        None => release.previous(),
    };
    let Some(target) = target else {
        let known: Vec<String> = release
            .revisions
            .iter()
            .map(|r| format!("{} ({})", r.revision, r.status.as_str()))
            .collect();
        let why = match to {
            Some(t) => format!(
                "no revision \"{t}\" of release {}; known: {}",
                release.name,
                known.join(", ")
            ),
            None => format!(
                "no earlier revision of release {} to roll back to",
                release.name
            ),
        };
        plan.checks.push(Check::block(Guard::RevisionUnknown, why));
        return;
    };
    plan.checks.push(Check::pass(
        Guard::RevisionUnknown,
        format!(
            "revision {} ({}, {})",
            target.revision,
            target.chart_label(),
            target.status.as_str()
        ),
    ));
    let latest = release.latest().map(|r| r.revision).unwrap_or(0);
    let current = release.deployed().or(release.latest());
    let same = current.is_some_and(|c| c.revision == target.revision);
    plan.changes.push(Change::new(
        format!("{}/{}", release.namespace, release.name),
        "helm revision",
        current
            .map(|c| format!("{} ({})", c.revision, c.chart_label()))
            .unwrap_or_else(|| "none deployed".into()),
        format!(
            "{} (= revision {}, {})",
            latest + 1,
            target.revision,
            target.chart_label()
        ),
    ));
    plan.checks
        .push(guards::no_change(same, "that revision is already deployed"));
    plan.operation = Some(Operation::HelmRollback {
        tenant: tenant.to_string(),
        region: region.to_string(),
        release: release.name.clone(),
        namespace: release.namespace.clone(),
        revision: target.revision,
        chart: target.chart_label(),
        from_revision: latest,
    });
}
