//! What the template touches, found and readable: per region its traffic record, its
//! health check, its database (and lag within the RPO budget where it is promoted), the
//! apps and releases it syncs or deploys; and whether each would take the write, where
//! that can be known without writing.

use super::steps::{Touched, Uses};
use super::{Item, Records, Status};
use meridian_model::fleet::settings::Settings;
use meridian_model::fleet::{Capability, Fleet, ProviderKind, Region, Role};
use meridian_model::state::{FleetState, HealthStatus, Millis, RegionState};

pub(super) fn check(
    fleet: &Fleet,
    state: &FleetState,
    touched: &Touched,
    records: &Records,
    _now: Millis,
) -> Vec<Item> {
    let mut out = Vec::new();
    for (id, uses) in &touched.regions {
        let (Some(region), Some(s)) = (fleet.region(id), state.region(id)) else {
            out.push(
                Item::new(
                    id.clone(),
                    Status::Fail,
                    format!("{id} is not a region of fleet {}", fleet.name),
                )
                .region(id),
            );
            continue;
        };
        out.push(traffic(fleet, region, s, uses));
        out.push(health(fleet, region, s, uses));
        if uses.promoted || uses.demoted {
            out.extend(database(fleet, region, s, uses));
        }
        out.extend(apps(state, region, uses));
        if let Some(w) = writable(fleet, region, uses, records) {
            out.push(w);
        }
    }
    out
}

fn traffic(fleet: &Fleet, region: &Region, s: &RegionState, uses: &Uses) -> Item {
    let what = format!("{} traffic record", region.id);
    let provider = fleet.traffic.provider.as_str();
    let item = match (&s.weight.error, s.weight.value) {
        (Some(e), _) => Item::new(
            what,
            Status::Fail,
            format!("not found or not readable ({provider}): {e}"),
        )
        .fix(format!(
            "check set_identifier \"{}\" and the [traffic] table against what {provider} holds",
            region.set_identifier
        )),
        (None, None) => Item::new(
            what,
            Status::Fail,
            format!("{provider} has not been read for {}", region.id),
        ),
        (None, Some(w)) => Item::new(
            what,
            Status::Pass,
            format!(
                "found ({provider}, set \"{}\"), weight {}",
                region.set_identifier,
                fleet.traffic.provider.traffic_rules().format(w)
            ),
        ),
    };
    // A region the template only watches needs its record less; it still shows.
    let _ = uses;
    item.region(&region.id)
}

/// The health check, named: `Route 53 health check 8f2e…`, `HTTP probes (2)`.
fn health_source(cap: &Capability) -> String {
    match &cap.settings {
        Settings::Route53Health(h) => format!("Route 53 health check {}", h.health_check_id),
        Settings::Http(_) => "HTTP probes".into(),
        _ => format!("{} health", cap.provider.as_str()),
    }
}

fn health(fleet: &Fleet, region: &Region, s: &RegionState, uses: &Uses) -> Item {
    let what = format!("{} health check", region.id);
    // A region whose traffic moves to it, whose writer it becomes, or that a gate
    // watches is judged by its health: without one the failover cannot tell it worked.
    let needed = uses.promoted || uses.watched || uses.traffic;
    let configured: Vec<&Capability> = region
        .health_sources()
        .filter(|h| h.provider != ProviderKind::Sim || fleet.traffic.provider == ProviderKind::Sim)
        .collect();
    if configured.is_empty() {
        return Item::new(
            what,
            if needed { Status::Fail } else { Status::Warn },
            format!(
                "its health check is missing: {} has no health source of its own (only the simulator's)",
                region.id
            ),
        )
        .fix(format!(
            "add health = {{ provider = \"route53\", health_check_id = \"...\" }} (or http probes) to region {} in the fleet file",
            region.id
        ))
        .region(&region.id);
    }
    let named = configured
        .iter()
        .map(|c| health_source(c))
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(e) = &s.health.error {
        let missing = ["NoSuchHealthCheck", "not found", "does not exist", "404"]
            .iter()
            .any(|m| e.contains(m));
        let detail = if missing {
            format!("its health check is missing: {named} does not exist ({e})")
        } else {
            format!("{named} cannot be read: {e}")
        };
        return Item::new(what, Status::Fail, detail)
            .fix(format!(
                "create the health check, or fix region {}'s health table in the fleet file",
                region.id
            ))
            .region(&region.id);
    }
    match s.health.value.as_ref() {
        None => Item::new(
            what,
            Status::Fail,
            format!("{named} has not answered yet"),
        )
        .region(&region.id),
        Some(h) if h.status == HealthStatus::Unknown => Item::new(
            what,
            if needed { Status::Fail } else { Status::Warn },
            format!("{named} says nothing about the region: {}", h.reason),
        )
        .fix("a health check with no datapoints cannot confirm a failover: check that it exists and is measured")
        .region(&region.id),
        Some(h) => Item::new(
            what,
            Status::Pass,
            format!("{named} found: {} ({})", h.status.as_str(), h.reason),
        )
        .region(&region.id),
    }
}

