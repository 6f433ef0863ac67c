//! Planning and one full refresh, on the demo fleet and on a synthetic 100-region fleet.
//!
//! `cargo bench --bench plan`. Figures are reported in the README, never asserted.

// A test's panic with the value is its report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use meridian::actions::{Action, Request, plan};
use meridian::engine::poll;
use meridian::fleet::{Fleet, FleetSource, parse};
use meridian::providers::sim::SimOptions;
use meridian::providers::{ProviderOptions, Providers};
use meridian::state::now_ms;

/// A fleet file with `regions` regions and `tenants` tenants, each in three regions.
fn synthetic(regions: usize, tenants: usize) -> Fleet {
    let mut src = String::from("[fleet]\nname = \"bench\"\n");
    for r in 0..regions {
        let role = if r == 0 { "primary" } else { "secondary" };
        src.push_str(&format!(
            "[[regions]]\nid = \"region-{r}\"\nrole = \"{role}\"\nsteady_weight = {}\n",
            1 + r % 200
        ));
    }
    for t in 0..tenants {
        let env = if t % 3 == 0 { "prd" } else { "stg" };
        let rs: Vec<String> = (0..3)
            .map(|k| format!("\"region-{}\"", (t + k * 7) % regions))
            .collect();
        src.push_str(&format!(
            "[[tenants]]\nid = \"tenant-{t}\"\nenvironment = \"{env}\"\nregions = [{}]\n",
            rs.join(", ")
        ));
    }
    src.push_str("[[phases]]\nid = \"infrastructure\"\nsteps = [\"apply\"]\n");
    match parse(&src, "bench.toml", FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("synthetic fleet is invalid: {e}"),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for (label, fleet) in [
        ("demo", meridian::fleet::demo()),
        ("100x1000", synthetic(100, 1000)),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let providers = Providers::build(
            &fleet,
            dir.path(),
            &ProviderOptions {
                sim: SimOptions {
                    speed: 0.0,
                    seed: Some(1),
                },
                ..Default::default()
            },
        )
        .expect("providers");
        let state = rt.block_on(poll(&fleet, &providers, None));
        let target = fleet.regions[1].id.clone();
        let drain = Request::new(Action::Drain {
            region: target.clone(),
        })
        .reason("bench");
        c.bench_function(&format!("plan drain ({label})"), |b| {
            b.iter(|| plan(&drain, &fleet, &state, now_ms()))
        });
        let promote = Request::new(Action::Promote { region: target }).reason("bench");
        c.bench_function(&format!("plan promote ({label})"), |b| {
            b.iter(|| plan(&promote, &fleet, &state, now_ms()))
        });
        c.bench_function(&format!("refresh, simulated ({label})"), |b| {
            b.iter(|| rt.block_on(poll(&fleet, &providers, Some(&state))))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
