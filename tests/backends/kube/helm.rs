//! Helm rollbacks: the real `helm rollback` (the helm-compatible command over the real Helm
//! 4 SDK) run by meridian and verified from the release Secrets, and the guards that stop
//! it (a pending release, a chart Argo CD renders).

use super::{Env, Opts, REVS, text};
use crate::support::kube;
use crate::support::kube_seed::{AppSeed, HelmRevision};

fn helm_command() -> String {
    format!("{}/tests/servers/helm", env!("CARGO_MANIFEST_DIR"))
}

fn tenant(id: &str, release: &str) -> String {
    format!(
        "[[tenants]]\nid = \"{id}\"\nenvironment = \"stg\"\nregions = [\"us-east-1\"]\nhelm = {{ provider = \"helm\", release = \"{release}\", namespace = \"default\", binary = \"{}\", rollback_timeout = \"60s\" }}\n",
        helm_command()
    )
}

#[test]
fn helm_rollback_runs_the_real_helm_and_is_verified_from_the_release_secrets() {
    if !kube::helm_available() {
        return;
    }
    let tenants = tenant("storefront", "web");
    let Some(env) = Env::start(Opts {
        tenants: &tenants,
        ..Opts::default()
    }) else {
        return;
    };
    let chart = format!("{}/scripts/lab-chart", env!("CARGO_MANIFEST_DIR"));
    for (verb, rev) in [("install", "v1"), ("upgrade", "v2"), ("upgrade", "v3")] {
        let set = format!("release={rev}");
        let out = env.k.helm(
            "us-east-1",
            &[verb, "web", &chart, "--namespace", "default", "--set", &set],
        );
        assert!(out.status.success(), "helm {verb}: {}", text(&out));
    }
    let out = env.run(&[
        "rollback",
        "storefront",
        "--region",
        "us-east-1",
        "--to",
        "1",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("helm revision: 3 (aragora-"), "{err}");
    assert!(
        err.contains(
            "rollback web 1 --namespace default --kube-context us-east-1 --wait --timeout 60s"
        ),
        "{err}"
    );
    assert!(
        err.contains("helm: Rollback was a success"),
        "helm's own output is streamed: {err}"
    );
    let releases = env.k.helm_releases("us-east-1", "default", "web");
    let latest = releases.last().cloned().unwrap_or_default();
    assert_eq!(latest["version"], 4, "{latest}");
    assert_eq!(latest["info"]["status"], "deployed", "{latest}");
    let done = env.audit().last().cloned().unwrap_or_default();
    assert_eq!(done["outcome"], "succeeded", "{done}");
    assert_eq!(
        (
            done["before"]["revision"].as_u64(),
            done["after"]["revision"].as_u64()
        ),
        (Some(3), Some(4))
    );
}

#[test]
fn a_pending_release_or_a_chart_argo_cd_renders_blocks_a_helm_rollback() {
    let tenants = format!(
        "{}{}",
        tenant("storefront", "web"),
        tenant("checkout", "checkout")
    );
    let Some(env) = Env::start(Opts {
        tenants: &tenants,
        ..Opts::default()
    }) else {
        return;
    };
    for (name, version, status) in [
        ("web", 1, "superseded"),
        ("web", 2, "pending-upgrade"),
        ("checkout", 1, "superseded"),
        ("checkout", 2, "deployed"),
    ] {
        let rev = HelmRevision {
            name,
            namespace: "default",
            version,
            status,
            chart: name,
            chart_version: "1.0.0",
            app_version: "1",
            manifest: "",
            description: "seeded",
        };
        env.k.seed_helm_revision("us-east-1", &rev);
    }
    let out = env.run(&["rollback", "storefront", "--region", "us-east-1", "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("BLOCK helm-pending"),
        "{}",
        text(&out)
    );

    // checkout also has an Argo CD application: Argo CD renders its chart.
    let seed = AppSeed {
        history: &REVS[..2],
        ..AppSeed::new("checkout-us-east-1")
    };
    env.k.seed_app("us-east-1", &seed);
    let out = env.run(&["rollback", "checkout", "--region", "us-east-1", "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("BLOCK argo-managed") && err.contains("--via argocd"),
        "{err}"
    );
    let out = env.run(&[
        "rollback",
        "checkout",
        "--region",
        "us-east-1",
        "--via",
        "argocd",
        "--yes",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "through Argo CD it goes: {}",
        text(&out)
    );
}
