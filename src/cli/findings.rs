//! Findings for the one-shot commands (`status --check`, `status --json`): the records they
//! are judged on are read once, and the memory of since when each condition has held is
//! shared with the next command through the state directory.

use serde_json::{Value, json};

use crate::actions::FleetLock;
use crate::actions::findings::{self, Assessment, Finding, Records, SeenFile, Suggestion, Urgency};
use crate::actions::recovery_open::OpenClock;
use crate::actions::temporary::Standing;
use crate::session::Context;
use crate::state::{FleetState, now_ms, rfc3339};

/// Judge the fleet as read, with the shared records beside it. A record that cannot be
/// read leaves out the findings it would raise (its problem is said elsewhere).
pub fn assess(
    ctx: &Context,
    state: &FleetState,
    standing: &Standing,
    clocks: &[OpenClock],
) -> Assessment {
    assess_with(ctx, state, standing, clocks, None)
}

/// `assess`, judging only the tenant cells of `apps` when the caller keeps that list
/// current (`meridian watch`); None judges every cell.
pub fn assess_with(
    ctx: &Context,
    state: &FleetState,
    standing: &Standing,
    clocks: &[OpenClock],
    apps: Option<&findings::Watchlist>,
) -> Assessment {
    let executor = ctx.executor();
    let store = executor.shared_store();
    let now = now_ms();
    let rollout = executor.rollouts().load().ok().flatten();
    let approvals = crate::actions::approvals::pending(&*store, now).unwrap_or_default();
    // The lock file only: a Lease is judged by its own expiry when it is taken.
    let lock = ctx
        .lock()
        .remote
        .is_none()
        .then(|| FleetLock::new(&ctx.fleet_paths.lock_file).state());
    let file = SeenFile::in_dir(&ctx.fleet_paths.dir);
    let mut seen = file.load();
    let records = Records {
        weights: Some(standing),
        rollout: rollout.as_ref(),
        approvals: &approvals,
        lock: lock.as_ref(),
        clocks,
        seen: Some(&seen),
        // Preflight reads every backend once more: `meridian preflight` runs it.
        preflight: &[],
        apps,
    };
    let assessment = findings::assess(&ctx.fleet, state, records, now);
    if seen.update(&assessment.holding, now)
        && !ctx.read_only
        && let Err(e) = file.save(&seen)
    {
        super::note(&format!("meridian: warning: {e}"));
    }
    assessment
}

/// Does a finding fail `status --check`? Housekeeping (a region left drained, a rollout at
/// its gate) is printed, never a failure.
pub fn fails_check(f: &Finding) -> bool {
    f.urgency < Urgency::Low
}

/// A finding for JSON: its fields, and `since` as RFC 3339.
pub fn to_json(f: &Finding) -> Value {
    let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
    if let Some(since) = f.since_ms {
        v["since"] = json!(rfc3339(since));
    }
    v
}

/// The findings as `status --check` prints them: most urgent first, each with since when,
/// why it matters, and the command that helps (or why none does).
pub fn to_text(all: &[Finding]) -> String {
    if all.is_empty() {
        return String::new();
    }
    let mut out = format!("findings, most urgent first ({}):\n", all.len());
    for (i, f) in all.iter().enumerate() {
        let mark = match f.urgency {
            Urgency::Critical => "!!",
            Urgency::High => "! ",
            Urgency::Medium => "~ ",
            Urgency::Low => "· ",
        };
        out.push_str(&format!(
            "{:>2}. {mark} {} [{}]\n",
            i + 1,
            f.title,
            f.urgency.name()
        ));
        let since = f
            .since_ms
            .map(|s| format!("since {} · ", rfc3339(s)))
            .unwrap_or_default();
        out.push_str(&format!("       {since}{}\n", f.why));
        match &f.suggestion {
            Suggestion::Plan {
                command,
                reason_required,
                ..
            } => {
                let reason = if *reason_required { " --reason ID" } else { "" };
                out.push_str(&format!("       -> {command}{reason}\n"));
            }
            Suggestion::None { why } => {
                out.push_str(&format!("       -> no safe action: {why}\n"));
                if let Some(c) = &f.command {
                    out.push_str(&format!("          look: {c}\n"));
                }
            }
        }
    }
    out
}
