//! Evidence of phase runs: one folder per run under `<state>/evidence/<region>/<phase>/`,
//! named after the run's audit record, holding each step's full output (timestamped) and a
//! `run.json` summary rewritten after every step, so even a run cut short by kill -9 says
//! how far it got.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use meridian_model::state::{Millis, PhaseOwner};

/// `run.json`: who ran what, why, and how each step ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub fleet: String,
    pub region: String,
    pub phase: String,
    pub phase_name: String,
    /// `user@host`
    pub user: String,
    pub reason: Option<String>,
    pub owner: Option<PhaseOwner>,
    pub started: String,
    pub started_ms: Millis,
    pub finished: Option<String>,
    /// `running`, `succeeded`, `failed` or `cancelled` (a dead owner's `running` is shown
    /// as `interrupted`).
    pub outcome: String,
    /// 1-based step the run started at (above 1 for a resume).
    pub from_step: usize,
    pub error: Option<String>,
    pub steps: Vec<StepRecord>,
}

/// One step of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// 1-based.
    pub index: usize,
    pub name: String,
    /// The command after substitution.
    pub command: String,
    pub check: Option<String>,
    /// `done-earlier`, `pending`, `running`, `skipped`, `succeeded`, `failed`, `timed-out`,
    /// `cancelled`.
    pub status: String,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub started: Option<String>,
    pub finished: Option<String>,
    /// File (in the run folder) with the command's output.
    pub output: Option<String>,
    pub output_bytes: Option<u64>,
    /// File with the check command's output.
    pub check_output: Option<String>,
}

/// The evidence tree of one fleet.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub root: PathBuf,
}

impl Evidence {
    pub fn new(state_dir: &Path) -> Evidence {
        Evidence {
            root: state_dir.join("evidence"),
        }
    }

    /// The folder of one run.
    pub fn run_dir(&self, region: &str, phase: &str, run_id: &str) -> PathBuf {
        self.root.join(region).join(phase).join(run_id)
    }

    /// Write `run.json` (whole, then renamed into place).
    pub fn save(&self, dir: &Path, record: &RunRecord) -> std::io::Result<()> {
        fs::create_dir_all(dir)?;
        let text = serde_json::to_string_pretty(record).map_err(std::io::Error::other)?;
        let tmp = dir.join("run.json.tmp");
        fs::write(&tmp, text)?;
        fs::rename(&tmp, dir.join("run.json"))
    }

    /// Every run, optionally of one region and phase, oldest first, with its folder.
    /// Unreadable `run.json` files are returned as problems, not skipped silently.
    pub fn list(
        &self,
        region: Option<&str>,
        phase: Option<&str>,
    ) -> (Vec<(PathBuf, RunRecord)>, Vec<String>) {
        let mut runs = Vec::new();
        let mut problems = Vec::new();
        for region_dir in subdirs(&self.root, region) {
            for phase_dir in subdirs(&region_dir, phase) {
                for run_dir in subdirs(&phase_dir, None) {
                    let file = run_dir.join("run.json");
                    match fs::read_to_string(&file).map(|t| serde_json::from_str::<RunRecord>(&t)) {
                        Ok(Ok(r)) => runs.push((run_dir, r)),
                        Ok(Err(e)) => problems.push(format!("{}: {e}", file.display())),
                        Err(e) => problems.push(format!("{}: {e}", file.display())),
                    }
                }
            }
        }
        runs.sort_by(|a, b| (a.1.started_ms, &a.1.run_id).cmp(&(b.1.started_ms, &b.1.run_id)));
        (runs, problems)
    }
}

/// Sub-folders of `dir` (only `only` when given), in name order.
fn subdirs(dir: &Path, only: Option<&str>) -> Vec<PathBuf> {
    if let Some(name) = only {
        let d = dir.join(name);
        return if d.is_dir() { vec![d] } else { Vec::new() };
    }
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// A file name for a step: `02-terraform-apply`.
pub fn step_file(index: usize, name: &str) -> String {
    let mut slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug: String = slug.trim_matches('-').chars().take(40).collect();
    format!("{:02}-{slug}", index)
}

/// The outcome a reader should see: a `running` run whose process is gone was interrupted.
pub fn shown_outcome(r: &RunRecord) -> String {
    match (&r.owner, r.outcome.as_str()) {
        (Some(o), "running") if !o.alive() => "interrupted".into(),
        (_, other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_files_are_plain_names() {
        assert_eq!(
            step_file(2, "terraform apply (prod)"),
            "02-terraform-apply-prod"
        );
        assert_eq!(step_file(11, "ü/../x"), "11-x");
    }
}
