//! What `status` and `discover` read from the clusters, and what one bad region does to
//! the others (nothing).

use serde_json::json;

use super::{CHECKOUT, Env, Opts, REVS, cell, text};
use crate::support::kube_seed::{AppSeed, HelmRevision};

const STOREFRONT: &str = r#"
[[tenants]]
id = "storefront"
environment = "stg"
regions = ["us-east-1", "eu-west-1"]
helm = { provider = "helm", release = "web", namespace = "default" }
"#;

fn seed_checkout(env: &Env) {
    let use1 = AppSeed {
        history: &REVS,
        ..AppSeed::new("checkout-us-east-1")
    };
    env.k.seed_app("us-east-1", &use1);
    let euw1 = AppSeed {
        history: &REVS[..2],
        head: Some(REVS[2]),
        ..AppSeed::new("checkout-eu-west-1")
    };
    env.k.seed_app("eu-west-1", &euw1);
    env.k.wait_app("eu-west-1", "checkout-eu-west-1", |a| {
        a["status"]["sync"]["status"] == "OutOfSync"
    });
}

#[test]
fn status_shows_apps_history_and_helm_revisions_from_the_clusters() {
    let tenants = format!("{CHECKOUT}{STOREFRONT}");
    let Some(env) = Env::start(Opts {
        tenants: &tenants,
        ..Opts::default()
    }) else {
        return;
    };
    seed_checkout(&env);
    for (version, status) in [(1, "superseded"), (2, "deployed")] {
        let rev = HelmRevision {
            name: "web",
            namespace: "default",
            version,
            status,
            chart: "web",
            chart_version: "1.0.0",
            app_version: "3.1",
            manifest: "",
            description: "seeded",
        };
        env.k.seed_helm_revision("us-east-1", &rev);
    }
    let plain = env.status();
    let c = cell(&plain, "checkout", "us-east-1");
    assert!(
        c.get("history").is_none(),
        "history only with --history: {c}"
    );
    let s = env.status_with(&["--history"]);
    let c = cell(&s, "checkout", "us-east-1");
    assert_eq!(c["sync"], "Synced", "{c}");
    assert_eq!(c["revision"], REVS[2]);
    assert_eq!(c["history_id"], 2);
    let ids: Vec<u64> = c["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|e| e["id"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec![0, 1, 2]);
    assert_eq!(c["history"][0]["source"]["path"], "apps/checkout");
    let e = cell(&s, "checkout", "eu-west-1");
    assert_eq!(
        (e["sync"].as_str(), e["revision"].as_str()),
        (Some("OutOfSync"), Some(REVS[1]))
    );
    assert_eq!(e["head"], REVS[2], "the branch head is what a sync deploys");
    let h = &cell(&s, "storefront", "us-east-1")["helm"];
    assert_eq!(
        (h["revision"].as_u64(), h["status"].as_str()),
        (Some(2), Some("deployed")),
        "{h}"
    );
    assert_eq!(h["chart"], "web-1.0.0");
    assert_eq!(h["history"].as_array().map(Vec::len), Some(2));
    let missing = &cell(&s, "storefront", "eu-west-1")["helm"]["error"];
    assert!(
        missing
            .as_str()
            .is_some_and(|m| m.contains("no release web")),
        "{missing}"
    );
    assert!(
        cell(&s, "storefront", "us-east-1")["error"].is_null(),
        "a Helm tenant without an Argo CD app is not an error"
    );
    let out = env.run(&["status"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("r2 deployed web-1.0.0"), "{table}");
    assert!(table.contains("OutOfSync"), "{table}");
}

#[test]
fn a_stopped_black_holed_or_refusing_region_is_stale_alone() {
    let Some(env) = Env::start(Opts::default()) else {
        return;
    };
    seed_checkout(&env);
    let fresh = |s: &serde_json::Value| cell(s, "checkout", "us-east-1")["error"].is_null();
    let error = |s: &serde_json::Value| {
        cell(s, "checkout", "eu-west-1")["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    env.k.stop("eu-west-1");
    let s = env.status();
    assert!(fresh(&s), "{s}");
    assert!(error(&s).starts_with("eu-west-1: "), "{}", error(&s));
    assert!(error(&s).contains("connection refused"), "{}", error(&s));
    env.k.resume("eu-west-1");
    env.k.fault("eu-west-1", json!({"mode": "blackhole"}));
    let s = env.status();
    assert!(fresh(&s), "{s}");
    assert!(error(&s).contains("no answer within 2s"), "{}", error(&s));
    env.k.resume("eu-west-1");
    for (code, words) in [(401, "log in again"), (403, "RBAC")] {
        env.k
            .fault("eu-west-1", json!({"mode": "status", "code": code}));
        let s = env.status();
        assert!(fresh(&s), "{s}");
        let e = error(&s);
        assert!(e.contains(&code.to_string()) && e.contains(words), "{e}");
        assert!(!e.contains("Status {"), "no Debug dump: {e}");
        env.k.resume("eu-west-1");
    }
    let s = env.status();
    assert!(error(&s).is_empty(), "recovered: {}", error(&s));
}

#[test]
fn discover_writes_a_fleet_file_that_checks() {
    let Some(env) = Env::start(Opts::default()) else {
        return;
    };
    seed_checkout(&env);
    for r in super::REGIONS {
        env.k
            .seed_region_appset(r, "platform", &[r], true, json!({}));
    }
    env.k
        .wait_app("eu-west-1", "platform-eu-west-1", |a| a.is_object());
    let kc = env.k.kubeconfig.display().to_string();
    let out = env.run(&["discover", "--kubeconfig", &kc]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let found = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(found.contains("applicationset = \"platform\""), "{found}");
    assert!(
        found.contains("argo_app = \"checkout-{region}\""),
        "{found}"
    );
    assert!(
        found.contains("cluster = { context = \"eu-west-1\""),
        "{found}"
    );
    let file = env.dir.path().join("discovered.toml");
    std::fs::write(&file, &found).expect("write");
    let check = env.run(&["config", "check", &file.display().to_string()]);
    assert_eq!(check.status.code(), Some(0), "{}\n{found}", text(&check));
}

#[test]
fn a_failing_exec_plugin_is_that_region_s_error_with_a_login_hint() {
    let Some(env) = Env::start(Opts::default()) else {
        return;
    };
    seed_checkout(&env);
    // A kubeconfig whose eu-west-1 user gets its token from `aws eks get-token`, which
    // fails as it does when the SSO session has expired (and prints a token-like line).
    let bin = env.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let aws = bin.join("aws");
    std::fs::write(
        &aws,
        "#!/bin/sh\necho '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"SECRET-TOKEN-123\"}}'\necho 'Error when retrieving token from sso: Token has expired and refresh failed' >&2\nexit 255\n",
    )
    .expect("plugin");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let original = std::fs::read_to_string(&env.k.kubeconfig).expect("kubeconfig");
    let exec_user = format!(
        "- name: sso\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n      args: [eks, get-token, --cluster-name, prod]\n      interactiveMode: IfAvailable\n",
        aws.display()
    );
    let patched = original
        .replace(
            "    cluster: eu-west-1\n    user: meridian\n",
            "    cluster: eu-west-1\n    user: sso\n",
        )
        .replace("users:\n", &format!("users:\n{exec_user}"));
    let kc = env.dir.path().join("kubeconfig-sso");
    std::fs::write(&kc, patched).expect("kubeconfig");
    let fleet = std::fs::read_to_string(&env.fleet).expect("fleet");
    std::fs::write(
        &env.fleet,
        fleet.replace(
            &env.k.kubeconfig.display().to_string(),
            &kc.display().to_string(),
        ),
    )
    .expect("fleet");
    let out = env.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(cell(&s, "checkout", "us-east-1")["error"].is_null(), "{s}");
    let e = cell(&s, "checkout", "eu-west-1")["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(e.starts_with("eu-west-1: "), "{e}");
    assert!(
        e.contains("exec auth plugin `aws` failed") && e.contains("Token has expired"),
        "{e}"
    );
    assert!(e.contains("aws sso login --profile"), "{e}");
    let everything = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !everything.contains("SECRET-TOKEN-123"),
        "the plugin's stdout never shows"
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("Token has expired"),
        "the plugin's stderr does not pass through to the terminal"
    );
}

#[test]
fn hub_mode_matches_apps_to_regions_by_destination() {
    let tenants = r#"
[[tenants]]
id = "shop"
environment = "stg"
regions = ["us-east-1", "eu-west-1"]
applicationset = "shop"
"#;
    let Some(env) = Env::start(Opts {
        gitops: "hub_context = \"us-east-1\"",
        tenants,
        ..Opts::default()
    }) else {
        return;
    };
    let kc = env.k.kubeconfig.display().to_string();
    let fleet = std::fs::read_to_string(&env.fleet).expect("fleet");
    std::fs::write(
        &env.fleet,
        fleet.replace(
            "hub_context = \"us-east-1\"",
            &format!("hub_context = \"us-east-1\"\nkubeconfig = \"{kc}\""),
        ),
    )
    .expect("fleet");
    // The hub generates one app per region, each pointing at its region's cluster.
    let set = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
        "metadata": {"name": "shop", "namespace": "argocd"},
        "spec": {
            "generators": [{"list": {"elements": [{"region": "us-east-1", "n": "a"}, {"region": "eu-west-1", "n": "b"}]}}],
            "template": {
                "metadata": {"name": "shop-{{n}}"},
                "spec": {"project": "default",
                         "source": {"repoURL": "https://git.example.com/shop.git", "targetRevision": "main", "path": "shop"},
                         "destination": {"name": "{{region}}", "namespace": "shop"}},
            },
        },
    });
    env.k.create(
        "us-east-1",
        "/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets",
        &set,
    );
    env.k.wait_app("us-east-1", "shop-b", |a| a.is_object());
    let s = env.status();
    assert_eq!(cell(&s, "shop", "us-east-1")["app"], "shop-a", "{s}");
    assert_eq!(cell(&s, "shop", "eu-west-1")["app"], "shop-b", "{s}");
    assert_eq!(cell(&s, "shop", "eu-west-1")["applicationset"], "shop");
}
