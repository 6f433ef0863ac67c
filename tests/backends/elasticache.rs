//! ElastiCache Global Datastore through the real ElastiCache SDK against the stand-in (moto
//! has no global datastores): roles from DescribeGlobalReplicationGroups, promotion by
//! FailoverGlobalReplicationGroup verified by reading the group back, and the stand-in's
//! refusals and aborted failovers reported as such. Every request is checked against the
//! botocore ElastiCache model; a violation fails the test when the stand-in is dropped.

use std::time::Duration;

use meridian::fleet::{Fleet, FleetSource, Role, parse};
use meridian::providers::aws::AwsConfigs;
use meridian::providers::aws::elasticache::ElastiCacheGlobal;
use meridian::providers::{DatabaseControl, Progress, PromoteOptions};
use serde_json::json;

use crate::support::elasticache::{self as ec, EUW1, GROUP, USE1};

fn fleet(endpoint: &str) -> Fleet {
    let text = format!(
        r#"
[fleet]
name = "elasticache-test"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
database = {{ provider = "elasticache-global", global_replication_group_id = "{GROUP}", replication_group_id = "{USE1}", endpoint_url = "{endpoint}" }}
lag = {{ provider = "cloudwatch", metric = "elasticache-global", identifier = "{USE1}", endpoint_url = "{endpoint}" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 50
database = {{ provider = "elasticache-global", global_replication_group_id = "{GROUP}", replication_group_id = "{EUW1}", endpoint_url = "{endpoint}", promote_timeout = "20s" }}
lag = {{ provider = "cloudwatch", metric = "elasticache-global", identifier = "{EUW1}", endpoint_url = "{endpoint}" }}
"#
    );
    match parse(&text, "elasticache-test.toml", FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    }
}

fn provider(f: &Fleet) -> std::sync::Arc<ElastiCacheGlobal> {
    crate::support::set_aws_test_env();
    let mut p = ElastiCacheGlobal::from_fleet(f, AwsConfigs::new());
    if let Some(p) = std::sync::Arc::get_mut(&mut p) {
        p.poll_interval = Duration::from_millis(200);
    }
    p
}

const KEEP: PromoteOptions = PromoteOptions {
    accept_data_loss: false,
};

#[tokio::test]
async fn roles_come_from_the_global_datastore_and_a_failover_is_read_back_until_it_is_done() {
    let Some(sa) = ec::start(1.0) else {
        return;
    };
    let f = fleet(&sa.url("http"));
    let p = provider(&f);
    let (us, eu) = (
        f.region("us-east-1").expect("region"),
        f.region("eu-west-1").expect("region"),
    );
    assert_eq!(p.read_role(us).await.expect("role"), Role::Primary);
    assert_eq!(p.read_role(eu).await.expect("role"), Role::Secondary);

    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let progress = Progress::new(move |m| sink.lock().expect("lines").push(m.to_string()));
    p.promote(&f, eu, KEEP, &progress).await.expect("failover");
    let said = lines.lock().expect("lines").join("\n");
    // It waited through `modifying` before calling the failover done.
    assert!(said.contains("is modifying; waiting"), "{said}");
    let (members, status, failovers) = ec::state(&sa);
    assert_eq!(status, "available");
    assert_eq!(failovers, 1);
    assert!(
        members.contains(&(EUW1.to_string(), "PRIMARY".to_string()))
            && members.contains(&(USE1.to_string(), "SECONDARY".to_string())),
        "{members:?}"
    );
    assert_eq!(p.read_role(eu).await.expect("role"), Role::Primary);
    assert_eq!(p.read_role(us).await.expect("role"), Role::Secondary);

    // Promoting the primary again sends nothing.
    p.promote(&f, eu, KEEP, &Progress::silent())
        .await
        .expect("already primary");
    assert_eq!(ec::state(&sa).2, 1, "no second failover");
    sa.assert_no_violations();
}

#[tokio::test]
async fn a_refused_failover_is_an_error_with_a_hint_and_an_aborted_one_is_not_a_success() {
    let Some(sa) = ec::start(0.5) else {
        return;
    };
    let f = fleet(&sa.url("http"));
    let p = provider(&f);
    let eu = f.region("eu-west-1").expect("region");

    sa.control(
        "POST",
        &format!("groups/{GROUP}"),
        &json!({"fail_next_failover": "reject"}),
    );
    let err = p
        .promote(&f, eu, KEEP, &Progress::silent())
        .await
        .expect_err("refused");
    assert_eq!(
        err.call, "elasticache FailoverGlobalReplicationGroup",
        "{err}"
    );
    assert_eq!(err.region.as_deref(), Some("eu-west-1"));
    assert!(
        err.hint
            .as_deref()
            .is_some_and(|h| h.contains("wait until it is available")),
        "{err}"
    );
    assert_eq!(ec::role(&sa, EUW1), "SECONDARY");

    sa.control(
        "POST",
        &format!("groups/{GROUP}"),
        &json!({"fail_next_failover": "abort"}),
    );
    let err = p
        .promote(&f, eu, KEEP, &Progress::silent())
        .await
        .expect_err("aborted");
    assert!(
        err.message.contains("ended without moving the primary"),
        "{err}"
    );
    assert_eq!(ec::role(&sa, EUW1), "SECONDARY");
    assert_eq!(ec::role(&sa, USE1), "PRIMARY");

    // A datastore that is busy refuses: the stand-in follows the documented state.
    sa.control(
        "POST",
        &format!("groups/{GROUP}"),
        &json!({"status": "modifying"}),
    );
    let err = p
        .promote(&f, eu, KEEP, &Progress::silent())
        .await
        .expect_err("busy");
    assert!(
        err.message.contains("InvalidGlobalReplicationGroupState"),
        "{err}"
    );
    sa.assert_no_violations();
}