fn database(fleet: &Fleet, region: &Region, s: &RegionState, uses: &Uses) -> Vec<Item> {
    let mut out = Vec::new();
    for (index, store) in region.data_stores().iter().enumerate() {
        let what = format!("{} {}", region.id, store.name);
        let provider = store.database.provider.as_str();
        let Some((role, lag)) = s.store(index) else {
            out.push(Item::new(what, Status::Fail, "not read yet").region(&region.id));
            continue;
        };
        if let Some(e) = &role.error {
            out.push(
                Item::new(
                    what,
                    Status::Fail,
                    format!("not found or not readable ({provider}): {e}"),
                )
                .fix(format!(
                    "check region {}'s database table in the fleet file and that the database answers",
                    region.id
                ))
                .region(&region.id),
            );
            continue;
        }
        let role_word = role.value.map(Role::as_str).unwrap_or("unknown role");
        if !uses.promoted {
            out.push(
                Item::new(
                    what,
                    Status::Pass,
                    format!("found ({provider}): {role_word}"),
                )
                .region(&region.id),
            );
            continue;
        }
        let rpo = store.rpo.unwrap_or(fleet.policy.rpo_budget);
        let rpo_text = meridian_model::fleet::rollout::span(rpo);
        let item = match (&lag.error, lag.value) {
            (Some(e), _) => Item::new(
                what,
                Status::Fail,
                format!("found ({provider}, {role_word}); its lag cannot be read: {e}"),
            )
            .fix("a promotion with unknown lag needs --accept-data-loss: fix the lag source first"),
            (None, Some(l)) if l <= rpo.as_secs_f64() => Item::new(
                what,
                Status::Pass,
                format!("found ({provider}, {role_word}); {l:.1}s behind, within the RPO budget of {rpo_text}"),
            ),
            (None, Some(l)) => Item::new(
                what,
                Status::Fail,
                format!("{l:.1}s behind, over the RPO budget of {rpo_text}: promoting now would lose writes"),
            )
            .fix("wait for it to catch up (`meridian wait lag ... --under`), or accept the loss explicitly"),
            (None, None) if role.value == Some(Role::Primary) => Item::new(
                what,
                Status::Pass,
                format!("found ({provider}): already the writer"),
            ),
            (None, None) => Item::new(
                what,
                Status::Fail,
                format!("found ({provider}, {role_word}); no lag reading, so the data a promotion would lose is unknown"),
            )
            .fix("check the region's lag source"),
        };
        out.push(item.region(&region.id));
    }
    out
}

