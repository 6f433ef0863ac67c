//! Fleet file validation: every refusal names file, line, column, key and what is valid.

use meridian::fleet::{FleetSource, parse};

const GOOD: &str = r#"[fleet]
name = "t"

[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50

[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 30

[[tenants]]
id = "shop-prd"
environment = "prd"
regions = ["us-east-1", "eu-west-1"]

[[phases]]
id = "infrastructure"
steps = ["terraform apply"]
"#;

/// All error messages for a source, one per line.
fn errors(src: &str) -> Vec<String> {
    match parse(src, "fleet.toml", FleetSource::Demo) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

fn one_error(src: &str) -> String {
    let all = errors(src);
    assert_eq!(all.len(), 1, "expected one error, got {all:#?}");
    all[0].clone()
}

#[test]
fn the_good_file_the_demo_and_the_example_are_valid() {
    assert_eq!(errors(GOOD), Vec::<String>::new());
    assert_eq!(
        errors(meridian::fleet::load::DEMO_FLEET),
        Vec::<String>::new()
    );
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/fleet.toml"))
            .unwrap();
    let fleet = parse(&example, "examples/fleet.toml", FleetSource::Demo).unwrap();
    assert_eq!(
        (fleet.regions.len(), fleet.tenants.len(), fleet.phases.len()),
        (4, 3, 7)
    );
    let demo = meridian::fleet::demo();
    assert_eq!(
        (demo.regions.len(), demo.tenants.len(), demo.phases.len()),
        (4, 3, 7)
    );
}

#[test]
fn unknown_region_in_a_tenant_suggests_the_nearest() {
    let src = GOOD.replace(
        r#"regions = ["us-east-1", "eu-west-1"]"#,
        r#"regions = ["us-east-1", "eu-wset-1"]"#,
    );
    assert_eq!(
        one_error(&src),
        r#"fleet.toml:17:25: tenants[0].regions: unknown region "eu-wset-1" (did you mean "eu-west-1"?)"#
    );
}

#[test]
fn duplicate_region_id() {
    let src = GOOD.replace(r#"id = "eu-west-1""#, r#"id = "us-east-1""#);
    assert_eq!(
        errors(&src),
        vec![
            r#"fleet.toml:10:6: regions[1].id: duplicate region id "us-east-1""#.to_string(),
            r#"fleet.toml:17:25: tenants[0].regions: unknown region "eu-west-1" (valid: "us-east-1")"#.to_string(),
        ]
    );
}

#[test]
fn duplicate_tenant_and_phase_ids() {
    let src = format!(
        "{GOOD}\n[[tenants]]\nid = \"shop-prd\"\nenvironment = \"stg\"\nregions = [\"us-east-1\"]\n\n[[phases]]\nid = \"infrastructure\"\nsteps = [\"x\"]\n"
    );
    assert_eq!(
        errors(&src),
        vec![
            r#"fleet.toml:24:6: tenants[1].id: duplicate tenant id "shop-prd""#.to_string(),
            r#"fleet.toml:29:6: phases[1].id: duplicate phase id "infrastructure""#.to_string(),
        ]
    );
}

#[test]
fn all_steady_weights_zero() {
    let src = GOOD
        .replace("steady_weight = 50", "steady_weight = 0")
        .replace("steady_weight = 30", "steady_weight = 0");
    let e = one_error(&src);
    assert!(
        e.starts_with("fleet.toml:4:1: regions.steady_weight: every steady weight is 0"),
        "{e}"
    );
}

#[test]
fn weight_over_255() {
    let src = GOOD.replace("steady_weight = 30", "steady_weight = 300");
    assert_eq!(
        one_error(&src),
        "fleet.toml:12:17: regions[1].steady_weight: weight 300 is out of range: DNS weights are integers 0..=255"
    );
}

#[test]
fn two_primaries() {
    let src = GOOD.replace(r#"role = "secondary""#, r#"role = "primary""#);
    assert_eq!(
        one_error(&src),
        r#"fleet.toml:11:8: regions[1].role: two primaries: "us-east-1" and "eu-west-1"; exactly one region may be primary"#
    );
}

#[test]
fn no_primary() {
    let src = GOOD.replace(r#"role = "primary""#, r#"role = "secondary""#);
    let e = one_error(&src);
    assert!(
        e.starts_with(r#"fleet.toml:4:1: regions: no region has role = "primary""#),
        "{e}"
    );
}

#[test]
fn unknown_role_lists_valid_values() {
    let src = GOOD.replace(r#"role = "secondary""#, r#"role = "secondry""#);
    assert_eq!(
        one_error(&src),
        r#"fleet.toml:11:8: regions[1].role: unknown role "secondry" (did you mean "secondary"?); valid: "primary", "secondary""#
    );
}

#[test]
fn unknown_provider_lists_valid_values() {
    let src = format!("{GOOD}\n[traffic]\nprovider = \"route54\"\n");
    assert_eq!(
        one_error(&src),
        r#"fleet.toml:24:12: traffic.provider: unknown provider "route54" (did you mean "route53"?)"#
    );
    let src = GOOD.replace(
        "steady_weight = 30",
        "steady_weight = 30\nlag = { provider = \"sims\" }",
    );
    assert_eq!(
        one_error(&src),
        r#"fleet.toml:13:20: regions[1].lag.provider: unknown provider "sims" (did you mean "sim"?)"#
    );
}

#[test]
fn unknown_key_suggests_the_nearest() {
    let src = GOOD.replace("steady_weight = 30", "steady_wieght = 30");
    let e = one_error(&src);
    assert!(
        e.starts_with("fleet.toml:12:1: regions[1].steady_wieght: unknown field `steady_wieght`"),
        "{e}"
    );
    assert!(e.ends_with("(did you mean `steady_weight`?)"), "{e}");
}

#[test]
fn bad_duration_and_confirmation() {
    let src =
        format!("{GOOD}\n[policy]\nrpo_budget = \"sixty\"\n[policy.confirm]\ndrain = \"maybe\"\n");
    let all = errors(&src);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(
        all[0].starts_with("fleet.toml:24:14: policy.rpo_budget: "),
        "{}",
        all[0]
    );
    assert!(all[0].contains("\"60s\""));
    assert_eq!(
        all[1],
        r#"fleet.toml:26:9: policy.confirm.drain: unknown confirmation "maybe" (valid: "yes-no", "type-name")"#
    );
}

#[test]
fn syntax_errors_are_located() {
    let src = GOOD.replace(r#"name = "t""#, r#"name = "t"#);
    let e = one_error(&src);
    assert!(e.starts_with("fleet.toml:2:"), "{e}");
}

#[test]
fn a_tenant_must_run_somewhere_and_ids_are_safe() {
    let src = GOOD
        .replace(r#"regions = ["us-east-1", "eu-west-1"]"#, "regions = []")
        .replace(r#"id = "shop-prd""#, r#"id = "Shop PRD""#);
    let all = errors(&src);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(
        all[0].contains("tenants[0].id: \"Shop PRD\" is not a valid id"),
        "{}",
        all[0]
    );
    assert!(
        all[1].contains("tenants[0].regions: a tenant must run in at least one region"),
        "{}",
        all[1]
    );
}

#[test]
fn the_fleet_name_must_be_a_plain_file_name() {
    let src = GOOD.replace(r#"name = "t""#, r#"name = "../etc""#);
    assert_eq!(
        one_error(&src),
        r#"fleet.toml:2:8: fleet.name: "../etc" is not a valid fleet name: use 1..=64 letters, digits, '-', '_' and '.', not starting with '.'"#
    );
}

#[test]
fn the_fleet_name_has_a_length_limit() {
    let long = "a".repeat(65);
    let src = GOOD.replace(r#"name = "t""#, &format!("name = \"{long}\""));
    assert_eq!(
        one_error(&src),
        "fleet.toml:2:8: fleet.name: the fleet name is 65 characters long: at most 64 are allowed (it names a directory)"
    );
    let ok = GOOD.replace(r#"name = "t""#, &format!("name = \"{}\"", "a".repeat(64)));
    assert_eq!(errors(&ok), Vec::<String>::new());
}

#[test]
fn dsn_env_takes_only_a_variable_name_and_never_repeats_the_value() {
    let secret = "postgres://admin:hunter2@db.internal:5432/app";
    let src = GOOD.replace(
        "steady_weight = 30",
        &format!(
            "steady_weight = 30\ndatabase = {{ provider = \"postgres\", dsn_env = \"{secret}\" }}"
        ),
    );
    let e = one_error(&src);
    assert!(e.starts_with("fleet.toml:13:12: regions[1].database.dsn_env: must be the name of an environment variable"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    // A secret pasted into a key of another type is not repeated either.
    let src = GOOD.replace(
        "steady_weight = 30",
        &format!("steady_weight = \"{secret}\""),
    );
    let e = one_error(&src);
    assert!(e.contains("steady_weight") && !e.contains("hunter2"), "{e}");
    let ok = GOOD.replace(
        "steady_weight = 30",
        "steady_weight = 30\ndatabase = { provider = \"postgres\", dsn_env = \"PG_EU_1\" }",
    );
    assert_eq!(errors(&ok), Vec::<String>::new());
}

#[test]
fn a_broken_line_holding_a_secret_is_not_echoed_as_the_key() {
    // Found by the fuzzer: the key path was read from the broken table header itself.
    let src = GOOD.replace(
        "[[tenants]]",
        "[[tenantsdsn_env = \"postgres://u:secret@h/db\"",
    );
    let e = one_error(&src);
    assert!(
        e.starts_with("fleet.toml:14:17: unclosed array table"),
        "{e}"
    );
    assert!(!e.contains("secret"), "{e}");
}

#[test]
fn text_that_is_not_utf8_is_located() {
    let mut bytes = GOOD.as_bytes().to_vec();
    let at = GOOD.find("eu-west-1").unwrap_or(0);
    bytes[at + 3] = 0xff;
    let e = meridian::fleet::parse_bytes(&bytes, "fleet.toml", FleetSource::Demo)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("fleet.toml:10:10: byte 0xff is not UTF-8 text; save the file as UTF-8")
    );
}

/// GOOD with Argo CD as the gitops provider and `extra` appended.
fn argo(extra: &str) -> String {
    let src = GOOD.replacen(
        "[[regions]]",
        "[gitops]\nprovider = \"argocd\"\n\n[[regions]]",
        1,
    );
    format!("{src}{extra}")
}

#[test]
fn argo_cd_needs_a_cluster_per_region_or_a_hub() {
    let all = errors(&argo(""));
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(all[0].starts_with("fleet.toml:8:6: regions[0].cluster: [gitops] provider \"argocd\" reads each region's cluster, and us-east-1 has none"), "{all:#?}");
    let clustered = argo("").replace(
        "steady_weight = 50\n",
        "steady_weight = 50\ncluster = { context = \"prod-use1\" }\n",
    );
    let e = one_error(&clustered);
    assert!(
        e.contains("regions[1].cluster") && e.contains("eu-west-1 has none"),
        "{e}"
    );
    let hub = argo("").replace(
        "provider = \"argocd\"\n",
        "provider = \"argocd\"\nhub_context = \"hub\"\n",
    );
    assert_eq!(errors(&hub), Vec::<String>::new());
}

#[test]
fn kubernetes_tables_are_checked_where_they_are_written() {
    let src = GOOD.replace(
        "steady_weight = 50\n",
        "steady_weight = 50\ncluster = { contxt = \"a\" }\n",
    );
    let e = one_error(&src);
    assert!(e.starts_with("fleet.toml:") && e.contains("contxt"), "{e}");
    let src = format!(
        "{GOOD}\n[[tenants]]\nid = \"web\"\nenvironment = \"stg\"\nregions = [\"us-east-1\"]\nhelm = {{ provider = \"helm\", releas = \"web\" }}\n"
    );
    let all = errors(&src);
    assert!(
        all.iter()
            .any(|e| e.contains("tenants[1].helm.releas") && e.contains("valid keys: release")),
        "{all:#?}"
    );
    assert!(
        all.iter().any(
            |e| e.contains("Helm releases are read from each region's cluster; give us-east-1")
        ),
        "{all:#?}"
    );
    let src = format!("{GOOD}\n[lock]\nprovider = \"kube\"\n");
    let e = one_error(&src);
    assert!(
        e.contains("lock.context") && e.contains("the Lease lock needs a cluster"),
        "{e}"
    );
    let src = format!("{GOOD}\n[lock]\nprovider = \"etcd\"\n");
    let e = one_error(&src);
    assert!(
        e.contains("lock.provider") && e.contains("unknown provider \"etcd\""),
        "{e}"
    );
    let src = GOOD.replace(
        "regions = [\"us-east-1\", \"eu-west-1\"]\n",
        "regions = [\"us-east-1\", \"eu-west-1\"]\napplicationset = \"shop\"\n",
    );
    let e = one_error(&src);
    assert!(
        e.contains("tenants[0].applicationset")
            && e.contains("needs [gitops] provider = \"argocd\""),
        "{e}"
    );
}
