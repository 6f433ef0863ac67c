//! Running an action from the command line: plan, show, confirm, execute, report.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::json;

use super::args::GlobalArgs;
use super::{Exit, Failure};
use crate::actions::{Action, AuditOutcome, Execution, Plan, Request, Verdict, plan, stop_pair};
use crate::engine::{for_action, poll_subjects};
use crate::fleet::ConfirmStrength;
use crate::providers::Progress;
use crate::session::Context;
use crate::state::now_ms;

/// Plan, confirm and execute one action. Returns the exit code.
pub async fn run(
    action: Action,
    global: &GlobalArgs,
    accept_data_loss: bool,
) -> Result<Exit, Failure> {
    run_request(Request::new(action), global, accept_data_loss).await
}

/// Run a phase: resume at a failed or interrupted step unless `from_start`.
pub async fn run_phase(
    region: String,
    phase: String,
    from_start: bool,
    global: &GlobalArgs,
) -> Result<Exit, Failure> {
    let request = Request::new(Action::RunPhase { region, phase }).from_start(from_start);
    run_request(request, global, false).await
}

pub async fn run_request(
    request: Request,
    global: &GlobalArgs,
    accept_data_loss: bool,
) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    let mut request = request.read_only(ctx.read_only);
    request.reason = global.reason.clone();
    request.overrides = global.overrides.clone();
    request.accept_data_loss = accept_data_loss;
    let (exit, _) = run_prepared(&ctx, request, global).await?;
    Ok(exit)
}

/// Plan, show, confirm and execute a request whose reason and overrides are already set
/// (a rollout step carries its rollout's). The execution is `None` for a dry run.
pub async fn run_prepared(
    ctx: &Context,
    request: Request,
    global: &GlobalArgs,
) -> Result<(Exit, Option<Execution>), Failure> {
    let request = request.read_only(ctx.read_only);
    // Only what this action's plan and verification need (one read, not the fleet).
    let subjects = for_action(&ctx.fleet, &request.action);
    let mut state = poll_subjects(&ctx.fleet, &ctx.providers, &subjects, None).await;
    // The change freeze is shared state, not the fleet's: the plan shows it (the executor
    // reads it again just before it acts).
    state.freeze = ctx.executor().freeze_reading();
    let mut plan = plan(&request, &ctx.fleet, &state, now_ms())
        .map_err(|e| Failure::new(Exit::Usage, e.to_string()))?;
    // The backend's own words for the change (e.g. the exact Route 53 change batch).
    let notes = ctx.executor().describe_backends(&plan).await;
    plan.notes.extend(notes);
    if !global.json {
        eprint!("{}", plan_text(&plan));
        if crate::actions::approvals::required(&ctx.fleet, &plan) {
            let hash = crate::actions::approvals::plan_hash(&plan);
            eprintln!(
                "  approval: two-person (policy); plan {}",
                crate::actions::approvals::short(&hash)
            );
        }
    }
    if global.dry_run {
        // Whether a second person's approval is needed and present for this exact plan;
        // `check` reads only, so a dry run records no request.
        let approval = if crate::actions::approvals::required(&ctx.fleet, &plan) {
            let hash = crate::actions::approvals::plan_hash(&plan);
            let store = ctx.executor().shared_store();
            let who = crate::actions::approvals::identity(&ctx.fleet);
            let found = crate::actions::approvals::check(&*store, &hash, &who, now_ms());
            if !global.json {
                match &found {
                    Ok(a) => eprintln!(
                        "  approval: plan {} approved by {}",
                        crate::actions::approvals::short(&hash),
                        a.approver
                    ),
                    Err(why) => eprintln!("  approval: missing, would refuse: {why}"),
                }
            }
            Some(match found {
                Ok(a) => json!({ "required": true, "hash": hash, "approved": true,
                    "approver": a.approver, "expires_at_ms": a.expires_at_ms }),
                Err(why) => json!({ "required": true, "hash": hash, "approved": false,
                    "refusal": why.to_string() }),
            })
        } else {
            None
        };
        let unapproved = approval.as_ref().is_some_and(|a| a["approved"] == false);
        let would_refuse = plan.is_blocked() || plan.read_only || unapproved;
        if global.json {
            let approval = approval.unwrap_or_else(|| json!({ "required": false }));
            println!(
                "{}",
                pretty(
                    &json!({ "plan": plan, "dry_run": true, "would_refuse": would_refuse,
                    "approval": approval })
                )
            );
        }
        let exit = if would_refuse {
            Exit::Refused
        } else {
            Exit::Done
        };
        return Ok((exit, None));
    }
    // A promotion that would leave traffic on the old writer asks first whether to drain it
    // too; the answer is a new plan, shown again before it is confirmed.
    let asking = !global.yes && !plan.read_only && std::io::stdin().is_terminal();
    let (request, plan) = match asking.then(|| choose_drain_old(&plan, &request)) {
        Some(Ok(Some(asked))) => {
            let mut again = crate::actions::plan(&asked, &ctx.fleet, &state, now_ms())
                .map_err(|e| Failure::new(Exit::Usage, e.to_string()))?;
            again
                .notes
                .extend(ctx.executor().describe_backends(&again).await);
            eprint!("{}", plan_text(&again));
            (asked, again)
        }
        Some(Err(e)) => return Err(e),
        _ => (request, plan),
    };
    let executor = ctx.executor();
    let execution = if plan.read_only || plan.is_blocked() {
        // The executor records the refusal and says why.
        executor.execute(&request, &plan, &Progress::silent()).await
    } else if let Err(why) = executor.approval_for(&plan) {
        // Refused before asking to confirm: confirming could not make it run.
        executor.record_refused(&plan, &why)
    } else if global.yes {
        // Confirmed as it was planned: the plan's own reading is the re-check.
        execute(&executor, &request, &plan, Some(&state), global).await
    } else if std::io::stdin().is_terminal() {
        match confirm(&plan)? {
            true => execute(&executor, &request, &plan, None, global).await,
            false => executor.record_declined(&plan),
        }
    } else {
        executor.record_refused(
            &plan,
            "not confirmed: no terminal on stdin to ask, and no --yes",
        )
    };
    report(&plan, &execution, global.json);
    Ok((exit_for(execution.outcome), Some(execution)))
}

