//! `meridian watch`: the recorder without a screen. The engine reads the fleet as the
//! dashboard's does, each subject on its own schedule; every `--every` the findings are
//! judged and what changed is recorded (see `crate::recording`), each change printed as a
//! line for the journal, until SIGINT/SIGTERM. For a team that wants the record of an
//! incident without keeping a dashboard open (systemd unit, Kubernetes Deployment: see
//! docs/cli.md "Recording").
//!
//! Pace follows attention (`engine::pace`): with no screen, a region is read at the fast
//! pace only while it has a finding or a running recovery clock, or while one of its own
//! readings says it is in trouble (the engine promotes it at once); the rest more slowly.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use tokio::sync::mpsc;

use super::args::GlobalArgs;
use super::{Exit, Failure};
use crate::actions::findings::Watchlist;
use crate::engine::{Engine, Merger, Observation, Reading, Subject, schedule};
use crate::recording::{Limits, Record, Recorder, Touched, dir_in};
use crate::session::Context;
use crate::state::{FleetState, now_ms, rfc3339};

pub async fn run(global: &GlobalArgs, every: Duration, quiet: bool) -> Result<Exit, Failure> {
    if every.is_zero() {
        return Err(Failure::new(
            Exit::Usage,
            "--every must be longer than 0s (for example --every 2s)",
        ));
    }
    let ctx = Context::load(&global.session())?;
    if ctx.read_only {
        return Err(Failure::new(
            Exit::Usage,
            "meridian watch records to the state directory; it does not run read-only",
        ));
    }
    let dir = dir_in(&ctx.fleet_paths.dir);
    let mut recorder = Recorder::new(
        dir.clone(),
        &ctx.fleet.name,
        &format!("{} (watch)", crate::host::whoami()),
        Limits::default(),
    );
    eprintln!(
        "meridian watch: recording fleet {} every {} to {} (Ctrl-C or SIGTERM stops)",
        ctx.fleet.name,
        humantime::format_duration(every),
        dir.display()
    );
    let mut endings = crate::signals::Endings::listen();
    let (tx, mut rx) = mpsc::channel::<Observation>(1024);
    let engine = Engine::spawn(ctx.fleet.clone(), ctx.providers.clone(), tx, |o| o);
    // No screen: nothing is attended to until something has a finding.
    engine.attend(BTreeSet::new());
    let merger = Merger::new(&ctx.fleet);
    let mut state = FleetState::skeleton(&ctx.fleet, now_ms());
    let subjects = Subject::all(&ctx.fleet).len();
    let mut reported: HashSet<Subject> = HashSet::new();
    let mut watchlist: Option<Watchlist> = None;
    // The cells merged since the last record: the recorder compares only those (every
    // cell at the first record, which compares the whole fleet anyway).
    let mut touched = Touched::everything();
    // On the process's grid, with the readings' slots (see `meridian_model::pace::origin`).
    let mut clock = schedule::grid_clock(every);
    loop {
        tokio::select! {
            Some(obs) = rx.recv() => {
                if reported.len() < subjects {
                    reported.insert(obs.subject.clone());
                }
                let cells = touched_cells(&merger, &obs);
                merger.apply(&mut state, obs);
                touched.add(cells.iter().copied());
                if let Some(list) = watchlist.as_mut() {
                    list.update(&ctx.fleet, &state, cells);
                }
                continue;
            }
            _ = clock.tick() => {}
            name = endings.next() => {
                eprintln!("meridian watch: {name}: stopped");
                return Ok(Exit::Done);
            }
        }
        // The first record waits for every subject's first reading.
        if reported.len() < subjects {
            continue;
        }
        let list = watchlist.get_or_insert_with(|| Watchlist::scan(&ctx.fleet, &state));
        let (standing, _) = super::temporary::standing(&ctx, &state);
        let clocks = super::wait_recovered::readings(&ctx, &state);
        let open: Vec<_> = clocks.iter().map(|c| c.clock.clone()).collect();
        let assessment = super::findings::assess_with(&ctx, &state, &standing, &open, Some(list));
        let mut attended: BTreeSet<String> = assessment.regions().map(str::to_string).collect();
        attended.extend(
            open.iter()
                .filter(|c| ctx.fleet.region(&c.target).is_some())
                .map(|c| c.target.clone()),
        );
        engine.attend(attended);
        let now = now_ms();
        let written = recorder
            .observe_touched(
                &ctx.fleet,
                &state,
                &assessment.findings,
                &std::mem::take(&mut touched),
                now,
            )
            .map_err(|e| {
                Failure::new(Exit::Failed, format!("recording to {}: {e}", dir.display()))
            })?;
        if !quiet {
            print(&written);
        }
    }
}

/// The tenant cells a reading changes, for the findings' watchlist: a watch push's apps,
/// or every cell of the region.
fn touched_cells(merger: &Merger, obs: &Observation) -> Vec<(usize, usize)> {
    match (&obs.subject, &obs.reading) {
        (Subject::Apps(region), Reading::Apps(Ok(u))) if !u.complete => {
            let ids: Vec<String> = u.apps.iter().map(|(id, _)| id.clone()).collect();
            merger.cells_of(region, &ids)
        }
        (Subject::Apps(region), _) => merger.cells_in(region).iter().map(|c| c.pair()).collect(),
        (Subject::Releases(region), _) => merger
            .releases_in(region)
            .iter()
            .map(|c| c.pair())
            .collect(),
        _ => Vec::new(),
    }
}

/// The changes just written, one line each (`2026-12-07T03:12:04Z health/ap-southeast-1
/// healthy -> down (0/3 probes ok)`).
fn print(records: &[Record]) {
    for r in records {
        match r {
            Record::Change {
                t,
                key,
                from,
                to,
                note,
            } => println!(
                "{} {key} {} -> {}{}",
                rfc3339(*t),
                from.as_deref().unwrap_or("-"),
                to.as_deref().unwrap_or("(gone)"),
                note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
            ),
            Record::Start { t, facts, .. } => {
                println!("{} recording: {} facts", rfc3339(*t), facts.0.len())
            }
            Record::Sample { .. } => {}
        }
    }
}
