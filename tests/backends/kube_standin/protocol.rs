//! What kubectl does not show: watch history and 410, resourceVersion-guarded patches, Status
//! errors, discovery forms, the token, and the fault controls.

use serde_json::{Value, json};

use super::{fails, ok, with_kubectl};
use crate::support::kube::{self, TOKEN, request};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": name}})
}

fn lines(body: &str) -> Vec<Value> {
    body.lines().map(super::json).collect()
}

#[test]
fn expired_watch_gets_an_error_event_with_410() {
    let Some(k) = kube::start(&["c"], &["--history", "5"]) else {
        return;
    };
    let first = k.create("c", CMS, &cm("first"));
    for i in 0..8 {
        k.create("c", CMS, &cm(&format!("more-{i}")));
    }
    let rv = first["metadata"]["resourceVersion"].as_str().unwrap_or("1");
    let path =
        format!("{CMS}?watch=true&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=5");
    // Like a real server: the watch starts (200), then one ERROR event carries the 410.
    let auth = format!("Bearer {TOKEN}");
    let (code, raw) =
        request(k.port("c"), "GET", &path, &[("Authorization", &auth)], b"").expect("watch");
    assert_eq!(code, 200);
    let events = lines(&raw);
    assert_eq!(events.len(), 1, "{raw}");
    assert_eq!(events[0]["type"], "ERROR");
    assert_eq!(events[0]["object"]["kind"], "Status");
    assert_eq!(events[0]["object"]["code"], 410);
    assert_eq!(events[0]["object"]["reason"], "Expired");
}

#[test]
fn streaming_list_watch_ends_initial_events_with_a_bookmark() {
    let Some(k) = kube::start(&["c"], &[]) else {
        return;
    };
    for name in ["a", "b"] {
        k.create("c", CMS, &cm(name));
    }
    let auth = format!("Bearer {TOKEN}");
    let path = format!(
        "{CMS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"
    );
    let (code, raw) =
        request(k.port("c"), "GET", &path, &[("Authorization", &auth)], b"").expect("watch");
    assert_eq!(code, 200);
    let events = lines(&raw);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(&kinds[..3], ["ADDED", "ADDED", "BOOKMARK"], "{raw}");
    assert_eq!(
        events[2]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    for e in &events {
        assert!(
            e["object"]["metadata"]["resourceVersion"].is_string(),
            "{e}"
        );
    }
}

#[test]
fn merge_patch_with_a_stale_resource_version_is_refused() {
    let Some(k) = kube::start(&["c"], &[]) else {
        return;
    };
    let made = k.create("c", CMS, &cm("guarded"));
    let rv = made["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let path = format!("{CMS}/guarded");
    let merge = "application/merge-patch+json";
    let patch = |v: &str, rv: &str| json!({"metadata": {"resourceVersion": rv}, "data": {"k": v}});
    let (code, now) = k.api("c", "PATCH", &path, Some(&patch("second", &rv)), merge);
    assert_eq!(code, 200, "{now}");
    let (code, status) = k.api("c", "PATCH", &path, Some(&patch("third", &rv)), merge);
    assert_eq!(code, 409, "{status}");
    assert_eq!(
        (status["kind"].as_str(), status["reason"].as_str()),
        (Some("Status"), Some("Conflict"))
    );
    assert_eq!(k.get("c", &path).unwrap_or_default()["data"]["k"], "second");
    let (code, missing) = k.api("c", "GET", &format!("{CMS}/nope"), None, "application/json");
    assert_eq!(code, 404);
    assert_eq!(missing["reason"], "NotFound");
    assert_eq!(missing["message"], r#"configmaps "nope" not found"#);
    assert_eq!(missing["details"]["name"], "nope");
}

#[test]
fn discovery_in_both_forms_and_no_status_subresource_for_applications() {
    let Some(k) = kube::start(&["c"], &[]) else {
        return;
    };
    let groups = k.get("c", "/apis").unwrap_or_default();
    assert_eq!(groups["kind"], "APIGroupList");
    let auth = format!("Bearer {TOKEN}");
    let accept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    let headers = [("Authorization", auth.as_str()), ("Accept", accept)];
    let (code, text) = request(k.port("c"), "GET", "/apis", &headers, b"").expect("aggregated");
    assert_eq!(code, 200);
    let agg = super::json(&text);
    assert_eq!(agg["kind"], "APIGroupDiscoveryList");
    let argo = agg["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["metadata"]["name"] == "argoproj.io");
    let resources = argo
        .map(|g| g["versions"][0]["resources"].clone())
        .unwrap_or_default();
    assert!(
        resources
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["resource"] == "applications" && r["scope"] == "Namespaced")
    );
    let argo_legacy = k.get("c", "/apis/argoproj.io/v1alpha1").unwrap_or_default();
    let names: Vec<&str> = argo_legacy["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(
        names.contains(&"applications") && names.contains(&"applicationsets/status"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"applications/status"),
        "Argo CD's Application CRD has no status subresource"
    );
    assert!(
        k.get("c", "/api/v1").unwrap_or_default()["resources"]
            .to_string()
            .contains("namespaces/status")
    );
}

#[test]
fn a_token_can_be_required() {
    let Some(k) = kube::start(&["c"], &["--token", TOKEN]) else {
        return;
    };
    let (code, _) = request(k.port("c"), "GET", "/api/v1/namespaces", &[], b"").expect("no token");
    assert_eq!(code, 401);
    assert!(
        k.get("c", "/api/v1/namespaces/default").is_some(),
        "the kubeconfig's token is accepted"
    );
}

#[test]
fn faults_error_blackhole_stop_and_resume() {
    let Some((k, kc)) = with_kubectl(&[]) else {
        return;
    };
    ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["create", "configmap", "kept", "--from-literal=a=1"],
    ));
    k.fault(
        "us-east-1",
        json!({"mode": "status", "code": 500, "match": "/configmaps"}),
    );
    let err = fails(&k.kubectl(&kc, "us-east-1", &["get", "configmap", "kept"]));
    assert!(err.contains("injected fault"), "{err}");
    ok(&k.kubectl(&kc, "us-east-1", &["get", "namespaces"]));
    k.fault("us-east-1", json!({"mode": "status", "code": 403}));
    let err = fails(&k.kubectl(&kc, "us-east-1", &["get", "namespaces"]));
    assert!(
        err.contains("Forbidden") || err.contains("forbidden"),
        "{err}"
    );
    k.fault("us-east-1", json!({"mode": "blackhole"}));
    let err = fails(&k.kubectl(
        &kc,
        "us-east-1",
        &["get", "configmap", "kept", "--request-timeout=1s"],
    ));
    assert!(
        err.contains("Timeout") || err.contains("deadline") || err.contains("timeout"),
        "{err}"
    );
    k.fault(
        "us-east-1",
        json!({"mode": "slow", "seconds": 0.2, "count": 1}),
    );
    ok(&k.kubectl(&kc, "us-east-1", &["get", "configmap", "kept"]));
    k.stop("us-east-1");
    let err = fails(&k.kubectl(&kc, "us-east-1", &["get", "configmap", "kept"]));
    assert!(err.contains("refused"), "{err}");
    k.resume("us-east-1");
    let data = ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["get", "configmap", "kept", "-o", "jsonpath={.data.a}"],
    ));
    assert_eq!(data, "1", "the store survives a stop");
}
