//! `meridian rollout ...`: the rollout engine driven from a runbook. Action steps go through
//! the same plan / confirm / execute path as `meridian drain`; exit codes are the actions':
//! 0 done, 1 failed, 2 usage, 3 refused or a gate not yet met, 4 lock held.

use std::collections::BTreeMap;

use super::args::{GlobalArgs, RolloutCommand};
use super::rollout_show::{print_status, verdict_now};
use super::{Exit, Failure};
use crate::actions::executor::StartOptions;
use crate::actions::rollout::{GateVerdict, Next, RolloutError, RolloutStore};
use crate::fleet::rollout::{GateSpec, RunMode};
use crate::session::Context;

pub(super) fn refuse(e: RolloutError) -> Failure {
    let code = match e {
        RolloutError::Usage(_) => Exit::Usage,
        RolloutError::Refused(_) => Exit::Refused,
        RolloutError::Store(_) => Exit::Failed,
    };
    Failure::new(code, e.to_string())
}

pub async fn run(command: RolloutCommand, global: &GlobalArgs) -> Result<Exit, Failure> {
    // `--practice`: the practice copy (`start` makes it from the live fleet).
    let ctx = if global.practice {
        super::rollout_practice::context(&command, global).await?
    } else {
        Context::load(&global.session())?
    };
    let store = RolloutStore::for_fleet(&ctx.fleet, &ctx.fleet_paths.dir, ctx.read_only);
    match command {
        RolloutCommand::Status => {
            let r = store.current().map_err(refuse)?;
            print_status(&ctx, &r, global.json).await;
            Ok(Exit::Done)
        }
        RolloutCommand::Start { id, params, mode } => {
            let mode = match mode.as_deref() {
                Some("ungraceful") => RunMode::Ungraceful,
                _ => RunMode::Graceful,
            };
            start(&ctx, &store, (&id, mode), &params, global).await
        }
        RolloutCommand::Next => next(&ctx, &store, global).await,
        RolloutCommand::Approve => {
            let (r, said) = ctx.executor().rollout_approve().map_err(refuse)?;
            super::out(&format!("rollout {}: {said}", r.id));
            Ok(Exit::Done)
        }
        RolloutCommand::Abort { rollback } => {
            let (r, said) = ctx.executor().rollout_abort(rollback).map_err(refuse)?;
            super::out(&format!("rollout {}: {said}", r.id));
            Ok(Exit::Done)
        }
        RolloutCommand::Resume => {
            let reason = global.reason.clone().unwrap_or_default();
            let (r, said) = ctx.executor().rollout_resume(&reason).map_err(refuse)?;
            for line in &said {
                super::note(&format!("rollout {}: {line}", r.id));
            }
            print_status(&ctx, &r, global.json).await;
            Ok(Exit::Done)
        }
        other => super::rollout_control::run(other, &ctx, global).await,
    }
}

async fn start(
    ctx: &Context,
    store: &RolloutStore,
    (id, mode): (&str, RunMode),
    params: &[String],
    global: &GlobalArgs,
) -> Result<Exit, Failure> {
    // Read-only mode refuses before the parameters are read.
    store.writable().map_err(refuse)?;
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
    let mut options = StartOptions {
        template: id.to_string(),
        params: values,
        reason,
        overrides: global.overrides.clone(),
        mode,
        ..StartOptions::default()
    };
    options.practice = ctx.practice;
    let r = ctx
        .executor()
        .rollout_start_with(&options)
        .map_err(refuse)?;
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
        Next::Paused { index, by, reason } => Err(Failure::new(
            Exit::Refused,
            format!(
                "rollout {} is paused at step {} by {by} ({reason}): no step runs and no gate counts until `meridian rollout resume --reason TEXT`",
                r.id,
                index + 1
            ),
        )),
        Next::Gate { index, gate, since } => {
            // A practice runs no gate that would reach the real world: the driver passes
            // it explicitly (`--yes`), and it is recorded as an exception.
            let practice_pass = crate::actions::rollout::in_practice(&ctx.fleet, r.practice)
                .then(|| crate::actions::rollout::practice_verdict(&gate))
                .flatten();
            if let Some(GateVerdict::Met { reason }) = &practice_pass
                && !global.yes
                && !global.dry_run
            {
                return Err(Failure::new(
                    Exit::Refused,
                    format!(
                        "step {} ({}): {reason}; the driver passes it with `meridian rollout next --practice --yes`, and the practice's outcome lists it as an exception",
                        index + 1,
                        r.steps[index].step.label()
                    ),
                ));
            }
            let verdict = match &gate {
                // Writing or applying an artifact changes things: a dry run says what it
                // would do and runs nothing.
                GateSpec::Command { artifact, uses, .. }
                    if global.dry_run && (artifact.is_some() || uses.is_some()) =>
                {
                    GateVerdict::Waiting {
                        waiting_for: format!(
                            "the command to run (not run in a dry run: it {})",
                            match (artifact, uses) {
                                (Some(a), _) => format!("writes artifact {}", a.name),
                                (_, Some(u)) => format!("applies approved artifact {u}"),
                                _ => String::new(),
                            }
                        ),
                        remaining_secs: None,
                    }
                }
                GateSpec::Command { .. } => ctx
                    .executor()
                    .command_gate(&r, index, &gate)
                    .await
                    .map_err(|why| Failure::new(Exit::Refused, why))?,
                GateSpec::Approval {
                    artifact: Some(name),
                    ..
                } => ctx.executor().artifact_gate(&r, name),
                // An alarms gate in a practice: passed by the driver, CloudWatch not read.
                GateSpec::Alarms { .. } if practice_pass.is_some() => practice_pass
                    .clone()
                    .unwrap_or_else(|| GateVerdict::Waiting {
                        waiting_for: "the driver".into(),
                        remaining_secs: None,
                    }),
                other => verdict_now(ctx, other, since).await,
            };
            // The step's timeout: still waiting past it is a failure saying for what.
            let verdict = r.timed(index, verdict, crate::actions::rollout::rollout_now());
            let label = r.steps[index].step.label();
            if global.dry_run {
                super::out(&format!(
                    "step {} ({label}): {}",
                    index + 1,
                    verdict.describe()
                ));
                return Ok(Exit::Done);
            }
            // Recorded only while the rollout still waits at this gate (a partner may have
            // moved it meanwhile); a failed gate is audited.
            ctx.executor()
                .rollout_gate(Some(&r.id), index, &verdict)
                .map_err(refuse)?;
            match verdict {
                GateVerdict::Met { reason } => {
                    super::out(&format!("step {} ({label}) met: {reason}", index + 1));
                    Ok(Exit::Done)
                }
                GateVerdict::Failed { reason } => Err(Failure::new(
                    Exit::Failed,
                    format!(
                        "rollout {} stopped at step {} ({label}): {reason}; it will not go on by itself: `meridian rollout retry` counts the gate again, `meridian rollout skip --comment TEXT` leaves it out, `meridian rollout abort --rollback` rolls back what it synced",
                        r.id,
                        index + 1
                    ),
                )),
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
        Next::Action { mut request, .. } => {
            request.overrides = global.overrides.clone();
            super::deploy::render_into(ctx, &mut request, global.json).await;
            // The executor books the step on the rollout (compare-and-swap: of two people
            // running it at once exactly one does) and records what became of it.
            let (exit, _) = super::act::run_prepared(ctx, request, global).await?;
            Ok(exit)
        }
    }
}
