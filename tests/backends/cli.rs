//! End to end: the real binary, a fleet file pointing at moto (Route 53, CloudWatch) and a
//! real PostgreSQL primary + replica, all on 127.0.0.1.

use crate::support::aws::{client, put_metric, seed, sets};
use assert_cmd::Command;
use serde_json::Value;

struct Lab {
    dir: tempfile::TempDir,
    fleet: std::path::PathBuf,
    zone: String,
    moto: crate::support::moto::Moto,
    proxy: crate::support::throttle::Throttle,
    pg: crate::support::db::PgPair,
}

impl Lab {
    /// None when a server is unavailable (and not in CI).
    async fn start() -> Option<Lab> {
        let moto = crate::support::moto::start()?;
        let pg = crate::support::db::pg_pair()?;
        let c = client(&moto.url()).await;
        let (zone, hc) = seed(&c).await;
        put_metric(
            &moto.url(),
            "ap-southeast-1",
            "AWS/RDS",
            "ReplicaLag",
            ("DBInstanceIdentifier", "apse1-db"),
            3.0,
        )
        .await;
        let proxy = crate::support::throttle::start(moto.port, "POST");
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(
            dir.path().join("secrets.toml"),
            format!(
                "\"us-east-1\" = \"{}\"\n\"eu-west-1\" = \"{}\"\n",
                pg.primary_dsn(),
                pg.replica_dsn()
            ),
        )
        .expect("secrets");
        let fleet = dir.path().join("fleet.toml");
        let text = format!(
            r#"[fleet]
name = "e2e"
[policy]
rpo_budget = "2s"
health_gate = "0s"
[traffic]
provider = "route53"
hosted_zone_id = "{zone}"
record_name = "app.example.com"
endpoint_url = "{proxy}"
aws_region = "us-east-1"
change_timeout = "10s"
max_attempts = 2
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
health = {{ provider = "route53", health_check_id = "{h0}", source = "status" }}
database = {{ provider = "postgres", dsn_file = "secrets.toml" }}
lag = {{ provider = "postgres", dsn_file = "secrets.toml" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 30
health = {{ provider = "route53", health_check_id = "{h1}", source = "status" }}
database = {{ provider = "postgres", dsn_file = "secrets.toml" }}
lag = {{ provider = "postgres", dsn_file = "secrets.toml" }}
[[regions]]
id = "ap-southeast-1"
role = "secondary"
steady_weight = 20
set_identifier = "apse1"
health = {{ provider = "route53", health_check_id = "{h2}", source = "status" }}
lag = {{ provider = "cloudwatch", metric = "rds-replica", identifier = "apse1-db", endpoint_url = "{moto}" }}
"#,
            proxy = proxy.url(),
            moto = moto.url(),
            h0 = hc[0],
            h1 = hc[1],
            h2 = hc[2],
        );
        std::fs::write(&fleet, text).expect("fleet");
        Some(Lab {
            dir,
            fleet,
            zone,
            moto,
            proxy,
            pg,
        })
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut c = Command::cargo_bin("meridian").expect("binary");
        c.env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env_remove("MERIDIAN_READ_ONLY")
            .envs(crate::support::aws_test_env())
            .arg("-c")
            .arg(&self.fleet)
            .args(args);
        let out = c.output().expect("run meridian");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn status(&self) -> Value {
        let (code, out, err) = self.run(&["status", "--json"]);
        assert_eq!(code, 0, "{err}");
        assert!(
            !out.contains("postgres://"),
            "a connection string leaked into --json"
        );
        serde_json::from_str(&out).expect("json")
    }

    fn change_posts(&self) -> Vec<crate::support::throttle::Seen> {
        self.proxy
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/rrset"))
            .collect()
    }

    async fn weight(&self, set: &str) -> Option<i64> {
        let c = client(&self.moto.url()).await;
        sets(&c, &self.zone)
            .await
            .iter()
            .find(|s| s.set_identifier.as_deref() == Some(set))
            .and_then(|s| s.weight)
    }
}

fn region<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["regions"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["id"] == id))
        .expect("region in status")
}

#[tokio::test]
async fn status_json_shows_weights_health_and_lag_read_from_the_servers() {
    let Some(lab) = Lab::start().await else {
        return;
    };
    let s = lab.status();
    assert_eq!(region(&s, "us-east-1")["weight"], 50, "{s:#}");
    assert_eq!(region(&s, "eu-west-1")["weight"], 30);
    assert_eq!(region(&s, "ap-southeast-1")["weight"], 20);
    assert_eq!(region(&s, "us-east-1")["health"], "healthy");
    assert_eq!(region(&s, "us-east-1")["role"], "primary");
    assert_eq!(region(&s, "eu-west-1")["role"], "secondary");
    assert_eq!(region(&s, "eu-west-1")["lag_seconds"], 0.0);
    assert_eq!(
        region(&s, "ap-southeast-1")["lag_seconds"],
        3.0,
        "ReplicaLag from CloudWatch: {}",
        region(&s, "ap-southeast-1")
    );
    assert!(
        s.to_string().contains("legacy-dc"),
        "unmanaged traffic shown: {s:#}"
    );
}

/// A record that is not a region (`legacy-dc`) is told once as a note, never a problem that
/// fails the check; `[traffic] ignore` leaves it unlisted.
#[tokio::test]
async fn a_record_that_is_not_a_region_is_a_note_not_a_failed_check() {
    let Some(lab) = Lab::start().await else {
        return;
    };
    let check = |lab: &Lab| {
        let (_, out, err) = lab.run(&["status", "--check", "--json"]);
        let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        doc["check"].clone()
    };
    let c = check(&lab);
    let problems = c["problems"].to_string();
    assert!(!problems.contains("legacy-dc"), "{c:#}");
    assert!(
        c["notes"].to_string().contains("record \\\"legacy-dc\\\""),
        "{c:#}"
    );
    let text = std::fs::read_to_string(&lab.fleet).expect("fleet");
    std::fs::write(
        &lab.fleet,
        text.replace(
            "max_attempts = 2\n",
            "max_attempts = 2\nignore = [\"legacy-dc\"]\n",
        ),
    )
    .expect("fleet");
    let c = check(&lab);
    assert_eq!(c["notes"], serde_json::json!([]), "{c:#}");
    let (_, table, _) = lab.run(&["status"]);
    assert!(!table.contains("legacy-dc"), "{table}");
}

/// Route 53 calls seen by the proxy since `from`, by kind.
fn route53_calls(lab: &Lab, from: usize) -> std::collections::BTreeMap<&'static str, usize> {
    let mut out = std::collections::BTreeMap::new();
    for r in lab.proxy.requests().into_iter().skip(from) {
        let kind = match (r.method.as_str(), r.path.split('?').next().unwrap_or("")) {
            ("GET", p) if p.ends_with("/rrset") => "ListResourceRecordSets",
            ("POST", p) if p.ends_with("/rrset") => "ChangeResourceRecordSets",
            ("GET", p) if p.ends_with("/status") => "GetHealthCheckStatus",
            ("GET", p) if p.contains("/change/") => "GetChange",
            // STS GetCallerIdentity (a form POST to /): who acts, for the audit record.
            ("POST", "/") => "GetCallerIdentity",
            _ => "other",
        };
        *out.entry(kind).or_default() += 1;
    }
    out
}

