//! `meridian preflight` through the binary on a Route 53 fleet served by moto: ready when
//! every record and health check exists; exit 3 naming what is missing when the failover
//! target's health check does not exist, when it has none at all, or when its weighted
//! record is missing. Nothing is changed by any of it.

use crate::support::aws::{client, seed, sets};
use assert_cmd::Command;
use serde_json::Value;

const FAILOVER: &str = r#"
[[rollouts]]
id = "failover-eu-west-1"
name = "Fail over to eu-west-1"
kind = "failover"
steps = [
  { drain = "us-east-1" },
  { promote = "eu-west-1" },
  { gate = "healthy", region = "eu-west-1", for = "1m" },
]
"#;

struct Case {
    dir: tempfile::TempDir,
    fleet: std::path::PathBuf,
}

/// A fleet over the seeded zone whose eu-west-1 region is `eu` (its set identifier and
/// health table).
fn fleet(moto: &str, zone: &str, us_hc: &str, eu: &str) -> Case {
    let dir = tempfile::tempdir().expect("tmp");
    let text = format!(
        r#"[fleet]
name = "pf"
[policy]
rpo_budget = "60s"
health_gate = "0s"
[traffic]
provider = "route53"
hosted_zone_id = "{zone}"
record_name = "app.example.com"
endpoint_url = "{moto}"
aws_region = "us-east-1"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
health = {{ provider = "route53", health_check_id = "{us_hc}", source = "status", endpoint_url = "{moto}" }}
sim = {{ lag_seconds = 0.0 }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 30
sim = {{ lag_seconds = 1.0 }}
{eu}
{FAILOVER}"#
    );
    let path = dir.path().join("fleet.toml");
    std::fs::write(&path, text).expect("fleet");
    Case { dir, fleet: path }
}

impl Case {
    fn preflight(&self, json: bool) -> (i32, String, String) {
        let mut c = Command::cargo_bin("meridian").expect("binary");
        c.env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env_remove("MERIDIAN_READ_ONLY")
            .envs(crate::support::aws_test_env())
            .arg("-c")
            .arg(&self.fleet)
            .arg("preflight");
        if json {
            c.arg("--json");
        }
        let out = c.output().expect("run meridian");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn item<'a>(doc: &'a Value, check: &str) -> &'a Value {
    doc["templates"][0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["check"] == check)
        .unwrap_or_else(|| panic!("no {check} in {doc:#}"))
}

#[tokio::test]
async fn preflight_names_a_missing_health_check_and_a_missing_record_on_route53() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    let (zone, hc) = seed(&c).await;
    let before = sets(&c, &zone).await;
    let health = |id: &str| {
        format!(
            r#"health = {{ provider = "route53", health_check_id = "{id}", source = "status", endpoint_url = "{}" }}"#,
            moto.url()
        )
    };

    // Everything exists: ready, and the Route 53 writes are said to be unchecked.
    let ok = fleet(&moto.url(), &zone, &hc[0], &health(&hc[1]));
    let (code, out, err) = ok.preflight(true);
    assert_eq!(code, 0, "{out}\n{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["ready"], true);
    assert_eq!(item(&doc, "eu-west-1 traffic record")["status"], "pass");
    assert_eq!(item(&doc, "eu-west-1 health check")["status"], "pass");
    let writes = item(&doc, "us-east-1 writes");
    assert_eq!(writes["status"], "not-checked", "{writes:#}");
    assert!(
        writes["detail"]
            .as_str()
            .unwrap()
            .contains("traffic (route53): no dry-run")
    );

    // The failover target's health check does not exist in Route 53.
    let gone = fleet(
        &moto.url(),
        &zone,
        &hc[0],
        &health("00000000-0000-0000-0000-000000000000"),
    );
    let (code, out, err) = gone.preflight(false);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        out.contains("FAIL  eu-west-1 health check: its health check is missing: Route 53 health check 00000000-0000-0000-0000-000000000000 does not exist"),
        "{out}"
    );
    assert!(out.contains("NOT READY"), "{out}");
    assert!(err.contains("failover-eu-west-1 is not ready"), "{err}");

    // The failover target has no health check at all.
    let none = fleet(&moto.url(), &zone, &hc[0], "");
    let (code, out, err) = none.preflight(false);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        out.contains("FAIL  eu-west-1 health check: its health check is missing: eu-west-1 has no health source of its own"),
        "{out}"
    );
    assert!(out.contains("-> add health = "), "{out}");

    // Its weighted record is missing from the zone.
    let no_record = fleet(
        &moto.url(),
        &zone,
        &hc[0],
        &format!("set_identifier = \"euw1-gone\"\n{}", health(&hc[1])),
    );
    let (code, out, err) = no_record.preflight(true);
    assert_eq!(code, 3, "{out}\n{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    let record = item(&doc, "eu-west-1 traffic record");
    assert_eq!(record["status"], "fail", "{record:#}");
    assert!(
        record["detail"]
            .as_str()
            .unwrap()
            .contains("looked for \"euw1-gone\""),
        "{record:#}"
    );

    // Preflight changed nothing in the zone.
    assert_eq!(sets(&c, &zone).await, before);
}
