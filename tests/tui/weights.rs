//! The header raises expired temporary weights and drift loudly, with the key that
//! restores steady weights; unexpired temporary weights show quietly with until when.

use meridian::actions::temporary::{Intent, Standing};
use meridian::traffic::Weight;
use meridian::tui::fixture::{demo_app, find, render, text};
use meridian::tui::theme::Role;

fn app_with(standing: Standing) -> meridian::tui::App {
    let mut a = match demo_app("dark", "default", false) {
        Ok(a) => a,
        Err(e) => panic!("demo app: {e}"),
    };
    if let Some(r) = a.state.region_mut("eu-west-1") {
        r.weight.value = Some(Weight::units(10));
    }
    a.weights = Some(standing);
    a
}

fn intent(until_ms: i64) -> Intent {
    Intent {
        weights: Default::default(),
        set_by: "ana@a".into(),
        set_at_ms: 0,
        reason: None,
        until_ms: Some(until_ms),
    }
}

/// 08:00 UTC: the header shows until-times as UTC hours and minutes.
const UNTIL: i64 = 1_800_000_000_000;

#[test]
fn temporary_weights_show_until_when_with_steady_beside_them() {
    let a = app_with(Standing::Temporary {
        intent: intent(UNTIL),
        expired: false,
    });
    let t = text(&render(&a, 200, 30));
    assert!(
        t.contains("temporary 50/10/20/0 until 08:00 (steady 50/30/20/0)"),
        "{t}"
    );
    assert!(!t.contains("restores"), "no alarm before expiry:\n{t}");
}

#[test]
fn expired_temporary_weights_are_loud_and_name_the_restore_key() {
    let a = app_with(Standing::Temporary {
        intent: intent(UNTIL),
        expired: true,
    });
    let buf = render(&a, 200, 30);
    let t = text(&buf);
    assert!(
        t.contains("⚠ EXPIRED temporary 50/10/20/0 since 08:00"),
        "{t}"
    );
    assert!(t.contains("R restores"), "{t}");
    let (x, y) = find(&buf, "EXPIRED").unwrap_or((0, 0));
    assert_eq!(buf[(x, y)].style().fg, a.theme.get(Role::Danger).fg);
}

#[test]
fn drift_shows_since_when() {
    let a = app_with(Standing::Drift { since_ms: UNTIL });
    let t = text(&render(&a, 200, 30));
    assert!(t.contains("⚠ DRIFT 50/10/20/0 since 08:00"), "{t}");
}

mod recovery_clock {
    use super::*;
    use meridian::actions::recovery_open::OpenClock;
    use meridian::state::HealthStatus;
    use meridian::tui::{Effect, Msg};

    fn clock(a: &meridian::tui::App, started_ms: i64) -> OpenClock {
        OpenClock {
            id: "1-2".into(),
            action: "drain".into(),
            target: "eu-west-1".into(),
            started_ms,
            intended: meridian::actions::temporary::current(&a.fleet, &a.state)
                .expect("the demo's weights"),
            started_by: "ana@a".into(),
            rollout: None,
            trouble: None,
        }
    }

    #[test]
    fn a_running_clock_shows_first_even_at_80_columns_and_is_stopped_once_recovered() {
        let mut a = app_with(Standing::Steady);
        a.now = a.state.observed_at;
        let started = a.now - 72_000;
        if let Some(h) = a
            .state
            .region_mut("us-east-1")
            .and_then(|r| r.health.value.as_mut())
        {
            h.status = HealthStatus::Degraded;
        }
        let c = clock(&a, started);
        let effects = a.update(Msg::Clocks(vec![c.clone()]));
        assert!(effects.is_empty(), "not recovered yet: {effects:?}");
        let buf = render(&a, 80, 24);
        let t = text(&buf);
        assert!(
            t.contains("⏱ drain eu-west-1 1m12s of RTO 5m00s: us-east-1 degraded"),
            "{t}"
        );
        let (x, y) = find(&buf, "⏱ drain").unwrap_or((0, 0));
        assert_eq!(buf[(x, y)].style().fg, a.theme.get(Role::Warn).fg);

        if let Some(h) = a
            .state
            .region_mut("us-east-1")
            .and_then(|r| r.health.value.as_mut())
        {
            h.status = HealthStatus::Healthy;
        }
        let effects = a.update(Msg::Clocks(vec![c.clone()]));
        assert!(
            matches!(effects.as_slice(), [Effect::StopRecovery(r)] if r[0].recovery.recovered),
            "{effects:?}"
        );

        // A read-only view shows the clock but never stops it.
        a.read_only = true;
        assert!(a.update(Msg::Clocks(vec![c])).is_empty());
    }
}
