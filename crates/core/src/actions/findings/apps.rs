//! Findings about the tenants' applications: Degraded or OutOfSync for long (roll back or
//! sync), a Helm release stuck short of `deployed`, and auto-sync left paused by a
//! rollback. Apps in a region that is down are the region's finding, not one each.

use super::{
    AUTO_SYNC_PAUSED_AFTER, DEGRADED_AFTER, Finding, Judge, Kind, OUT_OF_SYNC_AFTER, Urgency,
};
use crate::actions::action::{Action, Request, Via};
use std::collections::HashSet;

use meridian_model::fleet::Tenant;
use meridian_model::state::{
    AppHealth, AppState, HealthStatus, HelmStatus, SyncStatus, TenantState, elapsed,
};

pub(super) fn findings(j: &mut Judge) -> Vec<Finding> {
    let mut out = Vec::new();
    // Apps in a region that is down are the region's finding (usually no region is down).
    let down: HashSet<&str> = j
        .state
        .regions
        .iter()
        .filter(|s| s.health_status() == HealthStatus::Down)
        .map(|s| s.id.as_str())
        .collect();
    let judge = |j: &mut Judge, ti: usize, ci: usize, out: &mut Vec<Finding>| {
        let Some(t) = j.fleet.tenants.get(ti) else {
            return;
        };
        let Some(region) = t.regions.get(ci) else {
            return;
        };
        if down.contains(region.as_str()) {
            return;
        }
        let Some(ts) = j.state.tenant_at(ti, &t.id) else {
            return;
        };
        judge_cell(j, t, ts, ci, region, out);
    };
    // A caller that keeps the list of cells worth judging current (on change) saves a
    // pass over every cell of the fleet: 100,000 on a 100 x 1,000 fleet, every second.
    match j.records.apps {
        Some(list) => {
            for (ti, ci) in list.cells() {
                judge(j, ti, ci, &mut out);
            }
        }
        None => {
            for (ti, t) in j.fleet.tenants.iter().enumerate() {
                for ci in 0..t.regions.len() {
                    judge(j, ti, ci, &mut out);
                }
            }
        }
    }
    out
}

/// The findings of one tenant cell. Only a cell `worth_judging` can raise any.
fn judge_cell(
    j: &mut Judge,
    t: &Tenant,
    ts: &TenantState,
    ci: usize,
    region: &str,
    out: &mut Vec<Finding>,
) {
    if let Some(o) = ts.app_at(ci, region)
        && o.error.is_none()
        && let Some(app) = o.value.as_ref()
        && !(app.sync == SyncStatus::Synced && app.health == AppHealth::Healthy)
    {
        out.extend(app_finding(j, t, region, app));
    }
    if let Some(o) = app_paused(ts.app_at(ci, region)) {
        out.extend(paused(j, t, region, o));
    }
    if let Some(latest) = unfinished_release(t, ts, region) {
        out.extend(release(j, t, region, latest.revision, latest.status));
    }
}

/// Whether a cell could raise a finding, now or once its condition has held long enough:
/// an app read without error that is not Synced and Healthy, auto-sync paused, or a Helm
/// release whose newest revision is not deployed. `judge_cell` raises nothing for the rest.
pub fn worth_judging(t: &Tenant, ts: &TenantState, ci: usize, region: &str) -> bool {
    let app = ts.app_at(ci, region);
    let unwell = app.is_some_and(|o| {
        o.error.is_none()
            && o.value
                .as_ref()
                .is_some_and(|a| !(a.sync == SyncStatus::Synced && a.health == AppHealth::Healthy))
    });
    unwell || app_paused(app).is_some() || unfinished_release(t, ts, region).is_some()
}

fn unfinished_release<'a>(
    t: &Tenant,
    ts: &'a TenantState,
    region: &str,
) -> Option<&'a meridian_model::state::HelmRevision> {
    t.helm.as_ref()?;
    let rel = ts.release(region)?;
    if rel.error.is_some() {
        return None;
    }
    rel.value
        .as_ref()?
        .latest()
        .filter(|l| l.status != HelmStatus::Deployed)
}

fn app_paused(
    o: Option<&meridian_model::state::Observed<AppState>>,
) -> Option<&meridian_model::state::PausedAutoSync> {
    o.filter(|o| o.error.is_none())?
        .value
        .as_ref()?
        .detail
        .paused
        .as_deref()
}

fn production(j: &Judge, t: &Tenant) -> bool {
    j.fleet.is_production(&t.environment)
}

