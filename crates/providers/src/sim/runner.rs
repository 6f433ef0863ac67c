//! The simulated phase runner: steps take time and can fail. Like a real runner it records
//! which process runs a phase, so a phase whose process died reads as `interrupted`.

use async_trait::async_trait;

use super::{SHARED_LOOK, STEP_SECS, SimProvider};
use crate::{PhaseRun, PhaseRunner, Progress, ProviderError, ProviderResult};
use meridian_model::fleet::Fleet;
use meridian_model::state::{HealthStatus, PhaseOwner, PhaseState, PhaseStatus};

#[async_trait]
impl PhaseRunner for SimProvider {
    async fn read_phases(&self, _fleet: &Fleet, region: &str) -> ProviderResult<Vec<PhaseState>> {
        let found = self.read_within("read phases", SHARED_LOOK, |w| {
            w.region(region).map(|r| {
                r.phases
                    .iter()
                    .map(|p| {
                        let dead = p.state == PhaseStatus::Running
                            && p.owner.as_ref().is_none_or(|o| !o.alive());
                        let state = if dead { PhaseStatus::Interrupted } else { p.state };
                        PhaseState {
                            id: p.id.clone(),
                            state,
                            started_at: p.started_tick.map(|t| w.tick_to_ms(t)),
                            finished_at: p.finished_tick.map(|t| w.tick_to_ms(t)),
                            current_step: p.step.and_then(|s| self.step_name(&p.id, s)),
                            error: match (&p.owner, dead) {
                                (Some(o), true) => Some(format!(
                                    "the meridian process running it ({o}) is gone; run the phase again to resume"
                                )),
                                (None, true) => Some("no process is running it; run the phase again to resume".into()),
                                _ => p.error.clone(),
                            },
                            step_index: p.step,
                            owner: p.owner.clone(),
                            evidence: None,
                        }
                    })
                    .collect()
            })
        })?;
        found.ok_or_else(|| {
            ProviderError::new(
                Some(region),
                "sim read phases",
                "region missing from the simulated world",
            )
        })
    }

    async fn run_phase(
        &self,
        fleet: &Fleet,
        run: &PhaseRun,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let steps = fleet
            .phases
            .iter()
            .find(|p| p.id == run.phase)
            .map(|p| p.steps.len())
            .unwrap_or(0);
        for step in run.from..steps {
            self.run_step(run, step, step == run.from, step + 1 == steps, progress)
                .await?;
        }
        Ok(())
    }

    async fn cancel(
        &self,
        _fleet: &Fleet,
        region: &str,
        phase: &str,
        _progress: &Progress,
    ) -> ProviderResult<String> {
        let call = "sim cancel phase";
        let who = meridian_model::host::whoami();
        self.change(call, |w| {
            let tick = w.tick;
            let p = w
                .region_mut(region)
                .and_then(|r| r.phases.iter_mut().find(|p| p.id == phase))
                .ok_or_else(|| {
                    ProviderError::new(Some(region), call, format!("unknown phase {phase}"))
                })?;
            if p.state != PhaseStatus::Running {
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("{phase} is not running (it is {})", p.state.as_str()),
                ));
            }
            p.state = PhaseStatus::Failed;
            p.finished_tick = Some(tick);
            p.error = Some(format!("cancelled by {who}"));
            Ok(format!(
                "{phase} in {region} cancelled (simulated: the step in progress stops)"
            ))
        })?
    }
}

impl SimProvider {
    fn step_name(&self, phase: &str, step: usize) -> Option<String> {
        self.fleet
            .phases
            .iter()
            .find(|p| p.id == phase)?
            .steps
            .get(step)
            .map(|s| s.name.clone())
    }

