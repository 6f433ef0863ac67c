//! Rollout gates decided as pure functions of the observed state, the time the gate started
//! and now. A healthy gate counts from its own start: the step before it just changed the
//! region, so green from before does not count.

use std::time::Duration;

use serde::Serialize;

use crate::actions::gates;
use meridian_model::fleet::rollout::{GateSpec, span};
use meridian_model::state::{FleetState, HealthStatus, Millis, elapsed, now_ms, rfc3339};

/// Environment variable that moves the rollout clock forward by a duration ("16m"). For
/// tests only: it lets a 15-minute gate pass without waiting 15 minutes.
pub const CLOCK_SKEW_ENV: &str = "MERIDIAN_TEST_ROLLOUT_SKEW";

/// Now, on the clock rollouts keep their times in.
pub fn rollout_now() -> Millis {
    let skew = std::env::var(CLOCK_SKEW_ENV)
        .ok()
        .and_then(|s| humantime::parse_duration(&s).ok())
        .map(|d| d.as_millis().min(i64::MAX as u128) as Millis)
        .unwrap_or(0);
    now_ms().saturating_add(skew)
}

/// What a gate says now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum GateVerdict {
    /// The gate holds: the rollout may move on.
    Met { reason: String },
    /// Not yet: what it waits for, and how long at least, when that is known.
    Waiting {
        waiting_for: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        remaining_secs: Option<u64>,
    },
    /// The condition broke: the rollout stops and never proceeds on its own.
    Failed { reason: String },
}

impl GateVerdict {
    fn waiting(what: impl Into<String>, remaining: Option<Duration>) -> GateVerdict {
        GateVerdict::Waiting {
            waiting_for: what.into(),
            remaining_secs: remaining.map(|d| d.as_secs()),
        }
    }

    /// One line for a person: "us-east-1 healthy 9m12s of 15m (5m48s to go)".
    pub fn describe(&self) -> String {
        match self {
            GateVerdict::Met { reason } => format!("met: {reason}"),
            GateVerdict::Failed { reason } => format!("failed: {reason}"),
            GateVerdict::Waiting {
                waiting_for,
                remaining_secs: Some(s),
            } => format!(
                "waiting: {waiting_for} ({} to go)",
                span(Duration::from_secs(*s))
            ),
            GateVerdict::Waiting { waiting_for, .. } => format!("waiting: {waiting_for}"),
        }
    }
}

fn ms(d: Duration) -> Millis {
    d.as_millis().min(Millis::MAX as u128) as Millis
}

/// "9m12s": whole seconds, as the countdown shows them.
fn secs(m: Millis) -> String {
    span(Duration::from_millis(m.max(0) as u64))
}

/// Evaluate a gate that started at `since`. Approval and command gates are decided by the
/// engine (a person, a process); here they only say what they wait for.
pub fn evaluate(gate: &GateSpec, state: &FleetState, since: Millis, now: Millis) -> GateVerdict {
    let waited = elapsed(now, since).max(0);
    match gate {
        GateSpec::Healthy { region, hold } => healthy(state, region, *hold, since, now),
        GateSpec::Lag { region, under } => {
            let g = gates::lag_under(state, region, *under);
            if g.met {
                GateVerdict::Met { reason: g.reason }
            } else {
                GateVerdict::waiting(g.reason, None)
            }
        }
        GateSpec::Wait { hold } if waited >= ms(*hold) => GateVerdict::Met {
            reason: format!("waited {}", span(*hold)),
        },
        GateSpec::Wait { hold } => GateVerdict::waiting(
            format!("{} of {} passed", secs(waited), span(*hold)),
            Some(Duration::from_millis((ms(*hold) - waited) as u64)),
        ),
        GateSpec::Approval {
            artifact: Some(name),
            ..
        } => GateVerdict::waiting(
            format!(
                "a second person to approve artifact {name}: `meridian approve --artifact HASH`, then `meridian rollout next`"
            ),
            None,
        ),
        GateSpec::Approval { second_person, .. } => GateVerdict::waiting(
            if *second_person {
                "approval by a second person (not whoever started the rollout): `meridian rollout approve`"
            } else {
                "approval: `meridian rollout approve`"
            },
            None,
        ),
        GateSpec::Command { run, .. } => {
            GateVerdict::waiting(format!("`{}` to exit 0", run.display()), None)
        }
        // Decided from CloudWatch's alarm history by `gate_alarms::alarms_gate` (`rollout
        // next`, `rollout status`); from the board's state alone it only says what it needs.
        GateSpec::Alarms {
            prefix,
            tag,
            region,
            hold,
        } => GateVerdict::waiting(
            format!(
                "no alarm in ALARM for {}{} (read from CloudWatch by `meridian rollout next` or Enter in the rollout pane)",
                span(*hold),
                meridian_model::fleet::rollout::alarm_scope(
                    prefix.as_deref(),
                    tag.as_deref(),
                    region.as_deref()
                )
            ),
            None,
        ),
    }
}

