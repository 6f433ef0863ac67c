//! The read-only commands and the demo controls.

use std::path::PathBuf;

use serde_json::json;

use super::args::{DemoCommand, FaultKind, GlobalArgs};
use super::{Exit, Failure, status as status_view};
use crate::actions::{AuditLog, AuditOutcome, AuditRecord, FleetLock, gates};
use crate::engine::poll;
use crate::fleet::{self, FleetSource, LoadError};
use crate::paths::Paths;
use crate::providers::ApiMeter;
use crate::providers::lock::LockError;
use crate::providers::sim::Fault;
use crate::session::{Context, FleetChoice, choose_fleet};
use crate::state::now_ms;

/// Write the status document to stdout as it is serialised: a big fleet's status is tens of
/// megabytes, and holding it as one string first doubled the memory.
fn print_json(doc: &super::status_doc::StatusDoc) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    doc.write_pretty(&mut out)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush())
        .map_err(|e| Failure::new(Exit::Failed, format!("writing the status to stdout: {e}")))
}

/// `meridian status [--check]`: the table or JSON; with `--check`, exit 1 on problems.
pub async fn status(global: &GlobalArgs, check: bool, history: bool) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    crate::engine::schedule::publish(&ctx.fleet);
    let state = poll(&ctx.fleet, &ctx.providers, None).await;
    let lock = ctx.executor().lock_holder().await;
    let api = ApiMeter::global().lines(now_ms(), ApiMeter::started());
    let (standing, store_problem) = super::temporary::standing(&ctx, &state);
    let weights_problem = standing.problem(&ctx.fleet, &state);
    let clocks = super::wait_recovered::readings(&ctx, &state);
    let open: Vec<_> = clocks.iter().map(|c| c.clock.clone()).collect();
    let assessment = super::findings::assess(&ctx, &state, &standing, &open);
    let found = &assessment.findings;
    // A change freeze (a person's, or a scheduled window) is news, not a fault: said, and
    // in --check a note, never a failure.
    let frozen = ctx.executor().freeze_now();
    let problems = check.then(|| {
        let mut p = gates::fleet_problems(&ctx.fleet, &state);
        p.extend(weights_problem.clone());
        p.extend(
            clocks
                .iter()
                .filter(|c| !c.recovery.recovered)
                .map(|c| c.text()),
        );
        p
    });
    if let Some(e) = &store_problem {
        eprintln!("meridian: warning: {e}");
    }
    if global.json {
        let mut doc = status_view::to_json(&ctx.fleet, &state, lock.as_ref(), ctx.read_only);
        doc.tenants.history = history;
        doc.insert("api", status_view::api_json(&api));
        let mut w = serde_json::to_value(&standing).unwrap_or_default();
        w["text"] = json!(standing.text(&ctx.fleet, &state));
        w["problem"] = json!(weights_problem);
        doc.insert("weights", w);
        doc.insert("recovery", json!(clocks));
        let findings: Vec<_> = found.iter().map(super::findings::to_json).collect();
        doc.insert("findings", json!(findings));
        doc.insert(
            "freeze",
            json!(frozen.as_ref().map(|f| {
                let mut v = json!(f);
                v["text"] = json!(f.describe());
                v
            })),
        );
        if let Some(p) = &problems {
            let mut notes = gates::fleet_notes(&ctx.fleet, &state);
            notes.extend(frozen.iter().map(|f| f.describe()));
            let ok = p.is_empty() && !found.iter().any(super::findings::fails_check);
            doc.insert(
                "check",
                json!({"ok": ok, "problems": p, "notes": notes, "findings": findings}),
            );
        }
        print_json(&doc)?;
    } else {
        print!(
            "{}",
            status_view::to_text(&ctx.fleet, &state, lock.as_ref(), ctx.read_only)
        );
        println!("weights: {}", standing.text(&ctx.fleet, &state));
        if let Some(f) = &frozen {
            println!("freeze: {}", f.describe());
        }
        for c in &clocks {
            println!("recovery: {}", c.text());
        }
        if !api.is_empty() {
            let spent: Vec<String> = api
                .iter()
                .map(|b| match (b.units_last_hour, b.unit) {
                    (Some(n), Some(u)) => format!("{} {} calls ({n} {u})", b.family, b.calls),
                    _ => format!("{} {} calls", b.family, b.calls),
                })
                .collect();
            println!("api: this status made {}", spent.join(", "));
        }
        match (check, found.first()) {
            (true, Some(_)) => print!("\n{}", super::findings::to_text(found)),
            (true, None) => {}
            (false, Some(top)) => println!(
                "findings: {}{} (`meridian status --check` lists them with what to do)",
                top.line(),
                match found.len() {
                    1 => String::new(),
                    n => format!(" (+{} more)", n - 1),
                }
            ),
            (false, None) => {}
        }
    }
    let failing = found
        .iter()
        .filter(|f| super::findings::fails_check(f))
        .count();
    match problems {
        Some(p) if p.is_empty() && failing > 0 => {
            eprintln!(
                "check failed: {failing} finding(s) in fleet {} (listed above)",
                ctx.fleet.name
            );
            Ok(Exit::Failed)
        }
        Some(p) if !p.is_empty() => {
            eprintln!(
                "check failed: {} problem(s) in fleet {}:",
                p.len(),
                ctx.fleet.name
            );
            for line in &p {
                eprintln!("  - {line}");
            }
            Ok(Exit::Failed)
        }
        Some(_) => {
            if let Some(f) = &frozen {
                eprintln!("note: {}", f.describe());
            }
            eprintln!("check passed: fleet {} has no problems", ctx.fleet.name);
            Ok(Exit::Done)
        }
        None => Ok(Exit::Done),
    }
}