fn apps(state: &FleetState, region: &Region, uses: &Uses) -> Vec<Item> {
    let mut out = Vec::new();
    for tenant in &uses.apps {
        let what = format!("{tenant} app in {}", region.id);
        let item = match state.tenant(tenant).and_then(|t| t.app(&region.id)) {
            None => Item::new(
                what,
                Status::Fail,
                format!("{tenant} does not run in {}", region.id),
            ),
            Some(a) => match (&a.error, a.value.as_ref()) {
                (Some(e), _) => Item::new(
                    what,
                    Status::Fail,
                    format!("not found or not readable: {e}"),
                )
                .fix("check the tenant's argo_app and the region's cluster in the fleet file"),
                (None, None) => Item::new(what, Status::Fail, "not read yet"),
                (None, Some(app)) => Item::new(
                    what,
                    Status::Pass,
                    format!("found: {} {}", app.sync.as_str(), app.health.as_str()),
                ),
            },
        };
        out.push(item.region(&region.id));
    }
    for tenant in &uses.releases {
        let what = format!("{tenant} release in {}", region.id);
        let item = match state.tenant(tenant).and_then(|t| t.release(&region.id)) {
            None => Item::new(
                what,
                Status::Fail,
                format!("{tenant} has no Helm release read in {}", region.id),
            )
            .fix("give the tenant a helm table, and the region a cluster"),
            Some(r) => match (&r.error, r.value.as_ref()) {
                (Some(e), _) => Item::new(
                    what,
                    Status::Fail,
                    format!("not found or not readable: {e}"),
                ),
                (None, None) => Item::new(what, Status::Fail, "not read yet"),
                (None, Some(rel)) => match rel.latest() {
                    Some(l) => Item::new(
                        what,
                        Status::Pass,
                        format!(
                            "found: {} revision {} {}",
                            rel.name,
                            l.revision,
                            l.status.as_str()
                        ),
                    ),
                    None => Item::new(
                        what,
                        Status::Pass,
                        format!("{} has no revision yet: the deploy installs it", rel.name),
                    ),
                },
            },
        };
        out.push(item.region(&region.id));
    }
    out
}

/// Would the backends take the template's writes? Known without writing only for the
/// simulator (its world file); the cloud providers meridian uses for these changes
/// (Route 53, Traffic Manager, Cloudflare, the databases' failover calls, Argo CD) offer
/// no dry-run of the change, so that is said rather than guessed.
fn writable(fleet: &Fleet, region: &Region, uses: &Uses, records: &Records) -> Option<Item> {
    let mut kinds: Vec<(&str, ProviderKind)> = Vec::new();
    if uses.traffic {
        kinds.push(("traffic", fleet.traffic.provider));
    }
    if uses.promoted || uses.demoted {
        kinds.push(("database", region.database.provider));
    }
    if !uses.apps.is_empty() {
        kinds.push(("apps", fleet.gitops.provider));
    }
    if !uses.releases.is_empty() {
        kinds.push(("releases", ProviderKind::Helm));
    }
    if kinds.is_empty() {
        return None;
    }
    let what = format!("{} writes", region.id);
    let sim: Vec<&str> = kinds
        .iter()
        .filter(|(_, p)| *p == ProviderKind::Sim)
        .map(|(k, _)| *k)
        .collect();
    let real: Vec<String> = kinds
        .iter()
        .filter(|(_, p)| *p != ProviderKind::Sim)
        .map(|(k, p)| format!("{k} ({})", p.as_str()))
        .collect();
    let item = if !real.is_empty() {
        Item::new(
            what,
            Status::NotChecked,
            format!(
                "{}: no dry-run of these changes, so whether the credentials may write is known only when the step runs",
                real.join(", ")
            ),
        )
        .fix("check the permissions of the credentials in use (IAM policy, Kubernetes RBAC) before relying on it")
    } else {
        match &records.sim_writable {
            Some(Err(e)) => Item::new(
                what,
                Status::Fail,
                format!(
                    "{} (simulated): the world file cannot be written: {e}",
                    sim.join(", ")
                ),
            ),
            Some(Ok(())) => Item::new(
                what,
                Status::Pass,
                format!("{} (simulated): the world file is writable", sim.join(", ")),
            ),
            None => Item::new(
                what,
                Status::NotChecked,
                format!(
                    "{} (simulated): the world file was not checked",
                    sim.join(", ")
                ),
            ),
        }
    };
    Some(item.region(&region.id))
}
