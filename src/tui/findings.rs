//! Findings on the dashboard: judged from what is on screen (pure, in `update`), the top
//! one on a line under the header, the list behind a key, and Enter on one opens its
//! suggested action's usual plan modal (nothing runs without it).

use super::app::{App, Effect, Status};
use super::overlay::Overlay;
use crate::actions::findings::{self, Finding, Records, Suggestion};
use crate::state::Millis;

/// How often the findings are judged again while readings arrive (the header's ages move
/// by the second).
pub const ASSESS_EVERY: Millis = 1_000;

/// The dashboard's memory of findings: the list on screen and since when each condition
/// without a "since" of its own has held.
#[derive(Debug, Clone, Default)]
pub struct Attention {
    pub findings: Vec<Finding>,
    pub seen: findings::Seen,
    /// When they were last judged (`App::now`).
    pub at: Option<Millis>,
    /// The tenant cells worth judging, kept current as readings are merged (`observe`);
    /// None: scanned whole at the next judgement (after a whole new snapshot).
    pub watchlist: Option<findings::Watchlist>,
}

impl App {
    /// Judge the fleet as shown. The lock is judged by the CLI (`status --check`), which
    /// reads the lock file itself; the dashboard shows its holder in the header.
    pub fn assess_findings(&mut self) {
        if self.attention.watchlist.is_none() {
            self.attention.watchlist = Some(findings::Watchlist::scan(&self.fleet, &self.state));
        }
        let records = Records {
            weights: self.weights.as_ref(),
            rollout: self.rollout.as_deref(),
            approvals: &self.approvals,
            lock: None,
            clocks: &self.clocks,
            seen: Some(&self.attention.seen),
            preflight: &self.preflight.reports,
            apps: self.attention.watchlist.as_ref(),
        };
        let now = self.gate_now();
        let assessment = findings::assess(&self.fleet, &self.state, records, now);
        self.attention.seen.update(&assessment.holding, now);
        if self.attention.findings != assessment.findings {
            self.attention.findings = assessment.findings;
            self.dirty = true;
        }
        self.attention.at = Some(self.now);
    }

    /// On the clock: judged again at most every `ASSESS_EVERY`.
    pub(super) fn assess_on_tick(&mut self) {
        if self
            .attention
            .at
            .is_none_or(|at| self.now - at >= ASSESS_EVERY || self.now < at)
        {
            self.assess_findings();
        }
    }

    /// The findings list, from the board.
    pub(super) fn open_findings(&mut self) {
        self.overlay = Some(Overlay::Findings { selected: 0 });
    }

    /// Enter on a finding: its suggested action's plan, in the usual modal; a finding
    /// without a safe action says why in the status line.
    pub(super) fn act_on_finding(&mut self, index: usize) -> Vec<Effect> {
        let Some(f) = self.attention.findings.get(index) else {
            return Vec::new();
        };
        match &f.suggestion {
            Suggestion::Plan { request, .. } => {
                let request = request.as_ref().clone();
                self.overlay = None;
                self.open_plan(request)
            }
            Suggestion::None { why } => {
                let look = f
                    .command
                    .as_ref()
                    .map(|c| format!("; look: {c}"))
                    .unwrap_or_default();
                self.status = Status::Info(format!("no safe action: {why}{look}"));
                Vec::new()
            }
        }
    }
}