/// `meridian discover`: a fleet file for the kubeconfig's contexts, on stdout.
pub async fn discover(
    kubeconfig: Option<PathBuf>,
    contexts: Vec<String>,
    namespace: &str,
) -> Result<Exit, Failure> {
    let text = crate::providers::kube::discover::discover(kubeconfig, contexts, namespace)
        .await
        .map_err(|e| Failure::new(Exit::Failed, format!("discover: {e}")))?;
    print!("{text}");
    Ok(Exit::Done)
}

pub fn audit(global: &GlobalArgs, limit: Option<usize>) -> Result<Exit, Failure> {
    let paths = Paths::discover();
    let fleet = crate::session::load_fleet(&choose_fleet(&global.session(), &paths))?;
    let fleet_paths = paths.fleet(&fleet.name);
    let log = AuditLog::new(&fleet_paths.audit_log);
    if !global.read_only {
        // Actions whose process died are shown as what they are, not as still running.
        let lock = FleetLock::new(&fleet_paths.lock_file);
        if let Err(e) = crate::actions::settle_orphans(&log, &lock) {
            eprintln!("meridian: warning: {e}");
        }
    }
    let (records, damaged) = log
        .read()
        .map_err(|e| Failure::new(Exit::Failed, e.to_string()))?;
    // Damaged lines (a record torn by a power loss) are reported, never hidden: on stderr
    // beside JSON, and under the table as text.
    let damage_report = |to_stderr: bool| {
        if damaged.is_empty() {
            return;
        }
        let head = format!("damaged lines in {}:", log.path.display());
        let lines = damaged.iter().map(|d| format!("  {d}"));
        let text = std::iter::once(head)
            .chain(lines)
            .collect::<Vec<_>>()
            .join("\n");
        if to_stderr {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    };
    let actions = group(&records);
    let shown: Vec<&Vec<&AuditRecord>> = match limit {
        Some(n) => actions.iter().rev().take(n).rev().collect(),
        None => actions.iter().collect(),
    };
    if global.json {
        let lines: Vec<&AuditRecord> = shown.iter().flat_map(|a| a.iter().copied()).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&lines).unwrap_or_default()
        );
        damage_report(true);
        return Ok(Exit::Done);
    }
    if shown.is_empty() {
        println!(
            "no actions recorded for fleet {} ({})",
            fleet.name,
            log.path.display()
        );
        damage_report(false);
        return Ok(Exit::Done);
    }
    // Wide enough for the longest target shown (a tenant with its region), within reason.
    let target_w = shown
        .iter()
        .filter_map(|r| r.first())
        .map(|r| audit_target(r).chars().count())
        .max()
        .unwrap_or(6)
        .clamp(16, 40);
    println!(
        "{:<20} {:<18} {:<11} {:<target_w$} {:<11} REASON / DETAIL",
        "TIME", "USER", "ACTION", "TARGET", "OUTCOME"
    );
    for records in shown {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            continue;
        };
        let outcome = match last.outcome {
            AuditOutcome::Started => "unfinished".to_string(),
            o => o.as_str().to_string(),
        };
        let mut why: Vec<String> = Vec::new();
        if let Some(r) = &first.reason {
            why.push(r.clone());
        }
        if !last.overrides.is_empty() {
            why.push(format!("overrides: {}", last.overrides.join(",")));
        }
        if let Some(d) = &last.detail {
            why.push(d.clone());
        }
        println!(
            "{:<20} {:<18} {:<11} {:<target_w$} {:<11} {}",
            first.time.trim_end_matches('Z').replace('T', " "),
            truncate(&first.user, 18),
            first.action,
            truncate(&audit_target(first), target_w),
            outcome,
            why.join(" · ")
        );
    }
    damage_report(false);
    Ok(Exit::Done)
}

