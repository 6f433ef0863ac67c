//! Each step of the template planned by the real planner, in order, against the state the
//! steps before it would leave (a drain's weights, a promotion's roles): a failover's
//! promotion is judged with the old writer already drained, as it will run.

use super::{Item, Status};
use crate::actions::action::{Request, RolloutRef};
use crate::actions::plan::{Operation, Verdict};
use crate::actions::planner;
use crate::actions::rollout::{Rollout, StepState};
use meridian_model::fleet::rollout::{GateSpec, RolloutStep, span};
use meridian_model::fleet::{Action, Fleet, Role};
use meridian_model::state::{FleetState, HealthStatus, Millis, Observed};

/// What the template does to one region, for the checks of what it touches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Uses {
    /// Its traffic is changed (weights, drain, restore, a promotion's drain of the old writer).
    pub traffic: bool,
    /// Its database becomes the writer.
    pub promoted: bool,
    /// Its database stops being the writer.
    pub demoted: bool,
    /// A gate watches it (health or lag).
    pub watched: bool,
    /// Tenants whose Argo CD app here is synced or rolled back.
    pub apps: Vec<String>,
    /// Tenants whose Helm release here is deployed or rolled back.
    pub releases: Vec<String>,
}

/// The regions the template touches, in the order it first touches them.
#[derive(Debug, Clone, Default)]
pub(super) struct Touched {
    pub regions: Vec<(String, Uses)>,
}

impl Touched {
    fn uses(&mut self, region: &str) -> &mut Uses {
        let at = match self.regions.iter().position(|(r, _)| r == region) {
            Some(i) => i,
            None => {
                self.regions.push((region.to_string(), Uses::default()));
                self.regions.len() - 1
            }
        };
        &mut self.regions[at].1
    }
}

/// Plan every step; push an item per step (and per guard that would not pass) to `items`.
pub(super) fn plan_steps(
    fleet: &Fleet,
    rollout: &Rollout,
    state: &FleetState,
    now: Millis,
    items: &mut Vec<Item>,
) -> Touched {
    let mut projected = state.clone();
    let mut touched = Touched::default();
    for (index, entry) in rollout.steps.iter().enumerate() {
        let label = format!("step {}: {}", index + 1, entry.step.label());
        if entry.state == StepState::Skipped {
            items.push(Item::new(
                label,
                Status::Pass,
                "left out in graceful mode (it runs only ungraceful)",
            ));
            continue;
        }
        if let StepState::SkippedByPerson { comment, .. } = &entry.state {
            items.push(Item::new(
                label,
                Status::Pass,
                // "ungraceful mode: it runs only while ... (reason)": the middle part.
                format!(
                    "left out in ungraceful mode: {}",
                    comment
                        .strip_prefix("ungraceful mode: ")
                        .and_then(|c| c.split(" (").next())
                        .unwrap_or(comment)
                ),
            ));
            continue;
        }
        match &entry.step {
            RolloutStep::Gate(gate) => {
                items.push(gate_item(&label, gate, &projected));
                if let GateSpec::Healthy { region, .. } | GateSpec::Lag { region, .. } = gate {
                    touched.uses(region).watched = true;
                }
            }
            RolloutStep::Action(action) => {
                note_uses(&mut touched, action, &projected);
                let mut request = Request::new(action.clone()).reason(format!(
                    "preflight (rollout {} step {})",
                    rollout.template,
                    index + 1
                ));
                request.rollout = Some(RolloutRef {
                    id: rollout.id.clone(),
                    step: index,
                });
                request.temporary_ms = entry.temporary_ms;
                plan_item(
                    &label,
                    &request,
                    fleet,
                    &mut projected,
                    now,
                    items,
                    &mut touched,
                );
            }
        }
    }
    touched
}

