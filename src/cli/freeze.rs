//! `meridian freeze` and `meridian unfreeze`: set and lift a change freeze through the
//! action library's door (read-only mode refuses, audited). Exit 0 done, 2 usage, 3 refused.

use std::time::Duration;

use serde_json::json;

use super::args::GlobalArgs;
use super::{Exit, Failure};
use crate::session::Context;
use crate::state::{Millis, now_ms, rfc3339};

fn reason(global: &GlobalArgs, what: &str) -> Result<String, Failure> {
    match global.reason.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => Ok(r.to_string()),
        _ => Err(Failure::new(
            Exit::Usage,
            format!("{what} needs --reason TEXT: everyone refused by a freeze is shown why"),
        )),
    }
}

/// `--until 2026-12-24T18:00:00Z` (or `2026-12-24 18:00`, UTC).
fn parse_until(text: &str) -> Result<Millis, Failure> {
    let t = text.trim();
    let parsed = humantime::parse_rfc3339_weak(t)
        .or_else(|_| humantime::parse_rfc3339_weak(&format!("{t}:00")))
        .or_else(|_| humantime::parse_rfc3339_weak(t.trim_end_matches('Z')));
    match parsed {
        Ok(at) => Ok(at
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0)),
        Err(_) => Err(Failure::new(
            Exit::Usage,
            format!(
                "--until {text}: write a UTC time such as 2026-12-24T18:00:00Z, or use --for 2h"
            ),
        )),
    }
}

pub fn freeze(
    global: &GlobalArgs,
    until: Option<&str>,
    for_: Option<Duration>,
) -> Result<Exit, Failure> {
    let reason = reason(global, "a freeze")?;
    let until = match (until, for_) {
        (Some(u), _) => Some(parse_until(u)?),
        (None, Some(d)) => Some(now_ms() + d.as_millis().min(i64::MAX as u128) as Millis),
        (None, None) => None,
    };
    if until.is_some_and(|u| u <= now_ms()) {
        return Err(Failure::new(
            Exit::Usage,
            "--until is in the past: a freeze ends in the future".to_string(),
        ));
    }
    let ctx = Context::load(&global.session())?;
    let f = ctx
        .executor()
        .freeze(&reason, until)
        .map_err(|e| Failure::new(Exit::Refused, e))?;
    if global.json {
        super::out(&json!({"freeze": f}).to_string());
    } else {
        super::out(&format!(
            "fleet {} frozen by {} {}: {}; every action and rollout step is refused until then (`meridian unfreeze --reason TEXT` lifts it)",
            ctx.fleet.name,
            f.by,
            f.until
                .map(|u| format!("until {}", rfc3339(u)))
                .unwrap_or_else(|| "until someone unfreezes".into()),
            f.reason
        ));
    }
    Ok(Exit::Done)
}

pub fn unfreeze(global: &GlobalArgs) -> Result<Exit, Failure> {
    let reason = reason(global, "unfreezing")?;
    let ctx = Context::load(&global.session())?;
    let exec = ctx.executor();
    let lifted = exec
        .unfreeze(&reason)
        .map_err(|e| Failure::new(Exit::Refused, e))?;
    match lifted {
        Some(f) => super::out(&format!(
            "fleet {}: lifted the freeze {} set ({})",
            ctx.fleet.name, f.by, f.reason
        )),
        None => super::out(&format!("fleet {}: no freeze was set", ctx.fleet.name)),
    }
    // A scheduled window is the fleet file's: unfreeze does not lift it, and says so.
    if let Some(still) = exec.freeze_now() {
        super::note(&format!(
            "still frozen: {} (a [[policy.freezes]] window in the fleet file; act anyway with --override freeze --reason TEXT)",
            still.describe()
        ));
    }
    Ok(Exit::Done)
}
