//! The shell phase runner (`[runner] provider = "shell"`): each step's `run` is a real
//! process, with placeholders substituted, `MERIDIAN_*` variables exported, a timeout, an
//! optional `check` that skips a step already done, evidence kept per run, phase state kept
//! in the state directory, resume from the failed step, and cancel from any process.

pub mod evidence;
pub mod output;
pub mod process;
mod run;
pub mod store;

use meridian_model::fleet::settings;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;

use crate::{PhaseRun, PhaseRunner, Progress, ProviderError, ProviderResult};
pub use evidence::{Evidence, RunRecord, StepRecord};
use meridian_model::fleet::{Fleet, FleetSource};
use meridian_model::state::{PhaseState, PhaseStatus};
use store::{PhaseRecord, Store};

/// A step may run this long unless the fleet file says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Between SIGTERM and SIGKILL when a step is stopped.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// The `[runner]` settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub workdir: PathBuf,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub grace: Duration,
}

impl Settings {
    pub fn from_fleet(fleet: &Fleet) -> Settings {
        let default = settings::ShellRunner::default();
        let s = match &fleet.runner.settings {
            settings::Settings::Shell(s) => s,
            _ => &default,
        };
        let base = match &fleet.source {
            FleetSource::File(p) => p
                .parent()
                .map(Path::to_path_buf)
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| PathBuf::from(".")),
            FleetSource::Demo => PathBuf::from("."),
        };
        Settings {
            workdir: match &s.workdir {
                Some(w) => base.join(w),
                None => base,
            },
            env: s
                .env
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            timeout: s.timeout.map_or(DEFAULT_TIMEOUT, settings::Dur::get),
            grace: s.grace.map_or(DEFAULT_GRACE, settings::Dur::get),
        }
    }
}

/// Runs phases as local processes.
pub struct ShellRunner {
    pub settings: Settings,
    store: Store,
    pub evidence: Evidence,
}

impl ShellRunner {
    pub fn new(fleet: &Fleet, state_dir: &Path) -> ShellRunner {
        ShellRunner {
            settings: Settings::from_fleet(fleet),
            store: Store::new(state_dir),
            evidence: Evidence::new(state_dir),
        }
    }

    fn error(region: &str, call: &str, e: impl std::fmt::Display) -> ProviderError {
        ProviderError::new(Some(region), call, e.to_string())
    }
}

/// What a record reads as: `running` only while its owner lives.
fn phase_state(id: &str, r: &PhaseRecord) -> PhaseState {
    let dead = r.state == PhaseStatus::Running && r.owner.as_ref().is_none_or(|o| !o.alive());
    let error = match (&r.owner, dead) {
        (Some(o), true) => Some(format!(
            "the meridian process running it ({o}) died during step {} ({}); run the phase again to resume there",
            r.step_index.map(|i| i + 1).unwrap_or(0),
            r.step_name.as_deref().unwrap_or("?")
        )),
        _ => r.error.clone(),
    };
    PhaseState {
        id: id.to_string(),
        state: if dead {
            PhaseStatus::Interrupted
        } else {
            r.state
        },
        started_at: r.started_at,
        finished_at: r.finished_at,
        current_step: r.step_name.clone(),
        error,
        step_index: r.step_index,
        owner: r.owner.clone(),
        evidence: r.evidence.clone(),
    }
}

#[async_trait]
impl PhaseRunner for ShellRunner {
    async fn read_phases(&self, fleet: &Fleet, region: &str) -> ProviderResult<Vec<PhaseState>> {
        let all = self
            .store
            .read()
            .map_err(|e| Self::error(region, "read phases", e))?;
        let mine = all.get(region);
        Ok(fleet
            .phases
            .iter()
            .map(|p| match mine.and_then(|m| m.get(&p.id)) {
                Some(r) => phase_state(&p.id, r),
                None => PhaseState {
                    id: p.id.clone(),
                    ..PhaseState::default()
                },
            })
            .collect())
    }

    async fn run_phase(
        &self,
        fleet: &Fleet,
        run: &PhaseRun,
        progress: &Progress,
    ) -> ProviderResult<()> {
        run::Run::start(self, fleet, run, progress)
            .await?
            .steps(progress)
            .await
    }

    async fn cancel(
        &self,
        _fleet: &Fleet,
        region: &str,
        phase: &str,
        progress: &Progress,
    ) -> ProviderResult<String> {
        let call = "cancel phase";
        let who = meridian_model::host::whoami();
        let found = self
            .store
            .update_phase(region, phase, |r| {
                let state = phase_state(phase, r);
                let orphans = r.pgid.filter(|g| process::group_alive(*g));
                match state.state {
                    PhaseStatus::Running => {
                        r.cancel = Some(who.clone());
                        Ok((r.pgid, state.current_step))
                    }
                    // The runner died but its step's processes live on: stop them too.
                    PhaseStatus::Interrupted if orphans.is_some() => {
                        Ok((orphans, state.current_step))
                    }
                    other => Err(format!(
                        "{phase} is not running in {region} (it is {})",
                        other.as_str()
                    )),
                }
            })
            .map_err(|e| Self::error(region, call, e))?
            .map_err(|e| Self::error(region, call, e))?;
        let (pgid, step) = found;
        let step = step.unwrap_or_else(|| "?".into());
        match pgid.filter(|g| process::group_alive(*g)) {
            Some(g) => {
                progress.say(&format!(
                    "{region} {phase}: stopping step \"{step}\" (SIGTERM to process group {g}, SIGKILL after {})",
                    humantime::format_duration(self.settings.grace)
                ));
                process::stop_group(g, self.settings.grace, None).await;
                Ok(format!(
                    "{phase} in {region}: step \"{step}\" stopped; `meridian phase run {region} {phase}` resumes it"
                ))
            }
            None => Ok(format!(
                "{phase} in {region}: cancel requested; it stops before its next step"
            )),
        }
    }

    fn evidence_dir(&self, run: &PhaseRun) -> Option<PathBuf> {
        Some(self.evidence.run_dir(&run.region, &run.phase, &run.run_id))
    }
}
