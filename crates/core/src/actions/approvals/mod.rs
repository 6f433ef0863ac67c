//! Two-person approval: a plan the fleet's policy marks `two-person` runs only after a
//! second, different person approved its exact hash, within the policy's expiry. This is
//! a guard against mistakes (one tired person, one wrong region), not authentication:
//! identity is the OS `user@host`, which anyone can set.
//!
//! Requests and approvals are documents in a [`SharedStore`], so a partner on another
//! machine sharing the state directory (or, later, a cluster) sees them.

pub mod artifact;
mod audited;
mod hash;
mod identity;

pub use audited::{Approved, approve_audited, refused_audited};
pub use identity::{
    Identity, Principal, Source, identity, identity_of, same_person, second_person,
};

use serde::{Deserialize, Serialize};

pub use hash::{SHORT_LEN, canonical, plan_hash, short};

use super::Plan;
use meridian_model::fleet::{ApprovalKind, Fleet};
use meridian_model::state::{Millis, rfc3339};
use meridian_providers::store::{SharedStore, StoreError};

const REQUESTS: &str = "approval-requests";
const APPROVALS: &str = "approvals";

/// Someone asked for a plan to be approved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub hash: String,
    pub action: String,
    pub target: String,
    pub summary: String,
    /// The plan's changes as the requester saw them, for the approver to read.
    pub changes: Vec<String>,
    pub command: String,
    pub requester: String,
    pub requested_at_ms: Millis,
    /// After this the request cannot be approved: run the action again to ask afresh.
    pub expires_at_ms: Millis,
    /// The plan touches production (the policy may then require a verified identity).
    #[serde(default)]
    pub production: bool,
}

/// A second person approved a plan hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub hash: String,
    pub action: String,
    pub target: String,
    pub requester: String,
    pub approver: String,
    pub approved_at_ms: Millis,
    pub expires_at_ms: Millis,
}

/// Why a plan may not run (or an approval may not be given), and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "needs a second person's approval (policy: two-person): ask someone else to run `meridian approve {}`, then run this again within the approval's expiry",
        short(.hash)
    )]
    NotApproved { hash: String },
    #[error(
        "the plan changed since {} was approved (the fleet moved): this plan is {}; ask a second person to run `meridian approve {}`",
        short(.approved),
        short(.hash),
        short(.hash)
    )]
    PlanChanged { approved: String, hash: String },
    #[error(
        "{who} cannot approve their own request: a second, different person must run `meridian approve {}`",
        short(.hash)
    )]
    SelfApproval { who: String, hash: String },
    #[error(
        "the approval of {} by {approver} expired at {}: ask for a fresh one (`meridian approve {}` by a second person)",
        short(.hash),
        rfc3339(*.at),
        short(.hash)
    )]
    Expired {
        hash: String,
        approver: String,
        at: Millis,
    },
    #[error(
        "the request {} expired at {}: the requester must run the action again to ask afresh",
        short(.hash),
        rfc3339(*.at)
    )]
    RequestExpired { hash: String, at: Millis },
    #[error("no approval request matches {given}: check the hash the requester was shown")]
    Unknown { given: String },
    #[error("{given} matches several requests: type more of the hash")]
    Ambiguous { given: String },
    #[error("{0}")]
    Store(String),
    /// The approver's identity may not approve: a principal a whole team shares, or an
    /// unverified identity where the policy requires a verified one.
    #[error("{why}")]
    Identity { why: String },
    #[error(
        "artifact {name} ({}) is not approved: a second person (not whoever wrote it) reads it with `meridian approve --artifact` and runs `meridian approve --artifact {}`",
        short(.hash),
        short(.hash)
    )]
    ArtifactNotApproved { name: String, hash: String },
    #[error(
        "artifact {name} at {path} changed since it was written: approved bytes {}, now {}; nothing is applied: put the approved bytes back (meridian kept a copy in {kept}) or abort and plan again (a new plan needs a new approval)",
        short(.approved),
        short(.now)
    )]
    ArtifactChanged {
        name: String,
        path: String,
        approved: String,
        now: String,
        kept: String,
    },
    #[error(
        "{} has not written artifact {name}: the step that writes it must run first",
        artifact::scope_name(.rollout)
    )]
    ArtifactMissing { name: String, rollout: String },
    /// [`Refusal::SelfApproval`] of an artifact: its hash is approved with `--artifact`.
    #[error(
        "{who} cannot approve their own artifact: a second, different person must run `meridian approve --artifact {}`",
        short(.hash)
    )]
    ArtifactSelfApproval { who: String, hash: String },
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e.to_string())
    }
}

