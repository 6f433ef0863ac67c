//! `plan(request, fleet, state, now) -> Plan`: pure, no I/O.

use std::collections::HashSet;

use super::action::{Action, Request};
use super::guards::{self, short_rev};
use super::plan::*;
use crate::fleet::{ConfirmStrength, Fleet, suggest};
use crate::state::FleetState;
use crate::state::Millis;

/// The request names something that does not exist (a usage error, not a refusal).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("unknown region \"{name}\"{hint}")]
    UnknownRegion { name: String, hint: String },
    #[error("unknown tenant \"{name}\"{hint}")]
    UnknownTenant { name: String, hint: String },
    #[error("unknown phase \"{name}\"{hint}")]
    UnknownPhase { name: String, hint: String },
    #[error("tenant {tenant} does not run in {region} (it runs in: {runs_in})")]
    TenantNotInRegion {
        tenant: String,
        region: String,
        runs_in: String,
    },
    #[error("region {0} is named twice")]
    DuplicateRegion(String),
    #[error("unknown guard \"{name}\" for --override{hint}")]
    UnknownGuard { name: String, hint: String },
    #[error("nothing to do: name at least one REGION=WEIGHT")]
    NoWeights,
}

/// Plan a request against the fleet as last observed.
pub fn plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
) -> Result<Plan, PlanError> {
    for o in &req.overrides {
        if Guard::parse(o).is_none() {
            let hint = suggest::hint(o, Guard::ALL.iter().map(|g| g.name()));
            return Err(PlanError::UnknownGuard {
                name: o.clone(),
                hint,
            });
        }
    }
    let mut plan = match &req.action {
        Action::Drain { region } => {
            known_region(fleet, region)?;
            let after = with_weight(state, region, 0);
            weights_plan(
                req,
                fleet,
                state,
                now,
                region.clone(),
                as_requested(&after),
                format!("Drain {region}: move its traffic to the other regions"),
            )
        }
        Action::Restore { regions } => {
            for r in regions {
                known_region(fleet, r)?;
            }
            let targets: Vec<&str> = if regions.is_empty() {
                fleet.region_ids()
            } else {
                regions.iter().map(String::as_str).collect()
            };
            let after: Vec<(String, u32)> = fleet
                .regions
                .iter()
                .map(|r| {
                    let w = if targets.contains(&r.id.as_str()) {
                        r.steady_weight
                    } else {
                        current_weight(state, &r.id)
                    };
                    (r.id.clone(), w as u32)
                })
                .collect();
            let target = if regions.len() == 1 {
                regions[0].clone()
            } else {
                fleet.name.clone()
            };
            let what = if regions.is_empty() {
                "every region".to_string()
            } else {
                regions.join(", ")
            };
            weights_plan(
                req,
                fleet,
                state,
                now,
                target,
                after,
                format!("Restore {what} to steady-state weights"),
            )
        }
        Action::SetWeights { weights } => {
            if weights.is_empty() {
                return Err(PlanError::NoWeights);
            }
            let mut seen = Vec::new();
            for (r, _) in weights {
                known_region(fleet, r)?;
                if seen.contains(&r) {
                    return Err(PlanError::DuplicateRegion(r.clone()));
                }
                seen.push(r);
            }
            let after: Vec<(String, u32)> = fleet
                .regions
                .iter()
                .map(|r| {
                    let asked = weights.iter().find(|(id, _)| *id == r.id).map(|(_, w)| *w);
                    (
                        r.id.clone(),
                        asked.unwrap_or(current_weight(state, &r.id) as u32),
                    )
                })
                .collect();
            let list: Vec<String> = weights.iter().map(|(r, w)| format!("{r}={w}")).collect();
            weights_plan(
                req,
                fleet,
                state,
                now,
                fleet.name.clone(),
                after,
                format!("Set weights {}", list.join(" ")),
            )
        }
        Action::Promote { region } => {
            known_region(fleet, region)?;
            promote_plan(req, fleet, state, now, region)
        }
        Action::RunPhase { region, phase } => {
            known_region(fleet, region)?;
            known_phase(fleet, phase)?;
            run_phase_plan(req, fleet, state, region, phase)
        }
        Action::Rollback { tenant, region, to } => {
            known_region(fleet, region)?;
            let t = fleet
                .tenant(tenant)
                .ok_or_else(|| PlanError::UnknownTenant {
                    name: tenant.clone(),
                    hint: suggest::hint(tenant, fleet.tenants.iter().map(|t| t.id.as_str())),
                })?;
            if !t.regions.contains(region) {
                return Err(PlanError::TenantNotInRegion {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    runs_in: t.regions.join(", "),
                });
            }
            rollback_plan(req, fleet, state, tenant, region, to.as_deref())
        }
    };
    finish(&mut plan, req, fleet);
    Ok(plan)
}

