//! The seed drills in examples/seeds/: each folder's fleet file loads and passes the JSON
//! Schema, each of its rollout templates resolves with its parameters, its README names the
//! commands of the drill, and the templates are the seeds' own flows (seed 000's phase 6
//! opens sign-ups and its teardown starts by closing them; seed 003's cutover preconditions
//! and its release with the PreSync migration).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use meridian::fleet::rollout::{GateSpec, RolloutStep};
use meridian::fleet::schema::fleet_schema;
use meridian::fleet::{Action, Fleet, FleetSource, parse};

fn seeds() -> Vec<(String, PathBuf)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/seeds");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

fn load(dir: &std::path::Path) -> Fleet {
    let path = dir.join("fleet.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    match parse(&text, &path.display().to_string(), FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    }
}

/// Each template's steps, resolved with every parameter set to `value`.
fn resolved(f: &Fleet, id: &str, value: &str) -> Vec<RolloutStep> {
    let t = f
        .rollouts
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rollout {id} in {}", f.name));
    let params: BTreeMap<String, String> =
        t.params.iter().map(|p| (p.clone(), value.into())).collect();
    t.resolve(f, &params)
        .unwrap_or_else(|e| panic!("{id}: {e}"))
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

#[test]
fn every_seed_folder_has_a_fleet_that_loads_passes_the_schema_and_a_readme_of_its_drill() {
    let all = seeds();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.iter().any(|n| n.starts_with("000-")) && names.iter().any(|n| n.starts_with("003-")),
        "{names:?}"
    );
    let schema = jsonschema::draft7::new(&fleet_schema()).unwrap();
    for (name, dir) in &all {
        let f = load(dir);
        assert!(!f.rollouts.is_empty(), "{name}: no rollout templates");
        let text = std::fs::read_to_string(dir.join("fleet.toml")).unwrap();
        let json: serde_json::Value = toml::from_str(&text).unwrap();
        let errors: Vec<String> = schema
            .iter_errors(&json)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert_eq!(errors, Vec::<String>::new(), "{name}");
        let readme = std::fs::read_to_string(dir.join("README.md"))
            .unwrap_or_else(|e| panic!("{name}: README.md: {e}"));
        assert!(
            readme.contains("scripts/lab.sh up"),
            "{name}: the README starts the lab"
        );
        for r in &f.rollouts {
            assert!(
                readme.contains(&format!("rollout start {}", r.id)),
                "{name}: the README runs rollout {}",
                r.id
            );
            // Every template resolves against the fleet with a region or tenant of it.
            let value = if r.params.iter().any(|p| p == "tenant") {
                f.tenants[0].id.clone()
            } else {
                f.regions.last().unwrap().id.clone()
            };
            assert!(!resolved(&f, &r.id, &value).is_empty(), "{name}: {}", r.id);
        }
    }
}

fn seed(prefix: &str) -> Fleet {
    let (_, dir) = seeds()
        .into_iter()
        .find(|(n, _)| n.starts_with(prefix))
        .unwrap();
    load(&dir)
}

#[test]
fn seed_000_registers_a_region_by_opening_sign_ups_and_tears_down_by_closing_them_first() {
    let f = seed("000-");
    assert!(f.tenant_routing.is_some(), "the KV tenant map");
    let open = resolved(&f, "region-registration", "iad-1");
    assert!(
        open.contains(&RolloutStep::Action(Action::Signups {
            region: "iad-1".into(),
            open: true
        })),
        "{open:?}"
    );
    let down = resolved(&f, "region-teardown", "iad-1");
    assert_eq!(
        down.first(),
        Some(&RolloutStep::Action(Action::Signups {
            region: "iad-1".into(),
            open: false
        })),
        "teardown starts by removing the region's KV entry"
    );
    assert_eq!(
        down.last(),
        Some(&RolloutStep::Action(Action::Drain {
            region: "iad-1".into()
        }))
    );
}

#[test]
fn seed_003_cutover_preconditions_gate_on_alarms_apps_data_and_seven_days_of_health() {
    let f = seed("003-");
    let week = Duration::from_secs(7 * 86_400);
    let steps = resolved(&f, "cutover-preconditions", "mansety-prd");
    assert!(
        steps.iter().any(|s| matches!(s,
            RolloutStep::Gate(GateSpec::Alarms { tag: Some(t), hold, .. })
                if t == "tenant=mansety-prd" && *hold == week)),
        "alarms quiet 7 d: {steps:?}"
    );
    assert!(
        steps.iter().any(|s| matches!(s,
            RolloutStep::Gate(GateSpec::Healthy { region, hold }) if region == "do-ams3" && *hold == week)),
        "healthy 7 d: {steps:?}"
    );
    let commands: Vec<String> = steps
        .iter()
        .filter_map(|s| match s {
            RolloutStep::Gate(GateSpec::Command { run, .. }) => Some(run.display()),
            _ => None,
        })
        .collect();
    assert!(
        commands
            .iter()
            .any(|c| c.contains("Synced Healthy") && c.contains("mansety-prd")),
        "the app Synced and Healthy: {commands:?}"
    );
    assert!(
        commands.iter().any(|c| c.contains("data-check")),
        "the data check: {commands:?}"
    );
    let release = resolved(&f, "release", "mansety-prd");
    assert!(
        matches!(&release[0], RolloutStep::Action(Action::Sync { tenant, region, .. }) if tenant == "mansety-prd" && region == "do-ams3"),
        "{release:?}"
    );
    let app = f.tenant("mansety-prd").map(|t| t.argo_app.as_str());
    assert_eq!(app, Some("mansety-prd-laravel"));
}
