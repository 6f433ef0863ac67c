//! `meridian wait recovered`: the runbook step after a drain, promote or rollout. Reads the
//! fleet until every running recovery clock sees it recovered, then stops the clocks (one
//! audit record each, with the time against the RTO). Exit 0 when recovered (or when no
//! clock is running), 1 on timeout.

use std::time::Instant;

use serde_json::json;

use super::args::{GlobalArgs, WaitArgs};
use super::{Exit, Failure};
use crate::actions::recovery_open::{self, ClockReading};
use crate::actions::rollout::{RolloutStore, rollout_now};
use crate::engine::poll;
use crate::session::Context;
use crate::state::{FleetState, short_age};

pub async fn run(ctx: &Context, wait: &WaitArgs, global: &GlobalArgs) -> Result<Exit, Failure> {
    let executor = ctx.executor();
    let store = executor.shared_store();
    let rollouts = RolloutStore::for_fleet(&ctx.fleet, &ctx.fleet_paths.dir, true);
    let store_err =
        |e: &dyn std::fmt::Display| Failure::new(Exit::Failed, format!("recovery clocks: {e}"));
    let started = Instant::now();
    let mut previous: Option<FleetState> = None;
    let mut last = String::new();
    loop {
        let clocks = recovery_open::running(&*store).map_err(|e| store_err(&e))?;
        if clocks.is_empty() {
            report(&[], global.json);
            return Ok(Exit::Done);
        }
        let state = poll(&ctx.fleet, &ctx.providers, previous.as_ref()).await;
        let current = rollouts.load().ok().flatten();
        let readings = recovery_open::read(
            &ctx.fleet,
            &state,
            &clocks,
            |id| recovery_open::rollout_done(current.as_ref(), id),
            rollout_now(),
        );
        let said: Vec<String> = readings.iter().map(ClockReading::text).collect();
        let line = said.join("; ");
        if line != last {
            eprintln!(
                "[{}] {line}",
                short_age(started.elapsed().as_millis() as i64)
            );
            last = line;
        }
        if readings.iter().all(|r| r.recovery.recovered) {
            if !ctx.read_only {
                let (_, problems) = executor.stop_recovery(&readings);
                if let Some(p) = problems.first() {
                    return Err(store_err(p));
                }
            }
            report(&readings, global.json);
            return Ok(Exit::Done);
        }
        if started.elapsed() >= wait.timeout {
            report(&readings, global.json);
            return Err(Failure::new(
                Exit::Failed,
                format!(
                    "timed out after {}: {}",
                    short_age(wait.timeout.as_millis() as i64),
                    said.join("; ")
                ),
            ));
        }
        tokio::time::sleep(wait.interval).await;
        previous = Some(state);
    }
}

/// The running clocks against one reading, for `status`; a store problem reads as none
/// (status warns about the shared store already).
pub fn readings(ctx: &Context, state: &FleetState) -> Vec<ClockReading> {
    let store = ctx.executor().shared_store();
    let clocks = recovery_open::running(&*store).unwrap_or_default();
    if clocks.is_empty() {
        return Vec::new();
    }
    let rollouts = RolloutStore::for_fleet(&ctx.fleet, &ctx.fleet_paths.dir, true);
    let current = rollouts.load().ok().flatten();
    recovery_open::read(
        &ctx.fleet,
        state,
        &clocks,
        |id| recovery_open::rollout_done(current.as_ref(), id),
        rollout_now(),
    )
}

fn report(readings: &[ClockReading], json: bool) {
    if json {
        let doc = json!({
            "condition": "recovered",
            "met": readings.iter().all(|r| r.recovery.recovered),
            "clocks": readings,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if readings.is_empty() {
        println!("no recovery clock is running");
    } else {
        for r in readings {
            println!("{}", r.text());
        }
    }
}
