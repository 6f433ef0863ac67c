//! A whole-region data failover through the real binary: a region with an Aurora Global
//! Database (on moto, switchover served by tests/support/moto_launcher.py) and an
//! ElastiCache Global Datastore (`cache`, on the stand-in), each with its CloudWatch lag
//! (on moto). `promote eu-west-1` moves both in one plan, database then cache, each behind
//! its own lag gate; when the cache's failover is refused the promotion stops, reads every
//! store back, says which moved and the way back, and `status` shows the split.

use serde_json::{Value, json};

use crate::support::elasticache::{self as ec, EUW1, GROUP, USE1};

struct Lab {
    moto: crate::support::moto::Moto,
    cache: crate::support::standin::Standin,
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

async fn lab(cache_rpo: &str) -> Option<Lab> {
    let moto = crate::support::moto::start()?;
    let cache = ec::start(1.0)?;
    let (w, r) = crate::aurora::seed(&moto.url()).await;
    let m = moto.url();
    // Lag of each secondary: Aurora's in milliseconds, ElastiCache's in seconds.
    crate::support::aws::put_metric(
        &m,
        "eu-west-1",
        "AWS/RDS",
        "AuroraGlobalDBReplicationLag",
        ("DBClusterIdentifier", "orders-euw1"),
        300.0,
    )
    .await;
    crate::support::aws::put_metric(
        &m,
        "eu-west-1",
        "AWS/ElastiCache",
        "GlobalDatastoreReplicationLag",
        ("ReplicationGroupId", EUW1),
        2.0,
    )
    .await;
    let c = cache.url("http");
    let region = |id: &str, role: &str, arn: &str, cluster: &str, rg: &str| {
        format!(
            r#"
[[regions]]
id = "{id}"
role = "{role}"
steady_weight = 50
database = {{ provider = "aurora", global_cluster_id = "orders", cluster_arn = "{arn}", endpoint_url = "{m}", promote_timeout = "30s" }}
lag = {{ provider = "cloudwatch", metric = "aurora-global", identifier = "{cluster}", endpoint_url = "{m}" }}
cache = {{ provider = "elasticache-global", global_replication_group_id = "{GROUP}", replication_group_id = "{rg}", endpoint_url = "{c}", promote_timeout = "30s", rpo = "{cache_rpo}", lag = {{ provider = "cloudwatch", metric = "elasticache-global", identifier = "{rg}", endpoint_url = "{m}" }} }}
"#
        )
    };
    let text = format!(
        "[fleet]\nname = \"stores-test\"\n[policy]\nrpo_budget = \"5s\"\n{}{}",
        region("us-east-1", "primary", &w, "orders-use1", USE1),
        region("eu-west-1", "secondary", &r, "orders-euw1", EUW1),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("fleet.toml");
    std::fs::write(&path, text).expect("fleet file");
    Some(Lab {
        moto,
        cache,
        dir,
        path,
    })
}

impl Lab {
    fn run(&self, args: &[&str]) -> (i32, String) {
        let mut c = assert_cmd::Command::cargo_bin("meridian").expect("binary");
        c.env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("MERIDIAN_SIM_SPEED", "0")
            .envs(crate::support::aws_test_env())
            .arg("-c")
            .arg(&self.path)
            .args(args);
        let out = c.output().expect("run");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// `status --json`: each region's stores as `(name, role)`.
    fn store_roles(&self) -> Vec<(String, Vec<(String, String)>)> {
        let (_, text) = self.run(&["status", "--json"]);
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        doc["regions"]
            .as_array()
            .expect("regions")
            .iter()
            .map(|r| {
                let stores = r["stores"]
                    .as_array()
                    .unwrap_or_else(|| panic!("no stores in {r}"))
                    .iter()
                    .map(|s| {
                        (
                            s["name"].as_str().unwrap_or("").to_string(),
                            s["role"].as_str().unwrap_or("?").to_string(),
                        )
                    })
                    .collect();
                (r["id"].as_str().unwrap_or("").to_string(), stores)
            })
            .collect()
    }

    async fn aurora_writer(&self) -> String {
        let rds = crate::aurora::rds(&self.moto.url(), "us-east-1").await;
        let out = rds
            .describe_global_clusters()
            .global_cluster_identifier("orders")
            .send()
            .await
            .expect("describe");
        out.global_clusters()[0]
            .global_cluster_members()
            .iter()
            .find(|m| m.is_writer() == Some(true))
            .and_then(|m| m.db_cluster_arn())
            .map(|a| a.rsplit(':').next().unwrap_or(a).to_string())
            .unwrap_or_default()
    }
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[tokio::test]
async fn promote_moves_database_then_cache_in_one_plan_each_behind_its_lag_gate() {
    let Some(lab) = lab("10s").await else {
        return;
    };
    assert_eq!(
        lab.store_roles(),
        vec![
            (
                "us-east-1".to_string(),
                vec![pair("database", "primary"), pair("cache", "primary")]
            ),
            (
                "eu-west-1".to_string(),
                vec![pair("database", "secondary"), pair("cache", "secondary")]
            ),
        ]
    );

    let (code, plan) = lab.run(&["promote", "eu-west-1", "--dry-run", "--reason", "drill"]);
    assert_eq!(code, 0, "{plan}");
    assert!(
        plan.contains("in order: 1. database (aurora), 2. cache (elasticache-global)"),
        "{plan}"
    );
    assert!(
        plan.contains("database: lag 0.3s within its RPO of 5s"),
        "{plan}"
    );
    assert!(
        plan.contains("cache: lag 2.0s within its RPO of 10s"),
        "{plan}"
    );
    assert_eq!(ec::state(&lab.cache).2, 0, "a dry run sends nothing");

    let (code, out) = lab.run(&["promote", "eu-west-1", "--yes", "--reason", "drill"]);
    assert_eq!(code, 0, "{out}");
    let db = out.find("database (1 of 2): promoting").expect(&out);
    let cache = out.find("cache (2 of 2): promoting").expect(&out);
    assert!(db < cache, "database first, then cache: {out}");
    assert_eq!(lab.aurora_writer().await, "orders-euw1");
    assert_eq!(ec::role(&lab.cache, EUW1), "PRIMARY");
    assert_eq!(ec::role(&lab.cache, USE1), "SECONDARY");
    assert_eq!(
        lab.store_roles()[1],
        (
            "eu-west-1".to_string(),
            vec![pair("database", "primary"), pair("cache", "primary")]
        )
    );
    let (_, check) = lab.run(&["status", "--check"]);
    assert!(!check.contains("data stores split"), "{check}");
}

#[tokio::test]
async fn the_cache_over_its_rpo_blocks_the_whole_promotion_before_anything_moves() {
    let Some(lab) = lab("1s").await else {
        return;
    };
    let (code, out) = lab.run(&["promote", "eu-west-1", "--yes", "--reason", "drill"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("cache: lag 2.0s is over its RPO of 1s"),
        "{out}"
    );
    assert_eq!(lab.aurora_writer().await, "orders-use1");
    assert_eq!(ec::state(&lab.cache).2, 0, "nothing sent");
}

#[tokio::test]
async fn a_failover_that_stops_half_way_says_what_moved_and_the_way_back() {
    let Some(lab) = lab("10s").await else {
        return;
    };
    lab.cache.control(
        "POST",
        &format!("groups/{GROUP}"),
        &json!({"fail_next_failover": "reject"}),
    );
    let (code, out) = lab.run(&["promote", "eu-west-1", "--yes", "--reason", "drill"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("stopped at cache (2 of 2)"), "{out}");
    assert!(
        out.contains("database: moved, eu-west-1 is its writer"),
        "{out}"
    );
    assert!(
        out.contains("cache: NOT moved, us-east-1 is still its writer"),
        "{out}"
    );
    assert!(
        out.contains("`meridian promote us-east-1` moves database back"),
        "{out}"
    );
    assert_eq!(lab.aurora_writer().await, "orders-euw1");
    assert_eq!(ec::role(&lab.cache, USE1), "PRIMARY");

    // The audit record keeps each store's writer before and after: exactly what moved.
    let (_, audit) = lab.run(&["audit", "--json"]);
    let records: Vec<Value> =
        serde_json::from_str(&audit).unwrap_or_else(|e| panic!("{e}: {audit}"));
    let failed = records
        .iter()
        .rev()
        .find(|r| r["outcome"] == "failed")
        .unwrap_or_else(|| panic!("no failed record: {audit}"));
    assert_eq!(
        failed["after"]["stores"],
        json!({"database": {"us-east-1": "secondary", "eu-west-1": "primary"},
               "cache": {"us-east-1": "primary", "eu-west-1": "secondary"}}),
        "{failed}"
    );

    // The board says the stores are split, and so does the check.
    let (_, status) = lab.run(&["status"]);
    assert!(status.contains("SPLIT:"), "{status}");
    let (_, check) = lab.run(&["status", "--check"]);
    assert!(check.contains("data stores split"), "{check}");

    // The same promotion again moves only what is left.
    let (code, plan) = lab.run(&["promote", "eu-west-1", "--dry-run", "--reason", "drill"]);
    assert_eq!(code, 0, "{plan}");
    assert!(plan.contains("already the writer of database"), "{plan}");
    assert!(plan.contains("in order: 1. cache"), "{plan}");
    let (code, out) = lab.run(&["promote", "eu-west-1", "--yes", "--reason", "drill"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(ec::role(&lab.cache, EUW1), "PRIMARY");
    assert_eq!(ec::state(&lab.cache).2, 1, "one failover accepted in all");
}

/// Self-managed stores: a PostgreSQL database and a Redis cache (each its own pair of real
/// servers, each store its own secrets file), promoted together by the CLI; each store
/// measures its own lag. Both writers end up in eu-west-1.
#[test]
fn postgres_and_redis_move_together_through_the_cli() {
    let Some(pg) = crate::support::db::pg_pair() else {
        return;
    };
    let Some(redis) = crate::support::db::redis_pair() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let secrets = |file: &str, a: String, b: String| {
        let path = dir.path().join(file);
        std::fs::write(
            &path,
            format!("\"us-east-1\" = \"{a}\"\n\"eu-west-1\" = \"{b}\"\n"),
        )
        .expect("secrets");
        path.display().to_string()
    };
    let pgs = secrets("pg.toml", pg.primary_dsn(), pg.replica_dsn());
    let rds = secrets("redis.toml", redis.primary_url(), redis.replica_url());
    let region = |id: &str, role: &str| {
        format!(
            "[[regions]]\nid = \"{id}\"\nrole = \"{role}\"\nsteady_weight = 50\n\
             databases = [\n  {{ provider = \"postgres\", dsn_file = \"{pgs}\" }},\n  \
             {{ provider = \"redis\", name = \"cache\", dsn_file = \"{rds}\" }},\n]\n"
        )
    };
    let text = format!(
        "[fleet]\nname = \"pg-redis\"\n[policy]\nrpo_budget = \"30s\"\n{}{}",
        region("us-east-1", "primary"),
        region("eu-west-1", "secondary")
    );
    let path = dir.path().join("fleet.toml");
    std::fs::write(&path, text).expect("fleet file");
    let run = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("meridian")
            .expect("binary")
            .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("MERIDIAN_SIM_SPEED", "0")
            .arg("-c")
            .arg(&path)
            .args(args)
            .output()
            .expect("run");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let roles = || {
        let (_, text) = run(&["status", "--json"]);
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        doc["regions"]
            .as_array()
            .expect("regions")
            .iter()
            .flat_map(|r| {
                r["stores"]
                    .as_array()
                    .unwrap_or_else(|| panic!("no stores in {r}"))
                    .iter()
                    .map(|s| {
                        format!(
                            "{} {} {}",
                            r["id"].as_str().unwrap_or(""),
                            s["name"].as_str().unwrap_or(""),
                            s["role"].as_str().unwrap_or("?")
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<String>>()
    };
    assert_eq!(
        roles(),
        vec![
            "us-east-1 database primary",
            "us-east-1 cache primary",
            "eu-west-1 database secondary",
            "eu-west-1 cache secondary"
        ]
    );
    let (code, out) = run(&["promote", "eu-west-1", "--yes", "--reason", "drill"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("database (1 of 2): eu-west-1 is its writer"),
        "{out}"
    );
    assert!(
        out.contains("cache (2 of 2): eu-west-1 is its writer"),
        "{out}"
    );
    let after = roles();
    assert!(
        after.contains(&"eu-west-1 database primary".to_string())
            && after.contains(&"eu-west-1 cache primary".to_string()),
        "{after:?}"
    );
}
