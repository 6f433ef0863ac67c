//! PostgreSQL and Redis as real primary + replica pairs on 127.0.0.1: role, lag (without the
//! idle false lag), promotion with fencing, and a server stopped between refreshes.

use std::time::Duration;

use meridian::fleet::{Fleet, FleetSource, Role, parse};
use meridian::providers::postgres::Postgres;
use meridian::providers::redis::Redis;
use meridian::providers::{
    DatabaseControl, LagReader, Progress, PromoteOptions, ProviderOptions, Providers, Rounds,
};

/// A 2-region fleet on one primary + replica pair; connection strings in a secrets file.
fn fleet(provider: &str, primary: &str, replica: &str, dir: &std::path::Path) -> Fleet {
    let secrets = dir.join("secrets.toml");
    let text = format!("\"us-east-1\" = \"{primary}\"\n\"eu-west-1\" = \"{replica}\"\n");
    std::fs::write(&secrets, text).expect("write secrets");
    let src = format!(
        r#"
[fleet]
name = "db-test"
[policy]
rpo_budget = "2s"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
database = {{ provider = "{provider}", dsn_file = "{s}" }}
lag = {{ provider = "{provider}", dsn_file = "{s}" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 50
database = {{ provider = "{provider}", dsn_file = "{s}" }}
lag = {{ provider = "{provider}", dsn_file = "{s}" }}
"#,
        s = secrets.display()
    );
    match parse(&src, "db-test.toml", FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    }
}

fn region<'a>(f: &'a Fleet, id: &str) -> &'a meridian::fleet::Region {
    f.region(id).expect("region")
}

#[tokio::test]
async fn postgres_roles_and_lag_without_the_idle_false_lag() {
    let Some(pg) = crate::support::db::pg_pair() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet("postgres", &pg.primary_dsn(), &pg.replica_dsn(), tmp.path());
    let db = Postgres::from_fleet(&f);
    assert_eq!(
        db.read_role(region(&f, "us-east-1")).await.expect("role"),
        Role::Primary
    );
    assert_eq!(
        db.read_role(region(&f, "eu-west-1")).await.expect("role"),
        Role::Secondary
    );
    assert_eq!(
        db.read_lag(region(&f, "us-east-1")).await.expect("lag"),
        None,
        "a primary has no lag"
    );

    // Idle primary: the replay timestamp ages, but nothing is missing.
    pg.sql(pg.primary_port, "INSERT INTO orders DEFAULT VALUES");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let naive: f64 = pg
        .sql(
            pg.replica_port,
            "SELECT extract(epoch from now() - pg_last_xact_replay_timestamp())",
        )
        .parse()
        .expect("number");
    assert!(naive > 2.0, "the naive measure shows false lag: {naive}");
    assert_eq!(
        db.read_lag(region(&f, "eu-west-1")).await.expect("lag"),
        Some(0.0)
    );

    // Replay paused while the primary writes: real lag, growing.
    pg.sql(pg.replica_port, "SELECT pg_wal_replay_pause()");
    pg.sql(pg.primary_port, "INSERT INTO orders DEFAULT VALUES");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lag = db
        .read_lag(region(&f, "eu-west-1"))
        .await
        .expect("lag")
        .expect("a value");
    assert!(lag > 2.0, "behind since the last replayed commit: {lag}");
    pg.sql(pg.replica_port, "SELECT pg_wal_replay_resume()");
    crate::support::wait_for("replica to catch up", Duration::from_secs(30), || {
        pg.sql(
            pg.replica_port,
            "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) = 0",
        ) == "t"
    });
    assert_eq!(
        db.read_lag(region(&f, "eu-west-1")).await.expect("lag"),
        Some(0.0)
    );
}

#[tokio::test]
async fn postgres_promote_fences_the_old_primary_then_promotes() {
    let Some(pg) = crate::support::db::pg_pair() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet("postgres", &pg.primary_dsn(), &pg.replica_dsn(), tmp.path());
    let db = Postgres::from_fleet(&f);
    pg.sql(pg.primary_port, "INSERT INTO orders DEFAULT VALUES");
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = log.clone();
    let progress = Progress::new(move |m| sink.lock().expect("log").push(m.to_string()));
    db.promote(
        &f,
        region(&f, "eu-west-1"),
        PromoteOptions::default(),
        &progress,
    )
    .await
    .expect("promote");
    let text = log.lock().expect("log").join("\n");
    assert!(text.contains("fencing the old primary us-east-1"), "{text}");
    assert_eq!(pg.sql(pg.replica_port, "SELECT pg_is_in_recovery()"), "f");
    assert_eq!(
        pg.sql(pg.replica_port, "SELECT count(*) FROM orders"),
        "1",
        "nothing lost"
    );
    pg.sql(pg.replica_port, "INSERT INTO orders DEFAULT VALUES");
    assert_eq!(
        db.read_role(region(&f, "eu-west-1")).await.expect("role"),
        Role::Primary
    );
    assert_eq!(
        db.read_role(region(&f, "us-east-1")).await.expect("role"),
        Role::Secondary,
        "fenced"
    );
    assert_eq!(
        pg.sql(pg.primary_port, "SHOW default_transaction_read_only"),
        "on"
    );
    let again = db
        .promote(
            &f,
            region(&f, "eu-west-1"),
            PromoteOptions::default(),
            &Progress::silent(),
        )
        .await
        .expect_err("already primary");
    assert!(again.message.contains("already a primary"), "{again}");
}

