//! `meridian status`: a compact table that fits 100 columns, or a stable JSON document.

use serde_json::{Value, json};

use super::status_doc::{StatusDoc, Tenants};
use crate::actions::LockHolder;
use crate::fleet::Fleet;
use crate::state::{
    FleetState, HealthStatus, Millis, Observed, STALE_AFTER_MS, rfc3339, short_age,
};

/// The documented `status --json` shape (see README, "status --json").
pub fn to_json<'a>(
    fleet: &'a Fleet,
    state: &'a FleetState,
    lock: Option<&LockHolder>,
    read_only: bool,
) -> StatusDoc<'a> {
    let now = state.observed_at;
    let rules = fleet.traffic.provider.traffic_rules();
    let regions: Vec<Value> = fleet
        .regions
        .iter()
        .map(|r| {
            let s = state.region(&r.id);
            let health = s.and_then(|s| s.health.value.as_ref());
            let phases: Vec<Value> = fleet
                .phases
                .iter()
                .map(|p| {
                    let ps = s.and_then(|s| s.phase(&p.id));
                    json!({
                        "id": p.id,
                        "name": p.name,
                        "state": ps.map(|p| p.state.as_str()).unwrap_or("pending"),
                        "current_step": ps.and_then(|p| p.current_step.clone()),
                        "error": ps.and_then(|p| p.error.clone()),
                        "step_index": ps.and_then(|p| p.step_index),
                        "owner": ps.and_then(|p| p.owner.clone()),
                        "evidence": ps.and_then(|p| p.evidence.clone()),
                    })
                })
                .collect();
            let mut errors = serde_json::Map::new();
            if let Some(s) = s {
                for (name, e) in [("health", &s.health.error), ("weight", &s.weight.error), ("lag", &s.lag.error), ("role", &s.role.error), ("phases", &s.phases.error)] {
                    if let Some(e) = e {
                        errors.insert(name.to_string(), json!(e));
                    }
                }
            }
            let oldest = s.and_then(|s| [s.health.at, s.weight.at, s.lag.at, s.role.at].into_iter().flatten().min());
            json!({
                "id": r.id,
                "name": r.name,
                "role": s.and_then(|s| s.role.value).unwrap_or(r.role).as_str(),
                "configured_role": r.role.as_str(),
                "health": health.map(|h| h.status.as_str()).unwrap_or("unknown"),
                "health_reason": health.map(|h| h.reason.clone()),
                "latency_ms": health.and_then(|h| h.latency_ms),
                "healthy_since": health.and_then(|h| h.healthy_since).map(rfc3339),
                // `weight` stays the effective weight (0 when drained) in provider units;
                // `weight_text` is the provider's own notation ("0.35", "disabled (700)").
                // A region routed by latency, failover or geography has no weight: null.
                "weight": s.and_then(|s| s.weight.value).filter(|w| w.has_share()).map(|w| w.effective()),
                "drained": s.and_then(|s| s.weight.value).map(|w| w.drained),
                "weight_text": s.and_then(|s| s.weight.value).map(|w| rules.format(w)),
                "steady_weight": r.steady_weight,
                "traffic_share": state.traffic_share(&r.id).map(|x| (x * 10_000.0).round() / 10_000.0),
                // How the region's traffic is steered and whether it is in rotation: under
                // latency, failover or geo routing there is no share, only this.
                "policy": s.and_then(|s| s.weight.value).map(|w| w.steering),
                "rotation": state.rotation(&r.id),
                "route": state.routes.get(&r.id),
                "lag_seconds": s.and_then(|s| s.lag.value),
                "observed_at": oldest.map(rfc3339),
                "stale": s.is_some_and(|s| is_stale(&s.health, now) || is_stale(&s.weight, now) || s.lag.error.is_some()),
                "errors": errors,
                "phases": phases,
                // The routing layer's map (fleets with `[tenant_routing]`): how many tenants
                // live here, and whether new ones are assigned here at sign-up.
                "tenants_homed": state.homes().map(|h| h.homed_in(&r.id)),
                "signups": state.homes().and_then(|h| h.takes_signups(&r.id)),
                "stores": super::status_stores::json(r, state),
            })
        })
        .collect();
    let providers: serde_json::Map<String, Value> = [
        ("traffic", fleet.traffic.provider),
        ("gitops", fleet.gitops.provider),
        ("runner", fleet.runner.provider),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), json!(v.as_str())))
    .collect();
    let head = json!({
        "fleet": {
            "name": fleet.name,
            "description": fleet.description,
            "simulated": fleet.is_simulated(),
            "simulated_capabilities": fleet.simulated_capabilities(),
            "providers": providers,
            "observed_at": rfc3339(state.observed_at),
            "read_only": read_only,
            "lock": lock.map(|h| json!({"user": h.user, "pid": h.pid, "action": h.action, "since": rfc3339(h.since_ms), "expires": h.expires_ms.map(rfc3339)})),
            "total_weight": state.total_weight(),
            "policy": {
                "rpo_budget_seconds": fleet.policy.rpo_budget.as_secs(),
                "health_gate_seconds": fleet.policy.health_gate.as_secs(),
                "production_environments": fleet.policy.production_environments,
            },
        },
        "regions": regions,
        "tenant_routing": routing_json(fleet, state),
        "unmanaged_weights": state.unmanaged_weights.iter().map(|(id, w)| json!({"set_identifier": id, "weight": w})).collect::<Vec<_>>(),
    });
    StatusDoc {
        sections: match head {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        },
        tenants: Tenants {
            fleet,
            state,
            history: false,
        },
    }
}

