//! The real Helm 4 SDK (through tests/servers/helm) against the stand-in: release Secrets it
//! writes, release Secrets seeded in its format, rollback, and its refusal over pending states.

use serde_json::Value;

use super::{fails, json, ok};
use crate::support::kube::{self, KubeStandin};
use crate::support::kube_seed::HelmRevision;

fn with_helm() -> Option<KubeStandin> {
    if !kube::helm_available() {
        return None;
    }
    kube::start(&["us-east-1"], &[])
}

fn chart(k: &KubeStandin) -> String {
    let dir = k.dir().join("demo");
    let files = [
        (
            "Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: \"1.0\"\n",
        ),
        ("values.yaml", "message: hello\n"),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  message: {{ .Values.message | quote }}\n",
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("chart dir");
        }
        std::fs::write(path, text).expect("chart file");
    }
    dir.to_string_lossy().into_owned()
}

fn history(k: &KubeStandin, name: &str) -> Vec<Value> {
    let out = ok(&k.helm(
        "us-east-1",
        &["history", name, "--namespace", "default", "-o", "json"],
    ));
    json(&out).as_array().cloned().unwrap_or_default()
}

#[test]
fn real_helm_installs_upgrades_and_rolls_back() {
    let Some(k) = with_helm() else { return };
    let chart = chart(&k);
    ok(&k.helm(
        "us-east-1",
        &[
            "install",
            "demo",
            &chart,
            "--namespace",
            "default",
            "--set",
            "message=one",
        ],
    ));
    ok(&k.helm(
        "us-east-1",
        &[
            "upgrade",
            "demo",
            &chart,
            "--namespace",
            "default",
            "--set",
            "message=two",
        ],
    ));
    let cm = "/api/v1/namespaces/default/configmaps/demo-config";
    assert_eq!(
        k.get("us-east-1", cm).unwrap_or_default()["data"]["message"],
        "two"
    );
    let args = [
        "rollback",
        "demo",
        "1",
        "--namespace",
        "default",
        "--wait",
        "--timeout",
        "30s",
    ];
    let said = ok(&k.helm("us-east-1", &args));
    assert!(said.contains("Rollback was a success"), "{said}");
    assert_eq!(
        k.get("us-east-1", cm).unwrap_or_default()["data"]["message"],
        "one"
    );
    let h = history(&k, "demo");
    let states: Vec<(i64, &str)> = h
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap_or(0),
                r["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        states,
        [(1, "superseded"), (2, "superseded"), (3, "deployed")]
    );
    assert_eq!(h[2]["description"], "Rollback to 1");
    // The Secrets Helm wrote, as meridian will read them.
    let list = k
        .get(
            "us-east-1",
            "/api/v1/namespaces/default/secrets?labelSelector=owner%3Dhelm%2Cname%3Ddemo",
        )
        .unwrap_or_default();
    let items = list["items"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = items
        .iter()
        .filter_map(|s| s["metadata"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "sh.helm.release.v1.demo.v1",
            "sh.helm.release.v1.demo.v2",
            "sh.helm.release.v1.demo.v3"
        ]
    );
    assert!(items.iter().all(|s| s["type"] == "helm.sh/release.v1"));
    assert_eq!(items[2]["metadata"]["labels"]["status"], "deployed");
    let decoded = k.helm_releases("us-east-1", "default", "demo");
    assert_eq!(decoded[2]["config"]["message"], "one");
    assert_eq!(decoded[2]["chart"]["metadata"]["name"], "demo");
}

#[test]
fn seeded_releases_read_like_helms_own_and_pending_blocks_upgrade() {
    let Some(k) = with_helm() else { return };
    let manifest =
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  v: \"1\"\n";
    for (version, status) in [(1, "superseded"), (2, "deployed"), (3, "pending-upgrade")] {
        let rev = HelmRevision {
            name: "web",
            namespace: "default",
            version,
            status,
            chart: "web",
            chart_version: "1.4.0",
            app_version: "2.1",
            manifest,
            description: "seeded",
        };
        k.seed_helm_revision("us-east-1", &rev);
    }
    let h = history(&k, "web");
    assert_eq!(h.len(), 3);
    assert_eq!(h[0]["chart"], "web-1.4.0");
    assert_eq!(h[0]["app_version"], "2.1");
    assert_eq!(h[2]["status"], "pending-upgrade");
    let chart = chart(&k);
    let refused = fails(&k.helm(
        "us-east-1",
        &["upgrade", "web", &chart, "--namespace", "default"],
    ));
    assert!(
        refused.contains("another operation (install/upgrade/rollback) is in progress"),
        "{refused}"
    );
    // Rolling back is Helm's way out of a stuck pending release.
    ok(&k.helm(
        "us-east-1",
        &["rollback", "web", "2", "--namespace", "default"],
    ));
    let h = history(&k, "web");
    assert_eq!(h[3]["status"], "deployed");
    assert_eq!(h[3]["description"], "Rollback to 2");
    assert_eq!(
        k.get(
            "us-east-1",
            "/api/v1/namespaces/default/configmaps/web-config"
        )
        .unwrap_or_default()["data"]["v"],
        "1"
    );
}
