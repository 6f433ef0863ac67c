//! `meridian freeze` / `unfreeze` on the demo fleet through the real binary: every action
//! and rollout start is refused naming who froze, why and until when; status shows it;
//! an override in production needs a second person; unfreeze lifts it. Audited.

use super::rollout::Sandbox;

#[test]
fn a_freeze_refuses_actions_and_rollouts_until_lifted() {
    let s = Sandbox::new();
    let r = s.run(&["freeze"]);
    assert_eq!(r.code, 2, "a freeze needs a reason: {}", r.err);
    let r = s.run(&["freeze", "--reason", "x", "--until", "2001-01-01T00:00:00Z"]);
    assert_eq!(r.code, 2, "{}", r.err);
    let r = s.run(&["freeze", "--reason", "INC-9 bridge", "--for", "2h"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("frozen by alice@"), "{}", r.out);
    assert!(r.out.contains(" until 20"), "{}", r.out);

    let doc = s.json(&["status", "--json"]);
    let f = &doc["freeze"];
    assert!(f["by"].as_str().unwrap().starts_with("alice@"), "{f}");
    assert_eq!(f["reason"], "INC-9 bridge", "{f}");
    assert!(f["until"].is_i64(), "{f}");
    let r = s.run(&["status"]);
    assert!(r.out.contains("freeze: frozen by alice@"), "{}", r.out);
    let r = s.run(&["status", "--check"]);
    assert!(r.err.contains("note: frozen by alice@"), "{}", r.err);

    // Another person's action is refused by the freeze guard, saying who, why, until when.
    let r = s.run_as(
        "bo",
        "0s",
        &["drain", "ap-south-1", "--reason", "CHG-1", "--yes"],
    );
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    let said = format!("{}{}", r.out, r.err);
    assert!(said.contains("BLOCK freeze"), "{said}");
    assert!(said.contains("frozen by alice@"), "{said}");
    assert!(said.contains("INC-9 bridge"), "{said}");
    assert!(said.contains("until 20"), "{said}");
    let r = s.run_as(
        "bo",
        "0s",
        &["rollout", "start", "release", "--reason", "CHG-2"],
    );
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(
        r.err.contains("blocked by freeze: frozen by alice@"),
        "{}",
        r.err
    );

    // Overriding it in production takes a second person.
    let r = s.run_as(
        "bo",
        "0s",
        &[
            "drain",
            "us-east-1",
            "--reason",
            "INC-10",
            "--override",
            "freeze",
            "--yes",
        ],
    );
    assert_eq!(r.code, 3, "{}{}", r.out, r.err);
    let said = format!("{}{}", r.out, r.err);
    assert!(said.contains("approv"), "{said}");

    let r = s.run(&["unfreeze"]);
    assert_eq!(r.code, 2, "{}", r.err);
    let r = s.run_as("bo", "0s", &["unfreeze", "--reason", "INC-9 over"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("lifted the freeze alice@"), "{}", r.out);
    assert!(s.json(&["status", "--json"])["freeze"].is_null());
    let r = s.run_as(
        "bo",
        "0s",
        &["drain", "ap-south-1", "--reason", "CHG-1", "--dry-run"],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.err.contains("pass  freeze"), "{}{}", r.out, r.err);

    let r = s.run(&["audit"]);
    assert!(r.out.contains("unfreeze"), "{}", r.out);
    assert!(r.out.contains("freeze"), "{}", r.out);
}

#[test]
fn read_only_freezes_nothing() {
    let s = Sandbox::new();
    let r = s.run(&["--read-only", "freeze", "--reason", "x"]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("read-only"), "{}", r.err);
    assert!(s.json(&["status", "--json"])["freeze"].is_null());
}
