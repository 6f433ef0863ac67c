//! Key sequences driving the dashboard, with assertions on the rendered buffer: its text and
//! the styles that carry meaning.

use meridian::tui::app::{Effect, Pane};
use meridian::tui::fixture::{demo_app, find, press, render, text, type_text};
use meridian::tui::theme::Role;
use ratatui::style::Modifier;

fn app() -> meridian::tui::App {
    match demo_app("dark", "default", false) {
        Ok(a) => a,
        Err(e) => panic!("demo app: {e}"),
    }
}

#[test]
fn overview_shows_header_board_matrix_and_footer() {
    let a = app();
    let buf = render(&a, 100, 30);
    let t = text(&buf);
    assert!(t.contains("▲ PRODUCTION ▲"), "{t}");
    assert!(t.contains("meridian · demo"));
    assert!(t.contains("lock: free"));
    assert!(t.contains("03:00:00 UTC"), "{t}");
    for r in ["us-east-1", "eu-west-1", "ap-southeast-1", "ap-south-1"] {
        assert!(t.contains(r));
    }
    assert!(t.contains("4/7"), "ap-south-1 has four phases done:\n{t}");
    assert!(t.contains("storefront-prd"));
    assert!(t.contains("? help"), "footer comes from the keymap:\n{t}");
    // The production banner is styled as production (and says so in words).
    let (x, y) = find(&buf, "PRODUCTION").unwrap_or((0, 0));
    assert_eq!(buf[(x, y)].style().bg, a.theme.get(Role::Production).bg);
    assert!(buf[(x, y)].style().add_modifier.contains(Modifier::BOLD));
}

#[test]
fn arrows_move_the_selection_and_the_detail_follows() {
    let mut a = app();
    press(&mut a, &["down", "down"]);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("▸ ap-southeast-1"), "{t}");
    assert!(
        t.contains("ap-southeast-1 — Asia Pacific (Singapore)"),
        "{t}"
    );
    press(&mut a, &["g", "g"]);
    assert!(text(&render(&a, 100, 30)).contains("▸ us-east-1"));
    press(&mut a, &["G"]);
    assert!(text(&render(&a, 100, 30)).contains("▸ ap-south-1"));
}

#[test]
fn tab_cycles_panes_and_shows_the_phase_grid() {
    let mut a = app();
    press(&mut a, &["tab"]);
    assert_eq!(a.focus, Pane::Tenants);
    press(&mut a, &["tab"]);
    assert_eq!(a.focus, Pane::Phases);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("[Phases]"), "{t}");
    assert!(t.contains("1 Infrastr"), "{t}");
    press(&mut a, &["tab", "tab"]);
    assert_eq!(a.focus, Pane::Regions);
}

#[test]
fn enter_drills_from_region_to_tenants_to_detail_and_esc_goes_back() {
    let mut a = app();
    press(&mut a, &["down", "enter"]);
    assert_eq!(a.focus, Pane::Tenants);
    assert_eq!(a.selected_region().as_deref(), Some("eu-west-1"));
    press(&mut a, &["enter"]);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("Detail (Esc goes back)"), "{t}");
    assert!(t.contains("search-stg in eu-west-1"), "{t}");
    assert!(t.contains("history"), "{t}");
    press(&mut a, &["esc"]);
    assert!(!a.detail_zoomed);
    press(&mut a, &["esc"]);
    assert_eq!(a.focus, Pane::Regions);
}

#[test]
fn filter_narrows_rows_by_regex_and_esc_clears_it() {
    let mut a = app();
    press(&mut a, &["/"]);
    type_text(&mut a, "south-1");
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("Regions (1 of 4)"), "{t}");
    assert!(t.contains("/south-1"), "{t}");
    press(&mut a, &["enter"]);
    assert!(!a.filter.editing);
    assert_eq!(a.visible_regions().len(), 1);
    // A filter by state: every tenant is Synced in the demo, so all of them match.
    press(&mut a, &["esc"]);
    assert_eq!(a.visible_regions().len(), 4);
    press(&mut a, &["/"]);
    type_text(&mut a, "(");
    assert!(text(&render(&a, 100, 30)).contains("not a regex"));
}

