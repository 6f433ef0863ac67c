//! PostgreSQL primary + two replicas, as the lab has: promotion re-points every replica and
//! lag is then measured against the new writer; a replica that is down during promotion is
//! reported and the rest complete; a promotion done behind meridian's back leaves the
//! orphaned replica reading as broken, never `0.0s`.

use std::time::Duration;

use meridian::actions::guards;
use meridian::fleet::{Fleet, Role};
use meridian::providers::postgres::Postgres;
use meridian::providers::{
    DatabaseControl, ErrorKind, LagReader, Progress, PromoteOptions, ProviderOptions, Providers,
};
use meridian::state::replication::{BROKEN, FENCED};

fn fleet(pg: &crate::support::db::PgPair, dir: &std::path::Path) -> Fleet {
    let ap = pg.replica2_port.expect("three servers");
    let dsns = [pg.primary_port, pg.replica_port, ap].map(|p| pg.dsn(p));
    crate::support::trio::trio_fleet("postgres", &dsns, dir)
}

fn region<'a>(f: &'a Fleet, id: &str) -> &'a meridian::fleet::Region {
    f.region(id).expect("region")
}

fn providers(f: &Fleet, dir: &std::path::Path) -> Providers {
    let opts = ProviderOptions {
        sim: meridian::providers::sim::SimOptions {
            speed: 0.0,
            seed: Some(1),
        },
        ..Default::default()
    };
    Providers::build(f, dir, &opts).expect("build")
}

#[tokio::test]
async fn promote_re_points_both_other_members_and_lag_follows_the_new_writer() {
    let Some(pg) = crate::support::db::pg_trio() else {
        return;
    };
    let ap_port = pg.replica2_port.expect("three servers");
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet(&pg, tmp.path());
    let db = Postgres::from_fleet(&f);
    pg.sql(pg.primary_port, "INSERT INTO orders DEFAULT VALUES");
    let report = db
        .promote(
            &f,
            region(&f, "eu-west-1"),
            PromoteOptions {
                accept_data_loss: false,
            },
            &Progress::silent(),
        )
        .await
        .expect("promote");
    assert_eq!(
        report.summary(),
        None,
        "every member accounted for: {report:#?}"
    );
    let ap = report
        .members
        .iter()
        .find(|m| m.region == "ap-southeast-1")
        .expect("ap reported");
    assert!(ap.detail.contains("streams from eu-west-1"), "{ap:?}");
    let us = report
        .members
        .iter()
        .find(|m| m.region == "us-east-1")
        .expect("us reported");
    assert!(us.detail.contains("meridian rejoin us-east-1"), "{us:?}");

    // ap-southeast-1 streams from the new primary and receives its writes.
    assert_eq!(
        pg.sql(ap_port, "SELECT sender_port FROM pg_stat_wal_receiver"),
        pg.replica_port.to_string()
    );
    pg.sql(pg.replica_port, "INSERT INTO orders DEFAULT VALUES");
    crate::support::wait_for(
        "the new writer's row on ap",
        Duration::from_secs(30),
        || pg.sql(ap_port, "SELECT count(*) FROM orders") == "2",
    );
    let lag = db
        .read_lag(region(&f, "ap-southeast-1"))
        .await
        .expect("lag against the new writer");
    assert_eq!(lag, Some(0.0));
    assert_eq!(
        db.read_role(region(&f, "eu-west-1")).await.expect("role"),
        Role::Primary
    );
    // The old primary reads as fenced, with what to do, not as a replica with lag `?`.
    let fenced = db
        .read_lag(region(&f, "us-east-1"))
        .await
        .expect_err("fenced has no lag");
    assert_eq!(fenced.kind, ErrorKind::Broken);
    assert!(fenced.message.starts_with(FENCED), "{fenced}");
    assert!(
        fenced.to_string().contains("meridian rejoin us-east-1"),
        "{fenced}"
    );
}

