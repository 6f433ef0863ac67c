//! Findings about work in flight: a rollout waiting at a gate or for a second person, or
//! stopped at a failed step; a plan waiting for approval; a phase that failed or whose
//! process died; the fleet lock left behind by a process that is gone.

use super::{Finding, Judge, Kind, Urgency};
use crate::actions::action::{Action, Request};
use crate::actions::approvals::short;
use crate::actions::rollout::{Next, view};
use meridian_model::fleet::rollout::GateSpec;
use meridian_model::state::{PhaseStatus, elapsed};
use meridian_providers::lock::LockState;

pub(super) fn findings(j: &mut Judge) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(rollout(j));
    out.extend(approvals(j));
    out.extend(phases(j));
    out.extend(lock(j));
    out
}

/// The rollout's current gate, or the failed step it stopped at.
fn rollout(j: &mut Judge) -> Option<Finding> {
    let r = j.records.rollout?;
    if r.status.finished() {
        return None;
    }
    match r.next() {
        Next::Gate { index, gate, since } => {
            let key = format!("{}/{}", Kind::RolloutWaiting.name(), r.id);
            let since = j.since(&key, Some(since));
            let label = r.steps[index].step.label();
            let (what, command, why) = match &gate {
                GateSpec::Approval {
                    artifact: Some(name),
                    ..
                } => (
                    format!("waits for a second person to approve artifact {name}"),
                    "meridian approve --artifact".to_string(),
                    format!(
                        "someone other than whoever wrote artifact {name} reads it and runs `meridian approve --artifact HASH`; then the driver runs `meridian rollout next`"
                    ),
                ),
                GateSpec::Approval {
                    second_person: true,
                    ..
                } => (
                    format!(
                        "waits for a second person (not {}) to approve",
                        r.started_by
                    ),
                    "meridian rollout approve".to_string(),
                    format!(
                        "only a second person moves it on: someone other than {} runs `meridian rollout approve` (o in the dashboard)",
                        r.started_by
                    ),
                ),
                GateSpec::Approval { .. } => (
                    "waits for an approval".to_string(),
                    "meridian rollout approve".to_string(),
                    "a person approves with `meridian rollout approve`".to_string(),
                ),
                _ => (
                    format!("waits at its gate ({label})"),
                    "meridian rollout next".to_string(),
                    "the gate decides when it moves on: `meridian rollout next` checks it"
                        .to_string(),
                ),
            };
            let regions = gate_region(&gate).into_iter().collect();
            let mut f = j.finding(
                Kind::RolloutWaiting,
                Urgency::Low,
                &r.id,
                format!(
                    "rollout {} step {} {what} ({})",
                    r.template,
                    index + 1,
                    j.age(since)
                ),
                format!(
                    "rollout {} ({}) step {} of {}: {label}, waiting since {}",
                    r.id,
                    r.reason,
                    index + 1,
                    r.steps.len(),
                    view::clock(since)
                ),
                Some(since),
                "the rollout and everything after this step wait; weights it set stay as they are"
                    .into(),
                regions,
                Err(why),
            );
            f.command = Some(command);
            Some(f)
        }
        Next::Stopped { index, reason } => {
            let key = format!("{}/{}", Kind::RolloutStopped.name(), r.id);
            let at = match &r.steps[index].state {
                crate::actions::rollout::StepState::Failed { at, .. } => Some(*at),
                _ => None,
            };
            let since = j.since(&key, at);
            let mut f = j.finding(
                Kind::RolloutStopped,
                Urgency::Medium,
                &r.id,
                format!(
                    "rollout {} stopped at step {} ({})",
                    r.template,
                    index + 1,
                    j.age(since)
                ),
                format!(
                    "rollout {} step {} ({}) failed: {reason}",
                    r.id,
                    index + 1,
                    r.steps[index].step.label()
                ),
                Some(since),
                "nothing moves until a person resumes or aborts it; the fleet may be half-way"
                    .into(),
                Vec::new(),
                Err(
                    "a person decides: `meridian rollout resume` after fixing the cause, or `meridian rollout abort --rollback`"
                        .into(),
                ),
            );
            f.command = Some("meridian rollout status".into());
            Some(f)
        }
        _ => None,
    }
}

