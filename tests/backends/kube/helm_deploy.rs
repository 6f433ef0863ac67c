//! `meridian deploy` through the real binary and the real `helm upgrade --install --wait`
//! (the helm-compatible command over the real Helm 4 SDK): the rendered diff in the plan
//! and kept in the audit record, a dry run that changes nothing, the release read back, and
//! the guards that refuse (a pending release, a chart Argo CD renders).

use super::{Env, Opts, REVS, text};
use crate::support::kube;
use crate::support::kube_seed::{AppSeed, HelmRevision};

fn tenant(id: &str, release: &str) -> String {
    format!(
        "[[tenants]]\nid = \"{id}\"\nenvironment = \"stg\"\nregions = [\"us-east-1\"]\nhelm = {{ provider = \"helm\", release = \"{release}\", namespace = \"default\", binary = \"{}/tests/servers/helm\", chart = \"{}/scripts/lab-chart\", deploy_timeout = \"60s\" }}\n",
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_MANIFEST_DIR")
    )
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_deploy_shows_its_rendered_diff_runs_helm_upgrade_and_is_read_back() {
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
    let deploy = |release: &str, extra: &[&str]| {
        let set = format!("release={release}");
        let mut args = vec![
            "deploy",
            "storefront",
            "--region",
            "us-east-1",
            "--set",
            &set,
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };

    // A dry run of a first install: everything added, nothing installed.
    let out = deploy("v1", &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("+ added ConfigMap/web-release"), "{err}");
    assert!(
        err.contains("ConfigMap/web-release") && err.contains("added"),
        "{err}"
    );
    assert!(
        env.k
            .helm_releases("us-east-1", "default", "web")
            .is_empty(),
        "a dry run installs nothing"
    );

    let out = deploy("v1", &["--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("upgrade --install web ") && err.contains("--wait --timeout 60s"),
        "{err}"
    );
    assert!(
        err.contains("helm: Release \"web\" has been installed"),
        "{err}"
    );
    // Read back: the values Helm keeps are the ones asked for.
    assert!(
        err.contains("helm get values: release=v1 as asked"),
        "{err}"
    );

    // The next deploy changes the ConfigMap: the plan names it and the diff shows the line.
    let out = deploy("v2", &["--version", "1.4.0", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("0 added, 1 changed (ConfigMap/web-release), 0 removed"),
        "{err}"
    );
    assert!(err.contains("-  release: v1\n+  release: v2"), "{err}");
    let releases = env.k.helm_releases("us-east-1", "default", "web");
    let latest = releases.last().cloned().unwrap_or_default();
    assert_eq!(latest["version"], 2, "{latest}");
    assert_eq!(latest["info"]["status"], "deployed", "{latest}");
    assert_eq!(latest["chart"]["metadata"]["version"], "1.4.0", "{latest}");
    assert_eq!(
        latest["config"]["release"], "v2",
        "values as asked: {latest}"
    );

    // Verified from the release read back; the whole diff kept with the audit record.
    let done = env.audit().last().cloned().unwrap_or_default();
    assert_eq!(done["action"], "deploy", "{done}");
    assert_eq!(done["outcome"], "succeeded", "{done}");
    let diff = &done["plan"]["operation"]["diff"];
    assert!(
        diff["text"]
            .as_str()
            .unwrap_or_default()
            .contains("+  release: v2"),
        "{done}"
    );
    assert_eq!(done["after"]["revision"].as_u64(), Some(2), "{done}");
}

#[test]
fn a_deploy_is_refused_for_a_pending_release_or_a_chart_argo_cd_renders() {
    if !kube::helm_available() {
        return;
    }
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
        ("web", 1, "deployed"),
        ("web", 2, "pending-upgrade"),
        ("checkout", 1, "deployed"),
    ] {
        let rev = HelmRevision {
            name,
            namespace: "default",
            version,
            status,
            chart: "aragora",
            chart_version: "1.4.0",
            app_version: "1",
            manifest: "",
            description: "seeded",
        };
        env.k.seed_helm_revision("us-east-1", &rev);
    }
    let out = env.run(&["deploy", "storefront", "--region", "us-east-1", "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("BLOCK helm-pending"),
        "{}",
        text(&out)
    );

    // checkout also has an Argo CD application: Argo CD renders its chart.
    let seed = AppSeed {
        history: &REVS[..2],
        ..AppSeed::new("checkout-us-east-1")
    };
    env.k.seed_app("us-east-1", &seed);
    let out = env.run(&["deploy", "checkout", "--region", "us-east-1", "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("BLOCK argo-managed") && err.contains("deploy through Git"),
        "{err}"
    );
    // Neither release moved.
    let web = env.k.helm_releases("us-east-1", "default", "web");
    assert_eq!(web.len(), 2, "{web:?}");
    let refused: Vec<_> = env
        .audit()
        .into_iter()
        .filter(|r| r["action"] == "deploy")
        .map(|r| r["outcome"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(refused, vec!["refused", "refused"]);
}

#[test]
fn a_rollout_deploy_step_renders_its_diff_and_deploys_with_the_parameters() {
    if !kube::helm_available() {
        return;
    }
    let tenants = format!(
        "{}[[rollouts]]\nid = \"ship\"\nname = \"Ship\"\nparams = [\"rel\"]\nsteps = [\n  {{ deploy = \"storefront\", region = \"us-east-1\", set = {{ release = \"{{rel}}\" }} }},\n]\n",
        tenant("storefront", "web")
    );
    let Some(env) = Env::start(Opts {
        tenants: &tenants,
        ..Opts::default()
    }) else {
        return;
    };
    let out = env.run(&[
        "rollout", "start", "ship", "--param", "rel=v7", "--reason", "CHG-9",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.run(&["rollout", "next", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("+ added ConfigMap/web-release"), "{err}");
    let releases = env.k.helm_releases("us-east-1", "default", "web");
    let latest = releases.last().cloned().unwrap_or_default();
    assert_eq!(latest["info"]["status"], "deployed", "{latest}");
    assert_eq!(latest["config"]["release"], "v7", "{latest}");
}
