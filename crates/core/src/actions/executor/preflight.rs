//! Preflight's reading: the fleet read once by the engine's providers, and the shared
//! records (lock, freeze, rollout) read without writing; then judged by
//! `actions::preflight::evaluate`. Nothing here changes anything.

use std::collections::BTreeMap;

use super::Executor;
use crate::actions::preflight::{self, Preflight, Records};
use meridian_model::fleet::ProviderKind;
use meridian_model::state::{FleetState, now_ms};

impl Executor {
    /// The fleet as it is now, and the records preflight judges beside it.
    pub async fn preflight_reading(&self) -> (FleetState, Records) {
        let mut state = crate::engine::poll(&self.fleet, &self.providers, None).await;
        state.freeze = self.freeze_reading();
        (state, self.preflight_records().await)
    }

    /// The records preflight judges beside a state the caller has (the dashboard's):
    /// the lock probed, the rollout and whether the simulated world can be written.
    pub async fn preflight_records(&self) -> Records {
        let rollout = match self.rollouts().load() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => None,
            Err(e) => Some(Err(e.to_string())),
        };
        let simulated = self.fleet.traffic.provider == ProviderKind::Sim
            || self
                .fleet
                .regions
                .iter()
                .any(|r| r.database.provider == ProviderKind::Sim);
        let sim_writable = simulated.then(|| writable_dir(&self.state_dir()));
        Records {
            lock: Some(self.lock.probe().await),
            lock_where: self.lock.place(),
            rollout,
            sim_writable,
        }
    }

    /// Read the fleet once and judge template `id`. Err: the template or its parameters
    /// are wrong.
    pub async fn preflight(
        &self,
        id: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<Preflight, String> {
        let (state, records) = self.preflight_reading().await;
        preflight::evaluate(&self.fleet, id, params, &state, &records, now_ms())
    }
}

/// The simulated world is written in the state directory: it must not be read-only.
fn writable_dir(dir: &std::path::Path) -> Result<(), String> {
    match std::fs::metadata(dir) {
        Ok(m) if m.permissions().readonly() => Err(format!("{} is read-only", dir.display())),
        Ok(_) => Ok(()),
        // Created at the first write, like the audit log.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}
