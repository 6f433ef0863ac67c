//! Aurora Global Database through the real RDS SDK against moto: roles from
//! DescribeGlobalClusters for real; switchover and failover served by
//! tests/support/moto_launcher.py on moto's own global clusters (moto implements neither
//! call), each request checked against botocore's RDS model.

use meridian::fleet::{Fleet, FleetSource, Role, parse};
use meridian::providers::aws::AwsConfigs;
use meridian::providers::aws::aurora::Aurora;
use meridian::providers::{DatabaseControl, Progress, PromoteOptions};

pub(crate) async fn rds(endpoint: &str, region: &str) -> aws_sdk_rds::Client {
    crate::support::set_aws_test_env();
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(region.to_string()))
        .load()
        .await;
    aws_sdk_rds::Client::new(&conf)
}

/// A global cluster `orders` with a writer in us-east-1 and a secondary in eu-west-1.
pub(crate) async fn seed(endpoint: &str) -> (String, String) {
    let use1 = rds(endpoint, "us-east-1").await;
    use1.create_global_cluster()
        .global_cluster_identifier("orders")
        .engine("aurora-postgresql")
        .engine_version("15.4")
        .send()
        .await
        .expect("global cluster");
    let w = use1
        .create_db_cluster()
        .db_cluster_identifier("orders-use1")
        .engine("aurora-postgresql")
        .engine_version("15.4")
        .global_cluster_identifier("orders")
        .master_username("u")
        .master_user_password("password123")
        .send()
        .await
        .expect("writer cluster");
    let euw1 = rds(endpoint, "eu-west-1").await;
    let r = euw1
        .create_db_cluster()
        .db_cluster_identifier("orders-euw1")
        .engine("aurora-postgresql")
        .engine_version("15.4")
        .global_cluster_identifier("orders")
        .send()
        .await
        .expect("secondary cluster");
    let arn = |c: Option<&aws_sdk_rds::types::DbCluster>| {
        c.and_then(|c| c.db_cluster_arn())
            .map(str::to_string)
            .expect("arn")
    };
    (arn(w.db_cluster()), arn(r.db_cluster()))
}

fn fleet(endpoint: &str, use1: &str, euw1: &str) -> Fleet {
    match parse(
        &fleet_text(endpoint, use1, euw1),
        "aurora-test.toml",
        FleetSource::Demo,
    ) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    }
}

