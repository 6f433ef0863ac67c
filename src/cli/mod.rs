//! The headless CLI: status, the actions, audit, config check, paths and demo controls.

pub mod act;
mod approve;
pub mod args;
mod commands;
mod deploy;
mod discover;
mod evidence;
mod findings;
mod freeze;
mod generate;
mod init;
mod preflight;
mod report;
mod rollout;
mod rollout_control;
mod rollout_practice;
mod rollout_show;
pub mod status;
mod status_argo;
pub mod status_doc;
mod status_stores;
mod temporary;
mod wait;
mod wait_quiet;
pub(crate) mod wait_recovered;
mod watch;

pub use crate::session::{Exit, Failure, note, out};
pub use args::{Cli, Command, GlobalArgs};

use crate::actions::Action;
use crate::paths::Paths;
use crate::traffic::{Ask, TrafficRules};

/// Run one headless command.
pub async fn run(command: Command, global: &GlobalArgs) -> Result<Exit, Failure> {
    match command {
        Command::Status { check, history } => commands::status(global, check, history).await,
        Command::Drain { region } => act::run(Action::Drain { region }, global, false).await,
        Command::Restore { regions } => act::run(Action::Restore { regions }, global, false).await,
        Command::Weights { weights, for_ } => {
            // Units are the fleet's traffic provider's (0.35 is a Cloudflare weight, not a
            // Route 53 one), so the fleet is read first.
            let fleet = crate::session::load_fleet(&crate::session::choose_fleet(
                &global.session(),
                &Paths::discover(),
            ))?;
            let rules = fleet.traffic.provider.traffic_rules();
            let weights = weights
                .iter()
                .map(|w| parse_weight(w, rules))
                .collect::<Result<Vec<_>, _>>()?;
            // A temporary change is recorded as such by the executor, with its expiry.
            let mut request = crate::actions::Request::new(Action::SetWeights { weights });
            request.temporary_ms = for_.map(|d| d.as_millis().min(u64::MAX as u128) as u64);
            let exit = act::run_request(request, global, false).await?;
            if let Some(how_long) = for_
                && exit == Exit::Done
                && !global.dry_run
            {
                temporary::say_until(how_long);
            }
            Ok(exit)
        }
        Command::Promote {
            region,
            accept_data_loss,
            drain_old,
            no_drain_old,
        } => {
            let mut request = crate::actions::Request::new(Action::Promote { region });
            request.drain_old = match (drain_old, no_drain_old) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            act::run_request(request, global, accept_data_loss).await
        }
        Command::Rejoin { region } => act::run(Action::Rejoin { region }, global, false).await,
        Command::Rollback {
            tenant,
            region,
            to,
            via,
        } => {
            let via = via.map(|v| match v {
                args::ViaArg::Argocd => crate::actions::Via::Argocd,
                args::ViaArg::Helm => crate::actions::Via::Helm,
            });
            let action = Action::Rollback {
                tenant,
                region,
                to,
                via,
            };
            act::run(action, global, false).await
        }
        Command::Sync {
            tenant,
            region,
            revision,
        } => {
            let action = Action::Sync {
                tenant,
                region,
                revision,
            };
            act::run(action, global, false).await
        }
        Command::ResumeAutoSync { tenant, region } => {
            act::run(Action::ResumeAutoSync { tenant, region }, global, false).await
        }
        Command::Discover {
            kubeconfig,
            contexts,
            namespace,
        } => commands::discover(kubeconfig, contexts, &namespace).await,
        Command::Phase {
            command:
                args::PhaseCommand::Run {
                    region,
                    phase,
                    from_start,
                },
        } => act::run_phase(region, phase, from_start, global).await,
        Command::Phase {
            command: args::PhaseCommand::Cancel { region, phase },
        } => evidence::cancel(global, &region, &phase).await,
        Command::Evidence { region, phase, run } => {
            evidence::show(global, region.as_deref(), phase.as_deref(), run.as_deref())
        }
        Command::Approve { hash, artifact } => match artifact {
            Some(given) => approve::artifact(given, global),
            None => approve::run(hash, global),
        },
        Command::Audit { limit } => commands::audit(global, limit),
        Command::Config {
            command: args::ConfigCommand::Check { file },
        } => commands::config_check(global, file),
        Command::Config {
            command: args::ConfigCommand::Schema,
        } => generate::schema(),
        Command::Config {
            command: args::ConfigCommand::Reference,
        } => generate::reference(),
        Command::Completions { shell } => generate::completions(shell),
        Command::Man { out_dir } => generate::man(out_dir.as_deref()),
        Command::Init {
            from,
            kubeconfig,
            zone,
            record,
            endpoint_url,
        } => {
            let source = init::Source {
                from,
                kubeconfig,
                zone,
                record,
                endpoint_url,
            };
            init::run(global, source).await
        }
        Command::Paths => commands::paths(global),
        Command::Wait { condition } => wait::run(condition, global).await,
        Command::Rollout { command } => rollout::run(command, global).await,
        Command::Demo { command } => commands::demo(global, command),
        Command::Watch { every, quiet } => watch::run(global, every, quiet).await,
        Command::Report {
            since,
            from,
            to,
            format,
        } => report::run(global, since, from, to, format),
        // The binary opens the replay's screen (the CLI is a layer below the dashboard).
        Command::Replay { .. } => Err(Failure::new(
            Exit::Usage,
            "meridian replay opens the dashboard: run it from the meridian binary",
        )),
        Command::Freeze { until, for_ } => freeze::freeze(global, until.as_deref(), for_),
        Command::Unfreeze => freeze::unfreeze(global),
        Command::Signups { command } => {
            let (region, open) = match command {
                args::SignupsCommand::Open { region } => (region, true),
                args::SignupsCommand::Close { region } => (region, false),
            };
            act::run(Action::Signups { region, open }, global, false).await
        }
        Command::Tenant {
            command: args::TenantCommand::Move { tenant, to },
        } => act::run(Action::TenantMove { tenant, to }, global, false).await,
        Command::Deploy {
            tenant,
            region,
            version,
            set,
            values,
        } => deploy::run(tenant, region, version, set, values, global).await,
        Command::Preflight {
            template,
            params,
            mode,
        } => {
            let mode = match mode.as_deref() {
                Some("ungraceful") => crate::fleet::rollout::RunMode::Ungraceful,
                _ => crate::fleet::rollout::RunMode::Graceful,
            };
            preflight::run(template.as_deref(), &params, mode, global).await
        }
    }
}

