//! The run-phase plan: one phase of standing a region up, from its first step or resuming
//! at the step that failed or was interrupted.

use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::guards;
use crate::actions::plan::*;
use meridian_model::fleet::{Fleet, ProviderKind, StepVars};
use meridian_model::state::{FleetState, PhaseStatus};

pub(super) fn run_phase_plan(
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
    let ps = state.region(region).and_then(|r| r.phase(phase));
    let current = ps.map(|p| p.state.as_str()).unwrap_or("unknown");
    plan.changes.push(Change::new(
        region,
        format!("phase {phase}"),
        current,
        "succeeded",
    ));
    let from = resume_at(req, ps, def.steps.len());
    if from > 0 {
        let step = &def.steps[from].name;
        plan.notes.push(format!(
            "resumes at step {} ({step}): earlier steps completed in the last run; --from-start redoes every step",
            from + 1
        ));
    }
    let shell = fleet.runner.provider == ProviderKind::Shell;
    let vars = fleet.region(region).map(|r| StepVars::new(fleet, r));
    for (i, s) in def.steps.iter().enumerate() {
        let done = if i < from {
            " (done earlier; not run)"
        } else {
            ""
        };
        let command = match (&s.run, &vars) {
            (Some(c), Some(v)) if shell => format!(": {}", c.substituted(v).display()),
            _ => String::new(),
        };
        plan.notes
            .push(format!("step {}: {}{done}{command}", i + 1, s.name));
        if let (Some(c), Some(v), true, "") = (&s.check, &vars, shell, done) {
            plan.notes.push(format!(
                "  skipped if this exits 0: {}",
                c.substituted(v).display()
            ));
        }
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
        from,
    });
    plan
}

/// Where a run starts: the failed or interrupted step, unless asked to start over.
fn resume_at(req: &Request, ps: Option<&meridian_model::state::PhaseState>, steps: usize) -> usize {
    let Some(p) = ps else { return 0 };
    let resumable = matches!(p.state, PhaseStatus::Failed | PhaseStatus::Interrupted);
    match p.step_index {
        Some(i) if resumable && !req.from_start && i < steps => i,
        _ => 0,
    }
}