/// Execute, stopping part-way on Ctrl-C, SIGTERM, SIGHUP or SIGQUIT: the executor then
/// records `interrupted`, says what reading back found, and releases the lock.
async fn execute(
    executor: &crate::actions::Executor,
    request: &Request,
    plan: &Plan,
    basis: Option<&crate::state::FleetState>,
    global: &GlobalArgs,
) -> Execution {
    let progress = if global.json {
        Progress::new(|m| super::note(&format!("  {m}")))
    } else {
        Progress::new(|m| super::note(&format!("  · {m}")))
    };
    let (handle, stop) = stop_pair();
    let mut endings = crate::signals::Endings::listen();
    let watcher = tokio::spawn(async move {
        let name = endings.next().await;
        super::note(&format!(
            "  {name}: stopping; the outcome is recorded before meridian exits"
        ));
        handle.stop(name);
    });
    let done = executor
        .execute_until(request, plan, basis, &progress, stop)
        .await;
    watcher.abort();
    done
}

/// The exit code for an outcome.
pub fn exit_for(outcome: AuditOutcome) -> Exit {
    match outcome {
        AuditOutcome::Succeeded => Exit::Done,
        AuditOutcome::Started
        | AuditOutcome::Failed
        | AuditOutcome::Unverified
        | AuditOutcome::Interrupted => Exit::Failed,
        AuditOutcome::Refused | AuditOutcome::Declined => Exit::Refused,
        AuditOutcome::LockHeld => Exit::LockHeld,
    }
}

