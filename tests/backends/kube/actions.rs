//! Rollback, sync and resume-auto-sync against the Argo CD controller stand-ins: auto-sync
//! paused and kept, an ApplicationSet that would undo the rollback, and operations that
//! fail, hang or are already running.

use serde_json::{Value, json};

use super::{CHECKOUT, Env, Opts, REVS, text};
use crate::support::kube_seed::AppSeed;

fn last_revision(app: &Value) -> String {
    app["status"]["history"]
        .as_array()
        .and_then(|h| h.last())
        .and_then(|e| e["revision"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn rollback_of_an_auto_synced_app_pauses_it_rolls_back_verifies_and_resumes() {
    let Some(env) = Env::start(Opts::default()) else {
        return;
    };
    let seed = AppSeed {
        history: &REVS,
        auto_sync: true,
        ..AppSeed::new("checkout-us-east-1")
    };
    env.k.seed_app("us-east-1", &seed);
    let out = env.run(&[
        "rollback",
        "checkout",
        "--region",
        "us-east-1",
        "--yes",
        "--reason",
        "CHG-1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("auto-sync: on -> paused"), "{err}");
    assert!(err.contains("WARN  hooks-skipped"), "{err}");
    assert!(err.contains("pausing auto-sync"), "{err}");
    let app = env
        .k
        .app("us-east-1", "checkout-us-east-1")
        .unwrap_or_default();
    assert!(
        app["spec"]["syncPolicy"]["automated"].is_null(),
        "auto-sync paused: {app}"
    );
    let kept: Value = serde_json::from_str(
        app["metadata"]["annotations"]["meridian.dev/paused-auto-sync"]
            .as_str()
            .unwrap_or("{}"),
    )
    .unwrap_or_default();
    assert_eq!(
        kept["automated"],
        json!({"prune": true, "selfHeal": true}),
        "{kept}"
    );
    assert_eq!(kept["reason"], "CHG-1");
    assert_eq!(last_revision(&app), REVS[1]);
    let op = &app["status"]["operationState"]["operation"];
    assert!(
        op["initiatedBy"]["username"]
            .as_str()
            .is_some_and(|u| u.ends_with("(meridian)")),
        "{op}"
    );
    assert!(
        op["sync"]["syncStrategy"]["apply"].is_object(),
        "apply strategy: {op}"
    );
    assert_eq!(
        op["sync"]["source"]["path"], "apps/checkout",
        "the history entry's source: {op}"
    );
    let audit = env.audit();
    let done = audit.last().cloned().unwrap_or_default();
    assert_eq!(done["outcome"], "succeeded", "{done}");
    assert_eq!(
        (
            done["before"]["history_id"].as_u64(),
            done["after"]["history_id"].as_u64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(done["after"]["auto_sync"], false);

    // Resuming says it undoes the rollback, puts the kept block back, and Argo CD then
    // deploys the branch head.
    let dry = env.run(&[
        "resume-auto-sync",
        "checkout",
        "--region",
        "us-east-1",
        "--dry-run",
        "--reason",
        "CHG-2",
    ]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(
        stderr(&dry).contains("undoes the rollback"),
        "{}",
        stderr(&dry)
    );
    assert!(
        stderr(&dry).contains("3333333 (branch head, by auto-sync)"),
        "{}",
        stderr(&dry)
    );
    let out = env.run(&[
        "resume-auto-sync",
        "checkout",
        "--region",
        "us-east-1",
        "--yes",
        "--reason",
        "CHG-2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let app = env.k.wait_app("us-east-1", "checkout-us-east-1", |a| {
        last_revision(a) == REVS[2]
    });
    assert_eq!(
        app["spec"]["syncPolicy"]["automated"],
        json!({"prune": true, "selfHeal": true})
    );
    assert!(
        app["metadata"]["annotations"]["meridian.dev/paused-auto-sync"].is_null(),
        "{app}"
    );
}

#[test]
fn rollback_of_an_applicationset_app_is_blocked_with_the_fix_unless_it_ignores_sync_policy() {
    let tenants = r#"
[[tenants]]
id = "platform"
environment = "stg"
regions = ["us-east-1"]
applicationset = "platform"
[[tenants]]
id = "search"
environment = "stg"
regions = ["us-east-1"]
applicationset = "search"
"#;
    let Some(env) = Env::start(Opts {
        tenants,
        ..Opts::default()
    }) else {
        return;
    };
    env.k
        .seed_region_appset("us-east-1", "platform", &["us-east-1"], true, json!({}));
    let ignore = json!({"ignoreApplicationDifferences": [{"jsonPointers": ["/spec/syncPolicy"]}]});
    env.k
        .seed_region_appset("us-east-1", "search", &["us-east-1"], true, ignore);
    for app in ["platform-us-east-1", "search-us-east-1"] {
        env.k.wait_app("us-east-1", app, |a| {
            a["status"]["history"]
                .as_array()
                .is_some_and(|h| h.len() == 1)
        });
        env.k.push("us-east-1", app, REVS[0]);
        env.k
            .wait_app("us-east-1", app, |a| last_revision(a) == REVS[0]);
    }
    let out = env.run(&["rollback", "platform", "--region", "us-east-1", "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("BLOCK applicationset-reverts"), "{err}");
    assert!(err.contains("ApplicationSet platform"), "{err}");
    assert!(
        err.contains("ignoreApplicationDifferences"),
        "the fix is named: {err}"
    );
    let out = env.run(&["rollback", "search", "--region", "us-east-1", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let app = env
        .k
        .app("us-east-1", "search-us-east-1")
        .unwrap_or_default();
    assert!(
        app["spec"]["syncPolicy"]["automated"].is_null(),
        "auto-sync stays paused: {app}"
    );
    assert_ne!(last_revision(&app), REVS[0], "rolled back");
}

#[test]
fn syncs_that_fail_hang_or_meet_a_running_operation_are_reported() {
    let Some(env) = Env::start(Opts {
        gitops: "sync_timeout = \"2s\"",
        tenants: CHECKOUT,
        ..Opts::default()
    }) else {
        return;
    };
    let seed = AppSeed {
        history: &REVS[..2],
        head: Some(REVS[2]),
        ..AppSeed::new("checkout-us-east-1")
    };
    env.k.seed_app("us-east-1", &seed);
    env.k.wait_app("us-east-1", "checkout-us-east-1", |a| {
        a["status"]["sync"]["status"] == "OutOfSync"
    });
    let sync = [
        "sync",
        "checkout",
        "--region",
        "us-east-1",
        "--yes",
        "--reason",
        "CHG-3",
    ];

    env.k
        .next_operation("us-east-1", "checkout-us-east-1", "fail");
    let out = env.run(&sync);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("the operation ended Failed"),
        "{}",
        text(&out)
    );

    let out = env.run(&sync);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stderr(&out).contains("-> 3333333"), "{}", stderr(&out));
    let app = env
        .k
        .app("us-east-1", "checkout-us-east-1")
        .unwrap_or_default();
    assert_eq!(last_revision(&app), REVS[2]);

    env.k.push(
        "us-east-1",
        "checkout-us-east-1",
        "4444444dddddddddddddddddddddddddddddddd",
    );
    env.k
        .next_operation("us-east-1", "checkout-us-east-1", "hang");
    let out = env.run(&sync);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("did not finish within 2s"),
        "{}",
        text(&out)
    );

    let out = env.run(&sync);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("BLOCK operation-in-progress"),
        "{}",
        stderr(&out)
    );
    let outcomes: Vec<String> = env
        .audit()
        .iter()
        .filter(|r| r["outcome"] != "started")
        .filter_map(|r| r["outcome"].as_str().map(str::to_string))
        .collect();
    assert_eq!(outcomes, ["failed", "succeeded", "failed", "refused"]);
}

#[test]
fn a_write_refused_as_a_conflict_is_re_read_and_re_planned_not_blindly_retried() {
    let Some(env) = Env::start(Opts::default()) else {
        return;
    };
    let seed = AppSeed {
        history: &REVS,
        ..AppSeed::new("checkout-us-east-1")
    };
    env.k.seed_app("us-east-1", &seed);
    // The next call on the app itself answers 409, as when a controller wrote it first.
    env.k.fault(
        "us-east-1",
        json!({"mode": "status", "code": 409, "match": "applications/checkout-us-east-1", "count": 1}),
    );
    let out = env.run(&[
        "rollback",
        "checkout",
        "--region",
        "us-east-1",
        "--yes",
        "--reason",
        "CHG-4",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("409 Conflict") && err.contains("re-reading and re-planning"),
        "{err}"
    );
    assert!(
        err.contains("the same change as confirmed: going ahead"),
        "{err}"
    );
    let app = env
        .k
        .app("us-east-1", "checkout-us-east-1")
        .unwrap_or_default();
    assert_eq!(last_revision(&app), REVS[1]);
}
