//! `meridian rollout ...`: the rollout engine driven from a runbook. Action steps go through
//! the same plan / confirm / execute path as `meridian drain`; exit codes are the actions':
//! 0 done, 1 failed, 2 usage, 3 refused or a gate not yet met, 4 lock held.

use crate::actions::recovery_open;
use std::collections::BTreeMap;

use super::args::{GlobalArgs, RolloutCommand};
use super::rollout_show::{print_status, verdict_now};
use super::{Exit, Failure};
use crate::actions::audit::{AuditLog, AuditOutcome, event, new_id};
use crate::actions::rollout::{
    GateVerdict, Next, Rollout, RolloutError, RolloutStore, rollout_now,
};
use crate::fleet::rollout::GateSpec;
use crate::host::whoami;
use crate::session::Context;

fn refuse(e: RolloutError) -> Failure {
    let code = match e {
        RolloutError::Usage(_) => Exit::Usage,
        RolloutError::Refused(_) => Exit::Refused,
        RolloutError::Store(_) => Exit::Failed,
    };
    Failure::new(code, e.to_string())
}

pub async fn run(command: RolloutCommand, global: &GlobalArgs) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    let store = RolloutStore::for_fleet(&ctx.fleet, &ctx.fleet_paths.dir, ctx.read_only);
    match command {
        RolloutCommand::Status => {
            let r = store.current().map_err(refuse)?;
            print_status(&ctx, &r, global.json).await;
            Ok(Exit::Done)
        }
        RolloutCommand::Start { id, params } => start(&ctx, &store, &id, &params, global).await,
        RolloutCommand::Next => next(&ctx, &store, global).await,
        RolloutCommand::Approve => {
            store.writable().map_err(refuse)?;
            let by = crate::actions::approvals::identity(&ctx.fleet);
            match store.change(|r| r.approve(&by, rollout_now())) {
                Ok((r, said)) => {
                    audit(&ctx, &r, "rollout-approve", AuditOutcome::Succeeded, &said);
                    super::out(&format!("rollout {}: {said}", r.id));
                    Ok(Exit::Done)
                }
                Err(e) => {
                    if matches!(e, RolloutError::Refused(_))
                        && let Ok(Some(r)) = store.load()
                    {
                        audit(
                            &ctx,
                            &r,
                            "rollout-approve",
                            AuditOutcome::Refused,
                            &e.to_string(),
                        );
                    }
                    Err(refuse(e))
                }
            }
        }
        RolloutCommand::Abort { rollback } => {
            let (r, n) = store
                .change(|r| r.abort(rollback, rollout_now()))
                .map_err(refuse)?;
            let said = match (rollback, n) {
                (true, 0) => {
                    "aborted; nothing was synced, so there is nothing to roll back".to_string()
                }
                (true, n) => format!(
                    "aborted; {n} rollback step(s) added: run `meridian rollout next` for each"
                ),
                (false, _) => "aborted; weights and releases are left as they are".to_string(),
            };
            audit(&ctx, &r, "rollout-abort", AuditOutcome::Succeeded, &said);
            super::out(&format!("rollout {}: {said}", r.id));
            Ok(Exit::Done)
        }
        RolloutCommand::Resume => {
            store.writable().map_err(refuse)?;
            let (records, _) = AuditLog::new(&ctx.fleet_paths.audit_log)
                .read()
                .map_err(|e| Failure::new(Exit::Failed, e.to_string()))?;
            let (r, said) = store
                .change(|r| Ok(r.resume(&records, rollout_now())))
                .map_err(refuse)?;
            audit(
                &ctx,
                &r,
                "rollout-resume",
                AuditOutcome::Succeeded,
                &said.join("; "),
            );
            for line in &said {
                super::note(&format!("rollout {}: {line}", r.id));
            }
            print_status(&ctx, &r, global.json).await;
            Ok(Exit::Done)
        }
    }
}

async fn start(
    ctx: &Context,
    store: &RolloutStore,
    id: &str,
    params: &[String],
    global: &GlobalArgs,
) -> Result<Exit, Failure> {
    store.writable().map_err(refuse)?;
    // Checked here for a quick answer, and again by `store.start` as it writes.
    if let Some(r) = store.load().map_err(refuse)?
        && !r.status.finished()
    {
        return Err(Failure::new(
            Exit::Refused,
            format!(
                "rollout {} is {} (started by {}): finish it, or `meridian rollout abort`, before starting another",
                r.id,
                r.status.as_str(),
                r.started_by
            ),
        ));
    }
    let mut values = BTreeMap::new();
    for p in params {
        let Some((k, v)) = p.split_once('=') else {
            return Err(Failure::new(
                Exit::Usage,
                format!("--param {p}: write NAME=VALUE, e.g. --param revision=abc123"),
            ));
        };
        values.insert(k.trim().to_string(), v.trim().to_string());
    }
    let reason = global.reason.clone().unwrap_or_default();
    let r = Rollout::start(
        &ctx.fleet,
        id,
        values,
        &reason,
        &crate::actions::approvals::identity(&ctx.fleet),
        rollout_now(),
    )
    .map_err(refuse)?;
    store.start(&r).map_err(refuse)?;
    audit(ctx, &r, "rollout-start", AuditOutcome::Succeeded, &r.name);
    // The rollout's recovery clock runs from its start until it is done and the fleet is
    // healthy at steady weights (a release ends by restoring them).
    let clock = recovery_open::rollout_clock(&ctx.fleet, &r.id, r.started_at);
    if let Err(e) = recovery_open::open(&*ctx.executor().shared_store(), &clock) {
        eprintln!("the rollout's recovery clock could not be started: {e}");
    }
    print_status(ctx, &r, global.json).await;
    Ok(Exit::Done)
}