fn gate_region(g: &GateSpec) -> Option<String> {
    match g {
        GateSpec::Healthy { region, .. } | GateSpec::Lag { region, .. } => Some(region.clone()),
        _ => None,
    }
}

/// Plans waiting for a second person's approval.
fn approvals(j: &mut Judge) -> Vec<Finding> {
    let mut out = Vec::new();
    for a in j.records.approvals {
        let hash = short(&a.hash);
        let key = format!("{}/{hash}", Kind::ApprovalWaiting.name());
        let since = j.since(&key, Some(a.requested_at_ms));
        let regions = j
            .fleet
            .region(&a.target)
            .map(|r| vec![r.id.clone()])
            .unwrap_or_default();
        let mut f = j.finding(
            Kind::ApprovalWaiting,
            Urgency::Medium,
            hash,
            format!(
                "{} {} waits for a second person's approval ({})",
                a.action,
                a.target,
                j.age(since)
            ),
            format!(
                "{} asked for a second person to approve plan {hash}: {}",
                a.requester, a.summary
            ),
            Some(since),
            format!(
                "{} cannot run `{}` until someone else approves it",
                a.requester, a.command
            ),
            regions,
            Err(format!(
                "approving is for a second person, not an action to plan: someone other than {} runs `meridian approve {hash}` (A in the dashboard)",
                a.requester
            )),
        );
        f.command = Some(format!("meridian approve {hash}"));
        out.push(f);
    }
    out
}

/// A phase that failed, or whose process died part-way: run it again (it resumes).
fn phases(j: &mut Judge) -> Vec<Finding> {
    let mut out = Vec::new();
    for region in &j.fleet.regions {
        let Some(r) = j.state.region(&region.id) else {
            continue;
        };
        for p in r.phases.value.iter().flatten() {
            let word = match p.state {
                PhaseStatus::Failed => "failed",
                PhaseStatus::Interrupted => "interrupted",
                _ => continue,
            };
            let id = region.id.as_str();
            let key = format!("{}/{id}/{}", Kind::PhaseFailed.name(), p.id);
            let since = j.since(&key, p.finished_at.or(p.started_at));
            let step = p
                .current_step
                .as_deref()
                .map(|s| format!(" at step {s}"))
                .unwrap_or_default();
            out.push(j.finding(
                Kind::PhaseFailed,
                Urgency::Medium,
                &format!("{id}/{}", p.id),
                format!("{id} phase {} {word}{step} ({})", p.id, j.age(since)),
                format!(
                    "phase {} in {id} {word}{step}: {}",
                    p.id,
                    p.error.as_deref().unwrap_or("no reason given")
                ),
                Some(since),
                format!("{id} is not fully stood up; later phases wait for this one"),
                vec![id.to_string()],
                Ok(Request::new(Action::RunPhase {
                    region: id.to_string(),
                    phase: p.id.clone(),
                })),
            ));
        }
    }
    out
}

/// The lock file left by a process that is gone. Nothing to do: the next action takes it
/// over and says so in the audit log. Said so it is not mistaken for someone at work.
fn lock(j: &mut Judge) -> Option<Finding> {
    let Some(LockState::Stale { holder, why }) = j.records.lock else {
        return None;
    };
    let key = Kind::LockLeft.name().to_string();
    let since = j.since(&key, holder.as_ref().map(|h| h.since_ms));
    let who = holder
        .as_ref()
        .map(|h| format!("{} ({}, pid {} on {})", h.user, h.action, h.pid, h.host))
        .unwrap_or_else(|| "an unknown process".into());
    let mut f = j.finding(
        Kind::LockLeft,
        Urgency::Low,
        "fleet",
        format!("fleet lock left by {who}, {}", j.age(since)),
        format!("the fleet lock was left behind: {why}"),
        Some(since),
        "nobody is acting although the lock file says so; a `started` audit record of theirs may be unfinished".into(),
        Vec::new(),
        Err("nothing to run: the next action takes the lock over and records that in the audit log; `meridian audit` shows what the process was doing".into()),
    );
    f.command = Some("meridian audit --limit 5".into());
    debug_assert!(elapsed(j.now, since) >= 0);
    Some(f)
}
