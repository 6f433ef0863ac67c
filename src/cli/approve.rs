//! `meridian approve [HASH]`: a second person approves a plan someone else asked to run
//! (two-person policy). With no hash, lists the requests waiting for approval.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::json;

use super::args::GlobalArgs;
use super::context::Context;
use super::{CliError, Exit};
use crate::actions::approvals::{self, ApprovalRequest, Refusal, short};
use crate::actions::audit::{event, new_id};
use crate::actions::{AuditOutcome, Executor};
use crate::state::{now_ms, rfc3339};

/// Approve the request `hash` names, or list the pending ones.
pub fn run(hash: Option<String>, global: &GlobalArgs) -> Result<Exit, CliError> {
    let ctx = Context::load(global)?;
    let executor = ctx.executor();
    let store = executor.shared_store();
    let Some(given) = hash else {
        return list(&*store, global.json);
    };
    let req = approvals::find(&*store, &given).map_err(refused)?;
    show(&req);
    if ctx.read_only {
        return Err(audited(
            &executor,
            &req,
            "read-only mode: nothing is approved",
        ));
    }
    if !global.yes {
        if !std::io::stdin().is_terminal() {
            return Err(audited(
                &executor,
                &req,
                "not confirmed: no terminal on stdin to ask, and no --yes",
            ));
        }
        if !ask(&req)? {
            return Err(audited(&executor, &req, "not confirmed"));
        }
    }
    let me = approvals::identity(&ctx.fleet);
    match approvals::approve(&*store, &ctx.fleet, &req.hash, &me, now_ms()) {
        Ok(a) => {
            let mut rec = event(
                &new_id(),
                &ctx.fleet.name,
                "approve",
                &format!("{} {}", req.action, req.target),
                AuditOutcome::Succeeded,
                Some(format!(
                    "approved {} requested by {}",
                    short(&a.hash),
                    a.requester
                )),
            );
            rec.reason = global.reason.clone();
            rec.approval = serde_json::to_value(&a).ok();
            executor
                .audit
                .append(&rec)
                .map_err(|e| CliError::new(Exit::Failed, e.to_string()))?;
            if global.json {
                super::out(&serde_json::to_string_pretty(&a).unwrap_or_default());
            } else {
                super::out(&format!(
                    "approved {} for {} until {}: they can run `{}` now",
                    short(&a.hash),
                    a.requester,
                    rfc3339(a.expires_at_ms),
                    req.command
                ));
            }
            Ok(Exit::Done)
        }
        Err(refusal) => Err(audited(&executor, &req, &refusal.to_string())),
    }
}

fn refused(r: Refusal) -> CliError {
    let code = match r {
        Refusal::Store(_) => Exit::Failed,
        Refusal::Unknown { .. } | Refusal::Ambiguous { .. } => Exit::Usage,
        _ => Exit::Refused,
    };
    CliError::new(code, r.to_string())
}

/// Record a refused approval and say why.
fn audited(executor: &Executor, req: &ApprovalRequest, why: &str) -> CliError {
    let rec = event(
        &new_id(),
        &executor.fleet.name,
        "approve",
        &format!("{} {}", req.action, req.target),
        AuditOutcome::Refused,
        Some(format!("{}: {why}", short(&req.hash))),
    );
    let why = match executor.audit.append(&rec) {
        Ok(()) => why.to_string(),
        Err(e) => format!("{why}; and {e}"),
    };
    CliError::new(Exit::Refused, why)
}

fn show(req: &ApprovalRequest) {
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "request {} by {} at {}: {}",
        short(&req.hash),
        req.requester,
        rfc3339(req.requested_at_ms),
        req.summary
    );
    for c in &req.changes {
        let _ = writeln!(err, "    {c}");
    }
    let _ = writeln!(err, "  command: {}", req.command);
}

fn ask(req: &ApprovalRequest) -> Result<bool, CliError> {
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "Approve {} {} for {}? [y/N] ",
        req.action, req.target, req.requester
    );
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::new(Exit::Failed, format!("cannot read the answer: {e}")))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

fn list(
    store: &dyn crate::actions::shared_store::SharedStore,
    as_json: bool,
) -> Result<Exit, CliError> {
    let pending = approvals::pending(store, now_ms()).map_err(refused)?;
    if as_json {
        super::out(&serde_json::to_string_pretty(&json!(pending)).unwrap_or_default());
        return Ok(Exit::Done);
    }
    if pending.is_empty() {
        super::out("no requests waiting for approval");
    }
    for r in &pending {
        super::out(&format!(
            "{}  {} {}  by {}  until {}  ({})",
            short(&r.hash),
            r.action,
            r.target,
            r.requester,
            rfc3339(r.expires_at_ms),
            r.summary
        ));
    }
    Ok(Exit::Done)
}