/// A gate's verdict with its step's timeout: still waiting past the timeout is a failure
/// that says what it was waiting for.
pub fn with_timeout(
    verdict: GateVerdict,
    timeout: Option<Duration>,
    since: Millis,
    now: Millis,
) -> GateVerdict {
    match (verdict, timeout) {
        (GateVerdict::Waiting { waiting_for, .. }, Some(t)) if elapsed(now, since) >= ms(t) => {
            GateVerdict::Failed {
                reason: format!(
                    "timed out after {} (timeout = \"{}\") waiting for {waiting_for}",
                    secs(elapsed(now, since)),
                    span(t)
                ),
            }
        }
        (v, _) => v,
    }
}

/// The first app in `region` whose last sync finished at or after `since` with a failed
/// hook, in words ("checkout in us-east-1: PreSync Job migrate failed: ..."). A failure from
/// before the gate started is left to the step that caused it.
fn hook_failed_since(state: &FleetState, region: &str, since: Millis) -> Option<String> {
    state.tenants.iter().find_map(|t| {
        let op = t.app(region)?.value.as_ref()?.detail.operation.as_deref()?;
        if op.finished_at.is_none_or(|f| f < since) {
            return None;
        }
        gates::hook_failed(state, &t.id, region)
    })
}

fn healthy(
    state: &FleetState,
    region: &str,
    hold: Duration,
    since: Millis,
    now: Millis,
) -> GateVerdict {
    let waited = elapsed(now, since).max(0);
    // An app of the region whose sync failed in a hook since the gate started (an auto-sync
    // after a push, say): its new revision was not applied, so waiting out the hold would
    // only hide that. Fail now, with the hook's own words.
    if let Some(hook) = hook_failed_since(state, region, since) {
        return GateVerdict::Failed {
            reason: format!("{hook} ({} into its {} gate)", secs(waited), span(hold)),
        };
    }
    let h = state
        .region(region)
        .and_then(|r| r.health.value.as_ref().filter(|_| r.health.error.is_none()));
    let Some(h) = h else {
        // No fresh reading is no evidence either way: keep waiting, never pass.
        return GateVerdict::waiting(format!("{region} health unknown (no fresh reading)"), None);
    };
    if h.status != HealthStatus::Healthy {
        return GateVerdict::Failed {
            reason: format!(
                "{region} went {} {} into its {} gate: {}",
                h.status.as_str(),
                secs(waited),
                span(hold),
                h.reason
            ),
        };
    }
    // Healthy now, but continuously so only since after the gate started: a break, or a
    // gap in the readings (no dashboard polled for a while). Neither proves health, so the
    // count starts again from then; only a region seen unhealthy fails the gate.
    let (waited, restarted) = match h.healthy_since {
        Some(from) if from > since => (elapsed(now, from).max(0), Some(from)),
        _ => (waited, None),
    };
    let counting = restarted
        .map(|from| {
            format!(
                ", counted from {} when it was last seen turning healthy",
                rfc3339(from)
            )
        })
        .unwrap_or_default();
    if waited >= ms(hold) {
        GateVerdict::Met {
            reason: format!("{region} healthy for {} of {}", secs(waited), span(hold)),
        }
    } else {
        GateVerdict::waiting(
            format!(
                "{region} healthy {} of {}{counting}",
                secs(waited),
                span(hold)
            ),
            Some(Duration::from_millis((ms(hold) - waited) as u64)),
        )
    }
}
