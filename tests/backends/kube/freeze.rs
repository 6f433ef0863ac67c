//! A change freeze set on one machine refuses an action on another: two people, two state
//! directories, the freeze a ConfigMap next to the fleet's Lease on the Kubernetes stand-in.
//! The executor reads it just before it acts, so there is no window in which the second
//! machine has not seen it yet.

use serde_json::Value;

use super::shared::{env, run_as};
use super::text;

#[test]
fn a_freeze_from_one_state_directory_refuses_an_action_from_another() {
    let Some(env) = env() else {
        return;
    };
    let alice_state = env.dir.path().join("alice-state");
    let bob_state = env.dir.path().join("bob-state");
    let alice = |args: &[&str]| run_as(&env, "alice", &alice_state, args);
    let bob = |args: &[&str]| run_as(&env, "bob", &bob_state, args);

    let out = alice(&["freeze", "--reason", "INC-9 bridge", "--for", "1h"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Bob, on another machine, is refused at once, told who froze and why.
    let out = bob(&["drain", "eu-west-1", "--reason", "CHG-3", "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("BLOCK freeze"), "{said}");
    assert!(said.contains("frozen by alice@"), "{said}");
    assert!(said.contains("INC-9 bridge"), "{said}");
    let out = bob(&["rollout", "start", "release", "--reason", "CHG-3"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));

    let out = bob(&["status", "--json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    assert_eq!(doc["freeze"]["reason"], "INC-9 bridge", "{}", doc["freeze"]);

    // Bob lifts it (audited in his log); alice's next plan no longer meets it.
    let out = bob(&["unfreeze", "--reason", "INC-9 over"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = alice(&["drain", "eu-west-1", "--reason", "CHG-3", "--dry-run"]);
    assert!(text(&out).contains("pass  freeze"), "{}", text(&out));
}
