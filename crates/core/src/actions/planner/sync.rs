//! Sync and resume-auto-sync plans: Argo CD deploys the app's target (or a revision), or
//! takes over again with the auto-sync meridian paused.

use super::empty_plan;
use super::release::{observed_app, tenant_radius};
use crate::actions::action::Request;
use crate::actions::guards::{self, short_rev};
use crate::actions::guards_gitops as gg;
use crate::actions::plan::*;
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, Millis, SyncStatus};

pub(super) fn sync_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    (tenant, region): (&str, &str),
    revision: Option<&str>,
    now: Millis,
) -> Plan {
    let what = revision.map(|r| format!(" to {r}")).unwrap_or_default();
    let mut plan = empty_plan(
        req,
        tenant.to_string(),
        format!("Sync {tenant} in {region}{what}"),
    );
    plan.blast_radius = tenant_radius(fleet, state, tenant, region);
    let Some(app) = observed_app(&mut plan, state, tenant, region) else {
        return plan;
    };
    plan.checks.push(gg::operation_in_progress(app));
    // A revision from the history is named in full; anything else is passed to Argo CD.
    let wanted = revision.map(|r| match app.find_revision(r) {
        Some(e) if r.len() < e.revision.len() => e.revision.clone(),
        _ => r.to_string(),
    });
    let expect = wanted
        .clone()
        .or_else(|| app.head.as_deref().map(str::to_string));
    let off_target = wanted.as_ref().is_some_and(|w| {
        app.head
            .as_ref()
            .is_some_and(|h| !h.starts_with(w.as_str()))
    });
    plan.checks.push(if app.auto_sync && off_target {
        Check::block(
            Guard::AutoSync,
            format!(
                "auto-sync is on for {}: Argo CD refuses a sync to another revision than its target and would sync back at once; roll back instead (it pauses auto-sync)",
                app.name
            ),
        )
    } else {
        Check::pass(Guard::AutoSync, "the sync deploys what auto-sync would keep")
    });
    plan.checks.push(gg::sync_window(app, now));
    let target = expect.clone().unwrap_or_else(|| "its target".into());
    if expect.as_deref() != Some(&*app.revision) {
        plan.changes.push(Change::new(
            &*app.name,
            "revision",
            short_rev(&app.revision),
            short_rev(&target),
        ));
    } else if app.sync != SyncStatus::Synced {
        plan.changes
            .push(Change::new(&*app.name, "sync", app.sync.as_str(), "Synced"));
    }
    plan.checks.push(guards::no_change(
        plan.changes.is_empty(),
        "already synced to its target",
    ));
    plan.operation = Some(Operation::Sync {
        tenant: tenant.to_string(),
        region: region.to_string(),
        revision: wanted,
        expect,
        resource_version: app.detail.resource_version.clone(),
    });
    plan
}

pub(super) fn resume_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    (tenant, region): (&str, &str),
    now: Millis,
) -> Plan {
    let mut plan = empty_plan(
        req,
        tenant.to_string(),
        format!("Resume auto-sync of {tenant} in {region}"),
    );
    plan.blast_radius = tenant_radius(fleet, state, tenant, region);
    let Some(app) = observed_app(&mut plan, state, tenant, region) else {
        return plan;
    };
    if app.auto_sync {
        plan.checks
            .push(guards::no_change(true, "auto-sync is already on"));
        return plan;
    }
    let Some(kept) = &app.detail.paused else {
        plan.checks.push(Check::block(
            Guard::AutoSync,
            format!(
                "auto-sync of {} is off and meridian kept no automated block to put back: turn it on in Git (spec.syncPolicy.automated)",
                app.name
            ),
        ));
        return plan;
    };
    let head = app.head.clone();
    let undoes = head.as_ref().is_some_and(|h| **h != *app.revision);
    plan.checks.push(if undoes {
        Check::warn(
            Guard::AutoSync,
            format!(
                "resuming deploys the branch head {} over {} that runs now: it undoes the rollback unless Git has been fixed",
                short_rev(head.as_deref().unwrap_or("")),
                short_rev(&app.revision)
            ),
        )
    } else {
        Check::pass(Guard::AutoSync, "the branch head is what runs now")
    });
    plan.checks.push(gg::sync_window(app, now));
    let by = if kept.at.is_empty() {
        kept.by.clone()
    } else {
        format!("paused by {} at {}", kept.by, kept.at)
    };
    plan.changes.push(Change::new(
        &*app.name,
        "auto-sync",
        "paused",
        format!("on ({by})"),
    ));
    if let Some(h) = head.as_ref().filter(|_| undoes) {
        plan.changes.push(Change::new(
            &*app.name,
            "revision",
            short_rev(&app.revision),
            format!("{} (branch head, by auto-sync)", short_rev(h)),
        ));
    }
    plan.operation = Some(Operation::ResumeAutoSync {
        tenant: tenant.to_string(),
        region: region.to_string(),
        automated: kept.automated.clone(),
        head: head.as_deref().map(str::to_string),
        resource_version: app.detail.resource_version.clone(),
    });
    plan
}
