//! Plans that move traffic: drain, restore, set-weights. They speak the provider-neutral
//! model (`traffic::Weight`) and show each change in the provider's units and as the
//! effective share of traffic.

use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::guards;
use crate::actions::plan::*;
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, HealthStatus, Millis};
use meridian_model::traffic::{self, Resolution, TrafficRules, Weight};

/// Each region whose weight differs between `before` and `after` (both in fleet order), as
/// a change in the provider's units with its share of traffic before and after; and those
/// regions. Shares after are `?` when the asked weights are out of range.
pub(super) fn weight_changes<'a>(
    state: &FleetState,
    rules: &TrafficRules,
    before: &[(String, Weight)],
    after: &'a [(String, Weight)],
    in_range: bool,
) -> (Vec<Change>, Vec<&'a str>) {
    let unmanaged: Vec<u32> = state.unmanaged_weights.iter().map(|(_, w)| *w).collect();
    let weight_before = |r: &str| {
        before
            .iter()
            .find(|(id, _)| id == r)
            .map(|(_, w)| *w)
            .unwrap_or_default()
    };
    let share_before = traffic::shares(before, &unmanaged, rules);
    let share_after = traffic::shares(after, &unmanaged, rules);
    let healthy = |r: &str| {
        state
            .region(r)
            .is_some_and(|s| s.health_status() == HealthStatus::Healthy)
    };
    let rotation_before = traffic::rotations(before, healthy);
    let rotation_after = traffic::rotations(after, healthy);
    let mut changes = Vec::new();
    let mut touched = Vec::new();
    for (i, (r, w)) in after.iter().enumerate() {
        let was = weight_before(r);
        if *w == was {
            continue;
        }
        if !w.has_share() {
            // No share to show: the policy and whether it answers, before and after.
            let at = |rs: &[traffic::Rotation], ws: &[(String, Weight)]| {
                ws.iter()
                    .position(|(id, _)| id == r)
                    .and_then(|j| rs.get(j).copied())
            };
            let text = |w: Weight, rot: Option<traffic::Rotation>| match rot {
                Some(rot) => traffic::steering::describe(w, rot),
                None => w.to_string(),
            };
            changes.push(Change::new(
                r.clone(),
                "traffic",
                text(was, at(&rotation_before, before)),
                text(*w, rotation_after.get(i).copied()),
            ));
            touched.push(r.as_str());
            continue;
        }
        let before_share = before
            .iter()
            .position(|(id, _)| id == r)
            .and_then(|j| share_before.get(j))
            .filter(|_| state.region(r).is_some_and(|s| s.weight.value.is_some()))
            .map(|s| traffic::percent(*s))
            .unwrap_or_else(|| "?".into());
        let after_share = match share_after.get(i) {
            Some(s) if in_range => traffic::percent(*s),
            _ => "?".into(),
        };
        changes.push(Change::new(
            r.clone(),
            "weight",
            format!("{} ({before_share})", rules.format(was)),
            format!("{} ({after_share})", rules.format(*w)),
        ));
        touched.push(r.as_str());
    }
    (changes, touched)
}

/// `after` holds every region's weight once the plan has run, in fleet order.
#[allow(clippy::too_many_arguments)]
pub(super) fn weights_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
    target: String,
    after: Vec<(String, Weight)>,
    resolution: Resolution,
    summary: String,
) -> Plan {
    let rules = fleet.traffic.provider.traffic_rules();
    let mut plan = empty_plan(req, target, summary);
    let before = state.weights();
    let unmanaged: Vec<u32> = state.unmanaged_weights.iter().map(|(_, w)| *w).collect();
    let range = guards::weight_range(&resolution.requested, &resolution.problems, rules);
    let in_range = range.verdict == Verdict::Pass;
    let weight_before = |r: &str| {
        before
            .iter()
            .find(|(id, _)| id == r)
            .map(|(_, w)| *w)
            .unwrap_or_default()
    };
    let (changes, touched) = weight_changes(state, rules, &before, &after, in_range);
    let touched: Vec<&str> = touched;
    plan.changes.extend(changes);
    plan.blast_radius = blast_radius(fleet, state, &touched);
    let touched_all: Vec<&str> = after.iter().map(|(r, _)| r.as_str()).collect();
    plan.checks = vec![
        range,
        guards::all_weights_zero(&after, unmanaged.iter().sum(), rules),
        guards::last_healthy_region(state, &before, &after),
        guards::unhealthy_target(state, &before, &after),
        guards::health_gate(state, &fleet.policy, &before, &after, now),
        guards::phases_incomplete(fleet, state, &before, &after),
        guards::stale_data(state, &touched_all, now),
        guards::no_change(plan.changes.is_empty(), "the weights are already as asked"),
    ];
    let steered = before.iter().any(|(_, w)| !w.has_share());
    if steered && resolution.requested.is_empty() {
        plan.checks[0] = Check::pass(
            Guard::WeightRange,
            format!(
                "no weights asked ({} routing)",
                before
                    .iter()
                    .find(|(_, w)| !w.has_share())
                    .map_or("other", |(_, w)| w.steering.name())
            ),
        );
    }
    if before.iter().any(|(_, w)| w.steering.geographic()) {
        plan.checks
            .insert(3, guards::geo_coverage(state, &before, &after));
    }
    if steered {
        plan.notes.push(rules.steered_drain.to_string());
        plan.notes.extend(takeover_notes(state, &before, &after));
        plan.notes.extend(touched.iter().filter_map(|r| {
            let route = state.routes.get(*r)?;
            (!route.via.is_empty()).then(|| format!("{r}: {}", route.via))
        }));
    } else {
        plan.notes.extend(rules.notes.iter().map(|n| n.to_string()));
    }
    if in_range {
        // Only the weights that change go into the one change.
        let changed = after
            .into_iter()
            .filter(|(r, w)| weight_before(r) != *w)
            .collect();
        plan.operation = Some(Operation::SetWeights { weights: changed });
    }
    plan
}

/// Who answers instead when a region leaves rotation under failover or priority routing,
/// and who stops answering when one comes back.
fn takeover_notes(
    state: &FleetState,
    before: &[(String, Weight)],
    after: &[(String, Weight)],
) -> Vec<String> {
    let healthy = |r: &str| {
        state
            .region(r)
            .is_some_and(|s| s.health_status() == HealthStatus::Healthy)
    };
    let rb = traffic::rotations(before, healthy);
    let ra = traffic::rotations(after, healthy);
    let mut notes: Vec<String> = traffic::steering::takes_over(before, &rb, &ra)
        .into_iter()
        .map(|r| format!("{r} takes over: it answers once this change is in effect"))
        .collect();
    notes.extend(
        traffic::steering::takes_over(before, &ra, &rb)
            .into_iter()
            .map(|r| format!("{r} goes back to standby")),
    );
    notes
}
