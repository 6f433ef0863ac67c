//! kubectl against the stand-in: get (tables, JSON, selectors), apply, patch in three forms,
//! watch, leases, AlreadyExists and Conflict.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::{fails, json, ok, with_kubectl};
use crate::support::kube_seed::AppSeed;

#[test]
fn get_lists_namespaces_and_applications_with_selectors() {
    let Some((k, kc)) = with_kubectl(&[]) else {
        return;
    };
    let ns = ok(&k.kubectl(&kc, "us-east-1", &["get", "namespaces"]));
    assert!(ns.contains("default") && ns.contains("argocd"), "{ns}");
    for (name, team) in [
        ("checkout-us-east-1", "payments"),
        ("search-us-east-1", "discovery"),
    ] {
        let labels = [("team", team), ("region", "us-east-1")];
        k.seed_app(
            "us-east-1",
            &AppSeed {
                history: &["a1b2c3d"],
                labels: &labels,
                ..AppSeed::new(name)
            },
        );
    }
    // The CRD's printer columns come back as a server-side Table.
    let table = ok(&k.kubectl(&kc, "us-east-1", &["get", "applications", "-n", "argocd"]));
    assert!(
        table.contains("SYNC STATUS") && table.contains("HEALTH STATUS"),
        "{table}"
    );
    let list = json(&ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["get", "apps", "-A", "-o", "json"],
    )));
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");
    let selected = ok(&k.kubectl(
        &kc,
        "us-east-1",
        &[
            "get",
            "apps",
            "-n",
            "argocd",
            "-l",
            "team in (payments),region=us-east-1",
            "-o",
            "name",
        ],
    ));
    assert_eq!(
        selected.trim(),
        "application.argoproj.io/checkout-us-east-1"
    );
    let none = ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["get", "apps", "-n", "argocd", "-l", "!team", "-o", "name"],
    ));
    assert_eq!(none.trim(), "");
    let by_field = ok(&k.kubectl(
        &kc,
        "us-east-1",
        &[
            "get",
            "apps",
            "-n",
            "argocd",
            "--field-selector",
            "metadata.name!=checkout-us-east-1",
            "-o",
            "name",
        ],
    ));
    assert_eq!(by_field.trim(), "application.argoproj.io/search-us-east-1");
}

#[test]
fn apply_creates_then_updates() {
    let Some((k, kc)) = with_kubectl(&[]) else {
        return;
    };
    let file = k.dir().join("app.json");
    let mut app = AppSeed::new("checkout-us-east-1").to_json();
    app.as_object_mut().map(|o| o.remove("status"));
    std::fs::write(&file, app.to_string()).expect("write manifest");
    let path = file.to_string_lossy().into_owned();
    let created = ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["apply", "--validate=false", "-f", &path],
    ));
    assert!(created.contains("created"), "{created}");
    app["spec"]["source"]["path"] = "apps/checkout-v2".into();
    std::fs::write(&file, app.to_string()).expect("write manifest");
    let updated = ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["apply", "--validate=false", "-f", &path],
    ));
    assert!(updated.contains("configured"), "{updated}");
    let live = k.app("us-east-1", "checkout-us-east-1").unwrap_or_default();
    assert_eq!(live["spec"]["source"]["path"], "apps/checkout-v2");
    let generation = live["metadata"]["generation"].as_i64().unwrap_or(0);
    assert!(generation >= 2, "a spec change bumps generation: {live}");
}

#[test]
fn patch_merge_json_and_strategic() {
    let Some((k, kc)) = with_kubectl(&[]) else {
        return;
    };
    k.seed_app(
        "us-east-1",
        &AppSeed {
            history: &["a1b2c3d"],
            ..AppSeed::new("checkout")
        },
    );
    let app = ["-n", "argocd", "app", "checkout"];
    let merge = [
        &["patch"][..],
        &app,
        &[
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"project":"payments"}}"#,
        ],
    ]
    .concat();
    ok(&k.kubectl(&kc, "us-east-1", &merge));
    let jp = r#"[{"op":"replace","path":"/spec/source/path","value":"apps/v2"},{"op":"test","path":"/spec/project","value":"payments"}]"#;
    ok(&k.kubectl(
        &kc,
        "us-east-1",
        &[&["patch"][..], &app, &["--type", "json", "-p", jp]].concat(),
    ));
    let live = k.app("us-east-1", "checkout").unwrap_or_default();
    assert_eq!(
        (
            live["spec"]["project"].as_str(),
            live["spec"]["source"]["path"].as_str()
        ),
        (Some("payments"), Some("apps/v2"))
    );
    // A failing json-patch test changes nothing; strategic merge is refused for custom resources.
    let bad = r#"[{"op":"test","path":"/spec/project","value":"nope"},{"op":"replace","path":"/spec/project","value":"x"}]"#;
    fails(&k.kubectl(
        &kc,
        "us-east-1",
        &[&["patch"][..], &app, &["--type", "json", "-p", bad]].concat(),
    ));
    let smp = [
        &["patch"][..],
        &app,
        &["--type", "strategic", "-p", r#"{"spec":{"project":"x"}}"#],
    ]
    .concat();
    let refused = fails(&k.kubectl(&kc, "us-east-1", &smp));
    assert!(
        refused.contains("application/strategic-merge-patch+json is not supported"),
        "{refused}"
    );
    assert_eq!(
        k.app("us-east-1", "checkout").unwrap_or_default()["spec"]["project"],
        "payments"
    );
    // Built-in types take strategic merge: finalizers merge as a set, data merges by key.
    ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["create", "configmap", "cfg", "--from-literal=a=1"],
    ));
    for p in [
        r#"{"data":{"b":"2"},"metadata":{"finalizers":["x.io/one"]}}"#,
        r#"{"metadata":{"finalizers":["x.io/two"]}}"#,
    ] {
        ok(&k.kubectl(
            &kc,
            "us-east-1",
            &["patch", "configmap", "cfg", "--type", "strategic", "-p", p],
        ));
    }
    let cm = json(&ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["get", "configmap", "cfg", "-o", "json"],
    )));
    assert_eq!(cm["data"], serde_json::json!({"a": "1", "b": "2"}));
    assert_eq!(
        cm["metadata"]["finalizers"],
        serde_json::json!(["x.io/one", "x.io/two"])
    );
}

