//! The fleet file's JSON Schema and the loader agree: every example fleet file passes both,
//! and each bad file fails both. The published schema (docs/fleet.schema.json) is what
//! `meridian config schema` prints.

use meridian::fleet::schema::{SCHEMA_FILE, fleet_schema, fleet_schema_text};
use meridian::fleet::{FleetSource, load::DEMO_FLEET, parse};
use serde_json::Value;

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&fleet_schema())
        .expect("the generated schema is a valid draft-07 schema")
}

/// The TOML as JSON, as an editor's TOML language server hands it to the schema.
fn as_json(src: &str) -> Value {
    toml::from_str(src).expect("test input is TOML")
}

fn schema_errors(src: &str) -> Vec<String> {
    validator()
        .iter_errors(&as_json(src))
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn loader_errors(src: &str) -> Vec<String> {
    match parse(src, "fleet.toml", FleetSource::Demo) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_published_schema_is_the_generated_one() {
    let published = std::fs::read_to_string(root().join(SCHEMA_FILE)).unwrap_or_default();
    assert!(
        published == fleet_schema_text(),
        "{SCHEMA_FILE} is out of date: run `cargo run -- config schema > {SCHEMA_FILE}`"
    );
}

#[test]
fn the_published_reference_is_the_generated_one() {
    use meridian::fleet::reference::{REFERENCE_FILE, fleet_reference};
    let published = std::fs::read_to_string(root().join(REFERENCE_FILE)).unwrap_or_default();
    assert!(
        published == fleet_reference(),
        "{REFERENCE_FILE} is out of date: run `cargo run -- config reference > {REFERENCE_FILE}`"
    );
}

#[test]
fn every_example_fleet_file_passes_the_schema_and_the_loader() {
    let mut files: Vec<(String, String)> = vec![("src/fleet/demo.toml".into(), DEMO_FLEET.into())];
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            files.push((path.display().to_string(), text));
        }
    }
    assert!(files.len() >= 2, "no example files found");
    for (name, text) in &files {
        assert_eq!(loader_errors(text), Vec::<String>::new(), "{name}");
        assert_eq!(schema_errors(text), Vec::<String>::new(), "{name}");
    }
}

#[test]
fn the_example_starts_with_the_schema_directive() {
    let text = std::fs::read_to_string(root().join("examples/fleet.toml")).unwrap();
    assert_eq!(
        text.lines().next(),
        Some(format!("#:schema ../{SCHEMA_FILE}").as_str())
    );
}

const BASE: &str = r#"[fleet]
name = "t"

[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
"#;

#[test]
fn real_providers_with_their_keys_pass_both() {
    let src = format!(
        r#"{BASE}database = {{ provider = "postgres", dsn_env = "PG_USE1" }}
lag = {{ provider = "cloudwatch", metric = "aurora-global", identifier = "db-1", period = "1m" }}
health = {{ provider = "route53", health_check_id = "abc", source = "metric" }}

[traffic]
provider = "route53"
hosted_zone_id = "Z1"
record_name = "app.example.com"
change_timeout = "2m"
max_attempts = 4
"#
    );
    assert_eq!(loader_errors(&src), Vec::<String>::new());
    assert_eq!(schema_errors(&src), Vec::<String>::new());
}

#[test]
fn bad_files_fail_both_the_schema_and_the_loader() {
    let region = |extra: &str| format!("{BASE}{extra}\n");
    let cases: Vec<(&str, String)> = vec![
        (
            "unknown top-level table",
            format!("{BASE}\n[trafic]\nprovider = \"sim\"\n"),
        ),
        (
            "weight out of range",
            BASE.replace("steady_weight = 50", "steady_weight = 1001"),
        ),
        ("unknown role", BASE.replace("\"primary\"", "\"leader\"")),
        ("upper-case region id", BASE.replace("us-east-1", "US_EAST")),
        (
            "unknown provider",
            region("health = { provider = \"route54\" }"),
        ),
        (
            "provider that cannot serve the capability",
            region(
                "lag = { provider = \"aurora\", global_cluster_id = \"g\", cluster_arn = \"a\" }",
            ),
        ),
        (
            "missing required key",
            region("health = { provider = \"route53\" }"),
        ),
        (
            "unknown provider key",
            region(
                "health = { provider = \"route53\", health_check_id = \"a\", colour = \"red\" }",
            ),
        ),
        (
            "value outside the key's choices",
            region(
                "health = { provider = \"route53\", health_check_id = \"a\", source = \"guess\" }",
            ),
        ),
        (
            "two connection-string sources",
            region("database = { provider = \"postgres\", dsn_env = \"A\", dsn_file = \"f\" }"),
        ),
        (
            "no connection-string source",
            region("database = { provider = \"redis\" }"),
        ),
        (
            "a sim capability with keys",
            region("lag = { provider = \"sim\", speed = 2 }"),
        ),
        (
            "duration without a unit",
            format!("{BASE}\n[policy]\nrpo_budget = \"60\"\n"),
        ),
        (
            "unknown confirmation",
            format!("{BASE}\n[policy.confirm]\ndrain = \"maybe\"\n"),
        ),
        ("unknown region key", region("colour = \"blue\"")),
        ("missing fleet name", BASE.replace("name = \"t\"", "")),
        (
            "unknown rollout step kind",
            format!("{BASE}\n[[rollouts]]\nid = \"r\"\nsteps = [{{ deploy = \"*\" }}]\n"),
        ),
        (
            "rollout gate with a bad duration",
            format!(
                "{BASE}\n[[rollouts]]\nid = \"r\"\nsteps = [{{ gate = \"wait\", for = \"soon\" }}]\n"
            ),
        ),
    ];
    for (what, src) in cases {
        assert!(
            !loader_errors(&src).is_empty(),
            "the loader accepted: {what}\n{src}"
        );
        assert!(
            !schema_errors(&src).is_empty(),
            "the schema accepted: {what}\n{src}"
        );
    }
}

#[test]
fn every_provider_appears_where_settings_allow_it() {
    use meridian::fleet::ProviderKind;
    let schema = fleet_schema();
    let titles = |v: &Value| -> Vec<String> {
        v["oneOf"]
            .as_array()
            .map(|alts| {
                alts.iter()
                    .filter_map(|a| a["title"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let lag = titles(&schema["definitions"]["RawRegion"]["properties"]["lag"]);
    for p in ProviderKind::valid_for(meridian::fleet::CapabilityKind::Lag) {
        assert!(lag.contains(&p.as_str().to_string()), "{lag:?}");
    }
    assert_eq!(
        titles(&schema["properties"]["traffic"]).len(),
        ProviderKind::valid_for(meridian::fleet::CapabilityKind::Traffic).len()
    );
}
