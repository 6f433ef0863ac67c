//! `plan(request, fleet, state, now) -> Plan`: pure, no I/O. This module checks the
//! request's names and dispatches; one child module per kind of change builds its plan.

mod command;
mod database;
mod deploy;
mod helm;
mod phase;
mod release;
mod routing;
mod stores;
mod sync;
mod traffic;

pub use command::{cli_equivalent, shell_quote};
use database::promote_plan;
use phase::run_phase_plan;
use release::rollback_plan;
use sync::{resume_plan, sync_plan};
use traffic::weights_plan;

use std::collections::HashSet;

use super::action::{Action, Request};
use super::guards;
use super::plan::*;
use meridian_model::fleet::{ConfirmStrength, Fleet, suggest};
use meridian_model::state::FleetState;
use meridian_model::state::Millis;
use meridian_model::traffic::{Resolution, Weight};

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
    #[error(
        "{region} is routed by {policy} ({provider}): it has no weight to set; `meridian drain {region}` takes it out of rotation and `meridian restore {region}` puts it back"
    )]
    NotWeighted {
        region: String,
        policy: String,
        provider: String,
    },
    #[error(
        "fleet {0} has no [tenant_routing] table: meridian does not know where tenants live (see docs/tenant-routing.md)"
    )]
    NoTenantRouting(String),
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
    let rules = fleet.traffic.provider.traffic_rules();
    let mut plan = match &req.action {
        Action::Drain { region } => {
            known_region(fleet, region)?;
            let after = fleet
                .regions
                .iter()
                .map(|r| {
                    let now = current_weight(state, &r.id);
                    let w = if r.id == *region {
                        rules.drain(now)
                    } else {
                        now
                    };
                    (r.id.clone(), w)
                })
                .collect();
            let mut plan = weights_plan(
                req,
                fleet,
                state,
                now,
                region.clone(),
                after,
                Resolution::default(),
                format!("Drain {region}: move its traffic to the other regions"),
            );
            routing::drain_warning(&mut plan, fleet, state, region);
            plan
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
            let after: Vec<(String, Weight)> = fleet
                .regions
                .iter()
                .map(|r| {
                    let now = current_weight(state, &r.id);
                    let w = if targets.contains(&r.id.as_str()) {
                        rules.restore(now, r.steady_weight)
                    } else {
                        now
                    };
                    (r.id.clone(), w)
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
                Resolution::default(),
                match targets
                    .iter()
                    .any(|r| !current_weight(state, r).has_share())
                {
                    true => format!("Restore {what} to steady state (back in rotation)"),
                    false => format!("Restore {what} to steady-state weights"),
                },
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
            let current: Vec<(String, Weight)> = fleet
                .regions
                .iter()
                .map(|r| (r.id.clone(), current_weight(state, &r.id)))
                .collect();
            // Weights mean nothing to a latency, failover or geo record: say what fits.
            for (r, _) in weights {
                if let Some((_, w)) = current.iter().find(|(id, w)| id == r && !w.has_share()) {
                    return Err(PlanError::NotWeighted {
                        region: r.clone(),
                        policy: meridian_model::traffic::steering::describe_policy(*w),
                        provider: rules.provider.to_string(),
                    });
                }
            }
            let unmanaged: u32 = state.unmanaged_weights.iter().map(|(_, w)| *w).sum();
            let resolution = meridian_model::traffic::resolve(&current, weights, unmanaged, rules);
            let after: Vec<(String, Weight)> = current
                .iter()
                .map(|(r, now)| {
                    let asked = resolution.requested.iter().find(|q| q.region == *r);
                    let w = match asked {
                        Some(q) => rules.set(*now, u32::try_from(q.units).unwrap_or(u32::MAX)),
                        None => *now,
                    };
                    (r.clone(), w)
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
                resolution,
                format!("Set weights {}", list.join(" ")),
            )
        }
        Action::Promote { region } => {
            known_region(fleet, region)?;
            promote_plan(req, fleet, state, now, region)
        }
        Action::Rejoin { region } => {
            known_region(fleet, region)?;
            database::rejoin_plan(req, fleet, state, now, region)
        }
        Action::RunPhase { region, phase } => {
            known_region(fleet, region)?;
            known_phase(fleet, phase)?;
            run_phase_plan(req, fleet, state, region, phase)
        }
        Action::Rollback {
            tenant,
            region,
            to,
            via,
        } => {
            tenant_in(fleet, tenant, region)?;
            let target = release::Target {
                tenant,
                region,
                to: to.as_deref(),
                via: *via,
            };
            rollback_plan(req, fleet, state, &target, now)
        }
        Action::Sync {
            tenant,
            region,
            revision,
        } => {
            tenant_in(fleet, tenant, region)?;
            sync_plan(
                req,
                fleet,
                state,
                (tenant, region),
                revision.as_deref(),
                now,
            )
        }
        Action::ResumeAutoSync { tenant, region } => {
            tenant_in(fleet, tenant, region)?;
            resume_plan(req, fleet, state, (tenant, region), now)
        }
        Action::Signups { region, open } => {
            known_region(fleet, region)?;
            routing::has_routing(fleet)?;
            routing::signups_plan(req, fleet, state, region, *open, now)
        }
        Action::TenantMove { tenant, to } => {
            known_region(fleet, to)?;
            routing::has_routing(fleet)?;
            routing::known_tenant(fleet, state, tenant)?;
            routing::move_plan(req, fleet, state, tenant, to, now)
        }
        Action::Deploy {
            tenant,
            region,
            version,
            set,
            values,
        } => {
            tenant_in(fleet, tenant, region)?;
            let ask = deploy::Ask {
                tenant,
                region,
                version: version.as_deref(),
                set,
                values,
            };
            deploy::deploy_plan(req, fleet, state, &ask)
        }
    };
    finish(&mut plan, req, fleet);
    // Every planned action, whoever added it, meets the change freeze here.
    plan.checks
        .insert(2, super::guards_freeze::freeze(fleet, state, now));
    apply_overrides(&mut plan, req);
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

/// The tenant exists and runs in the region.
fn tenant_in(fleet: &Fleet, tenant: &str, region: &str) -> Result<(), PlanError> {
    known_region(fleet, region)?;
    let t = fleet
        .tenant(tenant)
        .ok_or_else(|| PlanError::UnknownTenant {
            name: tenant.to_string(),
            hint: suggest::hint(tenant, fleet.tenants.iter().map(|t| t.id.as_str())),
        })?;
    if !t.runs_in(region) {
        return Err(PlanError::TenantNotInRegion {
            tenant: tenant.to_string(),
            region: region.to_string(),
            runs_in: t.regions.join(", "),
        });
    }
    Ok(())
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

/// A region's weight as last read (unknown reads as drained at 0).
fn current_weight(state: &FleetState, region: &str) -> Weight {
    state
        .region(region)
        .and_then(|r| r.weight.value)
        .unwrap_or_default()
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
        rollout: req.rollout.clone(),
        old_writer: None,
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
        .min(1.0)
        // An empty sum of floats is -0.0, which prints as "-0%".
        + 0.0;
    let routing = regions
        .iter()
        .filter_map(|r| state.region(r)?.weight.value)
        .find(|w| !w.has_share())
        .map(|w| w.steering.name().to_string());
    // `production` is decided in `finish`, from the tenants' environments.
    BlastRadius {
        tenants,
        traffic_share,
        production: false,
        routing,
    }
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
        // Rejoin rewrites a database's data directory: confirmed as strongly as promote.
        Action::Promote { .. } | Action::Rejoin { .. } => c.promote,
        Action::RunPhase { .. } => c.run_phase,
        Action::Rollback { .. } | Action::Sync { .. } | Action::ResumeAutoSync { .. } => c.rollback,
        // Where new tenants go: confirmed as a drain is.
        Action::Signups { .. } => c.drain,
        // A tenant's home: always its typed id.
        Action::TenantMove { .. } => ConfirmStrength::TypeName,
        Action::Deploy { .. } => c.rollback,
    };
    plan.confirm = if plan.blast_radius.production {
        ConfirmStrength::TypeName
    } else {
        base
    };
    let reason = match (&req.action, req.given_reason()) {
        // A tenant move always says why: its data stays where it is, and someone will ask.
        (Action::TenantMove { .. }, None) if !plan.blast_radius.production => Check::block(
            Guard::ReasonRequired,
            "a tenant move must say why: give --reason (its data is not moved with it)",
        ),
        _ => guards::reason_required(
            plan.blast_radius.production,
            req.given_reason(),
            &req.overrides,
        ),
    };
    plan.checks.insert(0, reason);
    plan.checks.insert(0, guards::read_only(req.read_only));
    apply_overrides(plan, req);
    plan.cli_equivalent = cli_equivalent(req);
}

/// Blocks the operator overrode by name, with a reason.
fn apply_overrides(plan: &mut Plan, req: &Request) {
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
}

#[cfg(test)]
mod tests;
