//! `meridian watch`: the recorder without a screen. Reads the fleet every `--every`, judges
//! the findings and records what changed (see `crate::recording`), printing each change as
//! a line for the journal, until SIGINT/SIGTERM. For a team that wants the record of an
//! incident without keeping a dashboard open (systemd unit, Kubernetes Deployment: see
//! docs/cli.md "Recording").

use std::time::Duration;

use super::args::GlobalArgs;
use super::{Exit, Failure};
use crate::engine::poll;
use crate::recording::{Limits, Record, Recorder, dir_in};
use crate::session::Context;
use crate::state::{FleetState, now_ms, rfc3339};

pub async fn run(global: &GlobalArgs, every: Duration, quiet: bool) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    if ctx.read_only {
        return Err(Failure::new(
            Exit::Usage,
            "meridian watch records to the state directory; it does not run read-only",
        ));
    }
    crate::engine::schedule::publish(&ctx.fleet);
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
    let mut previous: Option<FleetState> = None;
    let mut clock = tokio::time::interval(every);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = clock.tick() => {}
            name = endings.next() => {
                eprintln!("meridian watch: {name}: stopped");
                return Ok(Exit::Done);
            }
        }
        let state = poll(&ctx.fleet, &ctx.providers, previous.as_ref()).await;
        let (standing, _) = super::temporary::standing(&ctx, &state);
        let clocks = super::wait_recovered::readings(&ctx, &state);
        let open: Vec<_> = clocks.iter().map(|c| c.clock.clone()).collect();
        let assessment = super::findings::assess(&ctx, &state, &standing, &open);
        let now = now_ms();
        let written = recorder
            .observe(&ctx.fleet, &state, &assessment.findings, now)
            .map_err(|e| {
                Failure::new(Exit::Failed, format!("recording to {}: {e}", dir.display()))
            })?;
        if !quiet {
            print(&written);
        }
        previous = Some(state);
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
