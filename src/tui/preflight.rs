//! Preflight in the background: the fleet's failover and recovery templates judged
//! against what the dashboard shows, soon after it starts and every 30 minutes after, in
//! a task that never holds up the screen. One that would fail becomes a finding
//! ("failover to eu-west-1 would fail today: its health check is missing").

use super::app::{App, Effect};
use crate::actions::preflight::{Preflight, recovery_templates};
use crate::state::Millis;

/// How often the templates are judged again.
pub const PREFLIGHT_EVERY: Millis = 30 * 60_000;
/// The first run after start: once the first readings are in.
pub const PREFLIGHT_FIRST: Millis = 15_000;

/// The latest reports and when the next run is due.
#[derive(Debug, Clone, Default)]
pub struct Preflights {
    pub reports: Vec<Preflight>,
    /// When the next run is due (`App::now`); None until the first tick.
    pub due: Option<Millis>,
    /// A run is under way: no second one starts meanwhile.
    pub running: bool,
    /// When the reports shown were judged.
    pub at: Option<Millis>,
}

impl App {
    /// On the clock: a run when one is due (never in a replay, never two at once, never
    /// for a fleet without a failover or recovery template).
    pub(super) fn preflight_on_tick(&mut self) -> Vec<Effect> {
        if self.replay.is_some() || recovery_templates(&self.fleet).is_empty() {
            return Vec::new();
        }
        let now = self.now;
        let due = *self.preflight.due.get_or_insert(now + PREFLIGHT_FIRST);
        if self.preflight.running || now < due {
            return Vec::new();
        }
        self.preflight.running = true;
        self.preflight.due = Some(now + PREFLIGHT_EVERY);
        vec![Effect::Preflight(Box::new(self.state.clone()))]
    }

    /// The reports are in: kept, and the findings judged again with them.
    pub(super) fn preflight_done(&mut self, reports: Vec<Preflight>) -> Vec<Effect> {
        self.preflight.running = false;
        self.preflight.at = Some(self.now);
        self.preflight.reports = reports;
        self.assess_findings();
        self.dirty = true;
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::app::Msg;

    fn app() -> App {
        crate::tui::fixture::demo_app("dark", "default", false).expect("demo app")
    }

    #[test]
    fn runs_soon_after_start_then_every_30_minutes_one_at_a_time() {
        let mut a = app();
        let t0 = a.now;
        assert!(
            a.update(Msg::Tick(t0)).is_empty(),
            "not at once: no reading yet"
        );
        assert!(a.update(Msg::Tick(t0 + PREFLIGHT_FIRST - 1)).is_empty());
        let fx = a.update(Msg::Tick(t0 + PREFLIGHT_FIRST));
        assert!(matches!(fx.as_slice(), [Effect::Preflight(_)]), "{fx:?}");
        // While it runs, nothing more starts, even past the next due time.
        assert!(
            a.update(Msg::Tick(t0 + PREFLIGHT_FIRST + PREFLIGHT_EVERY))
                .is_empty()
        );
        a.update(Msg::Preflight(Vec::new()));
        assert!(!a.preflight.running);
        let fx = a.update(Msg::Tick(t0 + PREFLIGHT_FIRST + PREFLIGHT_EVERY));
        assert!(matches!(fx.as_slice(), [Effect::Preflight(_)]), "{fx:?}");
        a.update(Msg::Preflight(Vec::new()));
        assert!(
            a.update(Msg::Tick(t0 + PREFLIGHT_FIRST + 2 * PREFLIGHT_EVERY - 1))
                .is_empty()
        );
    }

    #[test]
    fn a_failing_report_becomes_a_finding_on_the_board() {
        let mut a = app();
        let records = crate::actions::preflight::Records {
            lock: Some(Err("Lease meridian/lock: connection refused".into())),
            lock_where: "Lease meridian/lock".into(),
            rollout: None,
            sim_writable: Some(Ok(())),
        };
        let reports = crate::actions::preflight::evaluate_all(&a.fleet, &a.state, &records, a.now);
        assert_eq!(reports.len(), 1);
        a.update(Msg::Preflight(reports));
        let f = a
            .attention
            .findings
            .iter()
            .find(|f| f.kind == crate::actions::findings::Kind::PreflightFailing)
            .expect("a preflight finding");
        assert_eq!(
            f.title,
            "failover to eu-west-1 would fail today: fleet lock cannot be reached"
        );
        assert_eq!(
            f.command.as_deref(),
            Some("meridian preflight failover-eu-west-1")
        );
    }
}
