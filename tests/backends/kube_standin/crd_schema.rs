//! The stand-in applies Argo CD's published CRD schemas (tests/servers/contracts/argo-cd-*)
//! as an API server with those CRDs installed: a wrongly typed or missing field is refused
//! with 422 Invalid naming its path, through the API and through kubectl; an unknown field
//! is pruned; the JSON the stand-in reads is what the CRD files give.

use serde_json::json;

use super::{fails, ok, with_kubectl};
use crate::support::kube_seed::AppSeed;

const APPS: &str = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications";

#[test]
fn a_wrongly_typed_field_is_refused_with_its_path_and_an_unknown_one_pruned() {
    let Some((k, kc)) = with_kubectl(&[]) else {
        return;
    };
    let mut app = AppSeed::new("checkout-us-east-1").to_json();
    app.as_object_mut().map(|o| o.remove("status"));
    app["spec"]["source"]["targetRevision"] = json!(7);
    let (code, v) = k.api("us-east-1", "POST", APPS, Some(&app), "application/json");
    assert_eq!(code, 422, "{v}");
    assert_eq!(v["reason"], "Invalid");
    assert_eq!(
        v["message"],
        "Application.argoproj.io \"checkout-us-east-1\" is invalid: spec.source.targetRevision: Invalid value: \"integer\": spec.source.targetRevision in body must be of type string: \"integer\""
    );
    assert_eq!(
        v["details"]["causes"][0]["field"],
        "spec.source.targetRevision"
    );

    // A required field missing, and a value outside an enum.
    let mut bad = app.clone();
    bad["spec"]["source"]["targetRevision"] = json!("main");
    bad["spec"].as_object_mut().map(|s| s.remove("destination"));
    bad["spec"]["syncPolicy"] = json!({"retry": {"backoff": {"factor": "two"}}});
    let (code, v) = k.api("us-east-1", "POST", APPS, Some(&bad), "application/json");
    assert_eq!(code, 422, "{v}");
    let fields: Vec<&str> = v["details"]["causes"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["field"].as_str()).collect())
        .unwrap_or_default();
    assert!(fields.contains(&"spec.destination"), "{v}");
    assert!(
        fields.contains(&"spec.syncPolicy.retry.backoff.factor"),
        "{v}"
    );

    // kubectl gets the same answer.
    let file = k.dir().join("bad-app.json");
    std::fs::write(&file, app.to_string()).expect("write manifest");
    let path = file.to_string_lossy().into_owned();
    let err = fails(&k.kubectl(
        &kc,
        "us-east-1",
        &["apply", "--validate=false", "-f", &path],
    ));
    assert!(
        err.contains("spec.source.targetRevision in body must be of type string"),
        "{err}"
    );

    // Unknown fields are pruned, as the apiserver does for a structural schema (not under
    // x-kubernetes-preserve-unknown-fields); the rest is stored.
    app["spec"]["source"]["targetRevision"] = json!("main");
    app["spec"]["source"]["bogus"] = json!(1);
    app["spec"]["sourceRepo"] = json!("typo");
    std::fs::write(&file, app.to_string()).expect("write manifest");
    ok(&k.kubectl(
        &kc,
        "us-east-1",
        &["apply", "--validate=false", "-f", &path],
    ));
    let live = k.app("us-east-1", "checkout-us-east-1").unwrap_or_default();
    assert_eq!(live["spec"]["source"]["targetRevision"], "main");
    assert!(live["spec"]["source"].get("bogus").is_none(), "{live}");
    assert!(live["spec"].get("sourceRepo").is_none(), "{live}");
}

#[test]
fn the_schemas_the_stand_in_reads_are_the_published_crds() {
    // PyYAML reads the CRD files: it is in the moto venv.
    let python = crate::support::moto::venv_python();
    if !python.exists() {
        crate::support::unavailable("PyYAML (the moto venv)", "not installed");
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/servers/contracts/argo_crds.py"
    );
    let out = std::process::Command::new(python)
        .args([script, "--check"])
        .output()
        .expect("run argo_crds.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
