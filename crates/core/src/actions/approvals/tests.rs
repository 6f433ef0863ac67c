//! Approvals against a real directory store: who may approve, expiry, a changed plan.

use super::*;
use crate::actions::testkit::*;
use crate::actions::{Action, Request, plan as make_plan};
use meridian_model::fleet::{ApprovalRule, Fleet};
use meridian_providers::store::DirStore;

const MIN: Millis = 60_000;

fn two_person_drains() -> Fleet {
    let mut f = fleet();
    f.policy.approvals.rules.push(ApprovalRule {
        action: "drain".into(),
        environment: None,
        approval: ApprovalKind::TwoPerson,
    });
    f
}

fn drain_plan(f: &Fleet, eu_weight: u32) -> Plan {
    let mut s = state(f);
    set_weight(&mut s, "eu-west-1", eu_weight);
    let req = Request::new(Action::Drain {
        region: "eu-west-1".into(),
    });
    make_plan(&req, f, &s, NOW).unwrap()
}

#[test]
fn a_second_person_approves_within_the_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(dir.path());
    let f = two_person_drains();
    let p = drain_plan(&f, 30);
    assert!(required(&f, &p));
    let hash = plan_hash(&p);
    let asked = request(&store, &f, &p, "ana@a", NOW).unwrap();
    assert_eq!(asked.hash, hash);

    assert!(matches!(
        check(&store, &hash, "ana@a", NOW),
        Err(Refusal::NotApproved { .. })
    ));
    assert!(matches!(
        approve(&store, &f, short(&hash), "ana@a", NOW),
        Err(Refusal::SelfApproval { .. })
    ));
    let ok = approve(&store, &f, short(&hash), "ben@b", NOW + MIN).unwrap();
    assert_eq!(ok.approver, "ben@b");
    assert_eq!(
        check(&store, &hash, "ana@a", NOW + 2 * MIN).unwrap().hash,
        hash
    );
    // The approver cannot then run it as if approved by someone else.
    assert!(matches!(
        check(&store, &hash, "ben@b", NOW + 2 * MIN),
        Err(Refusal::SelfApproval { .. })
    ));
    assert!(matches!(
        check(&store, &hash, "ana@a", NOW + 17 * MIN),
        Err(Refusal::Expired { .. })
    ));
}

#[test]
fn a_request_cannot_be_approved_after_it_expired() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(dir.path());
    let f = two_person_drains();
    let p = drain_plan(&f, 30);
    request(&store, &f, &p, "ana@a", NOW).unwrap();
    let r = approve(&store, &f, &plan_hash(&p), "ben@b", NOW + 16 * MIN);
    assert!(matches!(r, Err(Refusal::RequestExpired { .. })), "{r:?}");
}

#[test]
fn a_plan_that_changed_since_its_approval_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(dir.path());
    let f = two_person_drains();
    let before = drain_plan(&f, 30);
    request(&store, &f, &before, "ana@a", NOW).unwrap();
    approve(&store, &f, &plan_hash(&before), "ben@b", NOW).unwrap();

    // Someone moved eu-west-1's weight: the drain now changes 20 -> 0, not 30 -> 0.
    let after = drain_plan(&f, 20);
    assert_ne!(plan_hash(&before), plan_hash(&after));
    request(&store, &f, &after, "ana@a", NOW + MIN).unwrap();
    let r = check(&store, &plan_hash(&after), "ana@a", NOW + MIN);
    assert!(matches!(r, Err(Refusal::PlanChanged { .. })), "{r:?}");
    assert!(r.unwrap_err().to_string().contains("meridian approve"));
}

#[test]
fn the_hash_ignores_guard_wording_and_keeps_the_change() {
    let f = two_person_drains();
    let a = drain_plan(&f, 30);
    let mut b = a.clone();
    for c in &mut b.checks {
        c.reason.push_str(" (a second later)");
    }
    b.notes.push("served from the simulator".into());
    assert_eq!(plan_hash(&a), plan_hash(&b));
    assert_eq!(plan_hash(&a).len(), 64);
    assert!(canonical(&a).contains("\"changes\""));
}

#[test]
fn short_and_bad_hashes_are_refused_with_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(dir.path());
    let f = two_person_drains();
    for given in ["abc", "../../etc", "zzzzzzzzzzzz", "0123456789ab"] {
        let r = approve(&store, &f, given, "ben@b", NOW);
        assert!(matches!(r, Err(Refusal::Unknown { .. })), "{given}: {r:?}");
    }
}

#[test]
fn the_modal_note_says_whether_a_second_person_approved() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(dir.path());
    let f = two_person_drains();
    let p = drain_plan(&f, 30);
    let before = note(&store, &f, &p, "ana@a", NOW).unwrap();
    assert!(before.contains("is not approved"), "{before}");
    assert!(
        store.list(REQUESTS).unwrap().is_empty(),
        "a note records nothing"
    );
    request(&store, &f, &p, "ana@a", NOW).unwrap();
    approve(&store, &f, &plan_hash(&p), "ben@b", NOW).unwrap();
    let after = note(&store, &f, &p, "ana@a", NOW).unwrap();
    assert!(after.contains("approved by ben@b"), "{after}");
    assert_eq!(note(&store, &fleet(), &p, "ana@a", NOW), None);
}

/// `require_verified_identity`: in production only a verified second person approves; an
/// OS user alone is refused, and without the policy (or outside production) accepted.
#[test]
fn a_production_approval_by_an_unverified_identity_is_refused_when_the_policy_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(dir.path());
    let mut f = two_person_drains();
    f.policy.identity.require_verified = true;
    let p = drain_plan(&f, 30);
    let mut asked = request(&store, &f, &p, "kube:ana (on ana@a)", NOW).unwrap();
    asked.production = true;
    store.put(REQUESTS, &asked.hash, &to_doc(&asked)).unwrap();

    let refused = approve(&store, &f, short(&asked.hash), "ben@b (unverified)", NOW);
    assert!(
        matches!(&refused, Err(Refusal::Identity { why }) if why.contains("require_verified_identity")),
        "{refused:?}"
    );
    let ok = approve(&store, &f, short(&asked.hash), "kube:ben (on ben@b)", NOW).unwrap();
    assert_eq!(ok.approver, "kube:ben (on ben@b)");

    // Not production: the policy does not apply.
    asked.production = false;
    store.put(REQUESTS, &asked.hash, &to_doc(&asked)).unwrap();
    assert!(approve(&store, &f, short(&asked.hash), "ben@b (unverified)", NOW).is_ok());
    // Production without the policy: the OS user is still the fallback.
    f.policy.identity.require_verified = false;
    asked.production = true;
    store.put(REQUESTS, &asked.hash, &to_doc(&asked)).unwrap();
    assert!(approve(&store, &f, short(&asked.hash), "ben@b (unverified)", NOW).is_ok());
}
