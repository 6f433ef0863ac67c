//! Phase steps as the fleet file describes them: the command a step runs, the command that
//! says it is already done, and how `{region}`-style placeholders become real values.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::model::{Fleet, Region};

/// A command: a string for `sh -c`, or an argv list run as is (no shell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StepCommand {
    Shell(String),
    Argv(Vec<String>),
}

impl StepCommand {
    /// The same command with placeholders replaced.
    pub fn substituted(&self, vars: &StepVars) -> StepCommand {
        match self {
            StepCommand::Shell(s) => StepCommand::Shell(vars.substitute(s)),
            StepCommand::Argv(a) => {
                StepCommand::Argv(a.iter().map(|s| vars.substitute(s)).collect())
            }
        }
    }

    /// The same command with each string passed through `f` (rollout parameters).
    pub fn substituted_with(&self, f: &dyn Fn(&str) -> String) -> StepCommand {
        match self {
            StepCommand::Shell(s) => StepCommand::Shell(f(s)),
            StepCommand::Argv(a) => StepCommand::Argv(a.iter().map(|s| f(s)).collect()),
        }
    }

    /// The program and its arguments.
    pub fn argv(&self) -> Vec<String> {
        match self {
            StepCommand::Shell(s) => vec!["sh".into(), "-c".into(), s.clone()],
            StepCommand::Argv(a) => a.clone(),
        }
    }

    /// One line for plans and evidence: the shell text, or the argv quoted for a shell.
    pub fn display(&self) -> String {
        match self {
            StepCommand::Shell(s) => s.clone(),
            StepCommand::Argv(a) => a
                .iter()
                .map(|w| shell_quote(w))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// Quote a word so a shell reads it back unchanged (only when it needs it).
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// One step of a phase: a name, and (for the shell runner) what it runs.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: String,
    pub run: Option<StepCommand>,
    /// Exit 0 means the step is already done and is skipped (idempotent re-runs).
    pub check: Option<StepCommand>,
    /// Longest the step may run (default: the runner's `timeout`).
    #[serde(skip)]
    pub timeout: Option<Duration>,
    /// Working directory (default: the runner's `workdir`).
    pub workdir: Option<String>,
    /// Extra environment, over the runner's `env`.
    pub env: BTreeMap<String, String>,
    /// A file the step writes (a Terraform plan) that a second person approves by its
    /// sha256 before a later step `uses` it; paths are relative to the step's workdir.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<super::rollout::ArtifactSpec>,
    /// The artifact an earlier step wrote that this step applies: it runs only on the
    /// approved, unchanged bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uses: Option<String>,
}

impl Step {
    /// A step that is only a name (the simulator runs those).
    pub fn named(name: impl Into<String>) -> Step {
        Step {
            name: name.into(),
            run: None,
            check: None,
            timeout: None,
            workdir: None,
            env: BTreeMap::new(),
            artifact: None,
            uses: None,
        }
    }
}

/// The values placeholders stand for in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepVars {
    pub region: String,
    pub cloud_region: String,
    /// The runner's `environment` setting (e.g. `prd`); empty when not set.
    pub env: String,
    pub fleet: String,
}

impl StepVars {
    pub fn new(fleet: &Fleet, region: &Region) -> StepVars {
        StepVars {
            region: region.id.clone(),
            cloud_region: region.cloud_region.clone(),
            env: match &fleet.runner.settings {
                crate::fleet::settings::Settings::Shell(s) => {
                    s.environment.clone().unwrap_or_default()
                }
                _ => String::new(),
            },
            fleet: fleet.name.clone(),
        }
    }

    /// Replace `{region}`, `{cloud_region}`, `{env}` and `{fleet}`; other braces stay.
    pub fn substitute(&self, text: &str) -> String {
        text.replace("{region}", &self.region)
            .replace("{cloud_region}", &self.cloud_region)
            .replace("{env}", &self.env)
            .replace("{fleet}", &self.fleet)
    }

    /// The same values as `MERIDIAN_*` environment variables.
    pub fn exported(&self) -> Vec<(String, String)> {
        vec![
            ("MERIDIAN_REGION".into(), self.region.clone()),
            ("MERIDIAN_CLOUD_REGION".into(), self.cloud_region.clone()),
            ("MERIDIAN_ENV".into(), self.env.clone()),
            ("MERIDIAN_FLEET".into(), self.fleet.clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> StepVars {
        StepVars {
            region: "eu-west-1".into(),
            cloud_region: "eu-west-1a".into(),
            env: "prd".into(),
            fleet: "acme".into(),
        }
    }

    #[test]
    fn placeholders_are_replaced_in_strings_and_argv() {
        let s = StepCommand::Shell("tf -chdir=envs/{env}-{region} apply # {other}".into());
        assert_eq!(
            s.substituted(&vars()).display(),
            "tf -chdir=envs/prd-eu-west-1 apply # {other}"
        );
        let a = StepCommand::Argv(vec!["echo".into(), "{fleet} in {cloud_region}".into()]);
        assert_eq!(
            a.substituted(&vars()).argv(),
            vec!["echo".to_string(), "acme in eu-west-1a".to_string()]
        );
        assert_eq!(
            a.substituted(&vars()).display(),
            "echo 'acme in eu-west-1a'"
        );
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
