//! `meridian preflight [TEMPLATE]`: would a rollout template run today? The library reads
//! the fleet once and judges (`actions::preflight`); this prints the checks, each with
//! pass or fail and what to do, or `--json` for scripts. Exit 0 when every template is
//! ready, 3 with the reasons when one is not, 2 for a wrong template or parameter.

use std::collections::BTreeMap;

use serde_json::json;

use super::args::GlobalArgs;
use super::{Exit, Failure};
use crate::actions::preflight::{Preflight, Status, recovery_templates};
use crate::fleet::rollout::RunMode;
use crate::session::Context;

pub async fn run(
    template: Option<&str>,
    params: &[String],
    mode: RunMode,
    global: &GlobalArgs,
) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    let mut values = BTreeMap::new();
    for p in params {
        let Some((k, v)) = p.split_once('=') else {
            return Err(Failure::new(
                Exit::Usage,
                format!("--param {p}: write NAME=VALUE, e.g. --param revision=abc123"),
            ));
        };
        values.insert(k.trim().to_string(), v.trim().to_string());
    }
    let ids = match template {
        Some(t) => vec![t.to_string()],
        // Ungraceful: the templates that declare that mode.
        None => recovery_templates(&ctx.fleet)
            .into_iter()
            .filter(|id| {
                mode == RunMode::Graceful
                    || ctx
                        .fleet
                        .rollouts
                        .iter()
                        .find(|t| &t.id == id)
                        .is_some_and(|t| t.modes.contains(&RunMode::Ungraceful))
            })
            .collect(),
    };
    if ids.is_empty() {
        let line = format!(
            "fleet {} has no failover or recovery template to check (kind = \"failover\" in [[rollouts]]); name one: meridian preflight TEMPLATE",
            ctx.fleet.name
        );
        if global.json {
            super::out(&json!({ "ready": true, "templates": [] , "note": line}).to_string());
        } else {
            super::out(&line);
        }
        return Ok(Exit::Done);
    }
    let executor = ctx.executor();
    // One reading serves every template.
    let (state, records) = executor.preflight_reading().await;
    let now = crate::state::now_ms();
    let mut reports = Vec::new();
    for id in &ids {
        let r = crate::actions::preflight::evaluate_in_mode(
            &ctx.fleet, id, &values, mode, &state, &records, now,
        )
        .map_err(|e| Failure::new(Exit::Usage, e))?;
        reports.push(r);
    }
    let ready = reports.iter().all(|r| r.ready);
    if global.json {
        let doc = json!({ "ready": ready, "templates": reports });
        super::out(&serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        for r in &reports {
            print_report(r);
        }
    }
    if ready {
        return Ok(Exit::Done);
    }
    let reasons: Vec<String> = reports
        .iter()
        .filter(|r| !r.ready)
        .map(|r| {
            let fails: Vec<String> = r
                .failures()
                .map(|i| format!("  {}: {}", i.check, i.detail))
                .collect();
            format!("{} is not ready:\n{}", r.template, fails.join("\n"))
        })
        .collect();
    Err(Failure::new(Exit::Refused, reasons.join("\n")))
}

fn print_report(r: &Preflight) {
    let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    super::out(&format!(
        "preflight {} \"{}\" ({}{}{}): {}",
        r.template,
        r.name,
        r.kind.as_str(),
        match r.mode {
            RunMode::Ungraceful => ", ungraceful",
            RunMode::Graceful => "",
        },
        if params.is_empty() {
            String::new()
        } else {
            format!(", {}", params.join(" "))
        },
        if r.ready { "READY" } else { "NOT READY" }
    ));
    for i in &r.items {
        let mark = match i.status {
            Status::Pass => "  ok  ",
            Status::Warn => "  warn",
            Status::Fail => "  FAIL",
            Status::NotChecked => "  ??  ",
        };
        super::out(&format!("{mark}  {}: {}", i.check, i.detail));
        if i.status != Status::Pass
            && let Some(fix) = &i.fix
        {
            super::out(&format!("        -> {fix}"));
        }
    }
    let count = |s: Status| r.items.iter().filter(|i| i.status == s).count();
    super::out(&format!(
        "  {} checks: {} ok, {} warn, {} failed, {} not checked (no dry-run)\n",
        r.items.len(),
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::NotChecked)
    ));
}