/// The `tenant_routing` section: where the map was read from, when, and what it holds that
/// the per-region and per-tenant fields cannot show (homes in regions the fleet does not
/// know, entries that could not be read). Null for fleets without `[tenant_routing]`.
fn routing_json(fleet: &Fleet, state: &FleetState) -> Value {
    let Some(cap) = &fleet.tenant_routing else {
        return Value::Null;
    };
    let r = &state.routing;
    let homes = state.homes();
    let elsewhere: serde_json::Map<String, Value> = homes
        .map(|h| {
            h.counts()
                .into_iter()
                .filter(|(region, _)| fleet.region(region).is_none())
                .map(|(region, n)| (region.to_string(), json!(n)))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "provider": cap.provider.as_str(),
        "observed_at": r.at.map(rfc3339),
        "error": r.error,
        "stale": is_stale(r, state.observed_at),
        "tenants": homes.map(|h| h.homes.len()),
        "signups": homes.and_then(|h| h.signups.clone()),
        "homed_outside_fleet": elsewhere,
        "unreadable": homes.map(|h| h.unreadable.clone()).unwrap_or_default(),
    })
}

/// The `api` section of `status --json`: per provider family, what this process spent and
/// what polling is planned (and allowed) to spend.
pub fn api_json(lines: &[crate::providers::budget::BudgetLine]) -> Value {
    let map: serde_json::Map<String, Value> = lines
        .iter()
        .map(|b| {
            (
                b.family.to_string(),
                json!({
                    "calls": b.calls,
                    "throttled": b.throttled,
                    "calls_per_minute": (b.calls_per_minute * 10.0).round() / 10.0,
                    "planned_per_minute": b.planned_per_minute.map(|p| (p * 10.0).round() / 10.0),
                    "budget_per_minute": b.budget_per_minute,
                    "units_last_hour": b.units_last_hour,
                    "unit": b.unit,
                }),
            )
        })
        .collect();
    Value::Object(map)
}

fn is_stale<T>(o: &Observed<T>, now: Millis) -> bool {
    o.is_stale(now, STALE_AFTER_MS)
}

