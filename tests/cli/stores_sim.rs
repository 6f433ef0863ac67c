//! A region with a database and a cache on the simulator: `status` shows each store, and
//! `promote` moves both in one plan (the simulator's stores share one writer, so the cache
//! reads as moved once the database has: the promotion says so rather than failing its lag
//! gate on a store that is already the writer).

use assert_cmd::Command;
use serde_json::Value;

const FLEET: &str = r#"
[fleet]
name = "simstores"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
database = { provider = "sim" }
cache = { provider = "sim", rpo = "20s" }
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 50
database = { provider = "sim" }
cache = { provider = "sim", rpo = "20s" }
"#;

fn run(dir: &tempfile::TempDir, args: &[&str]) -> (i32, String) {
    let path = dir.path().join("fleet.toml");
    std::fs::write(&path, FLEET).unwrap();
    let out = Command::cargo_bin("meridian")
        .unwrap()
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("MERIDIAN_SIM_SPEED", "0")
        .env_remove("MERIDIAN_CONFIG")
        .env_remove("MERIDIAN_READ_ONLY")
        .arg("-c")
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn roles(dir: &tempfile::TempDir) -> Vec<(String, String, String)> {
    let (_, text) = run(dir, &["status", "--json"]);
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let mut out = Vec::new();
    for r in doc["regions"].as_array().unwrap() {
        for s in r["stores"].as_array().unwrap() {
            out.push((
                r["id"].as_str().unwrap().to_string(),
                s["name"].as_str().unwrap().to_string(),
                s["role"].as_str().unwrap_or("?").to_string(),
            ));
        }
    }
    out
}

#[test]
fn both_stores_show_and_move_together_on_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let (code, status) = run(&dir, &["status"]);
    assert_eq!(code, 0, "{status}");
    assert!(status.contains("DATA STORES"), "{status}");
    let s = |r: &str, n: &str, x: &str| (r.to_string(), n.to_string(), x.to_string());
    assert_eq!(
        roles(&dir),
        vec![
            s("us-east-1", "database", "primary"),
            s("us-east-1", "cache", "primary"),
            s("eu-west-1", "database", "secondary"),
            s("eu-west-1", "cache", "secondary"),
        ]
    );
    let (code, out) = run(&dir, &["promote", "eu-west-1", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("cache (2 of 2): eu-west-1 is already its writer"),
        "{out}"
    );
    assert_eq!(
        roles(&dir),
        vec![
            s("us-east-1", "database", "secondary"),
            s("us-east-1", "cache", "secondary"),
            s("eu-west-1", "database", "primary"),
            s("eu-west-1", "cache", "primary"),
        ]
    );
}
