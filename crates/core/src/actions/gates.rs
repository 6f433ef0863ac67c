//! Gates: conditions a rollout waits for before it moves on, as pure functions of the
//! observed state and the clock. The `health-gate` guard, `meridian wait` and
//! `status --check` all decide with these, so a runbook and the dashboard never disagree.

use std::time::Duration;

use serde::Serialize;

use meridian_model::fleet::{Fleet, Role};
use meridian_model::state::replication::link_word;
use meridian_model::state::{
    AppHealth, FleetState, HealthStatus, Millis, PhaseStatus, STALE_AFTER_MS, SyncStatus, elapsed,
    short_age,
};

/// Whether a gate holds now, and why (or why not) in words a runbook can print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gate {
    pub met: bool,
    pub reason: String,
}

impl Gate {
    fn met(reason: impl Into<String>) -> Gate {
        Gate {
            met: true,
            reason: reason.into(),
        }
    }

    fn unmet(reason: impl Into<String>) -> Gate {
        Gate {
            met: false,
            reason: reason.into(),
        }
    }

    /// All gates hold; the reasons of those that do not (or of all, when all hold).
    pub fn all(gates: Vec<Gate>) -> Gate {
        let met = gates.iter().all(|g| g.met);
        let reasons: Vec<String> = gates
            .into_iter()
            .filter(|g| met || !g.met)
            .map(|g| g.reason)
            .collect();
        Gate {
            met,
            reason: reasons.join("; "),
        }
    }
}

fn millis(d: Duration) -> Millis {
    d.as_millis().min(Millis::MAX as u128) as Millis
}

/// The region's health has been `healthy` continuously for at least `d`, and the latest
/// read of it succeeded (a stale green is not evidence).
pub fn healthy_for(state: &FleetState, region: &str, d: Duration, now: Millis) -> Gate {
    let Some(r) = state.region(region) else {
        return Gate::unmet(format!("{region} has not been read"));
    };
    if let Some(e) = &r.health.error {
        return Gate::unmet(format!(
            "{region} health unknown: the latest read failed ({e})"
        ));
    }
    let Some(h) = r.health.value.as_ref() else {
        return Gate::unmet(format!("{region} health unknown"));
    };
    match (h.status, h.healthy_since) {
        (HealthStatus::Healthy, Some(since)) if elapsed(now, since) >= millis(d) => Gate::met(
            format!("{region} healthy for {}", short_age(elapsed(now, since))),
        ),
        (HealthStatus::Healthy, Some(since)) => Gate::unmet(format!(
            "{region} healthy for {}",
            short_age(elapsed(now, since))
        )),
        (HealthStatus::Healthy, None) if d.is_zero() => Gate::met(format!("{region} healthy")),
        (status, _) => Gate::unmet(format!(
            "{region} not healthy ({}: {})",
            status.as_str(),
            h.reason
        )),
    }
}

/// The region's replication lag is known, fresh and at most `max`.
pub fn lag_under(state: &FleetState, region: &str, max: Duration) -> Gate {
    let Some(r) = state.region(region) else {
        return Gate::unmet(format!("{region} has not been read"));
    };
    let limit = max.as_secs_f64();
    match (r.lag.value, &r.lag.error, r.role.value) {
        (_, Some(e), _) => Gate::unmet(format!(
            "{region} lag unknown: the latest read failed ({e})"
        )),
        (Some(l), None, _) if l <= limit => Gate::met(format!(
            "{region} lag {l:.1}s, within {}",
            short_age(millis(max))
        )),
        (Some(l), None, _) => Gate::unmet(format!(
            "{region} lag {l:.1}s, over {}",
            short_age(millis(max))
        )),
        (None, None, Some(Role::Primary)) => Gate::unmet(format!(
            "{region} is the primary: it has no replication lag to wait for"
        )),
        (None, None, _) => Gate::unmet(format!("{region} lag unknown (no datapoint)")),
    }
}

