//! The headless CLI: status, the actions, audit, config check, paths and demo controls.

pub mod act;
pub mod args;
mod commands;
pub mod context;
pub mod status;

pub use args::{Cli, Command, GlobalArgs};

use crate::actions::Action;
use crate::paths::Paths;
use crate::traffic::{Ask, TrafficRules};

/// Exit codes, as documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Done = 0,
    Failed = 1,
    Usage = 2,
    Refused = 3,
    LockHeld = 4,
}

/// A command that could not do its work, with the exit code that says why.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub code: Exit,
    pub message: String,
}

impl CliError {
    pub fn new(code: Exit, message: impl Into<String>) -> CliError {
        CliError {
            code,
            message: message.into(),
        }
    }
}

/// Run one headless command.
pub async fn run(command: Command, global: &GlobalArgs) -> Result<Exit, CliError> {
    match command {
        Command::Status => commands::status(global).await,
        Command::Drain { region } => act::run(Action::Drain { region }, global, false).await,
        Command::Restore { regions } => act::run(Action::Restore { regions }, global, false).await,
        Command::Weights { weights } => {
            // Units are the fleet's traffic provider's (0.35 is a Cloudflare weight, not a
            // Route 53 one), so the fleet is read first.
            let fleet = context::load_fleet(&context::choose_fleet(global, &Paths::discover()))?;
            let rules = TrafficRules::of(fleet.traffic.provider);
            let weights = weights
                .iter()
                .map(|w| parse_weight(w, rules))
                .collect::<Result<Vec<_>, _>>()?;
            act::run(Action::SetWeights { weights }, global, false).await
        }
        Command::Promote {
            region,
            accept_data_loss,
        } => act::run(Action::Promote { region }, global, accept_data_loss).await,
        Command::Rollback { tenant, region, to } => {
            act::run(Action::Rollback { tenant, region, to }, global, false).await
        }
        Command::Phase {
            command: args::PhaseCommand::Run { region, phase },
        } => act::run(Action::RunPhase { region, phase }, global, false).await,
        Command::Audit { limit } => commands::audit(global, limit),
        Command::Config {
            command: args::ConfigCommand::Check { file },
        } => commands::config_check(global, file),
        Command::Paths => commands::paths(global),
        Command::Demo { command } => commands::demo(global, command),
    }
}

/// `REGION=WEIGHT` with WEIGHT in the provider's units (`30`, `0.35` for Cloudflare) or a
/// share of traffic (`90%`); units are kept wide so the range guard can name a bad one.
pub fn parse_weight(arg: &str, rules: &TrafficRules) -> Result<(String, Ask), CliError> {
    let usage = |why: &str| {
        CliError::new(
            Exit::Usage,
            format!(
                "\"{arg}\": {why}; write REGION=WEIGHT with WEIGHT a {} weight {} or a share such as 90%, e.g. eu-west-1=30 or eu-west-1=25%",
                rules.provider,
                rules.range_text()
            ),
        )
    };
    let (region, weight) = arg.split_once('=').ok_or_else(|| usage("missing '='"))?;
    if region.is_empty() {
        return Err(usage("missing region"));
    }
    let weight = weight.trim();
    match Ask::parse(weight, rules) {
        Some(ask) => Ok((region.to_string(), ask)),
        None if weight.ends_with('%') => Err(usage("the share is not a percentage 0%..=100%")),
        None if weight.starts_with('-') => Err(usage("the weight is negative")),
        None if weight.contains('.') && rules.decimals == 0 => {
            Err(usage("the weight is not a whole number"))
        }
        None => Err(usage("the weight is not a number")),
    }
}
