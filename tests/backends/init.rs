//! `meridian init --from route53` through the real AWS SDK against moto on 127.0.0.1: a
//! zone's weighted record becomes the fleet's regions, with their health checks.

use crate::support::aws::{client, seed};
use assert_cmd::Command;

fn init(home: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("meridian")
        .unwrap()
        .env("MERIDIAN_STATE_DIR", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("MERIDIAN_CONFIG")
        .arg("init")
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_weighted_record_becomes_the_fleets_regions() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    let (zone, hc) = seed(&c).await;
    let home = tempfile::tempdir().unwrap();
    let url = moto.url();
    let base = [
        "--from",
        "route53",
        "--zone",
        zone.as_str(),
        "--endpoint-url",
        url.as_str(),
    ];

    // The zone has two weighted records: init asks which one.
    let (code, _, err) = init(home.path(), &base);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("several weighted records"), "{err}");
    assert!(err.contains("app.example.com."), "{err}");
    assert!(!home.path().join("config/meridian/fleet.toml").exists());

    let mut args = base.to_vec();
    args.extend(["--record", "app.example.com"]);
    let (code, out, err) = init(home.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("with 4 regions"), "{out}");
    let text = std::fs::read_to_string(home.path().join("config/meridian/fleet.toml")).unwrap();
    assert!(text.contains("provider = \"route53\""), "{text}");
    assert!(
        text.contains(&format!("hosted_zone_id = \"{zone}\"")),
        "{text}"
    );
    // Heaviest first, as the primary; weights and health checks as Route 53 has them.
    let us = text.find("id = \"us-east-1\"").unwrap();
    let eu = text.find("id = \"eu-west-1\"").unwrap();
    assert!(us < eu, "{text}");
    assert!(text[us..eu].contains("role = \"primary\""), "{text}");
    assert!(text.contains("steady_weight = 30"), "{text}");
    assert!(
        text.contains(&format!("health_check_id = \"{}\"", hc[0])),
        "{text}"
    );
    assert!(text.contains("set_identifier = \"apse1\""), "{text}");

    // And the file it wrote reads the same weights back through the traffic provider.
    let out = Command::cargo_bin("meridian")
        .unwrap()
        .env("MERIDIAN_STATE_DIR", home.path().join("state"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("MERIDIAN_CONFIG")
        .args(["status", "--json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let weights: Vec<i64> = doc["regions"]
        .as_array()
        .map(|rs| rs.iter().filter_map(|r| r["weight"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(
        weights,
        [50, 30, 20, 5],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
