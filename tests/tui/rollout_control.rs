//! What a pair sees in the dashboard while driving a rollout: who paused it and why, the
//! gate not counting meanwhile, who drives after a hand-over, and a change freeze in the
//! header (a person's, read from the shared store once a second).

use meridian::state::Observed;
use meridian::state::freeze::Freeze;
use meridian::tui::Msg;
use meridian::tui::fixture::{press, render, text};

use super::rollout::{app, mid_gate};

const MIN: i64 = 60_000;

#[test]
fn a_paused_rollout_says_who_paused_it_and_its_gate_does_not_count() {
    let mut a = app();
    mid_gate(&mut a);
    let now = a.now;
    if let Some(r) = a.rollout.as_deref_mut() {
        r.pause("bo@desk", "CDN incident", now).unwrap();
        r.take("bo@desk", "alice off shift").unwrap();
    }
    press(&mut a, &["o"]);
    let screen = text(&render(&a, 120, 30));
    assert!(
        screen.contains("Rollout Release, us-east-1 first · paused"),
        "{screen}"
    );
    assert!(screen.contains("driven by bo@desk (took over)"), "{screen}");
    assert!(screen.contains("PAUSED by bo@desk"), "{screen}");
    assert!(screen.contains("CDN incident"), "{screen}");
    assert!(screen.contains("no step runs, no gate counts"), "{screen}");
    // The key does nothing while paused, however long: no gate verdict, no effect.
    a.now += 60 * MIN;
    assert!(press(&mut a, &["Enter"]).is_empty());
    assert!(!text(&render(&a, 120, 30)).contains(" met"));
}

#[test]
fn a_freeze_shows_in_the_header_with_who_why_and_until_when() {
    let mut a = app();
    let board = text(&render(&a, 160, 45));
    assert!(!board.contains("FROZEN"), "{board}");
    let f = Freeze {
        by: "kube:ana (on ana@a)".into(),
        reason: "INC-9 bridge".into(),
        at: a.now - MIN,
        until: Some(a.now + 120 * MIN),
    };
    a.update(Msg::Freeze(Observed::ok(f, a.now)));
    let board = text(&render(&a, 160, 45));
    assert!(
        board.contains("❄ FROZEN by kube:ana (on ana@a) until "),
        "{board}"
    );
    assert!(board.contains("INC-9 bridge"), "{board}");
    a.update(Msg::Freeze(Observed::default()));
    assert!(!text(&render(&a, 160, 45)).contains("FROZEN"));
}