/// The tenant's app in the region is Synced and Healthy, and the latest read succeeded.
pub fn synced(state: &FleetState, tenant: &str, region: &str) -> Gate {
    let app = state.tenant(tenant).and_then(|t| t.app(region));
    let Some(o) = app else {
        return Gate::unmet(format!("{tenant} in {region} has not been read"));
    };
    if let Some(e) = &o.error {
        return Gate::unmet(format!(
            "{tenant} in {region} unknown: the latest read failed ({e})"
        ));
    }
    match o.value.as_ref() {
        Some(a) if a.sync == SyncStatus::Synced && a.health == AppHealth::Healthy => {
            Gate::met(format!("{tenant} in {region} Synced and Healthy"))
        }
        // What the last sync really did, when a hook stopped it.
        Some(a) if a.hook_failure().is_some() => Gate::unmet(format!(
            "{tenant} in {region} {} and {}: {}",
            a.sync.as_str(),
            a.health.as_str(),
            a.hook_failure().unwrap_or_default()
        )),
        Some(a) => Gate::unmet(format!(
            "{tenant} in {region} {} and {}{}",
            a.sync.as_str(),
            a.health.as_str(),
            a.message
                .as_ref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        )),
        None => Gate::unmet(format!("{tenant} in {region} unknown")),
    }
}

/// The tenant in the region is deployed and well, judged by what it has: its Argo CD
/// application (Synced and Healthy), its Helm release (the newest revision `deployed`), or
/// both. A Helm tenant with no Argo CD application is judged by its release alone.
pub fn tenant_ready(fleet: &Fleet, state: &FleetState, tenant: &str, region: &str) -> Gate {
    let Some(t) = fleet.tenant(tenant).filter(|t| t.helm.is_some()) else {
        return synced(state, tenant, region);
    };
    let ts = state.tenant(&t.id);
    let app = ts.and_then(|ts| ts.app(region));
    let has_app = app.is_some_and(|a| a.value.is_some());
    let mut gates = vec![helm_deployed(
        t,
        ts.and_then(|ts| ts.release(region)),
        region,
    )];
    if has_app {
        gates.insert(0, synced(state, tenant, region));
    }
    Gate::all(gates)
}

/// The tenant's Helm release in the region: its newest revision is `deployed`, and the
/// latest read of it succeeded.
fn helm_deployed(
    t: &meridian_model::fleet::Tenant,
    release: Option<&meridian_model::state::Observed<meridian_model::state::HelmRelease>>,
    region: &str,
) -> Gate {
    let name = t.helm_release_name();
    let Some(o) = release else {
        return Gate::unmet(format!(
            "{} in {region}: Helm release {name} has not been read",
            t.id
        ));
    };
    if let Some(e) = &o.error {
        return Gate::unmet(format!(
            "{} in {region}: Helm release {name} unknown: the latest read failed ({e})",
            t.id
        ));
    }
    match o.value.as_ref().and_then(|r| r.latest()) {
        Some(l) if l.status == meridian_model::state::HelmStatus::Deployed => Gate::met(format!(
            "{} in {region}: Helm revision {} deployed ({})",
            t.id,
            l.revision,
            l.chart_label()
        )),
        Some(l) => Gate::unmet(format!(
            "{} in {region}: Helm revision {} is {} ({})",
            t.id,
            l.revision,
            l.status.as_str(),
            l.chart_label()
        )),
        None => Gate::unmet(format!(
            "{} in {region}: Helm release {name} has no revision",
            t.id
        )),
    }
}

/// The tenant's last sync in the region failed in a hook, and no sync runs now: waiting
/// for it to become Synced would wait out the timeout for nothing. The hook in words.
pub fn hook_failed(state: &FleetState, tenant: &str, region: &str) -> Option<String> {
    let app = state.tenant(tenant)?.app(region)?.value.as_ref()?;
    if app.operation_in_progress().is_some() {
        return None;
    }
    app.hook_failure()
        .map(|h| format!("{tenant} in {region}: {h}"))
}

/// How long a condition has held without a break, for `--for` on conditions whose
/// providers do not report a "since" of their own.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hold {
    since: Option<Millis>,
}

impl Hold {
    /// Record one observation; returns for how long the condition has held (0 if not).
    pub fn observe(&mut self, met: bool, now: Millis) -> Millis {
        if !met {
            self.since = None;
            return 0;
        }
        now - *self.since.get_or_insert(now)
    }
}