/// The API budget, counted: a regression shows up as a failing count, not as a timing.
#[tokio::test]
async fn one_refresh_and_one_drain_make_the_fewest_route53_calls() {
    let Some(lab) = Lab::start().await else {
        return;
    };
    let start = lab.proxy.requests().len();
    let s = lab.status();
    let refresh = route53_calls(&lab, start);
    let expected: std::collections::BTreeMap<&str, usize> =
        [("ListResourceRecordSets", 1), ("GetHealthCheckStatus", 3)].into();
    assert_eq!(
        refresh, expected,
        "one refresh: one list, one status per region"
    );
    // status --json reports what it spent.
    assert_eq!(s["api"]["route53"]["calls"], 4, "{:#}", s["api"]);

    let start = lab.proxy.requests().len();
    let (code, out, err) = lab.run(&["drain", "eu-west-1", "--yes", "--reason", "e2e"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let drain = route53_calls(&lab, start);
    // Read once for the plan (weights + every region's health), list again for the
    // read-modify-write batch, change, wait for INSYNC, read the weights back once.
    let expected: std::collections::BTreeMap<&str, usize> = [
        ("ListResourceRecordSets", 3),
        ("GetHealthCheckStatus", 3),
        ("ChangeResourceRecordSets", 1),
        ("GetChange", 1),
        // The identity the audit record carries: asked once per process.
        ("GetCallerIdentity", 1),
    ]
    .into();
    assert_eq!(
        drain,
        expected,
        "one drain: {}",
        drain.values().sum::<usize>()
    );
}

#[tokio::test]
async fn drain_is_one_change_batch_checked_by_a_separate_read_and_all_zero_is_refused() {
    let Some(lab) = Lab::start().await else {
        return;
    };
    let (code, out, err) = lab.run(&["drain", "eu-west-1", "--yes", "--reason", "e2e"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let posts = lab.change_posts();
    assert_eq!(posts.len(), 1, "one ChangeResourceRecordSets: {posts:#?}");
    // The plan showed the exact batch, and where it is served from.
    assert!(err.contains("UPSERT app.example.com. A set=eu-west-1 weight 30 -> 0 (kept: ttl 60s, 192.0.2.20, health check"), "{err}");
    assert!(
        err.contains("control-plane call served from us-east-1"),
        "{err}"
    );
    assert_eq!(lab.weight("eu-west-1").await, Some(0));
    assert_eq!(lab.weight("us-east-1").await, Some(50));
    assert_eq!(lab.weight("apse1").await, Some(20));

    let (code, out, err) = lab.run(&[
        "weights",
        "us-east-1=0",
        "eu-west-1=0",
        "ap-southeast-1=0",
        "--yes",
        "--reason",
        "e2e",
    ]);
    assert_eq!(code, 3, "all-zero refused: {out}\n{err}");
    assert_eq!(lab.change_posts().len(), 1, "no change sent");
    assert_eq!(lab.weight("us-east-1").await, Some(50));
}

#[tokio::test]
async fn a_failed_change_leaves_the_audit_log_saying_so() {
    let Some(lab) = Lab::start().await else {
        return;
    };
    lab.proxy.fail_next(&["Throttling"; 4]);
    let (code, out, err) = lab.run(&["drain", "eu-west-1", "--yes", "--reason", "e2e"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("Throttling") || out.contains("Throttling"),
        "{out}\n{err}"
    );
    assert_eq!(lab.weight("eu-west-1").await, Some(30), "nothing changed");
    let (code, out, err) = lab.run(&["audit", "--json"]);
    assert_eq!(code, 0, "{err}");
    let records: Vec<Value> = serde_json::from_str(&out).expect("audit json");
    let last = records
        .iter()
        .rev()
        .find(|r| r["action"] == "drain")
        .expect("a drain record");
    assert_eq!(last["outcome"], "failed", "{last:#}");
    assert!(last.to_string().contains("Throttling"), "{last:#}");
    assert!(
        !out.contains("postgres://"),
        "no connection strings in the audit log"
    );
}

#[tokio::test]
async fn promote_is_refused_while_replay_is_paused_then_succeeds_once_lag_is_back_under_budget() {
    let Some(lab) = Lab::start().await else {
        return;
    };
    lab.pg
        .sql(lab.pg.replica_port, "SELECT pg_wal_replay_pause()");
    lab.pg
        .sql(lab.pg.primary_port, "INSERT INTO orders DEFAULT VALUES");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let (code, out, err) = lab.run(&["promote", "eu-west-1", "--yes", "--reason", "e2e"]);
    assert_eq!(code, 3, "refused over the RPO budget: {out}\n{err}");
    assert!(format!("{out}{err}").contains("RPO budget"), "{out}\n{err}");
    assert_eq!(
        lab.pg
            .sql(lab.pg.replica_port, "SELECT pg_is_in_recovery()"),
        "t"
    );

    lab.pg
        .sql(lab.pg.replica_port, "SELECT pg_wal_replay_resume()");
    crate::support::wait_for(
        "replica caught up",
        std::time::Duration::from_secs(30),
        || {
            lab.pg.sql(
                lab.pg.replica_port,
                "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) = 0",
            ) == "t"
        },
    );
    let (code, out, err) = lab.run(&["promote", "eu-west-1", "--yes", "--reason", "e2e"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        format!("{out}{err}").contains("fencing the old primary us-east-1"),
        "the fence is announced: {out}\n{err}"
    );
    assert_eq!(
        lab.pg
            .sql(lab.pg.replica_port, "SELECT pg_is_in_recovery()"),
        "f",
        "the replica is now primary"
    );
    let s = lab.status();
    assert_eq!(region(&s, "eu-west-1")["role"], "primary");
    assert_eq!(
        region(&s, "us-east-1")["role"],
        "secondary",
        "the fenced old primary takes no writes"
    );
}
