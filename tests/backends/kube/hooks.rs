//! What a sync's hooks did, against the Argo CD controller stand-in running a PreSync hook
//! Job per Application annotation (seed 003's migration): a failed hook stops the sync
//! before anything is applied, `sync` says which hook and why, `status --json` carries the
//! hooks, and `wait synced` stops at once instead of waiting out its timeout.

use serde_json::Value;

use super::{Env, Opts, REVS, text};
use crate::support::kube_seed::AppSeed;

const APPS: &str = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications";
const HOOK: &str = "standin.meridian.dev/presync-hook";

fn cell(status: &Value, region: &str) -> Value {
    status["tenants"][0]["regions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["region"] == region).cloned())
        .unwrap_or(Value::Null)
}

#[test]
fn a_failed_presync_hook_stops_the_sync_and_is_shown_and_waited_for_no_longer() {
    let Some(env) = Env::start(Opts {
        gitops: "sync_timeout = \"10s\"",
        ..Opts::default()
    }) else {
        return;
    };
    let seed = AppSeed {
        history: &REVS[..2],
        head: Some(REVS[2]),
        ..AppSeed::new("checkout-us-east-1")
    };
    let mut app = seed.to_json();
    app["metadata"]["annotations"][HOOK] =
        "migrate:fail:Job has reached the specified backoff limit".into();
    env.k.create("us-east-1", APPS, &app);
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
        "CHG-31",
    ];
    let out = env.run(&sync);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(
            "PreSync Job migrate failed: Job has reached the specified backoff limit; the new revision was not applied"
        ),
        "{}",
        text(&out)
    );
    let app = env
        .k
        .app("us-east-1", "checkout-us-east-1")
        .unwrap_or_default();
    let history = app["status"]["history"].as_array().map(Vec::len);
    assert_eq!(history, Some(2), "nothing was applied");
    let s = env.status();
    let c = cell(&s, "us-east-1");
    assert_eq!(c["sync"], "OutOfSync");
    assert_eq!(c["operation"]["phase"], "Failed");
    assert_eq!(c["operation"]["hooks"][0]["hook_type"], "PreSync");
    assert_eq!(c["operation"]["hooks"][0]["kind"], "Job");
    assert_eq!(c["operation"]["hooks"][0]["name"], "migrate");
    assert_eq!(c["operation"]["hooks"][0]["phase"], "Failed");
    assert_eq!(
        c["operation"]["hook_failure"],
        "PreSync Job migrate failed: Job has reached the specified backoff limit; the new revision was not applied"
    );
    let out = env.run(&[
        "wait",
        "synced",
        "checkout",
        "--region",
        "us-east-1",
        "--timeout",
        "10m",
        "--interval",
        "1s",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("stopped waiting for checkout"),
        "{}",
        text(&out)
    );
    // The migration fixed, the next sync runs the hook, succeeds and applies the revision.
    let fixed = serde_json::json!({"metadata": {"annotations": {HOOK: "migrate:succeed"}}});
    let path = format!("{APPS}/checkout-us-east-1");
    let (code, _) = env.k.api(
        "us-east-1",
        "PATCH",
        &path,
        Some(&fixed),
        "application/merge-patch+json",
    );
    assert!((200..300).contains(&code), "PUT {code}");
    let out = env.run(&sync);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = env.status();
    let c = cell(&s, "us-east-1");
    assert_eq!(c["operation"]["hooks"][0]["phase"], "Succeeded");
    assert_eq!(c["operation"]["hook_failure"], Value::Null);
}