#[test]
fn freeze_holds_new_data_back_until_unfrozen() {
    let mut a = app();
    press(&mut a, &["f"]);
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("FROZEN"), "{t}");
    let mut newer = a.state.clone();
    newer.observed_at += 5_000;
    a.update(meridian::tui::Msg::Fleet(Box::new(newer.clone()), None));
    assert_ne!(a.state.observed_at, newer.observed_at);
    press(&mut a, &["f"]);
    assert_eq!(a.state.observed_at, newer.observed_at);
}

#[test]
fn help_is_generated_from_the_keymap_in_effect() {
    let mut a = match demo_app("dark", "vim", false) {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    press(&mut a, &["?"]);
    let t = text(&render(&a, 120, 40));
    assert!(t.contains("keymap \"vim\""), "{t}");
    assert!(t.contains("drain a region"), "{t}");
    let lines = meridian::tui::view::help_lines(&a);
    assert!(
        lines
            .iter()
            .any(|(k, v)| k == "j" && v.starts_with("move-down"))
    );
    press(&mut a, &["esc"]);
    assert!(a.overlay.is_none());
}

#[test]
fn palette_fuzzy_matches_and_runs_a_command() {
    let mut a = app();
    press(&mut a, &[":"]);
    type_text(&mut a, "frz");
    let t = text(&render(&a, 100, 30));
    assert!(t.contains("freeze"), "{t}");
    press(&mut a, &["enter"]);
    assert!(a.frozen);
    assert!(a.overlay.is_none());
}

#[test]
fn zoom_and_log_toggle() {
    let mut a = app();
    press(&mut a, &["z"]);
    assert_eq!(a.zoom, Some(Pane::Regions));
    let t = text(&render(&a, 100, 30));
    assert!(!t.contains("[Tenants]"));
    press(&mut a, &["z", "L"]);
    assert!(a.log_hidden);
    assert!(!text(&render(&a, 100, 30)).contains(" Log "));
}

#[test]
fn quit_asks_the_loop_to_stop() {
    let mut a = app();
    assert_eq!(press(&mut a, &["q"]), vec![Effect::Quit]);
    let mut a = app();
    assert_eq!(press(&mut a, &["ctrl-c"]), vec![Effect::Quit]);
}

#[test]
fn small_terminals_get_a_sensible_message_and_resizing_is_safe() {
    let a = app();
    let t = text(&render(&a, 60, 15));
    assert!(t.contains("needs at least 80x24"), "{t}");
    assert!(t.contains("us-east-1"));
    for (w, h) in [(1, 1), (0, 0), (80, 24), (79, 24), (250, 80), (100, 30)] {
        let _ = render(&a, w, h);
    }
}

#[test]
fn stale_data_is_marked_and_a_failing_region_keeps_its_last_values() {
    let mut a = app();
    let mut s = a.state.clone();
    let then = s.observed_at - 120_000;
    if let Some(r) = s.region_mut("eu-west-1") {
        r.health.error = Some("eu-west-1: probe: connection refused".into());
        r.health.at = Some(then);
    }
    a.update(meridian::tui::Msg::Fleet(Box::new(s), None));
    let buf = render(&a, 100, 30);
    let t = text(&buf);
    assert!(t.contains("◷2m"), "{t}");
    assert!(t.contains("eu-west-1"), "the row stays");
    assert!(
        t.contains("└ why: health read failed: eu-west-1: probe: connection refused"),
        "{t}"
    );
    let (x, y) = find(&buf, "◷2m").unwrap_or((0, 0));
    assert_eq!(buf[(x, y)].style().fg, a.theme.get(Role::Stale).fg);
}

#[test]
fn no_theme_draws_text_in_its_background_colour() {
    for theme in ["dark", "light", "high-contrast", "colour-blind"] {
        let mut a = demo_app(theme, "default", false).unwrap_or_else(|e| panic!("{e}"));
        for keys in [
            &[][..],
            &["2"][..],
            &["3"][..],
            &["down", "d"][..],
            &["w"][..],
        ] {
            press(&mut a, keys);
            let buf = render(&a, 100, 30);
            for y in 0..30 {
                for x in 0..100 {
                    let c = &buf[(x, y)];
                    if c.symbol().trim().is_empty() {
                        continue;
                    }
                    let s = c.style();
                    assert!(
                        s.fg.is_none()
                            || s.fg == Some(ratatui::style::Color::Reset)
                            || s.fg != s.bg,
                        "{theme} after {keys:?}: {:?} at ({x},{y}) is drawn in its own background colour: {s:?}",
                        c.symbol()
                    );
                }
            }
            press(&mut a, &["esc"]);
        }
    }
}

#[test]
fn the_header_names_who_holds_the_fleet_lock() {
    let mut a = app();
    let holder = meridian::actions::LockHolder {
        user: "alice".into(),
        host: "ops-1".into(),
        pid: 4242,
        action: "promote".into(),
        since_ms: a.now - 90_000,
        expires_ms: None,
    };
    let state = a.state.clone();
    a.update(meridian::tui::Msg::Fleet(Box::new(state), Some(holder)));
    let t = text(&render(&a, 100, 30));
    assert!(
        t.contains("⚿ lock held by alice pid 4242 (promote, 90s)"),
        "{t}"
    );
}

#[test]
fn without_colour_the_banner_and_selection_still_stand_out() {
    let mut a = app();
    a.theme = meridian::tui::theme::load_from_sources("dark", &[], true)
        .unwrap_or_else(|e| panic!("{e}"));
    let buf = render(&a, 100, 30);
    for y in 0..30 {
        for x in 0..100 {
            assert_eq!(
                buf[(x, y)]
                    .style()
                    .fg
                    .filter(|c| *c != ratatui::style::Color::Reset),
                None
            );
        }
    }
    let (x, y) = find(&buf, "PRODUCTION").unwrap_or((0, 0));
    assert!(
        buf[(x, y)]
            .style()
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    let (x, y) = find(&buf, "▸ us-east-1").unwrap_or((0, 0));
    assert!(
        buf[(x, y)]
            .style()
            .add_modifier
            .contains(Modifier::REVERSED)
    );
}

#[test]
fn progress_and_outcome_reach_the_status_line_and_the_log() {
    use meridian::actions::AuditOutcome;
    use meridian::tui::app::Status;
    let mut a = app();
    press(&mut a, &["G", "x"]);
    let effects = press(&mut a, &["y"]);
    assert!(effects.iter().any(|e| matches!(e, Effect::Execute(..))));
    a.update(meridian::tui::Msg::Progress("step 1: auth service".into()));
    let t = text(&render(&a, 100, 30));
    assert!(
        t.contains("» Run platform-services in ap-south-1: step 1: auth service"),
        "{t}"
    );
    let effects = a.update(meridian::tui::Msg::Finished {
        label: "Run platform-services in ap-south-1".into(),
        outcome: AuditOutcome::Failed,
        detail: Some("observability stack: helm timed out".into()),
        recovery: None,
    });
    assert!(matches!(a.status, Status::Failed(_)));
    assert!(effects.contains(&Effect::Refresh));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Log(log::Level::Warn, m) if m.contains("helm timed out")))
    );
    assert!(a.running.is_none());
    assert!(text(&render(&a, 100, 30)).contains("✗ Run platform-services in ap-south-1: failed"));
}

#[test]
fn before_the_first_reading_rows_show_and_nothing_blames_a_filter() {
    let fleet = meridian::fleet::demo();
    let skeleton = meridian::state::FleetState::skeleton(&fleet, 0);
    let theme = meridian::tui::theme::load("dark", None, false).expect("dark theme");
    let keymap = meridian::tui::keymap::load("default", None).expect("default keymap");
    let a = meridian::tui::App::new(fleet, skeleton, theme, keymap, false);
    let t = text(&render(&a, 120, 40));
    assert!(!t.contains("filter hides"), "{t}");
    assert!(
        t.contains("us-east-1"),
        "regions show before any reading:\n{t}"
    );
}