/// What an action was done to: its target, and for a tenant's app (rollback, sync, resume
/// auto-sync) the region too, which the target alone does not say.
fn audit_target(r: &AuditRecord) -> String {
    let action = &r.plan["action"];
    match (action["tenant"].as_str(), action["region"].as_str()) {
        (Some(tenant), Some(region)) => format!("{tenant} in {region}"),
        _ => r.target.clone(),
    }
}

/// Records of one action (a `started` record and its outcome share an id), oldest first.
fn group(records: &[AuditRecord]) -> Vec<Vec<&AuditRecord>> {
    let mut out: Vec<Vec<&AuditRecord>> = Vec::new();
    for r in records {
        match out
            .iter_mut()
            .find(|g| g.first().is_some_and(|f| f.id == r.id))
        {
            Some(g) => g.push(r),
            None => out.push(vec![r]),
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

pub fn config_check(global: &GlobalArgs, file: Option<PathBuf>) -> Result<Exit, Failure> {
    let paths = Paths::discover();
    let choice = match file {
        Some(f) => FleetChoice::File(f),
        None => choose_fleet(&global.session(), &paths),
    };
    let loaded = match &choice {
        FleetChoice::Demo { because } => {
            eprintln!("{because}: checking the embedded demo fleet");
            fleet::parse(fleet::load::DEMO_FLEET, "demo.toml", FleetSource::Demo)
                .map_err(LoadError::Invalid)
        }
        FleetChoice::File(path) => fleet::load_file(path),
    };
    match loaded {
        Ok(f) => {
            let what = match &choice {
                FleetChoice::File(p) => p.display().to_string(),
                FleetChoice::Demo { .. } => "demo fleet".into(),
            };
            if global.json {
                println!(
                    "{}",
                    json!({"ok": true, "file": what, "fleet": f.name, "regions": f.regions.len(), "tenants": f.tenants.len(), "phases": f.phases.len(), "rollouts": f.rollouts.len()})
                );
            } else {
                println!(
                    "{what}: ok: fleet {} with {} regions, {} tenants, {} phases, {} rollouts",
                    f.name,
                    f.regions.len(),
                    f.tenants.len(),
                    f.phases.len(),
                    f.rollouts.len()
                );
            }
            Ok(Exit::Done)
        }
        Err(LoadError::Invalid(errors)) if global.json => {
            let list: Vec<_> = errors.0.iter().map(|e| json!({"file": e.file, "line": e.line, "column": e.column, "key": e.key, "message": e.message})).collect();
            println!("{}", json!({"ok": false, "errors": list}));
            Ok(Exit::Usage)
        }
        Err(e) => Err(Failure::new(Exit::Usage, e.to_string())),
    }
}

pub fn paths(global: &GlobalArgs) -> Result<Exit, Failure> {
    let paths = Paths::discover();
    let choice = choose_fleet(&global.session(), &paths);
    let fleet = crate::session::load_fleet(&choice)?;
    let fp = paths.fleet(&fleet.name);
    let fleet_file = match &choice {
        FleetChoice::File(p) => p.display().to_string(),
        FleetChoice::Demo { because } => format!("(embedded demo fleet: {because})"),
    };
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "fleet": fleet.name, "fleet_file": fleet_file, "config_dir": paths.config_dir,
                "default_fleet_file": paths.default_fleet_file, "themes_dir": paths.themes_dir,
                "keymap_file": paths.keymap_file, "state_dir": fp.dir, "audit_log": fp.audit_log,
                "lock_file": fp.lock_file, "sim_world": fp.sim_world,
            }))
            .unwrap_or_default()
        );
    } else {
        let rows = [
            ("fleet", fleet.name.clone()),
            ("fleet file", fleet_file),
            ("config dir", paths.config_dir.display().to_string()),
            (
                "default fleet file",
                paths.default_fleet_file.display().to_string(),
            ),
            ("themes dir", paths.themes_dir.display().to_string()),
            ("keymap file", paths.keymap_file.display().to_string()),
            ("state dir", fp.dir.display().to_string()),
            ("audit log", fp.audit_log.display().to_string()),
            ("lock file", fp.lock_file.display().to_string()),
            ("simulated world", fp.sim_world.display().to_string()),
        ];
        for (k, v) in rows {
            println!("{k:<19} {v}");
        }
    }
    Ok(Exit::Done)
}