/// A Degraded (or Missing) app is rolled back to the revision before; an OutOfSync one that
/// is healthy is synced (unless a rollback paused its auto-sync on purpose: that is its own
/// finding).
fn app_finding(j: &mut Judge, t: &Tenant, region: &str, app: &AppState) -> Option<Finding> {
    let unwell = matches!(
        app.health,
        AppHealth::Degraded | AppHealth::Missing | AppHealth::Progressing
    );
    let prd = production(j, t);
    let tenant = t.id.as_str();
    if unwell {
        let key = cell_key(Kind::AppDegraded, tenant, region);
        let since = j.since(key, None);
        if elapsed(j.now, since) < DEGRADED_AFTER {
            return None;
        }
        let word = app.health.as_str();
        let previous = app.previous().map(|e| e.revision.clone());
        let request = match (app.health, previous) {
            // Missing resources are put back by a sync to the target.
            (AppHealth::Missing, _) => Ok(Request::new(Action::Sync {
                tenant: tenant.into(),
                region: region.into(),
                revision: None,
            })),
            (_, Some(_)) => Ok(Request::new(Action::Rollback {
                tenant: tenant.into(),
                region: region.into(),
                to: None,
                via: None,
            })),
            (_, None) => Err(format!(
                "{tenant} in {region} has no earlier revision to roll back to; look at the app in Argo CD"
            )),
        };
        let rev = short(&app.revision);
        return Some(j.finding(
            Kind::AppDegraded,
            if prd { Urgency::High } else { Urgency::Medium },
            &format!("{tenant}/{region}"),
            format!("{tenant} in {region} {word} {} (at {rev})", j.age(since)),
            format!(
                "{tenant} in {region} is {} and {word}{}",
                app.sync.as_str(),
                app.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
            Some(since),
            format!(
                "{tenant}'s users in {region} are served by a release that is not well{}",
                if prd { " (production)" } else { "" }
            ),
            vec![region.to_string()],
            request,
        ));
    }
    if app.sync != SyncStatus::OutOfSync || app.detail.paused.is_some() {
        return None;
    }
    let key = cell_key(Kind::AppOutOfSync, tenant, region);
    let since = j.since(key, None);
    if elapsed(j.now, since) < OUT_OF_SYNC_AFTER {
        return None;
    }
    Some(j.finding(
        Kind::AppOutOfSync,
        if prd { Urgency::Medium } else { Urgency::Low },
        &format!("{tenant}/{region}"),
        format!("{tenant} in {region} OutOfSync {}", j.age(since)),
        format!(
            "{tenant} in {region} runs {} while Git says otherwise{}",
            short(&app.revision),
            app.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ),
        Some(since),
        "what runs is not what Git says: the next change may bring surprises".into(),
        vec![region.to_string()],
        Ok(Request::new(Action::Sync {
            tenant: tenant.into(),
            region: region.into(),
            revision: None,
        })),
    ))
}

/// Auto-sync paused by a rollback for longer than `AUTO_SYNC_PAUSED_AFTER`: put it back
/// (the plan says what auto-sync will deploy).
fn paused(
    j: &mut Judge,
    t: &Tenant,
    region: &str,
    p: &meridian_model::state::PausedAutoSync,
) -> Option<Finding> {
    let tenant = t.id.as_str();
    let at = humantime::parse_rfc3339(&p.at)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64);
    let key = cell_key(Kind::AutoSyncPaused, tenant, region);
    let since = j.since(key, at);
    if elapsed(j.now, since) < AUTO_SYNC_PAUSED_AFTER {
        return None;
    }
    Some(j.finding(
        Kind::AutoSyncPaused,
        Urgency::Low,
        &format!("{tenant}/{region}"),
        format!(
            "{tenant} in {region}: auto-sync paused {} by {}",
            j.age(since),
            p.by
        ),
        format!(
            "auto-sync of {tenant} in {region} was paused by {} at {}{}",
            p.by,
            p.at,
            p.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        Some(since),
        "Git changes no longer reach this app; once Git is fixed, auto-sync should be back".into(),
        vec![region.to_string()],
        Ok(Request::new(Action::ResumeAutoSync {
            tenant: tenant.into(),
            region: region.into(),
        })),
    ))
}

/// A Helm release whose newest revision is failed or pending for long: roll it back to the
/// revision before, through Helm.
fn release(
    j: &mut Judge,
    t: &Tenant,
    region: &str,
    revision: u32,
    status: HelmStatus,
) -> Option<Finding> {
    let tenant = t.id.as_str();
    let key = cell_key(Kind::ReleaseFailed, tenant, region);
    let since = j.since(key, None);
    if elapsed(j.now, since) < DEGRADED_AFTER {
        return None;
    }
    let prd = production(j, t);
    let request = match status {
        // A pending operation is Helm's own: rolling back over it is refused.
        HelmStatus::PendingInstall | HelmStatus::PendingUpgrade | HelmStatus::PendingRollback => {
            Err(format!(
                "Helm is still {} revision {revision}; if its process died, `helm rollback` by hand clears it",
                status.as_str()
            ))
        }
        _ => Ok(Request::new(Action::Rollback {
            tenant: tenant.into(),
            region: region.into(),
            to: None,
            via: Some(Via::Helm),
        })),
    };
    Some(j.finding(
        Kind::ReleaseFailed,
        if prd { Urgency::High } else { Urgency::Medium },
        &format!("{tenant}/{region}"),
        format!(
            "{tenant} in {region}: Helm revision {revision} {} for {}",
            status.as_str(),
            j.age(since)
        ),
        format!(
            "the newest Helm revision of {tenant} in {region} is {revision}, {}",
            status.as_str()
        ),
        Some(since),
        format!("{tenant} in {region} is not running the release it was meant to"),
        vec![region.to_string()],
        request,
    ))
}

fn short(rev: &str) -> &str {
    &rev[..rev.len().min(7)]
}

/// `app-out-of-sync/acme/eu-west-1`: a tenant cell's condition, as the seen memory keys it.
/// Built to size: the dashboard builds one for every cell worth judging at each judgement.
fn cell_key(kind: Kind, tenant: &str, region: &str) -> String {
    let name = kind.name();
    let mut key = String::with_capacity(name.len() + tenant.len() + region.len() + 2);
    for part in [name, "/", tenant, "/", region] {
        key.push_str(part);
    }
    key
}
