//! The freeze's door: setting and lifting a change freeze (refused in read-only mode,
//! audited), and reading it for a plan or a re-check.

use super::Executor;
use crate::actions::approvals;
use crate::actions::audit::{AuditOutcome, event, new_id};
use crate::actions::freeze as doc;
use meridian_model::state::freeze::{ActiveFreeze, Freeze, active};
use meridian_model::state::{Millis, Observed, now_ms};

impl Executor {
    /// The freeze a person set, as the shared store says now.
    pub fn freeze_reading(&self) -> Observed<Freeze> {
        doc::read(&*self.shared_store(), now_ms())
    }

    /// The freeze in force now (set by a person, or a scheduled window), if any.
    pub fn freeze_now(&self) -> Option<ActiveFreeze> {
        let now = now_ms();
        active(&self.fleet, self.freeze_reading().value.as_ref(), now)
    }

    /// Stop every change until `until` (or until lifted): every planned action and rollout
    /// step is then refused by the `freeze` guard. Needs a reason; audited.
    pub fn freeze(&self, reason: &str, until: Option<Millis>) -> Result<Freeze, String> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err("a freeze needs --reason TEXT: everyone refused by it is shown why".into());
        }
        let now = now_ms();
        if until.is_some_and(|u| u <= now) {
            return Err("--until must be in the future".into());
        }
        let f = Freeze {
            by: approvals::identity(&self.fleet),
            reason: reason.to_string(),
            at: now,
            until,
        };
        let outcome = if self.read_only {
            Err("read-only mode: nothing is frozen".to_string())
        } else {
            doc::set(&*self.shared_store(), &f).map_err(|e| e.to_string())
        };
        let (o, detail) = match &outcome {
            Ok(()) => (
                AuditOutcome::Succeeded,
                match until {
                    Some(u) => format!("frozen until {}", meridian_model::state::rfc3339(u)),
                    None => "frozen until someone unfreezes".to_string(),
                },
            ),
            Err(e) => (AuditOutcome::Refused, e.clone()),
        };
        self.audit_event("freeze", &self.fleet.name.clone(), Some(reason), o, detail);
        outcome.map(|()| f)
    }

    /// Lift the freeze a person set (a scheduled window stays: it is in the fleet file).
    /// Needs a reason; audited. Returns the freeze lifted, if there was one.
    pub fn unfreeze(&self, reason: &str) -> Result<Option<Freeze>, String> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err("unfreezing needs --reason TEXT".into());
        }
        let outcome = if self.read_only {
            Err("read-only mode: the freeze stays".to_string())
        } else {
            doc::clear(&*self.shared_store()).map_err(|e| e.to_string())
        };
        let (o, detail) = match &outcome {
            Ok(Some(f)) => (
                AuditOutcome::Succeeded,
                format!("lifted the freeze {} set: {}", f.by, f.reason),
            ),
            Ok(None) => (AuditOutcome::Succeeded, "no freeze was set".to_string()),
            Err(e) => (AuditOutcome::Refused, e.clone()),
        };
        self.audit_event(
            "unfreeze",
            &self.fleet.name.clone(),
            Some(reason),
            o,
            detail,
        );
        outcome
    }

    /// One audit record for a change that is not a plan.
    pub(super) fn audit_event(
        &self,
        action: &str,
        target: &str,
        reason: Option<&str>,
        outcome: AuditOutcome,
        detail: String,
    ) {
        let mut rec = event(
            &new_id(),
            &self.fleet.name,
            action,
            target,
            outcome,
            Some(detail),
        );
        rec.reason = reason.map(str::to_string);
        if let Err(e) = self.audit.append(&rec) {
            log::warn!("{e}");
        }
    }
}
