//! Approving as a person does it, from the CLI (`meridian approve`) or the dashboard: the
//! approval (or the refusal and why) goes into the audit log, so the record shows who
//! approved what, or tried to.

use super::{Approval, ApprovalRequest, approve, short};
use crate::actions::AuditOutcome;
use crate::actions::audit::{AuditLog, event, new_id};
use meridian_model::fleet::Fleet;
use meridian_model::state::Millis;
use meridian_providers::store::SharedStore;

/// What an audited approval came to.
#[derive(Debug)]
pub enum Approved {
    Yes(Approval),
    /// Refused by the library (the requester themself, expired, ...) or by the caller
    /// (read-only, not confirmed); audited with this reason.
    Refused(String),
}

/// `me` approves `req`: audited either way. An audit log that cannot be written is said in
/// the reason, never hidden.
pub fn approve_audited(
    store: &dyn SharedStore,
    audit: &AuditLog,
    fleet: &Fleet,
    req: &ApprovalRequest,
    me: &str,
    reason: Option<String>,
    now: Millis,
) -> Approved {
    match approve(store, fleet, &req.hash, me, now) {
        Ok(a) => {
            let mut rec = event(
                &new_id(),
                &fleet.name,
                "approve",
                &format!("{} {}", req.action, req.target),
                AuditOutcome::Succeeded,
                Some(format!(
                    "approved {} requested by {}",
                    short(&a.hash),
                    a.requester
                )),
            );
            rec.reason = reason;
            rec.approval = serde_json::to_value(&a).ok();
            match audit.append(&rec) {
                Ok(()) => Approved::Yes(a),
                Err(e) => Approved::Refused(format!(
                    "approved {}, but the audit log could not be written: {e}",
                    short(&a.hash)
                )),
            }
        }
        Err(refusal) => Approved::Refused(refused_audited(audit, fleet, req, &refusal)),
    }
}

/// Record a refused approval; the reason to show.
pub fn refused_audited(
    audit: &AuditLog,
    fleet: &Fleet,
    req: &ApprovalRequest,
    why: &dyn std::fmt::Display,
) -> String {
    let rec = event(
        &new_id(),
        &fleet.name,
        "approve",
        &format!("{} {}", req.action, req.target),
        AuditOutcome::Refused,
        Some(format!("{}: {why}", short(&req.hash))),
    );
    match audit.append(&rec) {
        Ok(()) => why.to_string(),
        Err(e) => format!("{why}; and {e}"),
    }
}