fn known_region(fleet: &Fleet, name: &str) -> Result<(), PlanError> {
    match fleet.region(name) {
        Some(_) => Ok(()),
        None => Err(PlanError::UnknownRegion {
            name: name.to_string(),
            hint: suggest::hint(name, fleet.region_ids()),
        }),
    }
}

fn known_phase(fleet: &Fleet, name: &str) -> Result<(), PlanError> {
    match fleet.phase_index(name) {
        Some(_) => Ok(()),
        None => Err(PlanError::UnknownPhase {
            name: name.to_string(),
            hint: suggest::hint(name, fleet.phases.iter().map(|p| p.id.as_str())),
        }),
    }
}

fn current_weight(state: &FleetState, region: &str) -> u8 {
    state
        .region(region)
        .and_then(|r| r.weight.value)
        .unwrap_or(0)
}

fn with_weight(state: &FleetState, region: &str, weight: u8) -> Vec<(String, u8)> {
    state
        .regions
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                if r.id == region {
                    weight
                } else {
                    r.weight.value.unwrap_or(0)
                },
            )
        })
        .collect()
}

fn as_requested(ws: &[(String, u8)]) -> Vec<(String, u32)> {
    ws.iter().map(|(r, w)| (r.clone(), *w as u32)).collect()
}

fn empty_plan(req: &Request, target: String, summary: String) -> Plan {
    Plan {
        name: req.action.name(),
        action: req.action.clone(),
        target,
        summary,
        environments: Vec::new(),
        changes: Vec::new(),
        checks: Vec::new(),
        confirm: ConfirmStrength::YesNo,
        blast_radius: BlastRadius::default(),
        cli_equivalent: String::new(),
        operation: None,
        reason: req.given_reason().map(str::to_string),
        overrides: req.overrides.clone(),
        accept_data_loss: req.accept_data_loss,
        read_only: req.read_only,
        notes: Vec::new(),
    }
}

/// Tenants and traffic share of a set of regions.
fn blast_radius(fleet: &Fleet, state: &FleetState, regions: &[&str]) -> BlastRadius {
    let touched: HashSet<&str> = regions.iter().copied().collect();
    let tenants = fleet
        .tenants
        .iter()
        .filter(|t| t.regions.iter().any(|r| touched.contains(r.as_str())))
        .map(|t| t.id.clone())
        .collect();
    let traffic_share = regions
        .iter()
        .filter_map(|r| state.traffic_share(r))
        .sum::<f64>()
        .min(1.0);
    // `production` is decided in `finish`, from the tenants' environments.
    BlastRadius {
        tenants,
        traffic_share,
        production: false,
    }
}

