//! Plans that move DNS weights: drain, restore, set-weights.

use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::guards;
use crate::actions::plan::*;
use crate::fleet::Fleet;
use crate::state::{FleetState, Millis};

pub(super) fn weights_plan(
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
