//! Whole-screen snapshots of the main screens (text), from the frozen demo fleet.

use meridian::tui::fixture::{demo_app, press, render, text, type_text};

fn app() -> meridian::tui::App {
    demo_app("dark", "default", false).unwrap_or_else(|e| panic!("demo app: {e}"))
}

#[test]
fn overview_100x30() {
    insta::assert_snapshot!(text(&render(&app(), 100, 30)));
}

#[test]
fn overview_wide_160x45() {
    insta::assert_snapshot!(text(&render(&app(), 160, 45)));
}

#[test]
fn tenant_cell_detail() {
    let mut a = app();
    press(&mut a, &["down", "enter", "enter"]);
    insta::assert_snapshot!(text(&render(&a, 100, 30)));
}

#[test]
fn phase_grid() {
    let mut a = app();
    press(&mut a, &["3", "G"]);
    for _ in 0..4 {
        press(&mut a, &["right"]);
    }
    insta::assert_snapshot!(text(&render(&a, 100, 30)));
}

#[test]
fn drain_modal_blocked_until_a_reason_is_given() {
    let mut a = app();
    press(&mut a, &["down", "down", "d"]);
    insta::assert_snapshot!(text(&render(&a, 100, 30)));
}

#[test]
fn drain_modal_ready() {
    let mut a = app();
    press(&mut a, &["down", "down", "d"]);
    type_text(&mut a, "INC-4711");
    press(&mut a, &["tab"]);
    type_text(&mut a, "ap-southeast-1");
    press(&mut a, &["enter"]);
    insta::assert_snapshot!(text(&render(&a, 100, 30)));
}

#[test]
fn weights_editor() {
    let mut a = app();
    press(&mut a, &["w"]);
    type_text(&mut a, "90");
    insta::assert_snapshot!(text(&render(&a, 100, 30)));
}

#[test]
fn help_screen() {
    let mut a = app();
    press(&mut a, &["?"]);
    insta::assert_snapshot!(text(&render(&a, 100, 30)));
}

#[test]
fn small_terminal() {
    insta::assert_snapshot!(text(&render(&app(), 70, 20)));
}

#[test]
fn overview_80x24() {
    insta::assert_snapshot!(text(&render(&app(), 80, 24)));
}

#[test]
fn read_only_modal_has_no_confirm_button() {
    let mut a = demo_app("dark", "default", true).unwrap_or_else(|e| panic!("{e}"));
    press(&mut a, &["down", "down", "d"]);
    insta::assert_snapshot!(text(&render(&a, 100, 30)));
}

#[test]
fn revision_picker() {
    let mut a = app();
    press(&mut a, &["2", "down", "b"]);
    insta::assert_snapshot!(text(&render(&a, 100, 30)));
}

#[test]
fn palette() {
    let mut a = app();
    press(&mut a, &[":"]);
    type_text(&mut a, "res");
    insta::assert_snapshot!(text(&render(&a, 100, 30)));
}
