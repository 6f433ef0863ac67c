//! The rendered diff of a Helm deploy through the real `helm` command (the helm-compatible
//! command over the real Helm 4 SDK): `helm get manifest` of the deployed release against
//! `helm template` with the deploy's `--set`, object by object; a release not installed yet
//! is a first install (everything added).

use meridian::fleet::{FleetSource, parse};
use meridian::providers::kube::Target;
use meridian::providers::kube::helm_render::{DeployChart, render};

use super::{Env, Opts, text};
use crate::support::kube;

fn helm_command() -> String {
    format!("{}/tests/servers/helm", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn the_deploy_diff_compares_the_deployed_manifest_with_the_new_render() {
    if !kube::helm_available() {
        return;
    }
    let Some(env) = Env::start(Opts::default()) else {
        return;
    };
    let kc = env.k.kubeconfig.display().to_string();
    let fleet = parse(
        &format!(
            "[fleet]\nname = \"t\"\n[[regions]]\nid = \"us-east-1\"\nrole = \"primary\"\nsteady_weight = 50\ncluster = {{ context = \"us-east-1\", kubeconfig = \"{kc}\" }}\n[[tenants]]\nid = \"storefront\"\nenvironment = \"stg\"\nregions = [\"us-east-1\"]\nhelm = {{ provider = \"helm\", release = \"web\", namespace = \"default\", binary = \"{}\" }}\n",
            helm_command()
        ),
        "t.toml",
        FleetSource::Demo,
    )
    .expect("fleet");
    let t = &fleet.tenants[0];
    let target = Target {
        context: "us-east-1".into(),
        kubeconfig: Some(env.k.kubeconfig.clone()),
    };
    let chart = |release: &str| DeployChart {
        chart: format!("{}/scripts/lab-chart", env!("CARGO_MANIFEST_DIR")),
        version: None,
        set: vec![("release".into(), release.into())],
        values: Vec::new(),
    };

    // Not installed yet: a first install adds the chart's objects.
    let first = render(t, &target, "us-east-1", &chart("v1"))
        .await
        .expect("render a first install");
    assert_eq!(first.deployed, "");
    let added: Vec<String> = first.diff.added.iter().map(ToString::to_string).collect();
    assert_eq!(added, vec!["ConfigMap/web-release"]);

    let out = env.k.helm(
        "us-east-1",
        &[
            "install",
            "web",
            &chart("v1").chart,
            "--namespace",
            "default",
            "--set",
            "release=v1",
        ],
    );
    assert!(out.status.success(), "helm install: {}", text(&out));

    let same = render(t, &target, "us-east-1", &chart("v1"))
        .await
        .expect("render the same");
    assert!(same.diff.is_empty(), "{}", same.diff.text());
    assert!(
        same.deployed.contains("kind: ConfigMap"),
        "{}",
        same.deployed
    );

    let next = render(t, &target, "us-east-1", &chart("v2"))
        .await
        .expect("render v2");
    assert_eq!(
        next.diff.summary(),
        "0 added, 1 changed (ConfigMap/web-release), 0 removed, 0 unchanged"
    );
    let whole = next.diff.text();
    assert!(whole.contains("-  release: v1\n+  release: v2"), "{whole}");

    // A chart that does not exist is helm's error, named.
    let mut missing = chart("v2");
    missing.chart = "/nonexistent/chart".into();
    let err = render(t, &target, "us-east-1", &missing)
        .await
        .expect_err("no chart");
    assert_eq!(err.call, "helm template", "{err}");
    assert_eq!(err.region.as_deref(), Some("us-east-1"));
}
