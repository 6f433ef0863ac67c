//! The Argo CD controller stand-ins end to end, driven the way meridian drives Argo CD: a
//! sync or rollback written as `operation` with a merge patch, pushes to Git, and an
//! ApplicationSet that owns the apps.

use serde_json::{Value, json};

use super::{ok, with_kubectl};
use crate::support::kube::KubeStandin;
use crate::support::kube_seed::AppSeed;

fn phase(app: &Value) -> &str {
    app["status"]["operationState"]["phase"]
        .as_str()
        .unwrap_or("")
}

fn history_revisions(app: &Value) -> Vec<String> {
    let h = app["status"]["history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    h.iter()
        .filter_map(|e| e["revision"].as_str().map(String::from))
        .collect()
}

fn operate(k: &KubeStandin, app: &str, op: Value) {
    let path = format!("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/{app}");
    let (code, v) = k.api(
        "us-east-1",
        "PATCH",
        &path,
        Some(&json!({ "operation": op })),
        "application/merge-patch+json",
    );
    assert_eq!(code, 200, "{v}");
}

#[test]
fn a_sync_runs_end_to_end() {
    let Some((k, kc)) = with_kubectl(&[]) else {
        return;
    };
    let seed = AppSeed {
        history: &["1111111"],
        head: Some("2222222"),
        ..AppSeed::new("checkout")
    };
    k.seed_app("us-east-1", &seed);
    let before = k.wait_app("us-east-1", "checkout", |a| {
        a["status"]["sync"]["status"] == "OutOfSync"
    });
    assert_eq!(
        before["status"]["sync"]["revision"], "2222222",
        "sync.revision is the branch head"
    );
    let op = r#"{"operation":{"sync":{"revision":""},"initiatedBy":{"username":"meridian"}}}"#;
    ok(&k.kubectl(
        &kc,
        "us-east-1",
        &[
            "patch", "-n", "argocd", "app", "checkout", "--type", "merge", "-p", op,
        ],
    ));
    let done = k.wait_app("us-east-1", "checkout", |a| {
        phase(a) == "Succeeded" && a["status"]["health"]["status"] == "Healthy"
    });
    assert_eq!(history_revisions(&done), ["1111111", "2222222"]);
    assert_eq!(done["status"]["history"][1]["id"], 1);
    assert_eq!(
        done["status"]["history"][1]["initiatedBy"]["username"],
        "meridian"
    );
    assert_eq!(done["status"]["sync"]["status"], "Synced");
    assert_eq!(
        done["status"]["operationState"]["syncResult"]["revision"],
        "2222222"
    );
    assert!(
        done.get("operation").is_none(),
        "operation is cleared when done: {done}"
    );
}

#[test]
fn a_rollback_deploys_an_old_revision_and_leaves_the_app_out_of_sync() {
    let Some(k) = crate::support::kube::start(&["us-east-1"], &[]) else {
        return;
    };
    k.seed_app(
        "us-east-1",
        &AppSeed {
            history: &["aaaaaaa", "bbbbbbb"],
            ..AppSeed::new("checkout")
        },
    );
    let app = k.wait_app("us-east-1", "checkout", |a| {
        a["status"]["sync"]["status"] == "Synced"
    });
    let old = app["status"]["history"][0].clone();
    // What `argocd app rollback` writes: the history entry's revision and source, apply strategy.
    operate(
        &k,
        "checkout",
        json!({
            "sync": {"revision": old["revision"], "source": old["source"], "syncStrategy": {"apply": {}}},
            "initiatedBy": {"username": "meridian"},
        }),
    );
    let done = k.wait_app("us-east-1", "checkout", |a| {
        phase(a) == "Succeeded" && history_revisions(a).len() == 3
    });
    assert_eq!(history_revisions(&done), ["aaaaaaa", "bbbbbbb", "aaaaaaa"]);
    assert_eq!(
        done["status"]["sync"]["status"], "OutOfSync",
        "Git still says bbbbbbb"
    );
}

#[test]
fn failing_and_hanging_operations() {
    let Some(k) = crate::support::kube::start(&["us-east-1"], &[]) else {
        return;
    };
    for name in ["fails", "hangs"] {
        k.seed_app(
            "us-east-1",
            &AppSeed {
                history: &["1111111"],
                head: Some("2222222"),
                ..AppSeed::new(name)
            },
        );
    }
    k.next_operation("us-east-1", "fails", "fail");
    k.next_operation("us-east-1", "hangs", "hang");
    operate(&k, "hangs", json!({"sync": {"revision": "2222222"}}));
    k.wait_app("us-east-1", "hangs", |a| phase(a) == "Running");
    operate(&k, "fails", json!({"sync": {"revision": "2222222"}}));
    let failed = k.wait_app("us-east-1", "fails", |a| phase(a) == "Failed");
    assert_eq!(
        history_revisions(&failed),
        ["1111111"],
        "a failed sync adds no history"
    );
    assert!(failed.get("operation").is_none());
    // The hanging one is still Running after the other finished; a second operation is ignored.
    operate(&k, "hangs", json!({"sync": {"revision": "3333333"}}));
    let hanging = k.app("us-east-1", "hangs").unwrap_or_default();
    assert_eq!(phase(&hanging), "Running", "{hanging}");
    assert_eq!(
        hanging["status"]["operationState"]["operation"]["sync"]["revision"],
        "2222222"
    );
    // Terminating (what `argocd app terminate-op` writes) ends it.
    let path = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/hangs";
    let term = json!({"status": {"operationState": {"phase": "Terminating"}}});
    let (code, v) = k.api(
        "us-east-1",
        "PATCH",
        path,
        Some(&term),
        "application/merge-patch+json",
    );
    assert_eq!(code, 200, "{v}");
    let ended = k.wait_app("us-east-1", "hangs", |a| phase(a) == "Failed");
    assert_eq!(
        ended["status"]["operationState"]["message"],
        "Operation terminated"
    );
    assert_eq!(history_revisions(&ended), ["1111111"]);
    assert!(
        ended.get("operation").is_none(),
        "the ignored operation is dropped too"
    );
}

#[test]
fn auto_sync_follows_a_push_to_git() {
    let Some(k) = crate::support::kube::start(&["us-east-1"], &[]) else {
        return;
    };
    k.seed_app(
        "us-east-1",
        &AppSeed {
            history: &["1111111"],
            auto_sync: true,
            ..AppSeed::new("checkout")
        },
    );
    k.wait_app("us-east-1", "checkout", |a| {
        a["status"]["sync"]["status"] == "Synced"
    });
    k.push("us-east-1", "checkout", "2222222");
    let synced = k.wait_app("us-east-1", "checkout", |a| {
        history_revisions(a).len() == 2 && phase(a) == "Succeeded"
    });
    assert_eq!(synced["status"]["history"][1]["revision"], "2222222");
    assert_eq!(
        synced["status"]["history"][1]["initiatedBy"]["automated"],
        true
    );
    // A failed automated attempt is not retried for the same revision.
    k.next_operation("us-east-1", "checkout", "fail");
    k.push("us-east-1", "checkout", "3333333");
    let failed = k.wait_app("us-east-1", "checkout", |a| {
        phase(a) == "Failed" && !a["status"]["conditions"].is_null()
    });
    let cond = &failed["status"]["conditions"][0];
    assert_eq!(cond["type"], "SyncError", "{failed}");
    assert!(
        cond["message"].as_str().unwrap_or("").contains("3333333"),
        "{cond}"
    );
    assert!(
        failed.get("operation").is_none(),
        "no retry of a failed revision: {failed}"
    );
}

#[test]
fn an_applicationset_puts_back_a_hand_edited_sync_policy() {
    let Some(k) = crate::support::kube::start(&["us-east-1"], &[]) else {
        return;
    };
    k.seed_region_appset(
        "us-east-1",
        "checkout",
        &["us-east-1", "eu-west-1"],
        true,
        json!({}),
    );
    let app = k.wait_app("us-east-1", "checkout-eu-west-1", |a| !a.is_null());
    assert_eq!(
        app["metadata"]["ownerReferences"][0]["kind"],
        "ApplicationSet"
    );
    let path = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/checkout-eu-west-1";
    let pause = json!({"spec": {"syncPolicy": {"automated": null}}});
    let (code, v) = k.api(
        "us-east-1",
        "PATCH",
        path,
        Some(&pause),
        "application/merge-patch+json",
    );
    assert_eq!(code, 200, "{v}");
    let back = k.wait_app("us-east-1", "checkout-eu-west-1", |a| {
        !a["spec"]["syncPolicy"]["automated"].is_null()
    });
    assert_eq!(back["spec"]["syncPolicy"]["automated"]["prune"], true);
}

#[test]
fn ignore_differences_or_create_only_keep_the_edit() {
    let Some(k) = crate::support::kube::start(&["us-east-1"], &[]) else {
        return;
    };
    let ignore = json!({"ignoreApplicationDifferences": [{"jsonPointers": ["/spec/syncPolicy"]}]});
    k.seed_region_appset("us-east-1", "ignored", &["us-east-1"], true, ignore);
    let create_only = json!({"syncPolicy": {"applicationsSync": "create-only"}});
    k.seed_region_appset("us-east-1", "created", &["us-east-1"], true, create_only);
    let pause = json!({"spec": {"syncPolicy": {"automated": null}}});
    for app in ["ignored-us-east-1", "created-us-east-1"] {
        k.wait_app("us-east-1", app, |a| !a.is_null());
        let path = format!("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/{app}");
        let (code, v) = k.api(
            "us-east-1",
            "PATCH",
            &path,
            Some(&pause),
            "application/merge-patch+json",
        );
        assert_eq!(code, 200, "{v}");
    }
    // A new element makes both sets reconcile; once its app exists, the edits must still stand.
    for set in ["ignored", "created"] {
        let path = format!("/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets/{set}");
        let more = json!([{"op": "add", "path": "/spec/generators/0/list/elements/-", "value": {"region": "eu-west-1"}}]);
        let (code, v) = k.api(
            "us-east-1",
            "PATCH",
            &path,
            Some(&more),
            "application/json-patch+json",
        );
        assert_eq!(code, 200, "{v}");
        k.wait_app("us-east-1", &format!("{set}-eu-west-1"), |a| !a.is_null());
        let kept = k
            .app("us-east-1", &format!("{set}-us-east-1"))
            .unwrap_or_default();
        assert!(
            kept["spec"]["syncPolicy"]["automated"].is_null(),
            "{set}: {kept}"
        );
    }
}
