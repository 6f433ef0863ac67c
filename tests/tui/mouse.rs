//! The mouse on TestBackend: each test draws a frame (which records what is where), then
//! sends synthetic crossterm mouse events through `App::update`, as the main loop does.

use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use meridian::tui::fixture::{demo_app, press, render, type_text};
use meridian::tui::nav::Selection;
use meridian::tui::{App, Effect, Msg, Pane};
use ratatui::buffer::Buffer;

fn app() -> App {
    demo_app("dark", "default", false).unwrap_or_else(|e| panic!("demo app: {e}"))
}

fn mouse(app: &mut App, kind: MouseEventKind, (column, row): (u16, u16)) -> Vec<Effect> {
    app.update(Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }))
}

fn click(app: &mut App, at: (u16, u16)) -> Vec<Effect> {
    mouse(app, MouseEventKind::Down(MouseButton::Left), at)
}

/// Where `needle` appears at or below row `from` (the panes repeat region ids).
fn find_from(buf: &Buffer, needle: &str, from: u16) -> (u16, u16) {
    for y in from..buf.area.height {
        let mut line = String::new();
        let mut xs = Vec::new();
        for x in 0..buf.area.width {
            let s = buf[(x, y)].symbol();
            for _ in s.chars() {
                xs.push(x);
            }
            line.push_str(s);
        }
        if let Some(i) = line.find(needle) {
            return (xs[line[..i].chars().count()], y);
        }
    }
    panic!("{needle} not on screen below row {from}")
}

#[test]
fn clicking_a_region_row_selects_it() {
    let mut a = app();
    let buf = render(&a, 100, 30);
    let at = find_from(&buf, "ap-southeast-1", 0);
    click(&mut a, (at.0 + 30, at.1));
    assert_eq!(a.focus, Pane::Regions);
    assert_eq!(
        a.selection(),
        Some(Selection::Region("ap-southeast-1".into()))
    );
}

#[test]
fn clicking_a_tenant_cell_selects_it_and_focuses_the_matrix() {
    let mut a = app();
    let buf = render(&a, 100, 30);
    let header = find_from(&buf, "TENANT", 0);
    let column = find_from(&buf, "ap-southeast-1", header.1).0;
    let row = find_from(&buf, "payments-prd", header.1).1;
    // The second line of the cell counts too.
    click(&mut a, (column + 3, row + 1));
    assert_eq!(a.focus, Pane::Tenants);
    assert_eq!(
        a.selection(),
        Some(Selection::Cell {
            tenant: "payments-prd".into(),
            region: "ap-southeast-1".into()
        })
    );
}

#[test]
fn clicking_the_phases_tab_then_a_phase_cell_selects_the_phase() {
    let mut a = app();
    let buf = render(&a, 100, 30);
    click(&mut a, find_from(&buf, " Phases ", 0));
    assert_eq!(a.focus, Pane::Phases);
    let buf = render(&a, 100, 30);
    let third = a.fleet.phases[2].clone();
    let tab = find_from(&buf, "[Phases]", 0);
    let header = find_from(&buf, "REGION", tab.1);
    let column = find_from(&buf, "3 ", header.1).0;
    let row = find_from(&buf, "ap-south-1", header.1 + 1).1;
    click(&mut a, (column + 1, row));
    assert_eq!(
        a.selection(),
        Some(Selection::Phase {
            region: "ap-south-1".into(),
            phase: third.id
        })
    );
}

#[test]
fn the_wheel_scrolls_the_pane_under_the_pointer() {
    let mut a = app();
    let buf = render(&a, 100, 30);
    let board = find_from(&buf, "us-east-1", 0);
    mouse(&mut a, MouseEventKind::ScrollDown, board);
    mouse(&mut a, MouseEventKind::ScrollDown, board);
    assert_eq!(
        a.selection(),
        Some(Selection::Region("ap-southeast-1".into()))
    );
    mouse(&mut a, MouseEventKind::ScrollUp, board);
    assert_eq!(a.selection(), Some(Selection::Region("eu-west-1".into())));

    let log = find_from(&buf, " Log ", 0);
    mouse(&mut a, MouseEventKind::ScrollUp, (log.0 + 2, log.1 + 2));
    assert_eq!(a.focus, Pane::Log);
    assert!(a.log_scrolled, "the log pages back under the wheel");
}

#[test]
fn the_wheel_scrolls_the_help_overlay() {
    let mut a = app();
    press(&mut a, &["?"]);
    let buf = render(&a, 100, 30);
    let inside = find_from(&buf, "How to:", 0);
    mouse(&mut a, MouseEventKind::ScrollDown, inside);
    let buf = render(&a, 100, 30);
    assert!(
        meridian::tui::fixture::find(&buf, "How to:").is_none(),
        "scrolled past the first lines"
    );
}

#[test]
fn the_modal_buttons_can_be_clicked_and_the_board_below_cannot() {
    let mut a = app();
    press(&mut a, &["down", "down", "d"]);
    type_text(&mut a, "INC-4711");
    press(&mut a, &["tab"]);
    type_text(&mut a, "ap-southeast-1");
    let buf = render(&a, 100, 30);
    // A click outside the modal's buttons changes nothing.
    let region_row = find_from(&buf, "us-east-1", 0);
    assert!(click(&mut a, region_row).is_empty());
    assert!(a.overlay.is_some());
    let effects = click(&mut a, find_from(&buf, "[ Drain ap-southeast-1 ]", 0));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Execute(..))),
        "{effects:?}"
    );
}

#[test]
fn a_blocked_plan_cannot_be_confirmed_by_mouse_and_cancel_declines() {
    let mut a = app();
    press(&mut a, &["down", "down", "d"]);
    let buf = render(&a, 100, 30);
    let effects = click(&mut a, find_from(&buf, "[ Drain ap-southeast-1 ]", 0));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Execute(..))),
        "no reason given yet: {effects:?}"
    );
    let buf = render(&a, 100, 30);
    let effects = click(&mut a, find_from(&buf, "[ Cancel ]", 0));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Decline(..))),
        "{effects:?}"
    );
    assert!(a.overlay.is_none());
}
