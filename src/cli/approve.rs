//! `meridian approve [HASH]`: a second person approves a plan someone else asked to run
//! (two-person policy). With no hash, lists the requests waiting for approval. With
//! `--artifact`, the same for an artifact a rollout wrote (a Terraform plan): its text is
//! shown, and the approval binds its sha256.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::json;

use super::args::GlobalArgs;
use super::{Exit, Failure};
use crate::actions::Executor;
use crate::actions::approvals::{self, ApprovalRequest, Approved, Refusal, artifact, short};
use crate::session::Context;
use crate::state::{now_ms, rfc3339};

/// Approve the request `hash` names, or list the pending ones.
pub fn run(hash: Option<String>, global: &GlobalArgs) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    let executor = ctx.executor();
    let store = executor.shared_store();
    let Some(given) = hash else {
        return list(&*store, global.json);
    };
    let req = approvals::find(&*store, &given).map_err(refused)?;
    decide(&ctx, &executor, req, global)
}

/// `meridian approve --artifact [HASH]`: approve an artifact a rollout wrote, by its
/// sha256, after reading its text; with no hash, list the artifacts waiting.
pub fn artifact(given: String, global: &GlobalArgs) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    let executor = ctx.executor();
    let store = executor.shared_store();
    if given.trim().is_empty() {
        let waiting: Vec<ApprovalRequest> = approvals::pending(&*store, now_ms())
            .map_err(refused)?
            .into_iter()
            .filter(|r| r.action == artifact::ARTIFACT_ACTION)
            .collect();
        if global.json {
            super::out(&serde_json::to_string_pretty(&json!(waiting)).unwrap_or_default());
            return Ok(Exit::Done);
        }
        if waiting.is_empty() {
            super::out("no artifact is waiting for approval");
        }
        for r in &waiting {
            super::out(&format!(
                "{}  {}  written by {}  until {}",
                short(&r.hash),
                r.target,
                r.requester,
                rfc3339(r.expires_at_ms),
            ));
            super::out(&format!("    {}", r.summary));
            for line in &r.changes {
                super::out(&format!("    | {line}"));
            }
        }
        return Ok(Exit::Done);
    }
    let req = artifact::find_artifact(&*store, &given).map_err(refused)?;
    decide(&ctx, &executor, req, global)
}

/// Show the request, confirm, and approve it through the executor (audited either way).
fn decide(
    ctx: &Context,
    executor: &Executor,
    req: ApprovalRequest,
    global: &GlobalArgs,
) -> Result<Exit, Failure> {
    show(&req);
    if ctx.read_only {
        return Err(audited(
            executor,
            &req,
            "read-only mode: nothing is approved",
        ));
    }
    if !global.yes {
        if !std::io::stdin().is_terminal() {
            return Err(audited(
                executor,
                &req,
                "not confirmed: no terminal on stdin to ask, and no --yes",
            ));
        }
        if !ask(&req)? {
            return Err(audited(executor, &req, "not confirmed"));
        }
    }
    match executor.approve_plan(&req, global.reason.clone()) {
        Approved::Yes(a) => {
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
        Approved::Refused(why) => Err(Failure::new(Exit::Refused, why)),
    }
}

fn refused(r: Refusal) -> Failure {
    let code = match r {
        Refusal::Store(_) => Exit::Failed,
        Refusal::Unknown { .. } | Refusal::Ambiguous { .. } => Exit::Usage,
        _ => Exit::Refused,
    };
    Failure::new(code, r.to_string())
}

/// Record a refused approval and say why.
fn audited(executor: &Executor, req: &ApprovalRequest, why: &str) -> Failure {
    Failure::new(Exit::Refused, executor.refuse_approval(req, why))
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

fn ask(req: &ApprovalRequest) -> Result<bool, Failure> {
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
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot read the answer: {e}")))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

fn list(store: &dyn crate::providers::store::SharedStore, as_json: bool) -> Result<Exit, Failure> {
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
