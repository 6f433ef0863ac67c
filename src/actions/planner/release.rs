//! The rollback plan: a tenant back to an earlier revision in one region.

use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::guards::{self, short_rev};
use crate::actions::plan::*;
use crate::fleet::Fleet;
use crate::state::FleetState;

pub(super) fn rollback_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    tenant: &str,
    region: &str,
    to: Option<&str>,
) -> Plan {
    let mut plan = empty_plan(
        req,
        tenant.to_string(),
        format!("Roll back {tenant} in {region}"),
    );
    plan.blast_radius = blast_radius(fleet, state, &[]);
    plan.blast_radius.tenants = vec![tenant.to_string()];
    plan.blast_radius.traffic_share = state.traffic_share(region).unwrap_or(0.0);
    let app = state.tenant(tenant).and_then(|t| t.app(region));
    let Some(app) = app.and_then(|a| a.value.as_ref()) else {
        let why = app
            .and_then(|a| a.error.clone())
            .unwrap_or_else(|| "not observed yet".into());
        plan.checks.push(Check::block(
            Guard::RevisionUnknown,
            format!("the application's history is unknown: {why}"),
        ));
        return plan;
    };
    let (check, entry) = guards::revision_known(app, to);
    plan.checks.push(check);
    let auto = guards::auto_sync(app);
    let pause = app.auto_sync;
    plan.checks.push(auto);
    if let Some(e) = entry {
        if pause {
            plan.changes
                .push(Change::new(&app.name, "auto-sync", "on", "paused"));
        }
        if *e.revision != *app.revision {
            plan.changes.push(Change::new(
                &app.name,
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
        });
    }
    plan
}
