//! Tenant routing from the dashboard: `open-signups` and `close-signups` (palette) act on the
//! selected region, `move-tenant` (palette, or `m`) on the selected tenant cell, whose region
//! becomes the tenant's home. Each opens the usual plan modal; a move asks for its reason
//! first, and confirming hands the plan to the loop (the library executes it).

use meridian::actions::Action;
use meridian::tui::App;
use meridian::tui::app::Effect;
use meridian::tui::fixture::{demo_app, press, render, text, type_text};
use meridian::tui::nav::Selection;
use meridian::tui::overlay::{Field, Overlay};

fn app() -> App {
    demo_app("dark", "default", false).unwrap_or_else(|e| panic!("demo app: {e}"))
}

fn modal(a: &App) -> &meridian::tui::overlay::ConfirmModal {
    match &a.overlay {
        Some(Overlay::Confirm(m)) => m,
        other => panic!("expected the plan modal, got {other:?}"),
    }
}

/// Walk the region board to `region`.
fn select_region(a: &mut App, region: &str) {
    press(a, &["1", "home"]);
    for _ in 0..10 {
        if a.selected_region().as_deref() == Some(region) {
            return;
        }
        press(a, &["down"]);
    }
    panic!("no region {region} on the board");
}

/// Walk the tenant matrix to `tenant`'s cell in `region`.
fn select_cell(a: &mut App, tenant: &str, region: &str) {
    press(a, &["2", "home"]);
    for _ in 0..60 {
        match a.selection() {
            Some(Selection::Cell {
                tenant: t,
                region: r,
            }) if t == tenant && r == region => return,
            Some(Selection::Cell { tenant: t, .. }) if t == tenant => press(a, &["right"]),
            _ => press(a, &["down"]),
        };
    }
    panic!("no cell {tenant} in {region}");
}

fn palette(a: &mut App, name: &str) -> Vec<Effect> {
    press(a, &[":"]);
    type_text(a, name);
    press(a, &["enter"])
}

#[test]
fn sign_ups_open_and_close_from_the_palette_on_the_selected_region() {
    let mut a = app();
    select_region(&mut a, "eu-west-1");
    palette(&mut a, "close-signups");
    assert_eq!(
        modal(&a).request.action,
        Action::Signups {
            region: "eu-west-1".into(),
            open: false
        }
    );
    let t = text(&render(&a, 120, 40));
    assert!(t.contains("Close sign-ups in eu-west-1"), "{t}");
    assert!(t.contains("eu-west-1 sign-ups: open -> closed"), "{t}");
    assert!(t.contains("cli meridian signups close eu-west-1"), "{t}");

    // ap-south-1 is being stood up: opening it is phase 6, and the plan says its later
    // phases are not done.
    let mut a = app();
    select_region(&mut a, "ap-south-1");
    palette(&mut a, "open-signups");
    let m = modal(&a);
    assert_eq!(
        m.request.action,
        Action::Signups {
            region: "ap-south-1".into(),
            open: true
        }
    );
    let t = text(&render(&a, 120, 40));
    assert!(t.contains("ap-south-1 sign-ups: closed -> open"), "{t}");
    assert!(t.contains("phases-incomplete"), "{t}");
}

#[test]
fn a_tenant_moves_home_to_the_selected_cell_s_region_with_a_reason() {
    let mut a = app();
    select_cell(&mut a, "search-stg", "eu-west-1");
    press(&mut a, &["m"]);
    let m = modal(&a);
    assert_eq!(
        m.request.action,
        Action::TenantMove {
            tenant: "search-stg".into(),
            to: "eu-west-1".into()
        }
    );
    assert_eq!(m.focus, Field::Reason, "a move always asks why, first");
    assert!(m.can_confirm().is_err(), "no reason, no move");
    let t = text(&render(&a, 120, 40));
    assert!(t.contains("search-stg home: us-east-1 -> eu-west-1"), "{t}");
    assert!(t.contains("NOT moved"), "the plan says the data stays: {t}");
    assert!(
        t.contains("required: a tenant move says why"),
        "not \"optional\": {t}"
    );
    type_text(&mut a, "CS-7");
    assert!(
        modal(&a).plan.blocking().next().is_none(),
        "{:?}",
        modal(&a).plan.checks
    );
    // A tenant's home is confirmed by typing its id.
    press(&mut a, &["tab"]);
    assert_eq!(modal(&a).focus, Field::TypeName);
    type_text(&mut a, "search-stg");
    assert_eq!(modal(&a).can_confirm(), Ok(()));
    let effects = press(&mut a, &["enter", "enter"]);
    let moved = effects.iter().find_map(|e| match e {
        Effect::Execute(r, p) => Some((r.reason.clone(), p.action.clone())),
        _ => None,
    });
    assert_eq!(
        moved,
        Some((
            Some("CS-7".to_string()),
            Action::TenantMove {
                tenant: "search-stg".into(),
                to: "eu-west-1".into()
            }
        ))
    );

    // From the region board there is no tenant to move: the key says what it needs.
    let mut a = app();
    press(&mut a, &["1", "m"]);
    assert!(a.overlay.is_none());
    assert!(text(&render(&a, 120, 40)).contains("move-tenant works on a tenant cell"));
}