fn weights_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
    target: String,
    requested: Vec<(String, u32)>,
    summary: String,
) -> Plan {
    let mut plan = empty_plan(req, target, summary);
    let before = state.weights();
    let range = guards::weight_range(&requested);
    let in_range = range.verdict == Verdict::Pass;
    let after: Vec<(String, u8)> = requested
        .iter()
        .map(|(r, w)| (r.clone(), (*w).min(255) as u8))
        .collect();
    let total_after: u32 = after.iter().map(|(_, w)| *w as u32).sum::<u32>()
        + state
            .unmanaged_weights
            .iter()
            .map(|(_, w)| *w as u32)
            .sum::<u32>();
    let mut touched = Vec::new();
    for (r, asked) in &requested {
        let was = before
            .iter()
            .find(|(id, _)| id == r)
            .map(|(_, w)| *w)
            .unwrap_or(0);
        if *asked != was as u32 {
            let share_after = if total_after == 0 || *asked > 255 {
                "?".to_string()
            } else {
                format!("{:.0}%", (*asked as f64 / total_after as f64) * 100.0)
            };
            let share_before = state
                .traffic_share(r)
                .map(|s| format!("{:.0}%", s * 100.0))
                .unwrap_or_else(|| "?".into());
            plan.changes.push(Change::new(
                r.clone(),
                "weight",
                format!("{was} ({share_before})"),
                format!("{asked} ({share_after})"),
            ));
            touched.push(r.as_str());
        }
    }
    plan.blast_radius = blast_radius(fleet, state, &touched);
    let touched_all: Vec<&str> = requested.iter().map(|(r, _)| r.as_str()).collect();
    plan.checks = vec![
        range,
        guards::all_weights_zero(
            &after,
            state.unmanaged_weights.iter().map(|(_, w)| *w as u32).sum(),
        ),
        guards::last_healthy_region(state, &before, &after),
        guards::unhealthy_target(state, &before, &after),
        guards::health_gate(state, &fleet.policy, &before, &after, now),
        guards::phases_incomplete(fleet, state, &before, &after),
        guards::stale_data(state, &touched_all, now),
        guards::no_change(plan.changes.is_empty(), "the weights are already as asked"),
    ];
    if in_range {
        // Only the weights that change go into the one atomic change.
        let changed = after
            .into_iter()
            .filter(|(r, w)| before.iter().find(|(id, _)| id == r).map(|(_, b)| b) != Some(w))
            .collect();
        plan.operation = Some(Operation::SetWeights { weights: changed });
    }
    plan
}

fn promote_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
    region: &str,
) -> Plan {
    let old = state.primary().map(|r| r.id.clone());
    let mut plan = empty_plan(
        req,
        region.to_string(),
        format!("Promote {region}'s database to primary"),
    );
    if let Some(old) = &old
        && old != region
    {
        // How the old primary stops taking writes depends on the database provider, which
        // adds its own note (`providers::plan_notes`).
        plan.changes
            .push(Change::new(old.clone(), "role", "primary", "secondary"));
    }
    if old.as_deref() != Some(region) {
        plan.changes
            .push(Change::new(region, "role", "secondary", "primary"));
    }
    // Every tenant writes to the primary, so every tenant is affected.
    let all: Vec<&str> = fleet.region_ids();
    plan.blast_radius = blast_radius(fleet, state, &all);
    plan.checks = vec![
        guards::already_primary(state, region),
        guards::promote_target_health(state, region),
        guards::replication_lag(state, region, &fleet.policy, req.accept_data_loss),
        guards::stale_data(state, &[region], now),
    ];
    plan.operation = Some(Operation::Promote {
        region: region.to_string(),
    });
    plan
}

fn run_phase_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    region: &str,
    phase: &str,
) -> Plan {
    let index = fleet.phase_index(phase).unwrap_or(0);
    let def = &fleet.phases[index];
    let mut plan = empty_plan(
        req,
        region.to_string(),
        format!("Run phase {} ({}) in {region}", index + 1, def.name),
    );
    let current = state
        .region(region)
        .and_then(|r| r.phase(phase))
        .map(|p| p.state.as_str())
        .unwrap_or("unknown");
    plan.changes.push(Change::new(
        region,
        format!("phase {phase}"),
        current,
        "succeeded",
    ));
    for (i, s) in def.steps.iter().enumerate() {
        plan.notes.push(format!("step {}: {}", i + 1, s.name));
    }
    plan.blast_radius = blast_radius(fleet, state, &[region]);
    plan.checks = vec![
        guards::phase_order(fleet, state, region, phase),
        guards::phase_running(state, region, phase),
    ];
    plan.operation = Some(Operation::RunPhase {
        region: region.to_string(),
        phase: phase.to_string(),
        steps: def.steps.len(),
    });
    plan
}

