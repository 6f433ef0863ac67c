//! `meridian rollout status`: each step's state, and the live verdict of the gate the
//! rollout waits at (read from the fleet now).

use serde_json::json;

use crate::actions::rollout::view::{clock, rows};
use crate::actions::rollout::{GateVerdict, Next, Rollout, evaluate, rollout_now};
use crate::engine::poll;
use crate::fleet::rollout::GateSpec;
use crate::session::Context;

/// A gate's verdict from a fresh read of the fleet.
pub async fn verdict_now(ctx: &Context, gate: &GateSpec, since: i64) -> GateVerdict {
    // A practice copy runs no gate command and reads no CloudWatch: such a gate waits
    // for the driver, saying so.
    if crate::actions::rollout::in_practice(&ctx.fleet, false)
        && let Some(GateVerdict::Met { reason }) = crate::actions::rollout::practice_verdict(gate)
    {
        return GateVerdict::Waiting {
            waiting_for: format!(
                "the driver: {reason} (`meridian rollout next --practice --yes`, or the rollout pane's key, passes it as an exception)"
            ),
            remaining_secs: None,
        };
    }
    // An alarms gate is decided from CloudWatch's history, not from the board's state.
    if let GateSpec::Alarms {
        prefix,
        tag,
        region,
        hold,
    } = gate
    {
        let query = crate::providers::alarms::AlarmQuery::of_gate(
            &ctx.fleet,
            prefix.as_deref(),
            tag.as_deref(),
            region.as_deref(),
        );
        return crate::actions::rollout::alarms_gate(
            ctx.providers.alarms.as_deref(),
            &query,
            *hold,
        )
        .await;
    }
    let state = poll(&ctx.fleet, &ctx.providers, None).await;
    evaluate(gate, &state, since, rollout_now())
}

/// Print the rollout as text or JSON.
pub async fn print_status(ctx: &Context, r: &Rollout, as_json: bool) {
    // A command gate's command runs on `next`, not on a look.
    let live = match r.next() {
        Next::Gate { index, gate, since }
            if !matches!(gate, GateSpec::Command { .. })
                || crate::actions::rollout::in_practice(&ctx.fleet, r.practice) =>
        {
            let v = verdict_now(ctx, &gate, since).await;
            Some(r.timed(index, v, rollout_now()))
        }
        Next::Gate { gate, since, .. } => {
            Some(evaluate(&gate, &Default::default(), since, rollout_now()))
        }
        _ => None,
    };
    let rows = rows(r, live.as_ref());
    if as_json {
        let doc = json!({
            "rollout": r,
            "current": r.current().map(|i| i + 1),
            "gate": live,
            "steps": rows,
            "outcome": r.outcome(),
            "outcome_text": r.outcome().describe(),
            "driver": r.driver(),
            "exceptions": r.exception_lines(),
        });
        super::out(&serde_json::to_string_pretty(&doc).unwrap_or_else(|_| doc.to_string()));
        return;
    }
    super::out(&format!(
        "{}rollout {} \"{}\": {} (started by {} at {}, reason: {})",
        if r.practice { "PRACTICE " } else { "" },
        r.id,
        r.name,
        r.outcome().describe(),
        r.started_by,
        clock(r.started_at),
        r.reason
    ));
    for line in crate::actions::rollout::view::control_lines(r) {
        super::out(&format!("  {line}"));
    }
    for row in &rows {
        let mark = if row.rollback { " [rollback]" } else { "" };
        super::out(&format!(
            "  {:>2} {:<8} {}{mark}{}",
            row.number,
            row.state,
            row.label,
            if row.detail.is_empty() {
                String::new()
            } else {
                format!("  {}", row.detail)
            }
        ));
    }
    if let Some(v) = &live {
        super::out(&format!("gate: {}", v.describe()));
    }
}