fn fleet_text(endpoint: &str, use1: &str, euw1: &str) -> String {
    format!(
        r#"
[fleet]
name = "aurora-test"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
database = {{ provider = "aurora", global_cluster_id = "orders", cluster_arn = "{use1}", endpoint_url = "{endpoint}" }}
lag = {{ provider = "cloudwatch", metric = "aurora-global", identifier = "orders-use1", endpoint_url = "{endpoint}" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 50
database = {{ provider = "aurora", global_cluster_id = "orders", cluster_arn = "{euw1}", endpoint_url = "{endpoint}", promote_timeout = "5s" }}
lag = {{ provider = "cloudwatch", metric = "aurora-global", identifier = "orders-euw1", endpoint_url = "{endpoint}" }}
"#
    )
}

#[tokio::test]
async fn roles_come_from_the_global_cluster_writer() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let (w, r) = seed(&moto.url()).await;
    let f = fleet(&moto.url(), &w, &r);
    let aurora = Aurora::from_fleet(&f, AwsConfigs::new());
    assert_eq!(
        aurora
            .read_role(f.region("us-east-1").expect("r"))
            .await
            .expect("role"),
        Role::Primary
    );
    assert_eq!(
        aurora
            .read_role(f.region("eu-west-1").expect("r"))
            .await
            .expect("role"),
        Role::Secondary
    );
}

#[tokio::test]
async fn promote_sends_switchover_by_default_and_failover_only_with_data_loss_accepted() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let (w, r) = seed(&moto.url()).await;
    let proxy = crate::support::throttle::start(moto.port, "never");
    let f = fleet(&proxy.url(), &w, &r);
    let mut aurora = Aurora::from_fleet(&f, AwsConfigs::new());
    if let Some(a) = std::sync::Arc::get_mut(&mut aurora) {
        a.poll_interval = std::time::Duration::from_millis(200);
    }
    let eu = f.region("eu-west-1").expect("region");
    let arn = r.replace(':', "%3A");

    aurora
        .promote(
            &f,
            eu,
            PromoteOptions {
                accept_data_loss: false,
            },
            &Progress::silent(),
        )
        .await
        .expect("switchover");
    assert_eq!(
        aurora.read_role(eu).await.expect("role"),
        Role::Primary,
        "read back after the switchover"
    );
    let sent = proxy.requests();
    let switchover = sent
        .iter()
        .find(|q| q.body.contains("Action=SwitchoverGlobalCluster"))
        .expect("switchover request sent");
    assert!(
        switchover.body.contains("GlobalClusterIdentifier=orders"),
        "{}",
        switchover.body
    );
    assert!(
        switchover
            .body
            .contains(&format!("TargetDbClusterIdentifier={arn}")),
        "{}",
        switchover.body
    );
    assert!(
        switchover.head.contains("/eu-west-1/rds/"),
        "signed for the target's region: {}",
        switchover.head
    );
    assert!(
        !sent
            .iter()
            .any(|q| q.body.contains("FailoverGlobalCluster")),
        "no failover without accepting data loss"
    );

    // Back to us-east-1, this time accepting data loss: the failover call.
    let us = f.region("us-east-1").expect("region");
    aurora
        .promote(
            &f,
            us,
            PromoteOptions {
                accept_data_loss: true,
            },
            &Progress::silent(),
        )
        .await
        .expect("failover");
    assert_eq!(aurora.read_role(us).await.expect("role"), Role::Primary);
    let back = w.replace(':', "%3A");
    let failover = proxy
        .requests()
        .into_iter()
        .find(|q| q.body.contains("Action=FailoverGlobalCluster"))
        .expect("failover request sent");
    assert!(
        failover.body.contains("AllowDataLoss=true"),
        "{}",
        failover.body
    );
    assert!(
        failover
            .body
            .contains(&format!("TargetDbClusterIdentifier={back}")),
        "{}",
        failover.body
    );
}

/// The CLI's `--accept-data-loss` reaches the backend: unknown lag refuses a plain promote
/// (exit 3, nothing sent); with data loss accepted, FailoverGlobalCluster is requested.
#[tokio::test]
async fn the_cli_asks_for_failover_only_with_accept_data_loss() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let (w, r) = seed(&moto.url()).await;
    let proxy = crate::support::throttle::start(moto.port, "never");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("fleet.toml");
    let text = format!("{}\n", fleet_text(&proxy.url(), &w, &r));
    std::fs::write(&path, text).expect("fleet file");
    let run = |extra: &[&str]| {
        let mut c = assert_cmd::Command::cargo_bin("meridian").expect("binary");
        c.env("MERIDIAN_STATE_DIR", dir.path().join("state"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("MERIDIAN_SIM_SPEED", "0")
            .envs(crate::support::aws_test_env())
            .arg("-c")
            .arg(&path)
            .args(["promote", "eu-west-1", "--yes", "--reason", "test"])
            .args(extra);
        let out = c.output().expect("run");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, text) = run(&[]);
    assert_eq!(code, 3, "unknown lag refuses: {text}");
    assert!(
        !proxy
            .requests()
            .iter()
            .any(|q| q.body.contains("Action=SwitchoverGlobalCluster")
                || q.body.contains("Action=FailoverGlobalCluster")),
        "no switchover or failover sent"
    );
    let (code, text) = run(&["--accept-data-loss"]);
    assert_eq!(code, 0, "the failover is made and read back: {text}");
    assert!(
        proxy
            .requests()
            .iter()
            .any(|q| q.body.contains("Action=FailoverGlobalCluster")
                && q.body.contains("AllowDataLoss=true"))
    );
}
