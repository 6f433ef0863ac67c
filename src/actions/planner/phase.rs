//! The run-phase plan: one phase of standing a region up.

use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::guards;
use crate::actions::plan::*;
use crate::fleet::Fleet;
use crate::state::FleetState;

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