    async fn run_step(
        &self,
        run: &PhaseRun,
        step: usize,
        first: bool,
        last: bool,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let (region, phase) = (run.region.as_str(), run.phase.as_str());
        let call = "sim run step";
        let step_name = self
            .step_name(phase, step)
            .unwrap_or_else(|| format!("step {}", step + 1));
        self.change(call, |w| {
            let tick = w.tick;
            let p = w
                .region_mut(region)
                .and_then(|r| r.phases.iter_mut().find(|p| p.id == phase))
                .ok_or_else(|| {
                    ProviderError::new(Some(region), call, format!("unknown phase {phase}"))
                })?;
            // A cancel between steps leaves the phase failed: stop here.
            if !first && p.state != PhaseStatus::Running {
                return Err(ProviderError::new(
                    Some(region),
                    call,
                    p.error.clone().unwrap_or_else(|| "stopped".into()),
                ));
            }
            if first {
                p.started_tick = Some(tick);
                p.finished_tick = None;
            }
            p.state = PhaseStatus::Running;
            p.step = Some(step);
            p.error = None;
            p.owner = Some(PhaseOwner::me());
            Ok(())
        })??;
        progress.say(&format!("{region} {phase}: {step_name} ..."));
        self.take(STEP_SECS).await;
        let key = format!("{phase}/{step_name}");
        self.change(call, |w| {
            let tick = w.tick;
            let Some(r) = w.region_mut(region) else {
                return Err(ProviderError::new(Some(region), call, "region missing from the simulated world"));
            };
            let failure = if r.health == HealthStatus::Down {
                Some("cluster API unreachable: dial tcp: i/o timeout".to_string())
            } else if let Some(pos) = r.fail_once.iter().position(|k| *k == key) {
                r.fail_once.remove(pos);
                Some("PersistentVolumeClaim stuck Pending (no storage class \"gp3\"); fix and run the phase again".to_string())
            } else {
                None
            };
            let Some(p) = r.phases.iter_mut().find(|p| p.id == phase) else {
                return Err(ProviderError::new(Some(region), call, format!("unknown phase {phase}")));
            };
            if p.state != PhaseStatus::Running {
                // Cancelled while the step ran.
                return Err(ProviderError::new(Some(region), call, p.error.clone().unwrap_or_else(|| "stopped".into())));
            }
            match failure {
                Some(msg) => {
                    p.state = PhaseStatus::Failed;
                    p.finished_tick = Some(tick);
                    p.error = Some(msg.clone());
                    Err(ProviderError::new(Some(region), format!("{call} {key}"), msg))
                }
                None => {
                    if last {
                        p.state = PhaseStatus::Succeeded;
                        p.step = None;
                        p.finished_tick = Some(tick);
                    }
                    Ok(())
                }
            }
        })??;
        progress.say(&format!("{region} {phase}: {step_name} done"));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimOptions;

    #[tokio::test]
    async fn a_running_phase_whose_process_died_reads_interrupted() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let fleet = meridian_model::fleet::demo();
        let sim = SimProvider::new(
            &fleet,
            dir.path(),
            SimOptions {
                speed: 0.0,
                seed: Some(1),
            },
        );
        let phase = fleet.phases[6].id.clone();
        let dead = PhaseOwner {
            host: meridian_model::host::hostname(),
            pid: 999_999_999,
        };
        let set = |owner: PhaseOwner| {
            sim.change("test", |w| {
                let p = w
                    .region_mut("ap-south-1")
                    .and_then(|r| r.phases.iter_mut().find(|p| p.id == phase));
                if let Some(p) = p {
                    p.state = PhaseStatus::Running;
                    p.step = Some(1);
                    p.owner = Some(owner);
                }
            })
        };
        assert!(set(dead).is_ok());
        let read = sim
            .read_phases(&fleet, "ap-south-1")
            .await
            .unwrap_or_default();
        let p = read
            .iter()
            .find(|p| p.id == phase)
            .cloned()
            .unwrap_or_default();
        assert_eq!(p.state, PhaseStatus::Interrupted);
        assert_eq!(p.step_index, Some(1));
        assert!(p.error.unwrap_or_default().contains("pid 999999999"));
        assert!(set(PhaseOwner::me()).is_ok());
        let read = sim
            .read_phases(&fleet, "ap-south-1")
            .await
            .unwrap_or_default();
        assert_eq!(
            read.iter().find(|p| p.id == phase).map(|p| p.state),
            Some(PhaseStatus::Running)
        );
    }
}
