//! `meridian report`: the incident timeline from the recording and the audit log, as
//! Markdown, JSON or one self-contained HTML page (see `crate::recording::report`).

use super::args::{GlobalArgs, ReportFormat};
use super::{Exit, Failure};
use crate::actions::AuditLog;
use crate::recording::{dir_in, load, render, report};
use crate::session::Context;
use crate::state::now_ms;

pub fn run(
    global: &GlobalArgs,
    since: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: ReportFormat,
) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    let now = now_ms();
    let usage = |e: String| Failure::new(Exit::Usage, e);
    let start = match (&since, &from) {
        (Some(s), None) => crate::recording::when::parse(s, now).map_err(usage)?,
        (None, Some(f)) => crate::recording::when::parse(f, now).map_err(usage)?,
        (None, None) => crate::recording::when::parse("2h", now).map_err(usage)?,
        (Some(_), Some(_)) => {
            return Err(usage("give --since or --from, not both".into()));
        }
    };
    let end = match &to {
        Some(t) => crate::recording::when::parse(t, now).map_err(usage)?,
        None => now,
    };
    if end < start {
        return Err(usage("--to is before the start of the window".into()));
    }
    let dir = dir_in(&ctx.fleet_paths.dir);
    let (at_from, records) = load(&dir, start, end);
    let (audit, damaged) = AuditLog::new(&ctx.fleet_paths.audit_log)
        .read()
        .unwrap_or_default();
    for d in damaged {
        super::note(&format!(
            "meridian: warning: audit log line {}: {}",
            d.line, d.problem
        ));
    }
    let mut r = report::build(&ctx.fleet, &at_from, &records, &audit, start, end);
    r.evidence.push(format!("recording: {}", dir.display()));
    r.evidence.push(format!(
        "audit log: {} (`meridian audit`)",
        ctx.fleet_paths.audit_log.display()
    ));
    let out = match format {
        ReportFormat::Md => render::markdown(&r),
        ReportFormat::Html => render::html(&r, ctx.fleet.policy.rpo_budget.as_secs_f64()),
        ReportFormat::Json => serde_json::to_string_pretty(&r)
            .map(|s| s + "\n")
            .map_err(|e| Failure::new(Exit::Failed, format!("writing the report: {e}")))?,
    };
    print!("{out}");
    if !r.recorded {
        super::note(
            "meridian: nothing was recorded in this window (the dashboard and `meridian watch` record)",
        );
    }
    Ok(Exit::Done)
}
