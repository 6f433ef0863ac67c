//! `meridian wait quiet`: until no CloudWatch alarm has been in ALARM for --for, decided as
//! the rollout `alarms` gate decides it (alarm state now plus `DescribeAlarmHistory`), so a
//! 7-day window is answered at once. When the history shows the window cannot close before
//! the timeout (an alarm left ALARM 2 days ago, 7 days asked, 30 minutes allowed), it stops
//! at once instead of waiting for a failure it can already see.

use std::time::{Duration, Instant};

use serde_json::json;

use super::args::{GlobalArgs, WaitArgs};
use super::{Exit, Failure};
use crate::actions::rollout::{GateVerdict, alarms_gate};
use crate::fleet::rollout::span;
use crate::providers::alarms::AlarmQuery;
use crate::session::Context;
use crate::state::short_age;

/// Which alarms, and for how long.
pub struct Scope {
    pub prefix: Option<String>,
    pub tag: Option<String>,
    pub region: Option<String>,
    pub hold: Duration,
}

pub async fn run(
    ctx: &Context,
    scope: Scope,
    wait: &WaitArgs,
    global: &GlobalArgs,
) -> Result<Exit, Failure> {
    if ctx.fleet.alarms.is_none() {
        return Err(Failure::new(
            Exit::Usage,
            "wait quiet reads CloudWatch alarms: the fleet needs an `[alarms]` table (provider = \"cloudwatch\")",
        ));
    }
    if let Some(r) = scope.region.as_deref()
        && ctx.fleet.region(r).is_none()
    {
        let hint = crate::fleet::suggest::hint(r, ctx.fleet.region_ids());
        return Err(Failure::new(
            Exit::Usage,
            format!("unknown region \"{r}\"{hint}"),
        ));
    }
    if let Some(t) = scope.tag.as_deref()
        && t.split_once('=').is_none_or(|(k, _)| k.trim().is_empty())
    {
        return Err(Failure::new(
            Exit::Usage,
            format!("--tag is KEY=value, e.g. team=payments (got \"{t}\")"),
        ));
    }
    if scope.hold > Duration::from_secs(30 * 86_400) {
        return Err(Failure::new(
            Exit::Usage,
            "--for is 30d or less: CloudWatch keeps alarm history for 30 days",
        ));
    }
    let query = AlarmQuery::of_gate(
        &ctx.fleet,
        scope.prefix.as_deref(),
        scope.tag.as_deref(),
        scope.region.as_deref(),
    );
    let what = format!(
        "no alarm in ALARM for {} ({})",
        span(scope.hold),
        query.describe()
    );
    eprintln!("waiting for {what}");
    let started = Instant::now();
    let mut last = String::new();
    let mut polls = 0u32;
    loop {
        let verdict = alarms_gate(ctx.providers.alarms.as_deref(), &query, scope.hold).await;
        polls += 1;
        let waited = started.elapsed();
        // A line when what it waits for changes, not every tick of the countdown.
        let key = match &verdict {
            GateVerdict::Waiting { waiting_for, .. } => waiting_for.clone(),
            other => other.describe(),
        };
        if key != last {
            eprintln!(
                "[{}] {}",
                short_age(waited.as_millis() as i64),
                verdict.describe()
            );
            last = key;
        }
        let left = wait.timeout.saturating_sub(waited);
        let stop = match &verdict {
            GateVerdict::Met { .. } => {
                report(&query, &scope, &verdict, wait, waited, polls, global.json);
                return Ok(Exit::Done);
            }
            _ if left.is_zero() => Some(format!(
                "timed out after {} waiting for {what}",
                span(wait.timeout)
            )),
            // The window cannot close before the timeout: say so now.
            GateVerdict::Waiting {
                remaining_secs: Some(s),
                ..
            } if Duration::from_secs(*s) > left => Some(format!(
                "{what} cannot hold before the timeout ({} left, {} needed)",
                span(left),
                span(Duration::from_secs(*s))
            )),
            // An alarm firing now: quiet needs the whole window after it clears.
            GateVerdict::Failed { .. } if scope.hold > left => Some(format!(
                "{what} cannot hold before the timeout ({} left)",
                span(left)
            )),
            _ => None,
        };
        if let Some(why) = stop {
            report(&query, &scope, &verdict, wait, waited, polls, global.json);
            return Err(Failure::new(
                Exit::Failed,
                format!("{why}: {}", verdict.describe()),
            ));
        }
        tokio::time::sleep(wait.interval.min(left)).await;
    }
}

fn report(
    query: &AlarmQuery,
    scope: &Scope,
    verdict: &GateVerdict,
    wait: &WaitArgs,
    waited: Duration,
    polls: u32,
    json: bool,
) {
    if json {
        let doc = json!({
            "condition": "quiet",
            "target": query.describe(),
            "prefix": query.prefix,
            "tags": query.tags,
            "aws_regions": query.aws_regions,
            "met": matches!(verdict, GateVerdict::Met { .. }),
            "verdict": verdict,
            "for_seconds": scope.hold.as_secs(),
            "timeout_seconds": wait.timeout.as_secs(),
            "waited_seconds": waited.as_secs(),
            "polls": polls,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if let GateVerdict::Met { reason } = verdict {
        println!("met: {reason}");
    }
}
