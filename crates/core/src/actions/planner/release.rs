//! The rollback plan: a tenant back to an earlier revision in one region, through Argo CD
//! (a sync to a history entry's revision and source) or through Helm.

use super::{blast_radius, empty_plan, helm};
use crate::actions::action::{Request, Via};
use crate::actions::guards::{self, short_rev};
use crate::actions::guards_gitops as gg;
use crate::actions::plan::*;
use meridian_model::fleet::Fleet;
use meridian_model::state::{AppState, FleetState, Millis};

/// Everything a rollback plan is asked.
pub(super) struct Target<'a> {
    pub tenant: &'a str,
    pub region: &'a str,
    pub to: Option<&'a str>,
    pub via: Option<Via>,
}

pub(super) fn rollback_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    t: &Target,
    now: Millis,
) -> Plan {
    let (tenant, region) = (t.tenant, t.region);
    let helm_tenant = fleet.tenant(tenant).is_some_and(|x| x.helm.is_some());
    let via = t
        .via
        .unwrap_or(if helm_tenant { Via::Helm } else { Via::Argocd });
    let mut plan = empty_plan(
        req,
        tenant.to_string(),
        format!("Roll back {tenant} in {region}"),
    );
    plan.blast_radius = tenant_radius(fleet, state, tenant, region);
    if via == Via::Helm {
        helm::rollback(&mut plan, fleet, state, tenant, region, t.to);
        return plan;
    }
    let Some(app) = observed_app(&mut plan, state, tenant, region) else {
        return plan;
    };
    plan.checks.push(gg::operation_in_progress(app));
    let (check, entry) = guards::revision_known(app, t.to);
    plan.checks.push(check);
    let pause = app.auto_sync;
    plan.checks.push(guards::auto_sync(app));
    plan.checks.push(gg::applicationset_reverts(app, pause));
    plan.checks.push(gg::hooks_skipped(app));
    plan.checks.push(gg::sync_window(app, now));
    if let Some(e) = entry {
        if pause {
            plan.changes.push(Change::new(
                &*app.name,
                "auto-sync",
                "on",
                "paused (kept to resume)",
            ));
        }
        if *e.revision != *app.revision {
            plan.changes.push(Change::new(
                &*app.name,
                "revision",
                short_rev(&app.revision),
                format!("{} (history {})", short_rev(&e.revision), e.id),
            ));
        }
        plan.checks.push(guards::no_change(
            *e.revision == *app.revision && !pause,
            "already at that revision",
        ));
        plan.operation = Some(Operation::Rollback {
            tenant: tenant.to_string(),
            region: region.to_string(),
            history_id: e.id,
            revision: e.revision.clone(),
            pause_auto_sync: pause,
            resource_version: app.detail.resource_version.clone(),
        });
    }
    plan
}

/// The tenant in one region: its own traffic share.
pub(super) fn tenant_radius(
    fleet: &Fleet,
    state: &FleetState,
    tenant: &str,
    region: &str,
) -> BlastRadius {
    let mut r = blast_radius(fleet, state, &[]);
    r.tenants = vec![tenant.to_string()];
    r.traffic_share = state.traffic_share(region).unwrap_or(0.0);
    r
}

/// The app as observed, or a blocking check that says why it is not known.
pub(super) fn observed_app<'a>(
    plan: &mut Plan,
    state: &'a FleetState,
    tenant: &str,
    region: &str,
) -> Option<&'a AppState> {
    let app = state.tenant(tenant).and_then(|t| t.app(region));
    match app.and_then(|a| a.value.as_ref()) {
        Some(a) => Some(a),
        None => {
            let why = app
                .and_then(|a| a.error.clone())
                .unwrap_or_else(|| "not observed yet".into());
            plan.checks.push(Check::block(
                Guard::RevisionUnknown,
                format!("the application is unknown: {why}"),
            ));
            None
        }
    }
}
