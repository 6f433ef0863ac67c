//! The simulated phase runner: steps take time and can fail.

use async_trait::async_trait;

use super::{STEP_SECS, SimProvider};
use crate::fleet::Fleet;
use crate::providers::{PhaseRunner, Progress, ProviderError, ProviderResult};
use crate::state::{HealthStatus, PhaseState, PhaseStatus};

#[async_trait]
impl PhaseRunner for SimProvider {
    async fn read_phases(&self, _fleet: &Fleet, region: &str) -> ProviderResult<Vec<PhaseState>> {
        let found = self.read("read phases", |w| {
            w.region(region).map(|r| {
                r.phases
                    .iter()
                    .map(|p| PhaseState {
                        id: p.id.clone(),
                        state: p.state,
                        started_at: p.started_tick.map(|t| w.tick_to_ms(t)),
                        finished_at: p.finished_tick.map(|t| w.tick_to_ms(t)),
                        current_step: p.step.and_then(|s| self.step_name(&p.id, s)),
                        error: p.error.clone(),
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

    async fn run_step(
        &self,
        _fleet: &Fleet,
        region: &str,
        phase: &str,
        step: usize,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let call = "sim run step";
        let step_name = self
            .step_name(phase, step)
            .unwrap_or_else(|| format!("step {}", step + 1));
        let last = self
            .fleet
            .phases
            .iter()
            .find(|p| p.id == phase)
            .map(|p| p.steps.len().saturating_sub(1))
            == Some(step);
        self.change(call, |w| {
            let tick = w.tick;
            if let Some(p) = w
                .region_mut(region)
                .and_then(|r| r.phases.iter_mut().find(|p| p.id == phase))
            {
                if step == 0 {
                    p.started_tick = Some(tick);
                    p.finished_tick = None;
                }
                p.state = PhaseStatus::Running;
                p.step = Some(step);
                p.error = None;
            }
        })?;
        progress.say(&format!("{region} {phase}: {step_name} ..."));
        self.take(STEP_SECS).await;
        let key = format!("{phase}/{step_name}");
        let outcome = self.change(call, |w| {
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
        })?;
        outcome?;
        progress.say(&format!("{region} {phase}: {step_name} done"));
        Ok(())
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
}
