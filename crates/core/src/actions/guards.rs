//! The guards, one function each, pure and separately tested.
//!
//! Weight guards compare `before` (what DNS says now) with `after` (what the plan asks for),
//! in the provider-neutral model (`traffic::Weight`: units plus a drained state); the few
//! provider facts they need (range, what "all drained" does) come in as `TrafficRules`.

use super::gates;
use super::plan::{Check, Guard};
use meridian_model::fleet::{Fleet, Policy, Role};
use meridian_model::state::{
    AppState, FleetState, HealthStatus, HistoryEntry, Millis, PhaseStatus, STALE_AFTER_MS,
    short_age,
};
use meridian_model::traffic::{Requested, TrafficRules, Weight};

/// Weights as the traffic provider holds them.
pub type Weights = [(String, Weight)];

fn weight_of(ws: &Weights, id: &str) -> Weight {
    ws.iter()
        .find(|(r, _)| r == id)
        .map(|(_, w)| *w)
        .unwrap_or_default()
}

/// Regions that gain traffic: a higher effective weight, or back in rotation under a
/// policy without weights; with what they get, in words ("weight 30", "back in rotation").
fn increased<'a>(
    before: &'a Weights,
    after: &'a Weights,
) -> impl Iterator<Item = (&'a str, String)> + 'a {
    after
        .iter()
        .filter(move |(r, w)| {
            let was = weight_of(before, r);
            w.effective() > was.effective() || (w.serving() && !was.serving())
        })
        .map(|(r, w)| {
            let what = if w.has_share() {
                format!("weight {}", w.effective())
            } else {
                "back in rotation".to_string()
            };
            (r.as_str(), what)
        })
}

/// Read-only mode: the plan may be shown, never executed.
pub fn read_only(read_only: bool) -> Check {
    if read_only {
        Check::block(
            Guard::ReadOnly,
            "meridian is in read-only mode: plans are shown, nothing is changed",
        )
    } else {
        Check::pass(Guard::ReadOnly, "not read-only")
    }
}

/// Anything touching production needs a reason (an incident or change ticket).
pub fn reason_required(production: bool, reason: Option<&str>, overrides: &[String]) -> Check {
    match (reason, production, overrides.is_empty()) {
        (Some(r), _, _) => Check::pass(Guard::ReasonRequired, format!("reason: {r}")),
        (None, true, _) => Check::block(
            Guard::ReasonRequired,
            "this touches production: give --reason (e.g. an incident or change id)",
        ),
        (None, false, false) => Check::block(
            Guard::ReasonRequired,
            "an override must say why: give --reason",
        ),
        (None, false, true) => {
            Check::pass(Guard::ReasonRequired, "not production; no reason needed")
        }
    }
}

/// Every asked weight must be one the provider accepts (Route 53 0..=255, Azure 1..=1000 or 0
/// to disable, Cloudflare 0..1), and asked shares must be possible together.
pub fn weight_range(requested: &[Requested], problems: &[String], rules: &TrafficRules) -> Check {
    let bad: Vec<String> = requested
        .iter()
        .filter(|q| !rules.in_range(q.units))
        .map(|q| match q.asked {
            meridian_model::traffic::Ask::Units(_) => format!("{}={}", q.region, q.asked),
            meridian_model::traffic::Ask::Percent(_) => {
                format!("{}={} (weight {})", q.region, q.asked, q.units)
            }
        })
        .collect();
    let range = rules.range_text();
    let mut why = problems.to_vec();
    if !bad.is_empty() {
        why.push(format!(
            "{} weights must be {range}: {}",
            rules.provider,
            bad.join(", ")
        ));
    }
    if why.is_empty() {
        Check::pass(Guard::WeightRange, format!("all weights within {range}"))
    } else {
        Check::block(Guard::WeightRange, why.join("; "))
    }
}

/// Every region out of rotation: Route 53 then splits traffic evenly among weights, or
/// answers with every unhealthy record ("drain everything" means "send everywhere"),
/// Azure's profile goes Inactive, Cloudflare falls back on its fallback pool; refused
/// whatever the policy.
pub fn all_weights_zero(after: &Weights, unmanaged_total: u32, rules: &TrafficRules) -> Check {
    let weighted = after.iter().all(|(_, w)| w.has_share());
    let total: u32 = after.iter().map(|(_, w)| w.effective()).sum::<u32>() + unmanaged_total;
    let in_rotation: Vec<&str> = after
        .iter()
        .filter(|(_, w)| w.serving())
        .map(|(r, _)| r.as_str())
        .collect();
    match (
        weighted,
        total,
        in_rotation.is_empty() && unmanaged_total == 0,
    ) {
        (true, 0, _) => Check::block(Guard::AllWeightsZero, rules.all_drained_reason),
        (true, total, _) => Check::pass(
            Guard::AllWeightsZero,
            format!("total weight after: {total}"),
        ),
        (false, _, true) => Check::block(Guard::AllWeightsZero, rules.all_out_reason),
        (false, _, false) => Check::pass(
            Guard::AllWeightsZero,
            format!("in rotation after: {}", in_rotation.join(", ")),
        ),
    }
}

/// Draining a region that some geography maps to alone: those users go where the
/// provider's fallback sends them (or nowhere), which the plan must say.
pub fn geo_coverage(state: &FleetState, before: &Weights, after: &Weights) -> Check {
    let leaving: Vec<String> = before
        .iter()
        .filter(|(r, w)| w.serving() && !weight_of(after, r).serving())
        .filter_map(|(r, _)| {
            let route = state.routes.get(r)?;
            (!route.only_for.is_empty()).then(|| {
                let instead = route
                    .instead
                    .as_deref()
                    .unwrap_or("the provider's default, if it has one");
                format!(
                    "{} map only to {r}: they go to {instead}",
                    route.only_for.join(", ")
                )
            })
        })
        .collect();
    if leaving.is_empty() {
        Check::pass(
            Guard::GeoCoverage,
            "no geography maps only to a region leaving rotation",
        )
    } else {
        Check::warn(Guard::GeoCoverage, leaving.join("; "))
    }
}

/// Never take away the last healthy region that is serving traffic.
pub fn last_healthy_region(state: &FleetState, before: &Weights, after: &Weights) -> Check {
    let healthy = |id: &str| {
        state
            .region(id)
            .is_some_and(|r| r.health_status() == HealthStatus::Healthy)
    };
    let serving_after: Vec<&str> = after
        .iter()
        .filter(|(r, w)| w.serving() && healthy(r))
        .map(|(r, _)| r.as_str())
        .collect();
    let losing: Vec<&str> = before
        .iter()
        .filter(|(r, w)| w.serving() && healthy(r) && !weight_of(after, r).serving())
        .map(|(r, _)| r.as_str())
        .collect();
    if !losing.is_empty() && serving_after.is_empty() {
        let who = match losing.as_slice() {
            [one] => format!("{one} is the last healthy region serving traffic"),
            many => format!(
                "{} are the last healthy regions serving traffic",
                many.join(", ")
            ),
        };
        Check::block(
            Guard::LastHealthyRegion,
            format!("{who}; restore or heal another region first"),
        )
    } else if serving_after.is_empty() {
        Check::warn(
            Guard::LastHealthyRegion,
            "no healthy region will be serving traffic",
        )
    } else {
        Check::pass(
            Guard::LastHealthyRegion,
            format!(
                "healthy regions serving after: {}",
                serving_after.join(", ")
            ),
        )
    }
}

/// Never put weight on a region that is down; warn for degraded or unknown health.
pub fn unhealthy_target(state: &FleetState, before: &Weights, after: &Weights) -> Check {
    let mut blocked = Vec::new();
    let mut warned = Vec::new();
    for (id, w) in increased(before, after) {
        let status = state
            .region(id)
            .map(|r| r.health_status())
            .unwrap_or(HealthStatus::Unknown);
        match status {
            HealthStatus::Down => blocked.push(format!("{id} is down ({w})")),
            HealthStatus::Degraded | HealthStatus::Unknown => {
                warned.push(format!("{id} is {} ({w})", status.as_str()))
            }
            HealthStatus::Healthy => {}
        }
    }
    if !blocked.is_empty() {
        Check::block(
            Guard::UnhealthyTarget,
            format!(
                "would send traffic to a region that is down: {}",
                blocked.join(", ")
            ),
        )
    } else if !warned.is_empty() {
        Check::warn(
            Guard::UnhealthyTarget,
            format!(
                "more traffic for a region that is not healthy: {}",
                warned.join(", ")
            ),
        )
    } else {
        Check::pass(
            Guard::UnhealthyTarget,
            "every region gaining traffic is healthy",
        )
    }
}

/// A region gets more traffic only after its health has been green for the gate duration
/// (the same gate `meridian wait healthy` waits for).
pub fn health_gate(
    state: &FleetState,
    policy: &Policy,
    before: &Weights,
    after: &Weights,
    now: Millis,
) -> Check {
    let gate = policy.health_gate;
    let young: Vec<String> = increased(before, after)
        .map(|(id, _)| gates::healthy_for(state, id, gate, now))
        .filter(|g| !g.met)
        .map(|g| g.reason)
        .collect();
    if young.is_empty() {
        Check::pass(
            Guard::HealthGate,
            format!(
                "regions gaining traffic have been healthy for {}",
                short_age(gate.as_millis() as Millis)
            ),
        )
    } else {
        Check::warn(
            Guard::HealthGate,
            format!(
                "health gate is {}: {}",
                short_age(gate.as_millis() as Millis),
                young.join(", ")
            ),
        )
    }
}

/// Traffic for a region that has not finished standing up.
pub fn phases_incomplete(
    fleet: &Fleet,
    state: &FleetState,
    before: &Weights,
    after: &Weights,
) -> Check {
    let total = fleet.phases.len();
    let incomplete: Vec<String> = increased(before, after)
        .filter_map(|(id, _)| {
            let done = state.region(id).map(|r| r.phases_succeeded()).unwrap_or(0);
            (done < total).then(|| format!("{id} has {done}/{total} phases done"))
        })
        .collect();
    if incomplete.is_empty() {
        Check::pass(
            Guard::PhasesIncomplete,
            "regions gaining traffic are fully stood up",
        )
    } else {
        Check::warn(Guard::PhasesIncomplete, incomplete.join(", "))
    }
}

/// The plan rests on data that failed to refresh or is old.
pub fn stale_data(state: &FleetState, regions: &[&str], now: Millis) -> Check {
    let mut stale = Vec::new();
    let mut unread = Vec::new();
    for id in regions {
        let Some(r) = state.region(id) else { continue };
        // A weight never read leaves nothing to plan from: the before -> after would be
        // made up. (The dashboard shows its first readings arriving.)
        if r.weight.at.is_none() && r.weight.error.is_none() {
            unread.push(format!("{id} weight"));
        }
        let fields = [
            ("weight", r.weight.error.as_ref(), r.weight.age(now)),
            ("health", r.health.error.as_ref(), r.health.age(now)),
        ];
        for (name, error, age) in fields {
            match (error, age) {
                (Some(e), Some(a)) => {
                    stale.push(format!("{id} {name} from {} ago ({e})", short_age(a)))
                }
                (Some(e), None) => stale.push(format!("{id} {name} unknown ({e})")),
                (None, Some(a)) if a > STALE_AFTER_MS => {
                    stale.push(format!("{id} {name} is {} old", short_age(a)))
                }
                _ => {}
            }
        }
    }
    if !unread.is_empty() {
        Check::block(
            Guard::StaleData,
            format!(
                "not read yet: {}; wait for the first reading and plan again",
                unread.join(", ")
            ),
        )
    } else if stale.is_empty() {
        Check::pass(Guard::StaleData, "plan based on fresh data")
    } else {
        Check::warn(Guard::StaleData, stale.join("; "))
    }
}

/// Promoting the region that already is the primary does nothing.
pub fn already_primary(state: &FleetState, region: &str) -> Check {
    match state.region(region).and_then(|r| r.role.value) {
        Some(Role::Primary) => Check::block(
            Guard::AlreadyPrimary,
            format!("{region} is already the primary"),
        ),
        Some(Role::Secondary) => {
            Check::pass(Guard::AlreadyPrimary, format!("{region} is a secondary"))
        }
        None => Check::warn(
            Guard::AlreadyPrimary,
            format!("{region}'s database role is unknown"),
        ),
    }
}

/// A promotion target must be healthy.
pub fn promote_target_health(state: &FleetState, region: &str) -> Check {
    let status = state
        .region(region)
        .map(|r| r.health_status())
        .unwrap_or(HealthStatus::Unknown);
    match status {
        HealthStatus::Healthy => {
            Check::pass(Guard::UnhealthyTarget, format!("{region} is healthy"))
        }
        other => Check::block(
            Guard::UnhealthyTarget,
            format!("{region} is {}: promote a healthy region", other.as_str()),
        ),
    }
}

/// Promotion loses whatever the target has not replayed: refuse lag over the RPO budget or
/// unknown lag, unless data loss is accepted explicitly.
pub fn replication_lag(
    state: &FleetState,
    region: &str,
    policy: &Policy,
    accept_data_loss: bool,
) -> Check {
    let budget = policy.rpo_budget.as_secs_f64();
    let lag = state
        .region(region)
        .map(|r| (r.lag.value, r.lag.error.clone()));
    let problem = match lag {
        Some((Some(l), None)) if l <= budget => {
            return Check::pass(
                Guard::ReplicationLag,
                format!("lag {l:.1}s within the RPO budget of {budget:.0}s"),
            );
        }
        Some((Some(l), None)) => format!("lag {l:.1}s is over the RPO budget of {budget:.0}s"),
        Some((_, Some(e))) => format!("lag is unknown ({e})"),
        _ => "lag is unknown (no datapoint)".to_string(),
    };
    if accept_data_loss {
        Check::warn(
            Guard::ReplicationLag,
            format!("{problem}; data loss accepted with --accept-data-loss"),
        )
    } else {
        Check::block(
            Guard::ReplicationLag,
            format!(
                "{problem}; promoting would lose data: wait for lag to fall, or pass --accept-data-loss"
            ),
        )
    }
}

/// Phases run in order: every earlier phase must have succeeded.
pub fn phase_order(fleet: &Fleet, state: &FleetState, region: &str, phase: &str) -> Check {
    let Some(index) = fleet.phase_index(phase) else {
        return Check::block(Guard::PhaseOrder, format!("unknown phase {phase}"));
    };
    let region_state = state.region(region);
    let unfinished: Vec<String> = fleet.phases[..index]
        .iter()
        .filter_map(|p| {
            let st = region_state.and_then(|r| r.phase(&p.id)).map(|s| s.state);
            (st != Some(PhaseStatus::Succeeded))
                .then(|| format!("{} ({})", p.id, st.map(|s| s.as_str()).unwrap_or("unknown")))
        })
        .collect();
    if unfinished.is_empty() {
        Check::pass(Guard::PhaseOrder, "every earlier phase has succeeded")
    } else {
        Check::block(
            Guard::PhaseOrder,
            format!(
                "earlier phases have not succeeded: {}",
                unfinished.join(", ")
            ),
        )
    }
}

/// A phase that is already running should not be started twice. One whose process died
/// (`interrupted`) may be run again: it resumes at the step it was on.
pub fn phase_running(state: &FleetState, region: &str, phase: &str) -> Check {
    match state.region(region).and_then(|r| r.phase(phase)) {
        Some(p) if p.state == PhaseStatus::Running => {
            let owner = p
                .owner
                .as_ref()
                .map(|o| format!(", run by {o}"))
                .unwrap_or_default();
            Check::block(
                Guard::PhaseRunning,
                format!(
                    "{phase} is already running in {region} (step: {}{owner}); `meridian phase cancel {region} {phase}` stops it",
                    p.current_step.as_deref().unwrap_or("?")
                ),
            )
        }
        Some(p) if p.state == PhaseStatus::Interrupted => Check::warn(
            Guard::PhaseRunning,
            format!(
                "{phase} was interrupted at step {} ({}); running it again resumes there",
                p.step_index
                    .map(|i| (i + 1).to_string())
                    .unwrap_or("?".into()),
                p.error.as_deref().unwrap_or("its process is gone")
            ),
        ),
        _ => Check::pass(Guard::PhaseRunning, "not running"),
    }
}

/// The rollback target must exist in the app's history.
pub fn revision_known<'a>(
    app: &'a AppState,
    to: Option<&str>,
) -> (Check, Option<&'a HistoryEntry>) {
    let found = match to {
        Some(wanted) => app.find_revision(wanted),
        None => app.previous(),
    };
    match (found, to) {
        (Some(e), _) => (
            Check::pass(
                Guard::RevisionUnknown,
                format!("history entry {} ({})", e.id, short_rev(&e.revision)),
            ),
            Some(e),
        ),
        (None, Some(wanted)) => {
            let known: Vec<String> = app
                .history
                .iter()
                .map(|e| format!("{} ({})", e.id, short_rev(&e.revision)))
                .collect();
            (
                Check::block(
                    Guard::RevisionUnknown,
                    format!(
                        "no revision \"{wanted}\" in the history; known: {}",
                        known.join(", ")
                    ),
                ),
                None,
            )
        }
        (None, None) => (
            Check::block(
                Guard::RevisionUnknown,
                "no earlier revision in the history to roll back to",
            ),
            None,
        ),
    }
}

/// With auto-sync on, Git undoes a rollback: the plan pauses auto-sync first.
pub fn auto_sync(app: &AppState) -> Check {
    if app.auto_sync {
        Check::warn(
            Guard::AutoSync,
            format!(
                "auto-sync is on for {}: the plan pauses it first, or Git would undo the rollback; re-enable it once Git is fixed",
                app.name
            ),
        )
    } else {
        Check::pass(Guard::AutoSync, "auto-sync is off")
    }
}

/// Nothing would change.
pub fn no_change(changes_empty: bool, what: &str) -> Check {
    if changes_empty {
        Check::warn(Guard::NoChange, format!("nothing to change: {what}"))
    } else {
        Check::pass(Guard::NoChange, "changes planned")
    }
}

pub fn short_rev(rev: &str) -> &str {
    &rev[..rev.len().min(7)]
}

#[cfg(test)]
mod tests;
