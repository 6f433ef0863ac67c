//! One frame of a synthetic 100-region x 1,000-tenant fleet, drawn into a TestBackend.
//! Target: median under 5 ms.

// A test's panic with the value is its report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use meridian::tui::fixture::{app_for, press, synthetic, type_text};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render(c: &mut Criterion) {
    let (fleet, state) = synthetic(100, 1_000).unwrap_or_else(|e| panic!("synthetic fleet: {e}"));
    let mut app = app_for(fleet, state, "dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("frame");
    for (name, w, h) in [("100x30", 100u16, 30u16), ("200x60", 200, 60)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
        group.bench_function(format!("overview-100x1000-{name}"), |b| {
            b.iter(|| {
                let _ = term.draw(|f| meridian::tui::view::draw(f, &app));
            })
        });
    }
    // The tenant matrix scrolled to the middle of the fleet.
    press(&mut app, &["2"]);
    for _ in 0..500 {
        press(&mut app, &["down"]);
    }
    for _ in 0..50 {
        press(&mut app, &["right"]);
    }
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("tenants-100x1000-100x30", |b| {
        b.iter(|| {
            let _ = term.draw(|f| meridian::tui::view::draw(f, &app));
        })
    });
    // A filter over every cell: re-applied when a snapshot arrives or a key is typed.
    press(&mut app, &["esc", "/"]);
    type_text(&mut app, "outofsync");
    press(&mut app, &["enter"]);
    group.bench_function("refilter-outofsync-100x1000", |b| b.iter(|| app.refilter()));
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("filtered-100x1000-100x30", |b| {
        b.iter(|| {
            let _ = term.draw(|f| meridian::tui::view::draw(f, &app));
        })
    });
    // Keystrokes while typing a filter: each one re-filters 100,000 cells and draws a
    // frame. One iteration is two keystrokes (a letter, then backspace).
    press(&mut app, &["esc", "/"]);
    type_text(&mut app, "outofsyn");
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("filter-two-keystrokes-100x1000-100x30", |b| {
        b.iter(|| {
            type_text(&mut app, "c");
            let _ = term.draw(|f| meridian::tui::view::draw(f, &app));
            press(&mut app, &["backspace"]);
            let _ = term.draw(|f| meridian::tui::view::draw(f, &app));
        })
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