/// `REGION=WEIGHT` with WEIGHT in the provider's units (`30`, `0.35` for Cloudflare) or a
/// share of traffic (`90%`). Checked here against the provider's range, so a script hears
/// at once which argument is wrong; the library's weight-range guard stays for other callers.
pub fn parse_weight(arg: &str, rules: &TrafficRules) -> Result<(String, Ask), Failure> {
    let usage = |why: String| {
        Failure::new(
            Exit::Usage,
            format!(
                "\"{arg}\": {why}; write REGION=WEIGHT with WEIGHT a {} weight {} or a share such as 90%, e.g. eu-west-1=30 or eu-west-1=25%",
                rules.provider,
                rules.range_text()
            ),
        )
    };
    let (region, weight) = arg
        .split_once('=')
        .ok_or_else(|| usage("missing '='".into()))?;
    if region.is_empty() {
        return Err(usage("missing region".into()));
    }
    let weight = weight.trim();
    let out_of_range = || {
        usage(format!(
            "weight {weight} is out of range {}",
            rules.range_text()
        ))
    };
    // A number in the provider's notation, signed or too big to parse: only its size is wrong.
    let numeric = {
        let unsigned = weight.strip_prefix('-').unwrap_or(weight);
        let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= rules.decimals as usize
    };
    match Ask::parse(weight, rules) {
        Some(Ask::Units(u)) if u > u64::from(rules.max) => Err(out_of_range()),
        Some(ask) => Ok((region.to_string(), ask)),
        None if weight.ends_with('%') => {
            Err(usage("the share is not a percentage 0%..=100%".into()))
        }
        None if numeric => Err(out_of_range()),
        None if rules.decimals == 0 => {
            Err(usage(format!("weight \"{weight}\" is not a whole number")))
        }
        None => Err(usage(format!("weight \"{weight}\" is not a number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_weight;
    use crate::traffic::Ask;
    use crate::traffic::rules::ROUTE53;

    #[test]
    fn weights_at_the_edges_name_the_range() {
        let ok = |t: &str| parse_weight(t, &ROUTE53).ok();
        assert_eq!(ok("a=0"), Some(("a".into(), Ask::Units(0))));
        assert_eq!(ok("a= 255"), Some(("a".into(), Ask::Units(255))));
        assert_eq!(ok("a=+7"), None, "a sign is not a weight");
        assert_eq!(ok("a=90%"), Some(("a".into(), Ask::Percent(9000))));
        for edge in [
            "-1",
            "256",
            "99999999999",
            "-99999999999999999999999",
            "4294967296",
        ] {
            let e = parse_weight(&format!("a={edge}"), &ROUTE53)
                .err()
                .map(|e| e.message)
                .unwrap_or_default();
            assert!(e.contains("out of range 0..=255"), "{edge}: {e}");
        }
        for junk in ["x", "1.5", "", "-", "1e3", "٣"] {
            let e = parse_weight(&format!("a={junk}"), &ROUTE53)
                .err()
                .map(|e| e.message)
                .unwrap_or_default();
            assert!(e.contains("not a whole number"), "{junk}: {e}");
        }
        let e = parse_weight("a=101%", &ROUTE53).err().map(|e| e.message);
        assert!(e.unwrap_or_default().contains("0%..=100%"));
    }
}
