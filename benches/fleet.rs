//! The real read path on a simulated 100-region x 1,000-tenant fleet (100,000 apps): the
//! engine polls every subject of the simulator concurrently under its deadlines, merges the
//! readings into the state, and the result is drawn as a frame and written as
//! `status --json`. README's "Figures" quote these medians.

// A test's panic with the value is its report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use meridian::engine::poll;
use meridian::providers::sim::SimOptions;
use meridian::providers::{ProviderOptions, Providers};
use meridian::tui::fixture::{app_for, synthetic_fleet};
use meridian::tui::{App, Msg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn fleet(c: &mut Criterion) {
    let fleet = synthetic_fleet(100, 1_000).unwrap_or_else(|e| panic!("synthetic fleet: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let opts = ProviderOptions {
        sim: SimOptions {
            speed: 1.0,
            seed: Some(7),
        },
        ..Default::default()
    };
    let providers =
        Providers::build(&fleet, dir.path(), &opts).unwrap_or_else(|e| panic!("providers: {e}"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    // The first poll creates the simulated world (what a first start does once).
    let first = rt.block_on(poll(&fleet, &providers, None));
    let mut group = c.benchmark_group("fleet");
    group.sample_size(20);
    group.bench_function("poll-100x1000", |b| {
        b.iter(|| rt.block_on(poll(&fleet, &providers, Some(&first))))
    });
    group.bench_function("status-json-100x1000", |b| {
        b.iter(|| {
            let doc = meridian::cli::status::to_json(&fleet, &first, None, false);
            // The command's own writer (every core), as `status --json` runs it.
            doc.write_pretty(&mut std::io::sink()).is_ok()
        })
    });
    // Poll, hand the snapshot to the dashboard (merge, refilter) and draw one frame.
    let mut app: App = app_for(fleet.clone(), first.clone(), "dark", "default", false)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("poll-state-render-100x1000-200x60", |b| {
        b.iter(|| {
            let state = rt.block_on(poll(&fleet, &providers, Some(&app.state)));
            app.update(Msg::Fleet(Box::new(state), None));
            let _ = term.draw(|f| meridian::tui::view::draw(f, &app));
        })
    });
    group.finish();
}

criterion_group!(benches, fleet);
criterion_main!(benches);
