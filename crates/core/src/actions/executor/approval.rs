//! The executor's shared-state duties. Two-person approval: before the lock, a plan the policy marks
//! `two-person` needs a valid approval of its hash by someone else (else the request is
//! recorded and the run refused, saying who must do what); after the re-check, the fresh
//! plan must still have the approved hash. Weights: after a verified change, the weights
//! meridian meant are written down (see `temporary`).

use super::Executor;
use crate::actions::Plan;
use crate::actions::approvals::{self, Approval, Refusal};
use meridian_model::host::whoami;
use meridian_model::state::now_ms;
use meridian_providers::store::SharedStore;

impl Executor {
    /// The fleet's shared store: ConfigMaps next to its Lease with `[lock] provider =
    /// "kube"`, else files in its state directory (next to its audit log). Refuses writes
    /// in read-only mode.
    pub fn shared_store(&self) -> std::sync::Arc<dyn SharedStore> {
        meridian_providers::store::open(&self.fleet, &self.state_dir(), self.read_only)
    }

    /// None when the policy asks for no second person; the approval when one is valid;
    /// otherwise why the plan may not run (its request is then recorded for the approver).
    pub fn approval_for(&self, plan: &Plan) -> Result<Option<Approval>, String> {
        if !approvals::required(&self.fleet, plan) {
            return Ok(None);
        }
        let store = self.shared_store();
        approvals::check_plan(
            &*store,
            &self.fleet,
            plan,
            &approvals::identity(&self.fleet),
            now_ms(),
        )
        .map(Some)
        .map_err(|refusal| refusal.to_string())
    }

    /// The re-checked plan must be the plan that was approved.
    pub(super) fn still_approved(&self, approval: &Approval, recheck: &Plan) -> Result<(), String> {
        let hash = approvals::plan_hash(recheck);
        if hash == approval.hash {
            return Ok(());
        }
        let store = self.shared_store();
        let me = approvals::identity(&self.fleet);
        let _ = approvals::request(&*store, &self.fleet, recheck, &me, now_ms());
        Err(Refusal::PlanChanged {
            approved: approval.hash.clone(),
            hash,
        }
        .to_string())
    }

    /// An approval is good for one run.
    pub(super) fn spend(&self, approval: &Approval) -> Option<String> {
        let store = self.shared_store();
        approvals::consume(&*store, &approval.hash)
            .err()
            .map(|e| format!("the approval could not be marked used: {e}"))
    }
}

impl Executor {
    /// After a verified weight change, write down the weights meridian meant, so a later
    /// look can tell them from drift. A problem doing so is said, never fatal: the change
    /// itself is done and audited.
    pub(super) fn note_intended(
        &self,
        plan: &Plan,
        temporary_ms: Option<u64>,
        after: &meridian_model::state::FleetState,
        progress: &meridian_providers::Progress,
    ) {
        let Some(weights) = crate::actions::temporary::current(&self.fleet, after) else {
            return;
        };
        let store = self.shared_store();
        let now = now_ms();
        let until = temporary_ms.map(|ms| now.saturating_add(ms as i64));
        let done = crate::actions::temporary::record(
            &*store,
            weights,
            &whoami(),
            plan.reason.clone(),
            now,
            until,
        );
        if let Err(e) = done {
            progress.say(&format!(
                "the weights meridian set could not be written down: {e}"
            ));
        }
    }
}
