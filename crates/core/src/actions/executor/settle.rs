//! Reading back from a backend that is eventually consistent (the routing layer's Workers
//! KV map): a read after a write may show the old value for a while. The provider already
//! waited for the key it wrote to read back; a whole-map read may lag behind that read, so
//! the executor reads again, within the backend's consistency window, before it calls a
//! change unverified. Other operations are read back once.

use std::time::Duration;

use super::Executor;
use super::recheck::Checked;
use super::{to_verify, verify};
use crate::actions::plan::Operation;
use crate::engine::poll_subjects;
use meridian_model::fleet::settings::Settings;
use meridian_model::state::FleetState;

/// How often the map is read again while it shows the old value.
const AGAIN_EVERY: Duration = Duration::from_millis(500);

impl Executor {
    /// How long a routing change may take to show in a whole-map read.
    fn consistency_window(&self, op: &Operation) -> Duration {
        if !matches!(
            op,
            Operation::SetSignups { .. } | Operation::MoveTenant { .. }
        ) {
            return Duration::ZERO;
        }
        match self.fleet.tenant_routing.as_ref().map(|c| &c.settings) {
            Some(Settings::CloudflareKv(kv)) => kv.consistency_wait(),
            _ => Duration::ZERO,
        }
    }

    /// `state` once it verifies, or the last reading when the window ends first.
    pub(super) async fn settle(&self, checked: &Checked, mut state: FleetState) -> FleetState {
        let window = self.consistency_window(&checked.operation);
        let start = tokio::time::Instant::now();
        while verify(&checked.operation, &state).is_err() && start.elapsed() < window {
            tokio::time::sleep(AGAIN_EVERY).await;
            state = poll_subjects(
                &self.fleet,
                &self.providers,
                &to_verify(&self.fleet, &checked.operation),
                Some(&state),
            )
            .await;
        }
        state
    }
}