async fn next(ctx: &Context, store: &RolloutStore, global: &GlobalArgs) -> Result<Exit, Failure> {
    if !global.dry_run {
        store.writable().map_err(refuse)?;
    }
    let r = store.current().map_err(refuse)?;
    match r.next() {
        Next::Finished => {
            super::out(&format!(
                "rollout {} is {}: no step left",
                r.id,
                r.status.as_str()
            ));
            Ok(Exit::Done)
        }
        Next::Stopped { index, reason } => Err(Failure::new(
            Exit::Refused,
            format!(
                "rollout {} stopped at step {}: {reason}; it does not go on by itself: `meridian rollout resume` to try again, or `meridian rollout abort --rollback`",
                r.id,
                index + 1
            ),
        )),
        Next::Gate { index, gate, since } => {
            let verdict = match &gate {
                GateSpec::Command { run } => crate::actions::rollout::command_gate(run).await,
                other => verdict_now(ctx, other, since).await,
            };
            let label = r.steps[index].step.label();
            if global.dry_run {
                super::out(&format!(
                    "step {} ({label}): {}",
                    index + 1,
                    verdict.describe()
                ));
                return Ok(Exit::Done);
            }
            if r.clone().record_gate(index, &verdict, rollout_now()) {
                store
                    .change(|fresh| {
                        same_step(fresh, &r, index)?;
                        fresh.record_gate(index, &verdict, rollout_now());
                        Ok(())
                    })
                    .map_err(refuse)?;
            }
            match verdict {
                GateVerdict::Met { reason } => {
                    super::out(&format!("step {} ({label}) met: {reason}", index + 1));
                    Ok(Exit::Done)
                }
                GateVerdict::Failed { reason } => {
                    audit(ctx, &r, "rollout-gate", AuditOutcome::Failed, &reason);
                    Err(Failure::new(
                        Exit::Failed,
                        format!(
                            "rollout {} stopped at step {} ({label}): {reason}; it will not go on by itself: `meridian rollout abort --rollback` rolls back what it synced, `meridian rollout resume` counts the gate again",
                            r.id,
                            index + 1
                        ),
                    ))
                }
                waiting => Err(Failure::new(
                    Exit::Refused,
                    format!(
                        "step {} ({label}) not met yet: {}",
                        index + 1,
                        waiting.describe()
                    ),
                )),
            }
        }
        Next::Action { index, mut request } => {
            request.overrides = global.overrides.clone();
            let by = whoami();
            if !global.dry_run {
                // Claim the step: only if it is still as we read it, so of two people
                // running `rollout next` at once exactly one runs it.
                store
                    .change(|fresh| {
                        same_step(fresh, &r, index)?;
                        fresh.mark_running(index, &by, rollout_now());
                        Ok(())
                    })
                    .map_err(refuse)?;
            }
            let (exit, execution) = super::act::run_prepared(ctx, request, global).await?;
            if let Some(x) = execution {
                // On top of what is stored now, not of our old copy: the step may have run
                // for minutes while a partner approved or aborted.
                store
                    .change(|fresh| {
                        if fresh.id != r.id {
                            return Err(RolloutError::Store(format!(
                                "rollout {} was replaced by {} while its step ran; the step's outcome is in the audit log ({})",
                                r.id, fresh.id, x.audit_id
                            )));
                        }
                        fresh.record_action(
                            index,
                            x.outcome,
                            x.detail.clone(),
                            &x.audit_id,
                            &by,
                            rollout_now(),
                        );
                        Ok(())
                    })
                    .map_err(refuse)?;
            }
            Ok(exit)
        }
    }
}

/// The stored rollout must still be at the step this process read (same rollout, same
/// step, in the same state), else a partner moved it meanwhile.
fn same_step(fresh: &Rollout, seen: &Rollout, index: usize) -> Result<(), RolloutError> {
    let moved = fresh.id != seen.id
        || fresh.current() != Some(index)
        || fresh.steps.get(index).map(|s| &s.state) != seen.steps.get(index).map(|s| &s.state);
    if moved {
        let now = fresh
            .current()
            .map(|i| format!("step {} is {}", i + 1, state_word(&fresh.steps[i].state)))
            .unwrap_or_else(|| fresh.status.as_str().to_string());
        return Err(RolloutError::Refused(format!(
            "rollout {} moved while this ran (someone else changed it: {now}); see `meridian rollout status` and run again",
            fresh.id
        )));
    }
    Ok(())
}

fn state_word(s: &crate::actions::rollout::StepState) -> String {
    use crate::actions::rollout::StepState;
    match s {
        StepState::Pending => "pending".into(),
        StepState::Running { by, .. } => format!("running (by {by})"),
        StepState::Waiting { .. } => "waiting".into(),
        StepState::Done { by, .. } => format!("done (by {by})"),
        StepState::Failed { .. } => "failed".into(),
        StepState::Skipped => "skipped".into(),
    }
}

/// An audit record for a rollout event that is not an action (start, approve, abort).
fn audit(ctx: &Context, r: &Rollout, action: &str, outcome: AuditOutcome, detail: &str) {
    let mut rec = event(
        &new_id(),
        &ctx.fleet.name,
        action,
        &r.id,
        outcome,
        Some(detail.into()),
    );
    rec.reason = Some(r.reason.clone());
    rec.rollout = Some(crate::actions::RolloutRef {
        id: r.id.clone(),
        step: r.current().unwrap_or(r.steps.len()),
    });
    if let Err(e) = AuditLog::new(&ctx.fleet_paths.audit_log).append(&rec) {
        super::note(&format!("warning: {e}"));
    }
}