/// `meridian demo reset|fault`: they change the simulated world, so like every writer they
/// respect read-only mode and take the fleet lock (never mid-action).
pub fn demo(global: &GlobalArgs, command: DemoCommand) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    let sim = ctx.sim()?;
    let what = match &command {
        DemoCommand::Reset => "demo reset".to_string(),
        DemoCommand::Fault { region, .. } => format!("demo fault {region}"),
    };
    if ctx.read_only {
        return Err(Failure::new(
            Exit::Refused,
            format!("read-only mode: `meridian {what}` would change the simulated world"),
        ));
    }
    if let DemoCommand::Fault { region, .. } = &command
        && ctx.fleet.region(region).is_none()
    {
        let hint = fleet::suggest::hint(region, ctx.fleet.region_ids());
        return Err(Failure::new(
            Exit::Usage,
            format!("unknown region \"{region}\"{hint}"),
        ));
    }
    let _lock = ctx.executor().take_lock(&what).map_err(|e| match e {
        LockError::Held(h) => Failure::new(
            Exit::LockHeld,
            format!("the fleet lock is held by {h}; try again when it is done"),
        ),
        e => Failure::new(Exit::Failed, e.to_string()),
    })?;
    let failed = |e: String| Failure::new(Exit::Failed, e);
    let doc = match command {
        DemoCommand::Reset => {
            let world = sim.reset().map_err(|e| failed(e.to_string()))?;
            let text = format!(
                "simulated world of fleet {} reset (seed {})",
                ctx.fleet.name, world.seed
            );
            json!({"ok": true, "fleet": ctx.fleet.name, "reset": true, "seed": world.seed, "message": text})
        }
        DemoCommand::Fault { region, kind } => {
            let fault = match kind {
                FaultKind::Down => Fault::Down,
                FaultKind::Lag => Fault::Lag,
                FaultKind::Flap => Fault::Flap,
                FaultKind::Clear | FaultKind::Hook => Fault::None,
            };
            // A failed hook is a fault of the region's syncs, not of its health: it is
            // kept apart, and `clear` ends both.
            match kind {
                FaultKind::Hook => sim.set_hook_fault(&region, true),
                FaultKind::Clear => sim
                    .set_hook_fault(&region, false)
                    .and_then(|()| sim.set_fault(&region, fault)),
                _ => sim.set_fault(&region, fault),
            }
            .map_err(|e| failed(e.to_string()))?;
            let effect = match kind {
                FaultKind::Down => "is down: probes fail and its database is unreachable",
                FaultKind::Lag => "has replay paused: replication lag climbs until cleared",
                FaultKind::Flap => "flaps: down and up every 20 simulated seconds",
                FaultKind::Clear => "is healthy again",
                FaultKind::Hook => {
                    "fails every sync in its PreSync hook (Job migrate): the new revision is not applied, the old pods keep serving"
                }
            };
            let kind = format!("{kind:?}").to_lowercase();
            json!({"ok": true, "fleet": ctx.fleet.name, "region": region, "fault": kind, "message": format!("{region} {effect}")})
        }
    };
    if global.json {
        super::out(&doc.to_string());
    } else {
        super::out(doc["message"].as_str().unwrap_or_default());
    }
    Ok(Exit::Done)
}