fn note_uses(touched: &mut Touched, action: &Action, state: &FleetState) {
    match action {
        Action::Drain { region } => touched.uses(region).traffic = true,
        Action::Restore { regions } => {
            for r in regions {
                touched.uses(r).traffic = true;
            }
        }
        Action::SetWeights { weights } => {
            for (r, _) in weights {
                touched.uses(r).traffic = true;
            }
        }
        Action::Promote { region } => {
            if let Some(old) = state
                .regions
                .iter()
                .find(|r| r.id != *region && r.role.value == Some(Role::Primary))
            {
                touched.uses(&old.id).demoted = true;
            }
            touched.uses(region).promoted = true;
        }
        Action::Sync { tenant, region, .. } | Action::Rollback { tenant, region, .. } => {
            push_once(&mut touched.uses(region).apps, tenant);
        }
        Action::Deploy { tenant, region, .. } => {
            push_once(&mut touched.uses(region).releases, tenant);
        }
        Action::Rejoin { region }
        | Action::RunPhase { region, .. }
        | Action::ResumeAutoSync { region, .. }
        | Action::Signups { region, .. } => {
            touched.uses(region);
        }
        Action::TenantMove { to, .. } => {
            touched.uses(to);
        }
    }
}

fn push_once(list: &mut Vec<String>, tenant: &str) {
    if !list.iter().any(|t| t == tenant) {
        list.push(tenant.to_string());
    }
}

/// One action step planned: its guards' verdicts as items, then its effect on `projected`.
#[allow(clippy::too_many_arguments)]
fn plan_item(
    label: &str,
    request: &Request,
    fleet: &Fleet,
    projected: &mut FleetState,
    now: Millis,
    items: &mut Vec<Item>,
    touched: &mut Touched,
) {
    let plan = match planner::plan(request, fleet, projected, now) {
        Ok(p) => p,
        Err(e) => {
            items.push(
                Item::new(label, Status::Fail, format!("cannot be planned: {e}"))
                    .fix("fix the template's step in the fleet file"),
            );
            return;
        }
    };
    let mut bad = false;
    for c in &plan.checks {
        match c.verdict {
            Verdict::Block => {
                bad = true;
                items.push(
                    Item::new(
                        label,
                        Status::Fail,
                        format!("the {} guard would refuse it: {}", c.guard.name(), c.reason),
                    )
                    .fix(format!(
                        "`{}` shows the plan; put right what the guard names before the rollout reaches this step",
                        plan.cli_equivalent
                            .split(" --reason")
                            .next()
                            .unwrap_or(&plan.cli_equivalent)
                            .replacen("meridian ", "meridian --dry-run ", 1)
                    )),
                );
            }
            Verdict::Warn => items.push(Item::new(
                label,
                Status::Warn,
                format!("the {} guard warns: {}", c.guard.name(), c.reason),
            )),
            Verdict::Pass => {}
        }
    }
    let Some(op) = &plan.operation else {
        if !bad {
            items.push(Item::new(
                label,
                Status::Fail,
                format!("nothing can be done: {}", plan.summary),
            ));
        }
        return;
    };
    if !bad {
        let passed = plan.checks.len();
        items.push(Item::new(
            label,
            Status::Pass,
            format!(
                "planned: {}; {passed} guard{} checked",
                plan.summary,
                if passed == 1 { "" } else { "s" }
            ),
        ));
    }
    project(projected, op, now, touched);
}

/// What the step leaves behind, as far as later steps' plans look at it.
fn project(state: &mut FleetState, op: &Operation, now: Millis, touched: &mut Touched) {
    let set = |state: &mut FleetState, weights: &[(String, meridian_model::traffic::Weight)]| {
        for (r, w) in weights {
            if let Some(s) = state.region_mut(r) {
                s.weight = Observed::ok(*w, now);
            }
        }
    };
    match op {
        Operation::SetWeights { weights } => set(state, weights),
        Operation::Promote {
            region,
            old_primary,
            drain_old,
            ..
        } => {
            if let Some(s) = old_primary.as_deref().and_then(|o| state.region_mut(o)) {
                s.role = Observed::ok(Role::Secondary, now);
            }
            if let Some(s) = state.region_mut(region) {
                s.role = Observed::ok(Role::Primary, now);
                s.lag = Observed::empty(now);
            }
            for (r, _) in drain_old {
                touched.uses(r).traffic = true;
            }
            set(state, drain_old);
        }
        _ => {}
    }
}

