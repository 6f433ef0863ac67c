//! Findings on the dashboard: judged from what is on screen (pure, in `update`), the top
//! one on a line under the header, the list behind a key, and Enter on one opens its
//! suggested action's usual plan modal (nothing runs without it).

use super::app::{App, Effect, Status};
use super::overlay::Overlay;
use crate::actions::findings::{self, Finding, Records, Suggestion};
use crate::engine::{Observation, Reading, Subject, pace};
use crate::state::Millis;

/// How often the findings are judged again while readings arrive: one fast period (lag's
/// 2 s), so a condition that comes of age (degraded for long, a drain healthy past the
/// gate, data gone stale) is raised within it. A reading that says its region is in
/// trouble or changes its health or role has them judged at the clock's next second
/// (`Attention::due`). The ages on screen are worked out when drawn, not here.
pub const ASSESS_EVERY: Millis = 2_000;

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
    /// Something a finding turns on changed: judge at the next tick, not `ASSESS_EVERY`.
    pub due: bool,
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
        self.attention.due = false;
    }

    /// On the clock: judged again when something they turn on changed, else every
    /// `ASSESS_EVERY`.
    pub(super) fn assess_on_tick(&mut self) {
        if self.attention.due
            || self
                .attention
                .at
                .is_none_or(|at| self.now - at >= ASSESS_EVERY || self.now < at)
        {
            self.assess_findings();
        }
    }

    /// Before a reading is merged: whether it changes what a finding turns on at once, so
    /// they are judged at the next tick. A reading that says its region is in trouble (the
    /// engine's own test, which also puts the region on the fast pace), a region's health
    /// or database role that differs from what is shown, or the traffic weights.
    pub(super) fn note_for_findings(&mut self, obs: &Observation) {
        if self.attention.due {
            return;
        }
        let region = |id: &str| self.state.region(id);
        self.attention.due = pace::is_bad(&self.fleet, obs)
            || match (&obs.subject, &obs.reading) {
                (Subject::Health(id), Reading::Health(Ok(h))) => {
                    region(id).is_none_or(|r| r.health_status() != h.status)
                }
                (Subject::Database(id), Reading::Database { role: Ok(role), .. }) => {
                    region(id).is_none_or(|r| r.role.value.as_ref() != Some(role))
                }
                (Subject::Weights, _) => true,
                _ => false,
            };
    }

    /// A shared record the findings read changed (rollout, approvals, recovery clocks,
    /// weights' records): draw it, and judge the findings at the next tick.
    pub(super) fn record_changed(&mut self) {
        self.dirty = true;
        self.attention.due = true;
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

#[cfg(test)]
mod tests {
    use super::ASSESS_EVERY;
    use crate::engine::{Observation, Reading, Subject};
    use crate::tui::fixture::demo_app;
    use crate::tui::message::Msg;

    /// Findings are judged every `ASSESS_EVERY`, but a reading that changes what they turn
    /// on (here a serving region going down) has them judged at the next tick, and one that
    /// changes nothing they turn on (a probe's latency) does not.
    #[test]
    fn a_region_going_down_is_judged_at_the_next_tick() {
        use crate::state::HealthStatus;
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        let t0 = app.now;
        app.update(Msg::Tick(t0));
        assert_eq!(app.attention.at, Some(t0));
        let Some(serving) = app.state.regions.iter().find(|r| {
            r.health_status() == HealthStatus::Healthy
                && r.weight.value.as_ref().is_some_and(|w| w.units > 0)
        }) else {
            panic!("the demo has a healthy region with traffic");
        };
        let (id, health) = (serving.id.clone(), serving.health.value.clone());
        let Some(mut health) = health else {
            panic!("{id} has a health reading");
        };
        let reading = |health: &crate::state::Health, at| Observation {
            subject: Subject::Health(id.clone()),
            at,
            reading: Reading::Health(Ok(health.clone())),
        };
        health.latency_ms = Some(41.0);
        app.update(Msg::Arrived(Box::new(reading(&health, t0 + 200))));
        app.update(Msg::Tick(t0 + 1_000));
        assert_eq!(app.attention.at, Some(t0), "a latency alone waits");
        health.status = HealthStatus::Down;
        health.reason = "http: 0/2 probes ok".into();
        app.update(Msg::Arrived(Box::new(reading(&health, t0 + 1_200))));
        app.update(Msg::Tick(t0 + 1_500));
        assert!(t0 + 1_500 - t0 < ASSESS_EVERY);
        assert_eq!(app.attention.at, Some(t0 + 1_500), "judged at once");
        assert!(
            app.attention
                .findings
                .iter()
                .any(|f| f.regions.contains(&id)),
            "{:?}",
            app.attention.findings
        );
        app.update(Msg::Tick(t0 + 2_500));
        assert_eq!(
            app.attention.at,
            Some(t0 + 1_500),
            "then every ASSESS_EVERY"
        );
        app.update(Msg::Tick(t0 + 3_500));
        assert_eq!(app.attention.at, Some(t0 + 3_500));
    }
}
