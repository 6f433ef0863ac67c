//! Seeds 002 and 004 in examples/seeds/ stay runnable: each fleet file loads and validates,
//! each rollout template resolves with the parameters its README passes, the stand-in
//! scripts are valid shell, and the files the templates and the fleet name exist.

use std::collections::BTreeMap;
use std::path::Path;

use meridian::fleet::rollout::{GateSpec, RolloutStep};
use meridian::fleet::{FleetSource, parse};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(dir: &str) -> meridian::fleet::Fleet {
    let file = format!("examples/seeds/{dir}/fleet.toml");
    let text = std::fs::read_to_string(root().join(&file)).unwrap();
    parse(&text, &file, FleetSource::Demo).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn seed_002_release_loads_and_its_plan_is_approved_before_each_apply() {
    let fleet = load("002-release-with-plan-approval");
    let t = fleet.rollouts.iter().find(|t| t.id == "release").unwrap();
    let steps = t
        .resolve(&fleet, &params(&[("digest", "sha256:abc")]))
        .unwrap();
    let gates: Vec<&GateSpec> = steps
        .iter()
        .filter_map(|(s, _)| match s {
            RolloutStep::Gate(g) => Some(g),
            _ => None,
        })
        .collect();
    // Per region: a plan written as an artifact, its approval, the apply that uses it.
    let writes = gates
        .iter()
        .filter(|g| matches!(g, GateSpec::Command { artifact: Some(a), .. } if a.name == "tfplan"))
        .count();
    let approvals = gates
        .iter()
        .filter(|g| matches!(g, GateSpec::Approval { artifact: Some(a), .. } if a == "tfplan"))
        .count();
    let applies = gates
        .iter()
        .filter(|g| matches!(g, GateSpec::Command { uses: Some(u), .. } if u == "tfplan"))
        .count();
    assert_eq!((writes, approvals, applies), (2, 2, 2));
    let labels: Vec<String> = steps.iter().map(|(s, _)| s.label()).collect();
    assert!(
        labels.contains(&"deploy aragora in eastus".to_string()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"eastus healthy 15m".to_string()),
        "{labels:?}"
    );
    assert_eq!(labels.last().map(String::as_str), Some("restore all"));
    // The chart the deploy installs and the tfvars the plans read are there.
    let dir = root().join("examples/seeds/002-release-with-plan-approval");
    assert!(dir.join("chart/Chart.yaml").is_file());
    for region in ["eastus", "westeurope"] {
        assert!(
            dir.join(format!("infrastructure/environments/prd-{region}.tfvars"))
                .is_file()
        );
    }
}

#[test]
fn seed_004_failover_loads_with_two_stores_per_region_and_both_templates_resolve() {
    let fleet = load("004-whole-region-failover");
    for r in &fleet.regions {
        assert_eq!(r.data_stores().len(), 2, "{}: database and cache", r.id);
    }
    let failover = fleet
        .rollouts
        .iter()
        .find(|t| t.id == "region-failover")
        .unwrap();
    assert!(failover.kind.is_recovery());
    let steps = failover
        .resolve(
            &fleet,
            &params(&[("from", "us-east-1"), ("to", "eu-west-1")]),
        )
        .unwrap();
    let labels: Vec<String> = steps.iter().map(|(s, _)| s.label()).collect();
    assert_eq!(
        labels,
        vec![
            "drain us-east-1",
            "eu-west-1 lag under 5s",
            "promote eu-west-1",
            "eu-west-1 healthy 2m"
        ]
    );
    let failback = fleet.rollouts.iter().find(|t| t.id == "failback").unwrap();
    failback
        .resolve(&fleet, &params(&[("to", "us-east-1")]))
        .unwrap();
}

#[test]
fn the_seed_stand_in_scripts_are_valid_shell() {
    for script in [
        "examples/seeds/002-release-with-plan-approval/terraform-plan.sh",
        "examples/seeds/002-release-with-plan-approval/terraform-apply.sh",
        "scripts/lab_seeds_000_003.sh",
        "scripts/lab_seeds_002_004.sh",
    ] {
        let shell = if script.starts_with("scripts/") {
            "bash"
        } else {
            "sh"
        };
        let out = std::process::Command::new(shell)
            .arg("-n")
            .arg(root().join(script))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