#[tokio::test]
async fn redis_lag_from_offsets_and_promotion() {
    let Some(r) = crate::support::db::redis_pair() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet("redis", &r.primary_url(), &r.replica_url(), tmp.path());
    let db = Redis::from_fleet(&f);
    assert_eq!(
        db.read_role(region(&f, "us-east-1")).await.expect("role"),
        Role::Primary
    );
    assert_eq!(
        db.read_role(region(&f, "eu-west-1")).await.expect("role"),
        Role::Secondary
    );
    r.cli(r.primary_port, &["SET", "k", "1"]);
    crate::support::wait_for("replica ack", Duration::from_secs(30), || {
        let info = r.cli(r.primary_port, &["INFO", "replication"]);
        let master = info
            .lines()
            .find_map(|l| l.strip_prefix("master_repl_offset:"))
            .map(|s| s.trim().to_string());
        master.is_some_and(|m| info.contains(&format!("offset={m},")))
    });
    assert_eq!(
        db.read_lag(region(&f, "eu-west-1")).await.expect("lag"),
        Some(0.0)
    );

    // The replica sleeps, the primary writes: acknowledged offset falls behind.
    let mut sleeper = r.cli_background(r.replica_port, &["DEBUG", "SLEEP", "4"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    r.cli(r.primary_port, &["SET", "k", "2"]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let lag = db.read_lag(region(&f, "eu-west-1")).await;
    let _ = sleeper.wait();
    let lag = lag.expect("lag").expect("value");
    assert!(lag >= 2.0, "no ack for ~2.5s while behind: {lag}");

    db.promote(
        &f,
        region(&f, "eu-west-1"),
        PromoteOptions::default(),
        &Progress::silent(),
    )
    .await
    .expect("promote");
    assert!(
        r.cli(r.replica_port, &["INFO", "replication"])
            .contains("role:master")
    );
    assert_eq!(
        db.read_role(region(&f, "eu-west-1")).await.expect("role"),
        Role::Primary
    );
    crate::support::wait_for("old primary demoted", Duration::from_secs(30), || {
        r.cli(r.primary_port, &["INFO", "replication"])
            .contains("role:slave")
    });
}

#[tokio::test]
async fn a_server_stopped_between_refreshes_marks_only_its_region_stale() {
    let Some(pg) = crate::support::db::pg_pair() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet("postgres", &pg.primary_dsn(), &pg.replica_dsn(), tmp.path());
    let providers = Providers::build(
        &f,
        tmp.path(),
        &ProviderOptions {
            sim: Default::default(),
            ..Default::default()
        },
    )
    .expect("build");
    let first = meridian::engine::poll(&f, &providers, None).await;
    let eu = first.region("eu-west-1").expect("eu");
    assert_eq!(eu.lag.value, Some(0.0), "{:?}", eu.lag);
    assert_eq!(eu.role.value, Some(Role::Secondary));
    pg.stop("replica");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = meridian::engine::poll(&f, &providers, Some(&first)).await;
    let eu2 = second.region("eu-west-1").expect("eu");
    assert_eq!(eu2.lag.value, Some(0.0), "last value kept");
    assert_eq!(eu2.lag.at, eu.lag.at, "with its age");
    let err = eu2.lag.error.clone().expect("error recorded");
    assert!(
        err.starts_with("eu-west-1: postgres replication lag"),
        "{err}"
    );
    assert!(
        !err.contains("postgres://"),
        "no connection string in errors: {err}"
    );
    let us1 = first.region("us-east-1").and_then(|r| r.role.at);
    let us2 = second.region("us-east-1").expect("us");
    assert!(
        us2.role.error.is_none() && us2.role.at > us1,
        "the other region keeps updating"
    );
}

/// The lag guard passes at plan time, replay then stops and lag passes the budget while the
/// operator reads the plan: the executor's fresh re-check refuses, and nothing is promoted.
#[tokio::test]
async fn promote_re_checks_lag_just_before_executing() {
    use meridian::actions::{Action, AuditLog, AuditOutcome, Executor, FleetLock, Request, plan};
    let Some(pg) = crate::support::db::pg_pair() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet("postgres", &pg.primary_dsn(), &pg.replica_dsn(), tmp.path());
    let opts = ProviderOptions {
        sim: meridian::providers::sim::SimOptions {
            speed: 0.0,
            seed: Some(1),
        },
        ..Default::default()
    };
    let providers = Providers::build(&f, tmp.path(), &opts).expect("build");
    let executor = Executor::new(
        f.clone(),
        providers.clone(),
        AuditLog::new(&tmp.path().join("audit.jsonl")),
        FleetLock::new(&tmp.path().join("lock")),
        false,
    );
    let mut req = Request::new(Action::Promote {
        region: "eu-west-1".into(),
    });
    req.reason = Some("drill".into());
    let state = meridian::engine::poll(&f, &providers, None).await;
    let p = plan(&req, &f, &state, meridian::state::now_ms()).expect("plan");
    assert!(!p.is_blocked(), "lag 0 at plan time: {:#?}", p.checks);

    pg.sql(pg.replica_port, "SELECT pg_wal_replay_pause()");
    pg.sql(pg.primary_port, "INSERT INTO orders DEFAULT VALUES");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let done = executor.execute(&req, &p, &Progress::silent()).await;
    assert_eq!(done.outcome, AuditOutcome::Refused, "{:?}", done.detail);
    let why = done.detail.unwrap_or_default();
    assert!(
        why.contains("conditions changed") && why.contains("RPO budget"),
        "{why}"
    );
    assert_eq!(
        pg.sql(pg.replica_port, "SELECT pg_is_in_recovery()"),
        "t",
        "not promoted"
    );
}

/// A round of readings on many regions asks each server about itself about once, and opens
/// one read connection per region. Each replica's lag needs the fleet's writer; asking
/// every region for it, for each region, was N x N queries (and at start as many connection
/// attempts: on 100 regions half the readings timed out).
#[tokio::test]
async fn a_round_on_many_regions_asks_each_server_about_once() {
    let Some(pg) = crate::support::db::pg_pair() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let n = 24;
    let ids: Vec<String> = (0..n).map(|i| format!("region-{i:02}")).collect();
    let mut secrets = String::new();
    let mut src = "[fleet]\nname = \"many\"\n".to_string();
    for (i, id) in ids.iter().enumerate() {
        let dsn = if i == 0 {
            pg.primary_dsn()
        } else {
            pg.replica_dsn()
        };
        secrets.push_str(&format!("\"{id}\" = \"{dsn}\"\n"));
        let role = if i == 0 { "primary" } else { "secondary" };
        src.push_str(&format!(
            "[[regions]]\nid = \"{id}\"\nrole = \"{role}\"\nsteady_weight = 1\n\
             database = {{ provider = \"postgres\", dsn_file = \"secrets.toml\" }}\n\
             lag = {{ provider = \"postgres\", dsn_file = \"secrets.toml\" }}\n"
        ));
    }
    std::fs::write(tmp.path().join("secrets.toml"), secrets).expect("write secrets");
    let file = tmp.path().join("many.toml");
    let f = match parse(&src, "many.toml", FleetSource::File(file)) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    };
    let db = Postgres::from_fleet(&f);
    db.begin_round().await;
    let readings = futures::future::join_all(ids.iter().map(|id| {
        let (db, r) = (&db, region(&f, id));
        async move { futures::join!(db.read_role(r), db.read_lag(r)) }
    }))
    .await;
    for (id, (role, lag)) in ids.iter().zip(&readings) {
        let want = if id == "region-00" {
            Role::Primary
        } else {
            Role::Secondary
        };
        assert_eq!(role.as_ref().ok(), Some(&want), "{id}: {role:?}");
        let lag = lag.as_ref().unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            *lag,
            if id == "region-00" { None } else { Some(0.0) },
            "{id}"
        );
    }
    let counts = db.read_counts();
    assert_eq!(
        counts.connections, n,
        "one read connection per region: {counts:?}"
    );
    // Each region's own account, replay position included, shared by its role, its lag
    // and the writer's view: n (a little more if a view asks a region just before its own
    // reading does). Before the board: n x n and more.
    assert!(counts.queries <= 2 * n, "{counts:?}");
}