/// Under the region table, for fleets with `[tenant_routing]`: how many tenants each region
/// is home to and whether it takes sign-ups, as the routing layer's map says.
fn routing_text(fleet: &Fleet, state: &FleetState) -> String {
    if fleet.tenant_routing.is_none() {
        return String::new();
    }
    let r = &state.routing;
    let Some(homes) = state.homes() else {
        let why = r.error.as_deref().unwrap_or("not read yet");
        return format!("tenant routing: ? ({why})\n");
    };
    let stale = if is_stale(r, state.observed_at) {
        "~"
    } else {
        ""
    };
    let regions: Vec<String> = fleet
        .regions
        .iter()
        .map(|reg| {
            let signups = match homes.takes_signups(&reg.id) {
                Some(true) => "open",
                Some(false) => "closed",
                None => "?",
            };
            format!("{} {stale}{} {signups}", reg.id, homes.homed_in(&reg.id))
        })
        .collect();
    // Wrapped to the table's 100 columns.
    let mut out = String::new();
    let mut line = "tenants homed, sign-ups:".to_string();
    for r in regions {
        if line.chars().count() + 3 + r.chars().count() > 100 {
            out.push_str(&line);
            out.push('\n');
            line = "   ".to_string();
        } else if !line.ends_with(':') {
            line.push_str(" ·");
        }
        line.push(' ');
        line.push_str(&r);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The human table. Values that are stale carry a `~` and are explained under the table.
pub fn to_text(
    fleet: &Fleet,
    state: &FleetState,
    lock: Option<&LockHolder>,
    read_only: bool,
) -> String {
    let now = state.observed_at;
    let rules = fleet.traffic.provider.traffic_rules();
    let mut out = String::new();
    let mut notes: Vec<String> = Vec::new();
    let sim = fleet
        .simulated_label()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    let ro = if read_only { " · READ-ONLY" } else { "" };
    let argo = crate::state::argo_summaries(fleet, state);
    // The dashboard's header says the same: how many values could not be read fresh.
    let stale = match crate::state::Freshness::of(fleet, state, &argo, now).stale {
        0 => String::new(),
        1 => " · 1 value stale (~)".to_string(),
        n => format!(" · {n} values stale (~)"),
    };
    out.push_str(&format!(
        "fleet {}{sim} · observed {}{ro}{stale}\n",
        fleet.name,
        rfc3339(now)
    ));
    if let Some(h) = lock {
        out.push_str(&format!("fleet lock held by {h}\n"));
    }
    out.push('\n');
    // `latency · serving` is wider than a weight: the column fits the widest.
    let w = fleet
        .regions
        .iter()
        .filter_map(|r| state.traffic_text(&r.id))
        .map(|t| t.chars().count() + 1)
        .max()
        .unwrap_or(0)
        .max(7);
    out.push_str(&format!(
        "{:<16} {:<9} {:<9} {:>7} {:>8}  {:>w$} {:>5}  {:<6} {:<6}\n",
        "REGION",
        "ROLE",
        "HEALTH",
        "LATENCY",
        "LAG",
        if w > 7 { "TRAFFIC" } else { "WEIGHT" },
        "SHARE",
        "PHASES",
        "ARGO"
    ));
    for (r, a) in fleet.regions.iter().zip(&argo) {
        let Some(s) = state.region(&r.id) else {
            continue;
        };
        let mark = |o_stale: bool| if o_stale { "~" } else { "" };
        let health = s.health_status();
        let health_stale = is_stale(&s.health, now);
        let latency = s
            .health
            .value
            .as_ref()
            .and_then(|h| h.latency_ms)
            .filter(|_| health != HealthStatus::Down);
        let link = crate::state::replication::link_word(&s.lag);
        let lag = match (link, s.lag.value, &s.lag.error, s.role.value) {
            (Some(word), ..) => word.to_string(),
            (None, _, None, Some(crate::fleet::Role::Primary)) => "-".to_string(),
            (None, Some(l), None, _) => format!("{l:.1}s"),
            (None, Some(l), Some(_), _) => format!("~{l:.1}s"),
            (None, None, _, _) => "?".to_string(),
        };
        let steady = rules.format_units(r.steady_weight);
        let weight = match (s.weight.value, state.traffic_text(&r.id)) {
            (Some(_), Some(text)) => format!("{}{text}", mark(is_stale(&s.weight, now))),
            (Some(w), None) => format!(
                "{}{}/{steady}",
                mark(is_stale(&s.weight, now)),
                rules.format(w)
            ),
            (None, _) => format!("?/{steady}"),
        };
        let share = match (s.weight.value, state.traffic_share(&r.id)) {
            (Some(w), _) if !w.has_share() => "-".into(),
            (_, Some(x)) => format!("{:.0}%", x * 100.0),
            _ => "?".into(),
        };
        out.push_str(&format!(
            "{:<16} {:<9} {:<9} {:>7} {:>8}  {:>w$} {:>5}  {:<6} {:<6}\n",
            r.id,
            s.role.value.unwrap_or(r.role).as_str(),
            format!("{}{}", mark(health_stale), health.as_str()),
            latency
                .map(|l| format!("{l:.0}ms"))
                .unwrap_or_else(|| "-".into()),
            lag,
            weight,
            share,
            format!("{}/{}", s.phases_succeeded(), fleet.phases.len()),
            a.text("~"),
        ));
        for (name, o_err, age) in [
            ("health", &s.health.error, s.health.age(now)),
            ("weight", &s.weight.error, s.weight.age(now)),
            ("lag", &s.lag.error, s.lag.age(now)),
        ] {
            if let Some(e) = o_err {
                let age = age
                    .map(|a| format!("last good value {} old", short_age(a)))
                    .unwrap_or_else(|| "never read".into());
                notes.push(format!("{} {name}: {e} ({age})", r.id));
            }
        }
        if let Some(h) = s
            .health
            .value
            .as_ref()
            .filter(|h| h.status != HealthStatus::Healthy)
        {
            notes.push(format!("{} is {}: {}", r.id, h.status.as_str(), h.reason));
        }
        for p in s.phases.value.iter().flatten() {
            if let Some(e) = &p.error {
                notes.push(format!("{} phase {} {}: {e}", r.id, p.id, p.state.as_str()));
            }
            if let Some(step) = p
                .current_step
                .as_ref()
                .filter(|_| p.state == crate::state::PhaseStatus::Running)
            {
                notes.push(format!("{} phase {} running: {step}", r.id, p.id));
            }
        }
    }
    out.push_str(&routing_text(fleet, state));
    out.push_str(&super::status_stores::table(fleet, state));
    out.push('\n');
    let helm = fleet.tenants.iter().any(|t| t.helm.is_some());
    let homes = fleet.tenant_routing.as_ref().and(state.homes());
    out.push_str(&format!(
        "{:<16} {:<5} {:<16} {:<10} {:<12} {:<9} {:<4}{}\n",
        "TENANT",
        "ENV",
        "REGION",
        "SYNC",
        "HEALTH",
        "REVISION",
        "AUTO",
        match (helm, fleet.tenant_routing.is_some()) {
            (true, true) => " HELM HOME",
            (true, false) => " HELM",
            (false, true) => " HOME",
            (false, false) => "",
        }
    ));
    for t in &fleet.tenants {
        let ts = state.tenant(&t.id);
        for (i, region) in t.regions.iter().enumerate() {
            let o = ts.and_then(|ts| ts.app(region));
            let app = o.and_then(|o| o.value.as_ref());
            let (name, env) = if i == 0 {
                (t.id.as_str(), t.environment.as_str())
            } else {
                ("", "")
            };
            let helm_cell = if helm {
                format!(
                    " {}",
                    super::status_argo::helm_text(t, ts.and_then(|ts| ts.release(region)))
                )
            } else {
                String::new()
            };
            let dash = if app.is_none() && o.is_some_and(|o| o.error.is_none() && o.at.is_some()) {
                "-"
            } else {
                "?"
            };
            // The routing layer sends the tenant's requests to this region.
            let home_cell = match homes.and_then(|h| h.home(&t.id)) {
                Some(home) if home == region.as_str() => " home",
                _ => "",
            };
            out.push_str(&format!(
                "{:<16} {:<5} {:<16} {:<10} {:<12} {:<9} {:<4}{helm_cell}{home_cell}\n",
                name,
                env,
                region,
                app.map(|a| a.sync.as_str()).unwrap_or(dash),
                app.map(|a| a.health.as_str()).unwrap_or(dash),
                app.map(|a| &a.revision[..a.revision.len().min(7)])
                    .unwrap_or(dash),
                app.map(super::status_argo::auto_text).unwrap_or(dash),
            ));
            if let Some(a) = app {
                notes.extend(super::status_argo::notes(&t.id, region, a));
            }
            if let Some(e) = ts
                .and_then(|ts| ts.release(region))
                .and_then(|r| r.error.as_ref())
            {
                notes.push(format!("{} in {region}: {e}", t.id));
            }
            if let Some(e) = o.and_then(|o| o.error.as_ref()) {
                notes.push(format!("{} in {region}: {e}", t.id));
            }
        }
        if fleet.tenant_routing.is_some() {
            notes.extend(crate::actions::homes::home_problem(fleet, state, &t.id));
        }
    }
    notes.extend(crate::actions::gates::fleet_notes(fleet, state));
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            out.push_str(&format!("! {n}\n"));
        }
    }
    out
}