#[test]
fn watch_sees_a_change_arrive() {
    let Some((k, kc)) = with_kubectl(&[]) else {
        return;
    };
    ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["create", "configmap", "watched", "--from-literal=a=1"],
    ));
    let mut child = Command::new(&kc)
        .env("KUBECONFIG", &k.kubeconfig)
        .env("HOME", k.dir())
        .args([
            "--context",
            "us-east-1",
            "get",
            "configmap",
            "watched",
            "-w",
            "-o",
            "json",
        ])
        .args(["--output-watch-events", "--request-timeout=30s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kubectl get -w");
    let mut lines = BufReader::new(child.stdout.take().expect("kubectl stdout")).lines();
    let mut next_event = || -> Value {
        match lines.next() {
            Some(Ok(line)) => json(&line),
            other => panic!("the watch ended without the event: {other:?}"),
        }
    };
    let first = next_event();
    assert_eq!(first["type"], "ADDED", "{first}");
    ok(&k.kubectl(
        &kc,
        "us-east-1",
        &[
            "patch",
            "configmap",
            "watched",
            "-p",
            r#"{"data":{"b":"2"}}"#,
        ],
    ));
    let second = next_event();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(second["type"], "MODIFIED", "{second}");
    assert_eq!(second["object"]["data"]["b"], "2");
    let (before, after) = (
        &first["object"]["metadata"]["resourceVersion"],
        &second["object"]["metadata"]["resourceVersion"],
    );
    assert_ne!(before, after, "every event carries its own resourceVersion");
}

#[test]
fn leases_already_exists_and_stale_replace() {
    let Some((k, kc)) = with_kubectl(&[]) else {
        return;
    };
    let lease = serde_json::json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "meridian-fleet-lock", "namespace": "default"},
        "spec": {"holderIdentity": "alice", "leaseDurationSeconds": 60},
    });
    let file = k.dir().join("lease.json");
    std::fs::write(&file, lease.to_string()).expect("write lease");
    let path = file.to_string_lossy().into_owned();
    ok(&k.kubectl(&kc, "us-east-1", &["create", "-f", &path]));
    let again = fails(&k.kubectl(&kc, "us-east-1", &["create", "-f", &path]));
    assert!(
        again.contains("AlreadyExists") && again.contains("already exists"),
        "{again}"
    );
    let table = ok(&k.kubectl(&kc, "us-east-1", &["get", "lease"]));
    assert!(
        table.contains("meridian-fleet-lock") && table.contains("alice"),
        "{table}"
    );
    // Someone else takes the lease; replacing from the stale copy must conflict.
    let stale = ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["get", "lease", "meridian-fleet-lock", "-o", "json"],
    ));
    ok(&k.kubectl(
        &kc,
        "us-east-1",
        &[
            "patch",
            "lease",
            "meridian-fleet-lock",
            "-p",
            r#"{"spec":{"holderIdentity":"bob"}}"#,
        ],
    ));
    let mut mine = json(&stale);
    mine["spec"]["holderIdentity"] = "carol".into();
    std::fs::write(&file, mine.to_string()).expect("write lease");
    let conflict = fails(&k.kubectl(
        &kc,
        "us-east-1",
        &["replace", "--validate=false", "-f", &path],
    ));
    assert!(
        conflict.contains("Conflict") && conflict.contains("the object has been modified"),
        "{conflict}"
    );
    let holder = ok(&k.kubectl(
        &kc,
        "us-east-1",
        &[
            "get",
            "lease",
            "meridian-fleet-lock",
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ],
    ));
    assert_eq!(holder, "bob");
}
