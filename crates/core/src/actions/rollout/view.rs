//! Words for a rollout's steps, shared by `rollout status` and the TUI's rollout pane so a
//! runbook and the dashboard describe a step the same way.

use super::gate::GateVerdict;
use super::state::{Rollout, StepEntry, StepState};
use meridian_model::state::{Millis, rfc3339};

/// One step as a row: its number, state word, what it does, and who/when or what it waits for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StepRow {
    pub number: usize,
    pub state: &'static str,
    pub label: String,
    pub detail: String,
    /// Part of the rollback path added by an abort.
    pub rollback: bool,
}

/// "14:02:11": the UTC time of day, enough for one working session.
pub fn clock(ms: Millis) -> String {
    let t = rfc3339(ms);
    t.get(11..19).unwrap_or(&t).to_string()
}

/// The rows of a rollout; `live` is the current gate's verdict, when it was evaluated.
pub fn rows(r: &Rollout, live: Option<&GateVerdict>) -> Vec<StepRow> {
    let current = r.current();
    r.steps
        .iter()
        .enumerate()
        .map(|(i, e)| row(i, e, if current == Some(i) { live } else { None }))
        .collect()
}

fn row(i: usize, e: &StepEntry, live: Option<&GateVerdict>) -> StepRow {
    let (state, detail) = match &e.state {
        StepState::Pending => (
            "pending",
            e.meta
                .timeout
                .map(|t| format!("timeout {}", meridian_model::fleet::rollout::span(t)))
                .unwrap_or_default(),
        ),
        StepState::Running { by, since } => ("running", format!("{by} since {}", clock(*since))),
        StepState::Waiting { since } => (
            "waiting",
            match live {
                Some(GateVerdict::Waiting { waiting_for, .. }) => waiting_for.clone(),
                Some(v) => v.describe(),
                None => format!("since {}", clock(*since)),
            },
        ),
        StepState::Done { by, at, note, .. } => (
            "done",
            match note {
                Some(n) => format!("{by} {} ({n})", clock(*at)),
                None => format!("{by} {}", clock(*at)),
            },
        ),
        StepState::Failed { at, reason } => ("failed", format!("{} {reason}", clock(*at))),
        StepState::Skipped => ("skipped", String::new()),
        StepState::SkippedByPerson {
            by,
            at,
            comment,
            approved_by,
        } => (
            "skipped",
            match approved_by {
                Some(a) => format!("{by} {} ({comment}; approved by {a})", clock(*at)),
                None => format!("{by} {} ({comment})", clock(*at)),
            },
        ),
    };
    StepRow {
        number: i + 1,
        state,
        label: e.step.label(),
        detail,
        rollback: e.rollback,
    }
}

/// Who drives, who paused and why, a skip waiting for a second person: shown to everyone.
pub fn control_lines(r: &Rollout) -> Vec<String> {
    let mut lines = Vec::new();
    if r.driver() != r.started_by {
        lines.push(format!("driven by {} (took over)", r.driver()));
    }
    if r.mode != Default::default() {
        lines.push(format!("mode: {}", <&str>::from(r.mode)));
    }
    if let Some(p) = &r.paused {
        lines.push(format!(
            "PAUSED by {} at {}: {} (no step runs, no gate counts; `meridian rollout resume --reason TEXT`)",
            p.by,
            clock(p.at),
            p.reason
        ));
    }
    if let Some(k) = &r.skip_request {
        lines.push(format!(
            "skip of step {} asked by {} ({}): waits for a second person's `meridian rollout approve`",
            k.step + 1,
            k.by,
            k.comment
        ));
    }
    for e in r.exception_lines() {
        lines.push(format!("exception: {e}"));
    }
    lines
}
