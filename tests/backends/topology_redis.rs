//! Redis primary + two replicas, as the lab has: promotion re-points both other members
//! (the old primary included) and lag is then measured against the new writer; a member
//! down during promotion is reported and the rest complete; `REPLICAOF NO ONE` done behind
//! meridian's back leaves the orphaned replica reading as broken, never `0.0s`.
//! Replicas read at the same moment ask their primary once between them.

use std::time::Duration;

use meridian::actions::guards;
use meridian::fleet::{Fleet, Role};
use meridian::providers::redis::Redis;
use meridian::providers::{
    DatabaseControl, LagReader, Progress, PromoteOptions, ProviderOptions, Providers,
};
use meridian::state::replication::{BROKEN, SUPERSEDED};

fn fleet(r: &crate::support::db::RedisPair, dir: &std::path::Path) -> Fleet {
    let ap = r.replica2_port.expect("three servers");
    let urls = [r.primary_port, r.replica_port, ap].map(|p| r.url(p));
    crate::support::trio::trio_fleet("redis", &urls, dir)
}

fn region<'a>(f: &'a Fleet, id: &str) -> &'a meridian::fleet::Region {
    f.region(id).expect("region")
}

/// Wait until every replica `port` lists has acknowledged its offset. A liveness bound,
/// not a speed check: replicas acknowledge once a second, later on a loaded machine. On
/// timeout the panic shows what the server last said.
fn wait_all_acked(r: &crate::support::db::RedisPair, port: u16, replicas: usize, what: &str) {
    let start = std::time::Instant::now();
    loop {
        let info = r.cli(port, &["INFO", "replication"]);
        let offset = info
            .lines()
            .find_map(|l| l.strip_prefix("master_repl_offset:"))
            .map(|s| s.trim().to_string());
        if offset.is_some_and(|o| info.matches(&format!("offset={o},")).count() == replicas) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what}: not every replica acknowledged within 30 s; INFO replication on {port}:\n{info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn promote_re_points_both_other_members_and_lag_follows_the_new_writer() {
    let Some(r) = crate::support::db::redis_trio() else {
        return;
    };
    let ap_port = r.replica2_port.expect("three servers");
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet(&r, tmp.path());
    let db = Redis::from_fleet(&f);
    r.cli(r.primary_port, &["SET", "k", "1"]);
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
    assert_eq!(report.summary(), None, "{report:#?}");
    for m in &report.members {
        assert!(m.detail.starts_with("follows eu-west-1"), "{m:?}");
    }
    for port in [r.primary_port, ap_port] {
        let info = r.cli(port, &["INFO", "replication"]);
        assert!(
            info.contains(&format!("master_port:{}", r.replica_port)),
            "{info}"
        );
    }
    r.cli(r.replica_port, &["SET", "k", "2"]);
    wait_all_acked(&r, r.replica_port, 2, "both acknowledge the new writer");
    assert_eq!(r.cli(ap_port, &["GET", "k"]), "2");
    for id in ["us-east-1", "ap-southeast-1"] {
        let lag = db.read_lag(region(&f, id)).await.expect("lag");
        assert_eq!(lag, Some(0.0), "{id} measured against eu-west-1");
        assert_eq!(
            db.read_role(region(&f, id)).await.expect("role"),
            Role::Secondary
        );
    }
    assert_eq!(
        db.read_role(region(&f, "eu-west-1")).await.expect("role"),
        Role::Primary
    );
}

#[tokio::test]
async fn a_member_down_during_promotion_is_reported_and_the_rest_complete() {
    let Some(mut r) = crate::support::db::redis_trio() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet(&r, tmp.path());
    let db = Redis::from_fleet(&f);
    r.kill(2);
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
    let summary = report.summary().unwrap_or_default();
    assert!(
        summary.starts_with(
            "done, 1 replica needs attention: ap-southeast-1: not re-pointed: unreachable"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("REPLICAOF 127.0.0.1"),
        "what to run: {summary}"
    );
    let info = r.cli(r.primary_port, &["INFO", "replication"]);
    assert!(
        info.contains("role:slave") && info.contains(&format!("master_port:{}", r.replica_port)),
        "the old primary follows the new one: {info}"
    );
}

#[tokio::test]
async fn a_promotion_behind_our_back_shows_the_orphan_as_broken() {
    let Some(r) = crate::support::db::redis_trio() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet(&r, tmp.path());
    let opts = ProviderOptions {
        sim: Default::default(),
        ..Default::default()
    };
    let providers = Providers::build(&f, tmp.path(), &opts).expect("build");
    r.cli(r.primary_port, &["SET", "k", "1"]);
    wait_all_acked(&r, r.primary_port, 2, "replicas ack");
    let before = meridian::engine::poll(&f, &providers, None).await;
    assert_eq!(
        before.region("ap-southeast-1").and_then(|s| s.lag.value),
        Some(0.0)
    );
    r.cli(r.replica_port, &["REPLICAOF", "NO", "ONE"]);
    let after = meridian::engine::poll(&f, &providers, Some(&before)).await;
    let ap = after.region("ap-southeast-1").expect("ap");
    assert_eq!(ap.lag.value, None, "{:?}", ap.lag);
    let why = ap.lag.error.clone().unwrap_or_default();
    assert!(why.contains(BROKEN), "{why}");
    assert!(
        why.contains("follows us-east-1, which is no longer the primary (eu-west-1 is)"),
        "{why}"
    );
    let us = after.region("us-east-1").expect("us");
    assert!(
        us.lag
            .error
            .as_deref()
            .is_some_and(|e| e.contains(SUPERSEDED)),
        "{:?}",
        us.lag
    );
    assert_eq!(us.role.value, Some(Role::Secondary));
    assert!(guards::replication_lag(&after, "ap-southeast-1", &f.policy, false).blocks());
}

/// After a promotion behind our back, rejoin puts the orphaned replica under the writer;
/// the old primary, having taken a write since, is refused and keeps it.
#[tokio::test]
async fn rejoin_follows_the_writer_and_refuses_a_primary_that_took_writes() {
    let Some(r) = crate::support::db::redis_trio() else {
        return;
    };
    let ap_port = r.replica2_port.expect("three servers");
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet(&r, tmp.path());
    let db = Redis::from_fleet(&f);
    r.cli(r.primary_port, &["SET", "k", "1"]);
    wait_all_acked(&r, r.primary_port, 2, "replicas ack");
    r.cli(r.replica_port, &["REPLICAOF", "NO", "ONE"]);
    db.rejoin(&f, region(&f, "ap-southeast-1"), &Progress::silent())
        .await
        .expect("rejoin ap");
    let info = r.cli(ap_port, &["INFO", "replication"]);
    assert!(
        info.contains(&format!("master_port:{}", r.replica_port)),
        "{info}"
    );
    assert_eq!(
        db.read_lag(region(&f, "ap-southeast-1"))
            .await
            .expect("lag"),
        Some(0.0)
    );

    r.cli(r.primary_port, &["SET", "lost", "1"]);
    let err = db
        .rejoin(&f, region(&f, "us-east-1"), &Progress::silent())
        .await
        .expect_err("refused");
    assert!(
        err.message
            .contains("took writes after eu-west-1 was promoted"),
        "{err}"
    );
    assert_eq!(r.cli(r.primary_port, &["GET", "lost"]), "1", "kept");
    assert!(
        r.cli(r.primary_port, &["INFO", "replication"])
            .contains("role:master")
    );
}

/// How many `INFO` commands a server has run since its statistics were reset.
fn info_calls(r: &crate::support::db::RedisPair, port: u16) -> u64 {
    r.cli(port, &["INFO", "commandstats"])
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_info:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn replicas_read_together_ask_their_primary_once() {
    let Some(r) = crate::support::db::redis_trio() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let f = fleet(&r, tmp.path());
    let db = Redis::from_fleet(&f);
    let replicas = ["eu-west-1", "ap-southeast-1"];
    // A first reading of each fills the board, so the next ones ask only their own server
    // and their primary.
    for id in replicas {
        assert_eq!(db.read_lag(region(&f, id)).await.expect("lag"), Some(0.0));
    }
    r.cli(r.primary_port, &["CONFIG", "RESETSTAT"]);
    // The primary is busy for a moment, so both readings' questions to it overlap, as the
    // replicas of one slot do.
    let mut sleeper = r.cli_background(r.primary_port, &["DEBUG", "SLEEP", "0.5"]);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (a, b) = tokio::join!(
        db.read_lag(region(&f, replicas[0])),
        db.read_lag(region(&f, replicas[1]))
    );
    let _ = sleeper.wait();
    for (id, lag) in replicas.iter().zip([a, b]) {
        assert!(
            lag.as_ref().is_ok_and(|l| l.is_some()),
            "{id}: {lag:?} (a shared answer is this region's too)"
        );
    }
    assert_eq!(
        info_calls(&r, r.primary_port),
        1,
        "two replicas read together asked their primary once"
    );
}