fn from_doc<T: for<'de> Deserialize<'de>>(v: serde_json::Value) -> Result<T, Refusal> {
    serde_json::from_value(v).map_err(|e| {
        Refusal::Store(format!(
            "an approval document cannot be read ({e}); remove it from the state directory and ask again"
        ))
    })
}

fn to_doc<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Does the fleet's policy ask a second person to approve this plan?
pub fn required(fleet: &Fleet, plan: &Plan) -> bool {
    // Overriding a change freeze in production takes two people, whatever the rules say.
    let freeze_overridden = plan
        .checks
        .iter()
        .any(|c| c.guard == super::Guard::Freeze && c.overridden);
    (freeze_overridden && plan.blast_radius.production)
        || fleet.policy.approvals.required(
            plan.name,
            &plan.environments,
            plan.blast_radius.production,
        ) == ApprovalKind::TwoPerson
}

/// Record that `requester` asks for `plan` to be approved (again: a repeated request
/// renews its expiry).
pub fn request(
    store: &dyn SharedStore,
    fleet: &Fleet,
    plan: &Plan,
    requester: &str,
    now: Millis,
) -> Result<ApprovalRequest, Refusal> {
    let hash = plan_hash(plan);
    let req = ApprovalRequest {
        hash: hash.clone(),
        action: plan.name.to_string(),
        target: plan.target.clone(),
        summary: plan.summary.clone(),
        changes: plan
            .changes
            .iter()
            .map(|c| format!("{} {}: {} -> {}", c.subject, c.field, c.before, c.after))
            .collect(),
        command: plan.cli_equivalent.clone(),
        requester: requester.to_string(),
        requested_at_ms: now,
        expires_at_ms: now + expiry_ms(fleet),
        production: plan.blast_radius.production,
    };
    store.put(REQUESTS, &hash, &to_doc(&req))?;
    Ok(req)
}

fn expiry_ms(fleet: &Fleet) -> Millis {
    fleet.policy.approvals.expiry.as_millis() as Millis
}

/// The request a full or short hash names.
pub fn find(store: &dyn SharedStore, given: &str) -> Result<ApprovalRequest, Refusal> {
    let given = given.trim().to_ascii_lowercase();
    if given.len() < 6 || !given.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Refusal::Unknown { given });
    }
    let matches: Vec<_> = store
        .list(REQUESTS)?
        .into_iter()
        .filter(|(k, _)| k.starts_with(&given))
        .collect();
    match matches.len() {
        0 => Err(Refusal::Unknown { given }),
        1 => matches
            .into_iter()
            .next()
            .map(|(_, v)| from_doc(v))
            .unwrap_or(Err(Refusal::Unknown { given })),
        _ => Err(Refusal::Ambiguous { given }),
    }
}

/// `approver` approves the request a (short) hash names. Refused for the requester
/// themself and after the request expired.
pub fn approve(
    store: &dyn SharedStore,
    fleet: &Fleet,
    given: &str,
    approver: &str,
    now: Millis,
) -> Result<Approval, Refusal> {
    let req = find(store, given)?;
    if same_person(&req.requester, approver) {
        let (who, hash) = (approver.to_string(), req.hash);
        return Err(if req.action == artifact::ARTIFACT_ACTION {
            Refusal::ArtifactSelfApproval { who, hash }
        } else {
            Refusal::SelfApproval { who, hash }
        });
    }
    if let Err(why) = second_person(&req.requester, approver) {
        return Err(Refusal::Identity { why });
    }
    // `[policy] require_verified_identity`: in production, a second person whom only `$USER`
    // names is no second person at all.
    if req.production
        && fleet.policy.identity.require_verified
        && !Identity::parse(approver).verified()
    {
        return Err(Refusal::Identity {
            why: format!(
                "{approver} cannot approve a production plan: [policy] require_verified_identity = true and this identity is not verified (no Kubernetes or AWS principal answered for it)"
            ),
        });
    }
    if now > req.expires_at_ms {
        return Err(Refusal::RequestExpired {
            hash: req.hash,
            at: req.expires_at_ms,
        });
    }
    let approval = Approval {
        hash: req.hash.clone(),
        action: req.action,
        target: req.target,
        requester: req.requester,
        approver: approver.to_string(),
        approved_at_ms: now,
        expires_at_ms: now + expiry_ms(fleet),
    };
    store.put(APPROVALS, &req.hash, &to_doc(&approval))?;
    Ok(approval)
}

