//! The headless CLI: status, the actions, audit, config check, paths and demo controls.

pub mod act;
pub mod args;
mod commands;
pub mod context;
pub mod status;
mod status_argo;

pub use args::{Cli, Command, GlobalArgs};

use crate::actions::Action;

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
            let weights = weights
                .iter()
                .map(|w| parse_weight(w))
                .collect::<Result<Vec<_>, _>>()?;
            act::run(Action::SetWeights { weights }, global, false).await
        }
        Command::Promote {
            region,
            accept_data_loss,
        } => act::run(Action::Promote { region }, global, accept_data_loss).await,
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

/// `REGION=WEIGHT`; the weight is kept as a wide integer so the range guard can name it.
pub fn parse_weight(arg: &str) -> Result<(String, u32), CliError> {
    let usage = |why: &str| {
        CliError::new(
            Exit::Usage,
            format!(
                "\"{arg}\": {why}; write REGION=WEIGHT with WEIGHT an integer 0..=255, e.g. eu-west-1=30"
            ),
        )
    };
    let (region, weight) = arg.split_once('=').ok_or_else(|| usage("missing '='"))?;
    if region.is_empty() {
        return Err(usage("missing region"));
    }
    let weight: u32 = weight
        .trim()
        .parse()
        .map_err(|_| usage("the weight is not a whole number"))?;
    Ok((region.to_string(), weight))
}