/// ap-southeast-1 is down while eu-west-1 is promoted: the promotion is done and says one
/// replica needs attention; once back, ap follows the fenced old primary and reads as broken.
#[tokio::test]
async fn a_replica_down_during_promotion_is_reported_and_reads_broken_when_back() {
    use meridian::actions::{Action, AuditLog, AuditOutcome, Executor, FleetLock, Request, plan};
    let Some(pg) = crate::support::db::pg_trio() else {
        return;
    };
    let ap_port = pg.replica2_port.expect("three servers");
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet(&pg, tmp.path());
    let providers = providers(&f, tmp.path());
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
    assert!(!p.is_blocked(), "{:#?}", p.checks);
    pg.stop("replica2");
    let done = executor.execute(&req, &p, &Progress::silent()).await;
    assert_eq!(done.outcome, AuditOutcome::Succeeded, "{:?}", done.detail);
    let detail = done.detail.unwrap_or_default();
    assert!(
        detail.starts_with(
            "done, 1 replica needs attention: ap-southeast-1: not re-pointed: unreachable"
        ),
        "{detail}"
    );
    assert!(
        detail.contains("primary_conninfo"),
        "the command to run next: {detail}"
    );
    assert_eq!(pg.sql(pg.replica_port, "SELECT pg_is_in_recovery()"), "f");

    pg.start("replica2", ap_port);
    crate::support::wait_for(
        "ap streams from the fenced primary",
        Duration::from_secs(20),
        || {
            pg.sql(
                ap_port,
                "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'",
            ) == "1"
        },
    );
    let state = meridian::engine::poll(&f, &providers, Some(&state)).await;
    let ap = state.region("ap-southeast-1").expect("ap");
    assert_eq!(
        ap.lag.value, None,
        "no 0.0s kept for a broken link: {:?}",
        ap.lag
    );
    let why = ap.lag.error.clone().unwrap_or_default();
    assert!(why.contains(BROKEN), "{why}");
    assert!(
        why.contains("follows us-east-1, which is no longer the primary"),
        "{why}"
    );
    let guard = guards::replication_lag(&state, "ap-southeast-1", &f.policy, false);
    assert!(guard.blocks(), "unknown, not 0.0s: {guard:?}");

    // The command the result names, through meridian: rejoin puts it under eu-west-1.
    let db = Postgres::from_fleet(&f);
    rejoin(&db, &f, &pg, "ap-southeast-1").await;
    assert_eq!(
        db.read_lag(region(&f, "ap-southeast-1"))
            .await
            .expect("lag"),
        Some(0.0)
    );
}

/// Someone runs pg_promote() on eu-west-1 by hand, the old primary still writable:
/// ap-southeast-1 still streams from us-east-1 with nothing unreplayed, and reads broken.
#[tokio::test]
async fn a_promotion_behind_our_back_shows_the_orphan_as_broken() {
    let Some(pg) = crate::support::db::pg_trio() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet(&pg, tmp.path());
    let providers = providers(&f, tmp.path());
    let before = meridian::engine::poll(&f, &providers, None).await;
    assert_eq!(
        before.region("ap-southeast-1").and_then(|r| r.lag.value),
        Some(0.0)
    );
    pg.sql(pg.replica_port, "SELECT pg_promote(wait => true)");
    let after = meridian::engine::poll(&f, &providers, Some(&before)).await;
    let ap = after.region("ap-southeast-1").expect("ap");
    assert_eq!(ap.lag.value, None, "{:?}", ap.lag);
    let why = ap.lag.error.clone().unwrap_or_default();
    assert!(
        why.contains("follows us-east-1, which is no longer the primary (eu-west-1 is)"),
        "{why}"
    );
    let role = |id: &str| after.region(id).and_then(|r| r.role.value);
    assert_eq!(role("eu-west-1"), Some(Role::Primary), "newest timeline");
    assert_eq!(role("us-east-1"), Some(Role::Secondary), "superseded");
    let us = after.region("us-east-1").expect("us");
    let split = us.lag.error.clone().unwrap_or_default();
    assert!(split.contains("still takes writes"), "{split}");
    let guard = guards::replication_lag(&after, "ap-southeast-1", &f.policy, false);
    assert!(guard.blocks(), "{guard:?}");
}

