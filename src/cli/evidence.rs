//! `meridian evidence` (phase runs and their saved output) and `meridian phase cancel`.

use std::path::Path;

use serde_json::json;

use super::args::GlobalArgs;
use super::{Exit, Failure};
use crate::providers::Progress;
use crate::providers::shell::evidence::{Evidence, RunRecord, shown_outcome};
use crate::providers::shell::output::sanitize;
use crate::session::Context;

/// Longest output line printed (the file keeps all of it).
const PRINT_CHARS: usize = 2000;

/// List runs, or print one (`--run`, or the latest of a region's phase).
pub fn show(
    global: &GlobalArgs,
    region: Option<&str>,
    phase: Option<&str>,
    run: Option<&str>,
) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    for (what, id, known) in [
        ("region", region, ctx.fleet.region_ids()),
        (
            "phase",
            phase,
            ctx.fleet.phases.iter().map(|p| p.id.as_str()).collect(),
        ),
    ] {
        if let Some(id) = id
            && !known.contains(&id)
        {
            let hint = crate::fleet::suggest::hint(id, known.iter().copied());
            return Err(Failure::new(
                Exit::Usage,
                format!("unknown {what} \"{id}\"{hint}"),
            ));
        }
    }
    let evidence = Evidence::new(&ctx.fleet_paths.dir);
    let (runs, problems) = evidence.list(region, phase);
    for p in &problems {
        eprintln!("warning: unreadable run record {p}");
    }
    let chosen = match (run, region, phase) {
        (Some(id), _, _) => Some(runs.iter().find(|(_, r)| r.run_id == id).ok_or_else(|| {
            Failure::new(
                Exit::Usage,
                format!("no run \"{id}\" (`meridian evidence` lists them)"),
            )
        })?),
        (None, Some(_), Some(_)) => runs.last(),
        _ => None,
    };
    if let Some((dir, r)) = chosen {
        print_run(dir, r, global.json);
        return Ok(Exit::Done);
    }
    if global.json {
        let list: Vec<_> = runs
            .iter()
            .map(|(d, r)| json!({"dir": d, "outcome": shown_outcome(r), "run": r}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
        return Ok(Exit::Done);
    }
    if runs.is_empty() {
        let what = if region.is_some() || phase.is_some() {
            "matching "
        } else {
            ""
        };
        println!(
            "no {what}phase runs recorded for fleet {} ({}); the shell runner keeps evidence",
            ctx.fleet.name,
            evidence.root.display()
        );
        return Ok(Exit::Done);
    }
    println!(
        "{:<20} {:<22} {:<16} {:<20} {:<11} {:<18} REASON",
        "STARTED", "RUN", "REGION", "PHASE", "OUTCOME", "USER"
    );
    for (_, r) in &runs {
        println!(
            "{:<20} {:<22} {:<16} {:<20} {:<11} {:<18} {}",
            r.started.trim_end_matches('Z').replace('T', " "),
            r.run_id,
            r.region,
            r.phase,
            shown_outcome(r),
            r.user,
            r.reason.as_deref().unwrap_or("")
        );
    }
    println!("\n`meridian evidence REGION PHASE` prints the latest run; --run RUN prints one");
    Ok(Exit::Done)
}

fn print_run(dir: &Path, r: &RunRecord, as_json: bool) {
    if as_json {
        let doc = json!({"dir": dir, "outcome": shown_outcome(r), "run": r});
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return;
    }
    println!(
        "run {} of {} in {} ({})",
        r.run_id,
        r.phase,
        r.region,
        shown_outcome(r)
    );
    println!(
        "  by {}{}",
        r.user,
        r.reason
            .as_ref()
            .map(|x| format!(", reason: {x}"))
            .unwrap_or_default()
    );
    println!(
        "  started {}, finished {}",
        r.started,
        r.finished.as_deref().unwrap_or("-")
    );
    if let Some(e) = &r.error {
        println!("  error: {e}");
    }
    println!("  evidence: {}", dir.display());
    for s in &r.steps {
        let code = s
            .exit_code
            .map(|c| format!(", exit {c}"))
            .unwrap_or_default();
        println!(
            "\nstep {} {} [{}{code}]: {}",
            s.index, s.name, s.status, s.command
        );
        for file in [&s.check_output, &s.output].into_iter().flatten() {
            let path = dir.join(file);
            match std::fs::read(&path) {
                Ok(bytes) => {
                    println!("--- {}", path.display());
                    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                        println!("{}", sanitize(line, PRINT_CHARS));
                    }
                }
                Err(e) => println!("--- {}: {e}", path.display()),
            }
        }
    }
}

/// Stop a running phase (from any process on this host).
pub async fn cancel(global: &GlobalArgs, region: &str, phase: &str) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    if ctx.fleet.region(region).is_none() || ctx.fleet.phase_index(phase).is_none() {
        return Err(Failure::new(
            Exit::Usage,
            format!("unknown region or phase: {region} {phase}"),
        ));
    }
    let progress = Progress::new(|m| eprintln!("  · {m}"));
    // Through the action library: refused in read-only mode, audited either way.
    let done = ctx
        .executor()
        .cancel_phase(region, phase, global.reason.clone(), &progress)
        .await;
    let said = done.detail.unwrap_or_default();
    match done.outcome {
        crate::actions::AuditOutcome::Succeeded => {
            println!("{said}");
            Ok(Exit::Done)
        }
        crate::actions::AuditOutcome::Refused => Err(Failure::new(Exit::Refused, said)),
        _ => Err(Failure::new(Exit::Failed, said)),
    }
}