/// A gate judged now: met, would wait, or cannot pass.
fn gate_item(label: &str, gate: &GateSpec, state: &FleetState) -> Item {
    match gate {
        GateSpec::Healthy { region, hold } => {
            let Some(s) = state.region(region) else {
                return Item::new(label, Status::Fail, format!("{region} is not in the fleet"));
            };
            if let Some(e) = &s.health.error {
                return Item::new(
                    label,
                    Status::Fail,
                    format!("{region}'s health cannot be read: {e}"),
                )
                .fix("the gate can never be met without a health reading: fix the region's health source")
                .region(region);
            }
            match s.health_status() {
                HealthStatus::Healthy => Item::new(
                    label,
                    Status::Pass,
                    format!(
                        "{region} is healthy now; the gate counts {} from when it starts",
                        span(*hold)
                    ),
                ),
                HealthStatus::Unknown => Item::new(
                    label,
                    Status::Fail,
                    format!("{region}'s health is unknown: the gate could not be met"),
                )
                .fix("give the region a health source that answers (`meridian status` shows its health)")
                .region(region),
                other => Item::new(
                    label,
                    Status::Fail,
                    format!(
                        "{region} is {} now: the gate would wait for it to be healthy for {}",
                        other.as_str(),
                        span(*hold)
                    ),
                )
                .fix(format!("find out why {region} is not healthy before relying on it"))
                .region(region),
            }
        }
        GateSpec::Lag { region, under } => {
            let Some(s) = state.region(region) else {
                return Item::new(label, Status::Fail, format!("{region} is not in the fleet"));
            };
            match (&s.lag.error, s.lag.value) {
                (Some(e), _) => Item::new(
                    label,
                    Status::Fail,
                    format!("{region}'s lag cannot be read: {e}"),
                )
                .fix("the gate can never be met without a lag reading: fix the region's lag source")
                .region(region),
                (None, Some(lag)) if lag <= under.as_secs_f64() => Item::new(
                    label,
                    Status::Pass,
                    format!("{region} is {lag:.1}s behind now, under {}", span(*under)),
                ),
                (None, Some(lag)) => Item::new(
                    label,
                    Status::Warn,
                    format!(
                        "{region} is {lag:.1}s behind now: the gate waits until it is under {}",
                        span(*under)
                    ),
                )
                .region(region),
                (None, None) => Item::new(
                    label,
                    Status::Warn,
                    format!("{region} has no lag reading now (no datapoint, or it is the writer)"),
                )
                .region(region),
            }
        }
        GateSpec::Approval {
            artifact: Some(a), ..
        } => Item::new(
            label,
            Status::Pass,
            format!(
                "a second person approves artifact {a}'s hash once it is written (`meridian approve --artifact`)"
            ),
        ),
        GateSpec::Approval { second_person, .. } => Item::new(
            label,
            Status::Pass,
            if *second_person {
                "a second person approves when it is reached (`meridian rollout approve`)"
            } else {
                "a person approves when it is reached (`meridian rollout approve`)"
            },
        ),
        GateSpec::Wait { hold } => Item::new(label, Status::Pass, format!("waits {}", span(*hold))),
        GateSpec::Command { run, uses, .. } => Item::new(
            label,
            Status::NotChecked,
            match uses {
                // The artifact it applies is written and approved by earlier steps.
                Some(u) => format!(
                    "`{}` is run when the step is reached, not now, and only with artifact {u} approved",
                    run.display()
                ),
                None => format!(
                    "`{}` is run when the step is reached, not now",
                    run.display()
                ),
            },
        ),
        GateSpec::Alarms { .. } => Item::new(
            label,
            Status::NotChecked,
            "decided from the alarms' history when the step is reached",
        ),
    }
}
