//! Word wrapping with a hanging indent in the help overlay, the log pane and the detail
//! pane, at narrow widths: snapshots of the text, and the rule they all follow (no word
//! broken that fits on a line, continuation lines indented under the text).

use log::Level;
use meridian::tui::fixture::{demo_app, press, render, text};
use meridian::tui::view::{help, log as log_view, wrap};
use unicode_width::UnicodeWidthStr;

fn app() -> meridian::tui::App {
    demo_app("dark", "default", false).unwrap_or_else(|e| panic!("demo app: {e}"))
}

#[test]
fn help_how_to_lines_hang_under_their_text_at_48_columns() {
    let a = app();
    let lines = wrap::plain(&help::wrapped(&a, 48));
    for l in &lines {
        assert!(l.width() <= 48, "{l:?}");
    }
    // The drain how-to is long: every continuation line keeps the key column clear.
    let start = lines
        .iter()
        .position(|l| l.contains("drain a region"))
        .unwrap();
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.starts_with("             "))
        .map(|n| start + 1 + n)
        .unwrap();
    assert!(end > start + 2, "the how-to wrapped onto several lines");
    for l in &lines[start + 1..end] {
        assert!(
            !l[13..].starts_with(' '),
            "indented exactly to the text: {l:?}"
        );
    }
    insta::assert_snapshot!(lines[..end + 2].join("\n"));
}

#[test]
fn help_overlay_at_80x30() {
    let mut a = app();
    press(&mut a, &["?"]);
    insta::assert_snapshot!(text(&render(&a, 80, 30)));
}

#[test]
fn log_lines_hang_under_the_message() {
    let a = app();
    let lines = log_view::preview(
        &a.theme,
        "03:14:15",
        Level::Warn,
        "eu-west-1 route53 ListResourceRecordSets failed: Throttling: Rate exceeded; retrying in 400ms (attempt 2 of 5)",
        40,
    );
    for l in &lines[1..] {
        assert!(
            l.starts_with("           ") && !l.starts_with("            "),
            "{l:?}"
        );
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn detail_pane_of_a_region_at_80x24() {
    let mut a = app();
    press(&mut a, &["down", "down"]);
    insta::assert_snapshot!(text(&render(&a, 80, 24)));
}

/// A region of a big fleet names its first twenty tenants and counts the rest, instead of
/// wrapping a thousand names into the pane every frame.
#[test]
fn a_big_regions_detail_names_twenty_tenants_and_counts_the_rest() {
    let (fleet, state) =
        meridian::tui::fixture::synthetic(3, 250).unwrap_or_else(|e| panic!("{e}"));
    let a = meridian::tui::fixture::app_for(fleet, state, "dark", "default", false)
        .unwrap_or_else(|e| panic!("{e}"));
    let screen = text(&render(&a, 200, 60));
    assert!(screen.contains("tenant-0000, tenant-0001"), "{screen}");
    assert!(
        screen.contains("tenant-0019 and 230 more (250 in all)"),
        "{screen}"
    );
}