/// Everything wrong with the fleet that a runbook should stop on: regions down or of
/// unknown health, stale or failed reads, lag over the RPO budget, a fenced writer still
/// serving, failed phases, tenants not deployed and well, every weight zero.
pub fn fleet_problems(fleet: &Fleet, state: &FleetState) -> Vec<String> {
    let now = state.observed_at;
    let mut out = Vec::new();
    for region in &fleet.regions {
        let id = region.id.as_str();
        let Some(r) = state.region(id) else {
            out.push(format!("{id} has not been read"));
            continue;
        };
        match r.health.value.as_ref().map(|h| (h.status, &h.reason)) {
            Some((HealthStatus::Down, why)) => out.push(format!("{id} is down: {why}")),
            Some((HealthStatus::Unknown, why)) => {
                out.push(format!("{id} health is unknown: {why}"))
            }
            None => out.push(format!("{id} health is unknown")),
            _ => {}
        }
        let link = link_word(&r.lag);
        if let Some(word) = link {
            let e = r.lag.error.as_deref().unwrap_or_default();
            out.push(format!("{id} replication is {word}: {e}"));
        }
        if link == Some("fenced")
            && let Some(w) = r.weight.value.filter(|w| w.serving())
        {
            let share = state
                .traffic_share(id)
                .map(|s| format!("{} of traffic", meridian_model::traffic::percent(s)))
                .unwrap_or_else(|| match w.has_share() {
                    true => format!("weight {w}"),
                    false => format!("traffic ({} routing, in rotation)", w.steering.name()),
                });
            out.push(format!(
                "{id} is a fenced former writer (its database takes no writes) still serving {share}: drain it (`meridian drain {id}`)"
            ));
        }
        for (name, error, age) in [
            ("health", &r.health.error, r.health.age(now)),
            ("weight", &r.weight.error, r.weight.age(now)),
            // A fenced or broken link is said above, in its own words.
            (
                "lag",
                &r.lag.error.as_ref().filter(|_| link.is_none()).cloned(),
                r.lag.age(now),
            ),
            ("role", &r.role.error, r.role.age(now)),
            ("phases", &r.phases.error, r.phases.age(now)),
        ] {
            match (error, age) {
                (Some(e), _) => out.push(format!("{id} {name} is stale: {e}")),
                (None, Some(a)) if a > STALE_AFTER_MS => {
                    out.push(format!("{id} {name} is stale: {} old", short_age(a)))
                }
                _ => {}
            }
        }
        if r.role.value == Some(Role::Secondary) && r.lag.error.is_none() {
            let lag = lag_under(state, id, fleet.policy.rpo_budget);
            if !lag.met {
                out.push(format!("{} (the RPO budget)", lag.reason));
            }
        }
        for p in r.phases.value.iter().flatten() {
            if p.state == PhaseStatus::Failed {
                let why = p.error.as_deref().unwrap_or("no reason given");
                out.push(format!("{id} phase {} failed: {why}", p.id));
            }
        }
    }
    for t in &fleet.tenants {
        for region in t.regions.iter() {
            let gate = tenant_ready(fleet, state, &t.id, region);
            if !gate.met {
                out.push(gate.reason);
            }
        }
    }
    out.extend(super::homes::problems(fleet, state));
    // Regions without weights (latency, failover, geo) count as long as they are in rotation.
    let in_rotation = state.regions.iter().any(|r| {
        r.weight
            .value
            .is_some_and(|w| !w.has_share() && w.serving())
    });
    if state.total_weight() == 0 && !in_rotation && !fleet.regions.is_empty() {
        out.push("every weight is 0: DNS splits traffic evenly across every region".into());
    }
    out.extend(super::stores_check::store_problems(fleet, state));
    out
}

/// What `status --check` says besides its problems, once each: records the traffic
/// provider holds that are not regions (unless `[traffic] ignore` lists them). They are not
/// a failure: a record such as `legacy-dc` at weight 0 is part of many zones.
pub fn fleet_notes(fleet: &Fleet, state: &FleetState) -> Vec<String> {
    let rules = fleet.traffic.provider.traffic_rules();
    // Under latency, failover or geo routing a record has no weight: only in or out.
    let steered = state
        .regions
        .iter()
        .any(|r| r.weight.value.is_some_and(|w| !w.has_share()));
    state
        .unmanaged_weights
        .iter()
        .filter(|(id, _)| !fleet.ignores_record(id))
        .map(|(id, w)| {
            let share = match state.total_weight() {
                0 => String::new(),
                total => format!(", {} of traffic", meridian_model::traffic::percent(*w as f64 / total as f64)),
            };
            let what = match steered {
                true if *w > 0 => "in rotation".to_string(),
                true => "out of rotation".to_string(),
                false => format!("weight {}{share}", rules.format_units(*w)),
            };
            format!(
                "record \"{id}\" ({what}) is not a region of this fleet; `[traffic] ignore = [\"{id}\"]` leaves it unlisted"
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;
