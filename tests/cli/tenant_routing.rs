//! Tenant routing through the real binary on the demo fleet (its `[tenant_routing]` is the
//! simulator's map): homes in `status`, `signups open|close`, `tenant move`, and what a
//! drain's plan says about the tenants homed in the region. Each test has its own state dir.

use serde_json::Value;

use crate::runbook::Sandbox;

/// What these tests read off the demo sandbox.
trait Routing {
    fn run(&self, args: &[&str]) -> (i32, String, String);

    /// Exit code and everything printed (the plan goes to stderr, the outcome to stdout).
    fn said(&self, args: &[&str]) -> (i32, String) {
        let (code, out, err) = self.run(args);
        (code, format!("{out}{err}"))
    }

    fn status(&self) -> Value {
        let (code, out, err) = self.run(&["status", "--json"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    }

    fn last_audit(&self) -> Value {
        let (code, out, err) = self.run(&["audit", "--json"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Vec<Value>>(&out)
            .unwrap()
            .last()
            .cloned()
            .unwrap()
    }
}

impl Routing for Sandbox {
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        Sandbox::run(self, args)
    }
}

fn region<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

fn tenant<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
}

#[test]
fn the_demo_tenants_have_homes_and_the_new_region_takes_no_sign_ups() {
    let sb = Sandbox::new();
    let s = sb.status();
    assert_eq!(s["tenant_routing"]["provider"], "sim");
    assert_eq!(s["tenant_routing"]["tenants"], 3);
    assert_eq!(s["tenant_routing"]["error"], Value::Null);
    for t in ["storefront-prd", "payments-prd", "search-stg"] {
        assert_eq!(tenant(&s, t)["home"], "us-east-1", "{t}");
        assert_eq!(tenant(&s, t)["home_problem"], Value::Null, "{t}");
    }
    assert_eq!(region(&s, "us-east-1")["tenants_homed"], 3);
    assert_eq!(region(&s, "eu-west-1")["tenants_homed"], 0);
    assert_eq!(region(&s, "eu-west-1")["signups"], true);
    assert_eq!(region(&s, "ap-south-1")["signups"], false);
    let (code, text, err) = sb.run(&["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains(
            "tenants homed, sign-ups: us-east-1 3 open · eu-west-1 0 open · ap-southeast-1 0 open"
        ),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("search-stg") && l.trim_end().ends_with("home")),
        "{text}"
    );
}

#[test]
fn closing_sign_ups_is_verified_audited_and_refused_for_the_last_open_region() {
    let sb = Sandbox::new();
    let (code, out) = sb.said(&["signups", "close", "eu-west-1", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("done and verified"), "{out}");
    assert!(out.contains("eu-west-1 sign-ups: open -> closed"), "{out}");
    assert!(out.contains("no tenant is homed in eu-west-1"), "{out}");
    let s = sb.status();
    assert_eq!(region(&s, "eu-west-1")["signups"], false);
    let a = sb.last_audit();
    assert_eq!(a["action"], "signups");
    assert_eq!(a["outcome"], "succeeded");
    // Nothing to change: refused, and said so.
    let (code, out) = sb.said(&["signups", "close", "eu-west-1", "--yes"]);
    assert_eq!(code, 3);
    assert!(out.contains("already closed"), "{out}");
    // Close all but one; the last one stays open.
    let (code, _, err) = sb.run(&["signups", "close", "us-east-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let (code, out) = sb.said(&["signups", "close", "ap-southeast-1", "--yes"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("last region taking sign-ups"), "{out}");
    // Phase 6 opens a region: it warns while later phases are not done.
    let (code, out) = sb.said(&["signups", "open", "ap-south-1", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ap-south-1 has phases not done"), "{out}");
    assert!(
        out.contains("the 3 tenant(s) homed elsewhere stay where they are"),
        "the demo's three tenants live in us-east-1: {out}"
    );
    assert_eq!(region(&sb.status(), "ap-south-1")["signups"], true);
}

#[test]
fn a_tenant_move_needs_a_reason_a_ready_app_and_moves_only_the_routing_entry() {
    let sb = Sandbox::new();
    let (code, out) = sb.said(&["tenant", "move", "search-stg", "--to", "eu-west-1", "--yes"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("a tenant move must say why"), "{out}");
    // Not where its app runs: blocked.
    let (code, out) = sb.said(&[
        "tenant",
        "move",
        "payments-prd",
        "--to",
        "eu-west-1",
        "--reason",
        "CS-1",
        "--yes",
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("payments-prd does not run in eu-west-1"),
        "{out}"
    );
    // A typo is named with a suggestion.
    let (code, _, err) = sb.run(&["tenant", "move", "search-st", "--to", "eu-west-1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("search-stg"), "{err}");
    let (code, out) = sb.said(&[
        "tenant",
        "move",
        "search-stg",
        "--to",
        "eu-west-1",
        "--reason",
        "CS-88",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("its data is NOT moved"), "{out}");
    assert!(
        out.contains("search-stg home: us-east-1 -> eu-west-1"),
        "{out}"
    );
    let s = sb.status();
    assert_eq!(tenant(&s, "search-stg")["home"], "eu-west-1");
    assert_eq!(region(&s, "eu-west-1")["tenants_homed"], 1);
    assert_eq!(region(&s, "us-east-1")["tenants_homed"], 2);
    let a = sb.last_audit();
    assert_eq!(a["action"], "tenant-move");
    assert_eq!(a["outcome"], "succeeded");
    assert_eq!(a["reason"], "CS-88");
}

#[test]
fn a_drain_warns_with_the_tenants_homed_there_and_offers_closing_sign_ups() {
    let sb = Sandbox::new();
    // Nobody lives in eu-west-1: the drain says nothing about homes.
    let (_, out) = sb.said(&["drain", "eu-west-1", "--dry-run"]);
    assert!(!out.contains("tenants-homed"), "{out}");
    let (code, _, err) = sb.run(&[
        "tenant",
        "move",
        "search-stg",
        "--to",
        "eu-west-1",
        "--reason",
        "CS-9",
        "--yes",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out) = sb.said(&["drain", "eu-west-1", "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "1 tenant is homed in eu-west-1 (search-stg): their requests keep going there"
        ),
        "{out}"
    );
    assert!(
        out.contains("next: `meridian signups close eu-west-1`"),
        "{out}"
    );
    // Once sign-ups are closed the drain no longer offers it.
    let (code, _, err) = sb.run(&["signups", "close", "eu-west-1", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let (_, out) = sb.said(&["drain", "eu-west-1", "--dry-run"]);
    assert!(out.contains("1 tenant is homed in eu-west-1"), "{out}");
    assert!(!out.contains("next: `meridian signups close"), "{out}");
}

#[test]
fn a_failed_hook_shows_in_status_and_flags_the_tenants_homed_there() {
    let sb = Sandbox::new();
    let (code, _, err) = sb.run(&["demo", "fault", "us-east-1", "hook"]);
    assert_eq!(code, 0, "{err}");
    let s = sb.status();
    let problem = tenant(&s, "search-stg")["home_problem"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        problem.contains("search-stg is homed in us-east-1, where its application is OutOfSync")
            && problem.contains("PreSync Job migrate failed"),
        "{problem}"
    );
    let cell = tenant(&s, "storefront-prd")["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["region"] == "us-east-1")
        .cloned()
        .unwrap();
    assert_eq!(cell["sync"], "OutOfSync");
    assert_eq!(cell["operation"]["phase"], "Failed");
    assert_eq!(cell["operation"]["hooks"][0]["hook_type"], "PreSync");
    assert_eq!(cell["operation"]["hooks"][0]["kind"], "Job");
    assert_eq!(cell["operation"]["hooks"][0]["name"], "migrate");
    assert_eq!(cell["operation"]["hooks"][0]["phase"], "Failed");
    assert_eq!(
        cell["operation"]["hook_failure"],
        "PreSync Job migrate failed: Job has reached the specified backoff limit; the new revision was not applied"
    );
    let (code, out) = sb.said(&["status", "--check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("search-stg is homed in us-east-1"), "{out}");
    // `wait synced` stops at once on the failed hook instead of waiting out its timeout.
    let (code, out) = sb.said(&[
        "wait",
        "synced",
        "storefront-prd",
        "--region",
        "us-east-1",
        "--timeout",
        "1h",
        "--interval",
        "1s",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("stopped waiting for storefront-prd Synced and Healthy in us-east-1")
            && out.contains("PreSync Job migrate failed"),
        "{out}"
    );
    // A person's sync fails the same way, and says so; the fault cleared, it succeeds.
    let (code, out) = sb.said(&[
        "sync",
        "storefront-prd",
        "--region",
        "us-east-1",
        "--reason",
        "CHG-1",
        "--yes",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("PreSync Job migrate failed"), "{out}");
    let (code, _, err) = sb.run(&["demo", "fault", "us-east-1", "clear"]);
    assert_eq!(code, 0, "{err}");
    // The failed sync stays the last word until a sync succeeds.
    let (code, out) = sb.said(&["status", "--check"]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = sb.said(&[
        "sync",
        "storefront-prd",
        "--region",
        "us-east-1",
        "--reason",
        "CHG-2",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = sb.said(&["status", "--check"]);
    assert_eq!(code, 0, "{out}");
}
