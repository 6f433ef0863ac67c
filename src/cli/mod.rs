//! The headless CLI: status, the actions, audit, config check, paths and demo controls.

pub mod act;
pub mod args;
mod commands;
pub mod context;
mod discover;
mod generate;
mod init;
pub mod status;
mod wait;

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

/// A line on stderr, simply lost when the terminal has gone (a closed SSH session), where
/// `eprintln!` would panic.
pub fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A line on stdout, lost (not a panic) when the terminal has gone.
pub fn out(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Run one headless command.
pub async fn run(command: Command, global: &GlobalArgs) -> Result<Exit, CliError> {
    match command {
        Command::Status { check } => commands::status(global, check).await,
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
        Command::Config {
            command: args::ConfigCommand::Schema,
        } => generate::schema(),
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
        Command::Demo { command } => commands::demo(global, command),
    }
}

/// `REGION=WEIGHT`, with WEIGHT a whole number 0..=255 (checked here, so a script hears
/// at once which argument is wrong; the library's weight-range guard stays for other callers).
pub fn parse_weight(arg: &str) -> Result<(String, u32), CliError> {
    let usage = |why: String| {
        CliError::new(
            Exit::Usage,
            format!(
                "\"{arg}\": {why}; write REGION=WEIGHT with WEIGHT a whole number 0..=255, e.g. eu-west-1=30"
            ),
        )
    };
    let (region, weight) = arg
        .split_once('=')
        .ok_or_else(|| usage("missing '='".into()))?;
    if region.is_empty() {
        return Err(usage("missing region".into()));
    }
    let text = weight.trim();
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(usage(format!("weight \"{text}\" is not a whole number")));
    }
    // Any run of digits is a whole number; only its size can still be wrong.
    match text.parse::<i128>() {
        Ok(w @ 0..=255) => Ok((region.to_string(), w as u32)),
        _ => Err(usage(format!("weight {text} is out of range 0..=255"))),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_weight;

    #[test]
    fn weights_at_the_edges_name_the_range() {
        assert_eq!(parse_weight("a=0").ok(), Some(("a".into(), 0)));
        assert_eq!(parse_weight("a= 255").ok(), Some(("a".into(), 255)));
        assert_eq!(parse_weight("a=+7").ok(), Some(("a".into(), 7)));
        for edge in [
            "-1",
            "256",
            "99999999999",
            "-99999999999999999999999",
            "4294967296",
        ] {
            let e = parse_weight(&format!("a={edge}")).err().map(|e| e.message);
            let e = e.unwrap_or_default();
            assert!(e.contains("out of range 0..=255"), "{edge}: {e}");
        }
        for junk in ["x", "1.5", "", "-", "1e3", "٣"] {
            let e = parse_weight(&format!("a={junk}")).err().map(|e| e.message);
            assert!(
                e.unwrap_or_default().contains("not a whole number"),
                "{junk}"
            );
        }
    }
}