fn rollback_plan(
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
        if e.revision != app.revision {
            plan.changes.push(Change::new(
                &app.name,
                "revision",
                short_rev(&app.revision),
                format!("{} (history {})", short_rev(&e.revision), e.id),
            ));
        }
        plan.checks.push(guards::no_change(
            e.revision == app.revision && !pause,
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

/// Shared tail: production, confirmation, reason and read-only guards, overrides, the
/// equivalent command.
fn finish(plan: &mut Plan, req: &Request, fleet: &Fleet) {
    let affected: HashSet<&str> = plan
        .blast_radius
        .tenants
        .iter()
        .map(String::as_str)
        .collect();
    let mut envs: Vec<String> = Vec::new();
    for t in fleet
        .tenants
        .iter()
        .filter(|t| affected.contains(t.id.as_str()))
    {
        if !envs.contains(&t.environment) {
            envs.push(t.environment.clone());
        }
    }
    plan.blast_radius.production = envs.iter().any(|e| fleet.is_production(e));
    plan.environments = envs;
    let c = &fleet.policy.confirm;
    let base = match &req.action {
        Action::Drain { .. } => c.drain,
        Action::Restore { .. } => c.restore,
        Action::SetWeights { .. } => c.set_weights,
        Action::Promote { .. } => c.promote,
        Action::RunPhase { .. } => c.run_phase,
        Action::Rollback { .. } => c.rollback,
    };
    plan.confirm = if plan.blast_radius.production {
        ConfirmStrength::TypeName
    } else {
        base
    };
    plan.checks.insert(
        0,
        guards::reason_required(
            plan.blast_radius.production,
            req.given_reason(),
            &req.overrides,
        ),
    );
    plan.checks.insert(0, guards::read_only(req.read_only));
    if req.given_reason().is_some() {
        for check in plan.checks.iter_mut() {
            if check.verdict == Verdict::Block
                && check.guard.overridable()
                && req.overrides.iter().any(|o| o == check.guard.name())
            {
                check.overridden = true;
            }
        }
    }
    plan.cli_equivalent = cli_equivalent(req);
}

/// The headless command that does the same thing.
pub fn cli_equivalent(req: &Request) -> String {
    let mut words: Vec<String> = vec!["meridian".into()];
    match &req.action {
        Action::Drain { region } => words.extend(["drain".into(), region.clone()]),
        Action::Restore { regions } => {
            words.push("restore".into());
            words.extend(regions.iter().cloned());
        }
        Action::SetWeights { weights } => {
            words.push("weights".into());
            words.extend(weights.iter().map(|(r, w)| format!("{r}={w}")));
        }
        Action::Promote { region } => words.extend(["promote".into(), region.clone()]),
        Action::RunPhase { region, phase } => {
            words.extend(["phase".into(), "run".into(), region.clone(), phase.clone()])
        }
        Action::Rollback { tenant, region, to } => {
            words.extend([
                "rollback".into(),
                tenant.clone(),
                "--region".into(),
                region.clone(),
            ]);
            if let Some(to) = to {
                words.extend(["--to".into(), to.clone()]);
            }
        }
    }
    if req.accept_data_loss {
        words.push("--accept-data-loss".into());
    }
    for o in &req.overrides {
        words.extend(["--override".into(), o.clone()]);
    }
    if let Some(r) = req.given_reason() {
        words.extend(["--reason".into(), shell_quote(r)]);
    }
    words.join(" ")
}

/// Quote a word for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/=@+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