/// Rejoin a region; a failure shows both servers' logs (why a rewind or a stream failed).
async fn rejoin(db: &Postgres, f: &Fleet, pg: &crate::support::db::PgPair, id: &str) {
    if let Err(e) = db.rejoin(f, region(f, id), &Progress::silent()).await {
        let log = |which: &str| {
            std::fs::read_to_string(pg.data_dir(which).with_extension("log")).unwrap_or_default()
        };
        panic!(
            "rejoin {id}: {e}\n--- primary.log\n{}\n--- replica.log\n{}",
            log("primary"),
            log("replica")
        );
    }
}

fn writes_primary(pg: &crate::support::db::PgPair, port: u16) -> bool {
    pg.sql(port, "SELECT pg_is_in_recovery()") == "f"
}

/// The drill: promote eu-west-1, rejoin the fenced us-east-1 with pg_rewind, promote
/// us-east-1 back; every member follows the writer after each step.
#[tokio::test]
async fn rejoin_the_old_primary_then_promote_back() {
    let Some(pg) = crate::support::db::pg_trio() else {
        return;
    };
    let ap_port = pg.replica2_port.expect("three servers");
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet(&pg, tmp.path());
    let db = Postgres::from_fleet(&f);
    let quiet = Progress::silent();
    db.promote(
        &f,
        region(&f, "eu-west-1"),
        PromoteOptions {
            accept_data_loss: false,
        },
        &quiet,
    )
    .await
    .expect("promote");
    pg.sql(pg.replica_port, "INSERT INTO orders DEFAULT VALUES");
    rejoin(&db, &f, &pg, "us-east-1").await;
    assert!(!writes_primary(&pg, pg.primary_port), "a replica now");
    assert_eq!(
        pg.sql(
            pg.primary_port,
            "SELECT sender_port FROM pg_stat_wal_receiver"
        ),
        pg.replica_port.to_string()
    );
    assert_eq!(pg.sql(pg.primary_port, "SELECT count(*) FROM orders"), "1");
    assert_eq!(
        db.read_lag(region(&f, "us-east-1")).await.expect("lag"),
        Some(0.0)
    );

    // Promote back: eu-west-1 is fenced, ap-southeast-1 follows us-east-1 again.
    let report = db
        .promote(
            &f,
            region(&f, "us-east-1"),
            PromoteOptions {
                accept_data_loss: false,
            },
            &quiet,
        )
        .await
        .expect("promote back");
    assert_eq!(report.summary(), None, "{report:#?}");
    assert!(writes_primary(&pg, pg.primary_port));
    assert_eq!(
        pg.sql(ap_port, "SELECT sender_port FROM pg_stat_wal_receiver"),
        pg.primary_port.to_string()
    );
    rejoin(&db, &f, &pg, "eu-west-1").await;
    for id in ["eu-west-1", "ap-southeast-1"] {
        assert_eq!(
            db.read_lag(region(&f, id)).await.expect("lag"),
            Some(0.0),
            "{id}"
        );
    }
}

/// A fenced old primary that committed a transaction after the promotion is not rewound:
/// the refusal says why, and the server is left running, fenced.
#[tokio::test]
async fn rejoin_refuses_an_old_primary_that_took_writes_after_fencing() {
    let Some(pg) = crate::support::db::pg_pair() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let dsns = [pg.primary_dsn(), pg.replica_dsn()];
    let f = crate::support::trio::fleet_of("postgres", &dsns, tmp.path());
    let db = Postgres::from_fleet(&f);
    db.promote(
        &f,
        region(&f, "eu-west-1"),
        PromoteOptions {
            accept_data_loss: false,
        },
        &Progress::silent(),
    )
    .await
    .expect("promote");
    pg.sql(
        pg.primary_port,
        "BEGIN READ WRITE; INSERT INTO orders DEFAULT VALUES; COMMIT;",
    );
    let err = db
        .rejoin(&f, region(&f, "us-east-1"), &Progress::silent())
        .await
        .expect_err("refused");
    assert!(
        err.message
            .contains("committed transactions after eu-west-1 was promoted"),
        "{err}"
    );
    assert_eq!(
        pg.sql(pg.primary_port, "SHOW default_transaction_read_only"),
        "on"
    );
    assert_eq!(
        pg.sql(pg.primary_port, "SELECT count(*) FROM orders"),
        "1",
        "kept"
    );
}