fn report(plan: &Plan, execution: &Execution, as_json: bool) {
    if as_json {
        let doc = json!({
            "plan": plan,
            "outcome": execution.outcome.as_str(),
            "detail": execution.detail,
            "audit_id": execution.audit_id,
            "before": execution.before,
            "after": execution.after,
            "recovery": execution.recovery,
        });
        super::out(&pretty(&doc));
        return;
    }
    let detail = execution
        .detail
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    match execution.outcome {
        AuditOutcome::Succeeded => {
            super::out(&format!("{} {}: done and verified", plan.name, plan.target))
        }
        other => super::out(&format!(
            "{} {}: {}{detail}",
            plan.name,
            plan.target,
            other.as_str()
        )),
    }
    if let Some(c) = &execution.recovery {
        super::out(&format!("recovery: {}", c.text()));
    }
    if let Some(dir) = execution
        .after
        .as_ref()
        .and_then(|a| a.get("evidence"))
        .and_then(|e| e.as_str())
    {
        println!("evidence: {dir}");
    }
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// The plan as a person reads it.
pub fn plan_text(plan: &Plan) -> String {
    let mut s = String::new();
    s.push_str(&format!("plan: {}\n", plan.summary));
    if !plan.environments.is_empty() {
        let prod = if plan.blast_radius.production {
            "  << PRODUCTION >>"
        } else {
            ""
        };
        s.push_str(&format!(
            "  environments: {}{prod}\n",
            plan.environments.join(", ")
        ));
    }
    if !plan.blast_radius.tenants.is_empty() {
        s.push_str(&format!(
            "  blast radius: {} tenant(s) ({}), {}\n",
            plan.blast_radius.tenants.len(),
            plan.blast_radius.tenants.join(", "),
            plan.blast_radius.traffic_text()
        ));
    }
    if plan.changes.is_empty() {
        s.push_str("  changes: none\n");
    } else {
        s.push_str("  changes:\n");
        for c in &plan.changes {
            s.push_str(&format!(
                "    {} {}: {} -> {}\n",
                c.subject, c.field, c.before, c.after
            ));
        }
    }
    s.push_str("  guards:\n");
    // Blocks first, then warnings: what stops or worries the operator is read first.
    let mut checks: Vec<_> = plan.checks.iter().collect();
    checks.sort_by_key(|c| match (c.verdict, c.overridden) {
        (Verdict::Block, false) => 0,
        (Verdict::Block, true) => 1,
        (Verdict::Warn, _) => 2,
        (Verdict::Pass, _) => 3,
    });
    for c in checks {
        let mark = match (c.verdict, c.overridden) {
            (Verdict::Pass, _) => "pass ",
            (Verdict::Warn, _) => "WARN ",
            (Verdict::Block, true) => "OVERRIDDEN",
            (Verdict::Block, false) => "BLOCK",
        };
        s.push_str(&format!("    {mark} {:<22} {}\n", c.guard.name(), c.reason));
        if c.blocks() && c.guard.overridable() {
            let how = match c.guard.override_flag() {
                "--override" => format!("--override {} --reason TEXT", c.guard.name()),
                flag => flag.to_string(),
            };
            s.push_str(&format!("          to override: {how}\n"));
        }
    }
    for n in &plan.notes {
        s.push_str(&format!("  note: {n}\n"));
    }
    s.push_str(&format!("  command: {}\n", plan.cli_equivalent));
    s
}

/// For a promotion that leaves traffic on the old writer and could drain it, ask whether
/// to (No by default: a planned switchover may keep the region serving through the new
/// writer). `Some(request)` when the answer changes the plan.
fn choose_drain_old(plan: &Plan, request: &Request) -> Result<Option<Request>, Failure> {
    let Some(old) = plan
        .old_writer
        .as_ref()
        .filter(|o| !o.drain && o.cannot_drain.is_none() && request.drain_old.is_none())
    else {
        return Ok(None);
    };
    let question = format!(
        "{} keeps {} of traffic on a database that will take no writes. Drain it too once the promotion is done? [y/N] ",
        old.region,
        crate::traffic::percent(old.share)
    );
    if !ask(&question)? {
        return Ok(None);
    }
    let mut asked = request.clone();
    asked.drain_old = Some(true);
    Ok(Some(asked))
}

/// Ask a yes/no question on the terminal (No unless the answer is yes).
fn ask(question: &str) -> Result<bool, Failure> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question}");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot read the answer: {e}")))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// Ask on the terminal; typed-name plans need the target typed exactly.
fn confirm(plan: &Plan) -> Result<bool, Failure> {
    let mut err = std::io::stderr();
    let warns = plan.warnings().count();
    if warns > 0 {
        let _ = writeln!(
            err,
            "{warns} warning(s) above: confirming acknowledges them."
        );
    }
    let question = match plan.confirm {
        ConfirmStrength::YesNo => format!("{}? [y/N] ", plan.button_label()),
        ConfirmStrength::TypeName => format!(
            "{}: type \"{}\" to confirm (anything else cancels): ",
            plan.button_label(),
            plan.target
        ),
    };
    let _ = write!(err, "{question}");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot read the answer: {e}")))?;
    let answer = line.trim();
    Ok(match plan.confirm {
        ConfirmStrength::YesNo => matches!(answer, "y" | "Y" | "yes" | "YES" | "Yes"),
        ConfirmStrength::TypeName => answer == plan.target,
    })
}