/// May `requester` run the plan with this hash? Yes with a valid approval by someone else;
/// otherwise why not, naming a stale approval of the same action when the plan changed.
pub fn check(
    store: &dyn SharedStore,
    hash: &str,
    requester: &str,
    now: Millis,
) -> Result<Approval, Refusal> {
    let Some(doc) = store.get(APPROVALS, hash)? else {
        return Err(
            changed_since(store, hash, requester)?.unwrap_or(Refusal::NotApproved {
                hash: hash.to_string(),
            }),
        );
    };
    let approval: Approval = from_doc(doc)?;
    if same_person(&approval.approver, requester) {
        return Err(Refusal::SelfApproval {
            who: requester.to_string(),
            hash: hash.to_string(),
        });
    }
    if now > approval.expires_at_ms {
        return Err(Refusal::Expired {
            hash: hash.to_string(),
            approver: approval.approver,
            at: approval.expires_at_ms,
        });
    }
    Ok(approval)
}

/// May `requester` run `plan`? Like [`check`], but when it is not (validly) approved the
/// request is recorded (or renewed) for a second person, and the refusal says whether an
/// earlier plan of the same action was approved before the fleet moved.
pub fn check_plan(
    store: &dyn SharedStore,
    fleet: &Fleet,
    plan: &Plan,
    requester: &str,
    now: Millis,
) -> Result<Approval, Refusal> {
    let hash = plan_hash(plan);
    match check(store, &hash, requester, now) {
        Ok(a) => Ok(a),
        Err(first @ (Refusal::NotApproved { .. } | Refusal::Expired { .. })) => {
            request(store, fleet, plan, requester, now)?;
            match first {
                Refusal::NotApproved { .. } => {
                    Err(check(store, &hash, requester, now).err().unwrap_or(first))
                }
                expired => Err(expired),
            }
        }
        Err(other) => Err(other),
    }
}

/// An approval, still valid, of the same action and target that someone gave for another
/// plan: the fleet moved between approval and run.
fn changed_since(
    store: &dyn SharedStore,
    hash: &str,
    requester: &str,
) -> Result<Option<Refusal>, Refusal> {
    let Some(req) = store.get(REQUESTS, hash)? else {
        return Ok(None);
    };
    let req: ApprovalRequest = from_doc(req)?;
    let newest = store
        .list(APPROVALS)?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_value::<Approval>(v).ok())
        .filter(|a| {
            a.hash != hash
                && a.action == req.action
                && a.target == req.target
                && same_person(&a.requester, requester)
        })
        .max_by_key(|a| a.approved_at_ms);
    Ok(newest.map(|a| Refusal::PlanChanged {
        approved: a.hash,
        hash: hash.to_string(),
    }))
}

/// A line for a plan shown before confirming (the dashboard's modal): whether a second
/// person must approve it and whether one has. Reads only; confirming records the request.
pub fn note(
    store: &dyn SharedStore,
    fleet: &Fleet,
    plan: &Plan,
    requester: &str,
    now: Millis,
) -> Option<String> {
    if !required(fleet, plan) {
        return None;
    }
    let hash = plan_hash(plan);
    Some(match check(store, &hash, requester, now) {
        Ok(a) => format!(
            "two-person approval: plan {} approved by {} until {}",
            short(&hash),
            a.approver,
            rfc3339(a.expires_at_ms)
        ),
        Err(r) => format!(
            "two-person approval: plan {} is not approved ({r}); confirming records the request",
            short(&hash)
        ),
    })
}

/// Spent: an approval is used once, so a second run needs a second approval.
pub fn consume(store: &dyn SharedStore, hash: &str) -> Result<(), Refusal> {
    store.remove(APPROVALS, hash)?;
    store.remove(REQUESTS, hash)?;
    Ok(())
}

/// Requests not yet approved and not expired, oldest first.
pub fn pending(store: &dyn SharedStore, now: Millis) -> Result<Vec<ApprovalRequest>, Refusal> {
    let mut out: Vec<ApprovalRequest> = store
        .list(REQUESTS)?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_value::<ApprovalRequest>(v).ok())
        .filter(|r| r.expires_at_ms >= now)
        .filter(|r| matches!(store.get(APPROVALS, &r.hash), Ok(None)))
        .collect();
    out.sort_by_key(|r| r.requested_at_ms);
    Ok(out)
}

#[cfg(test)]
mod tests;
