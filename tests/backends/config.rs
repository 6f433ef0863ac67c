//! Fleet-file validation of the real providers' settings: located errors that name the valid
//! keys and providers, and secrets that never appear in messages.

use meridian::fleet::{FleetSource, parse};

const BASE: &str = r#"[fleet]
name = "t"

[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
"#;

fn errors(src: &str) -> Vec<String> {
    match parse(src, "fleet.toml", FleetSource::Demo) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn a_complete_real_fleet_is_valid() {
    let src = format!(
        r#"{BASE}database = {{ provider = "postgres", dsn_env = "PG_USE1" }}
lag = {{ provider = "postgres", dsn_file = "secrets.toml", dsn_key = "use1" }}
health = {{ provider = "route53", health_check_id = "abc", source = "metric" }}

[traffic]
provider = "route53"
hosted_zone_id = "Z1"
record_name = "app.example.com"
record_type = "AAAA"
profile = "ops"
change_timeout = "2m"
max_attempts = 4
"#
    );
    assert_eq!(errors(&src), Vec::<String>::new());
}

#[test]
fn missing_and_unknown_route53_keys_are_located_and_list_the_valid_ones() {
    let src = format!(
        "{BASE}\n[traffic]\nprovider = \"route53\"\nzone = \"Z1\"\nrecord_name = \"app\"\n"
    );
    let all = errors(&src);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(all.iter().any(|e| e.starts_with("fleet.toml:9:1: traffic.zone: unknown key \"zone\" for provider \"route53\"; valid keys: hosted_zone_id, record_name")), "{all:#?}");
    assert!(
        all.iter()
            .any(|e| e
                .contains("traffic.hosted_zone_id: provider \"route53\" needs \"hosted_zone_id\"")),
        "{all:#?}"
    );
}

#[test]
fn a_provider_that_cannot_serve_a_capability_names_those_that_can() {
    let src = format!("{BASE}\n[traffic]\nprovider = \"postgres\"\ndsn_env = \"X\"\n");
    assert_eq!(
        errors(&src),
        vec![r#"fleet.toml:10:12: traffic.provider: provider "postgres" cannot serve this capability; valid here: "sim", "route53", "azure-traffic-manager", "cloudflare""#.to_string()]
    );
    let src = format!("{BASE}lag = {{ provider = \"postgress\", dsn_env = \"X\" }}\n");
    let all = errors(&src);
    assert!(
        all[0].contains(r#"unknown provider "postgress" (did you mean "postgres"?)"#),
        "{all:#?}"
    );
}

#[test]
fn connection_strings_must_come_from_env_or_a_file_and_typed_values_are_checked() {
    let src = format!(
        "{BASE}database = {{ provider = \"postgres\", dsn = \"postgres://u:hunter2@db/x\" }}\n"
    );
    let all = errors(&src);
    assert!(
        all.iter().any(|e| e.contains("unknown key \"dsn\"")),
        "{all:#?}"
    );
    assert!(
        all.iter()
            .any(|e| e.contains("give exactly one of \"dsn_env\"")),
        "{all:#?}"
    );
    assert!(
        all.iter().all(|e| !e.contains("hunter2")),
        "a secret was echoed: {all:#?}"
    );
    let src = format!(
        "{BASE}lag = {{ provider = \"cloudwatch\", metric = \"aurora\", identifier = \"c\", period = \"soon\" }}\n"
    );
    let all = errors(&src);
    assert!(
        all.iter().any(|e| e.contains(
            "lag.metric: must be one of: \"aurora-global\", \"rds-replica\", \"elasticache-global\""
        )),
        "{all:#?}"
    );
    assert!(all.iter().any(|e| e.contains("lag.period:")), "{all:#?}");
}
