//! CloudWatch through the real SDK (aws-sdk-cloudwatch 1.99.0, awsQuery) against moto:
//! Aurora, RDS and ElastiCache lag normalised to seconds, -1 as broken, no datapoint as
//! unknown, Route 53 HealthCheckStatus as health, and one GetMetricData per AWS region.

use crate::support::aws::put_metric;
use meridian::fleet::{Fleet, FleetSource, parse};
use meridian::providers::{ProviderOptions, Providers};
use meridian::state::HealthStatus;

fn fleet(endpoint: &str) -> Fleet {
    let src = format!(
        r#"
[fleet]
name = "cw-test"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
health = {{ provider = "route53", health_check_id = "hc-use1", endpoint_url = "{endpoint}" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 30
health = {{ provider = "route53", health_check_id = "hc-euw1", endpoint_url = "{endpoint}" }}
lag = {{ provider = "cloudwatch", metric = "aurora-global", identifier = "orders-euw1", endpoint_url = "{endpoint}" }}
[[regions]]
id = "eu-west-2"
role = "secondary"
steady_weight = 10
lag = {{ provider = "cloudwatch", metric = "elasticache-global", identifier = "cache-euw2", endpoint_url = "{endpoint}", aws_region = "eu-west-1" }}
[[regions]]
id = "ap-southeast-1"
role = "secondary"
steady_weight = 20
lag = {{ provider = "cloudwatch", metric = "rds-replica", identifier = "orders-apse1", endpoint_url = "{endpoint}" }}
[[regions]]
id = "ap-south-1"
role = "secondary"
steady_weight = 0
lag = {{ provider = "cloudwatch", metric = "rds-replica", identifier = "orders-aps1", endpoint_url = "{endpoint}" }}
"#
    );
    match parse(&src, "cw-test.toml", FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    }
}

#[tokio::test]
async fn lag_and_health_metrics_in_one_call_per_aws_region() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let url = moto.url();
    put_metric(
        &url,
        "eu-west-1",
        "AWS/RDS",
        "AuroraGlobalDBReplicationLag",
        ("DBClusterIdentifier", "orders-euw1"),
        1500.0,
    )
    .await;
    put_metric(
        &url,
        "eu-west-1",
        "AWS/ElastiCache",
        "GlobalDatastoreReplicationLag",
        ("ReplicationGroupId", "cache-euw2"),
        0.25,
    )
    .await;
    put_metric(
        &url,
        "ap-southeast-1",
        "AWS/RDS",
        "ReplicaLag",
        ("DBInstanceIdentifier", "orders-apse1"),
        -1.0,
    )
    .await;
    put_metric(
        &url,
        "us-east-1",
        "AWS/Route53",
        "HealthCheckStatus",
        ("HealthCheckId", "hc-use1"),
        1.0,
    )
    .await;
    put_metric(
        &url,
        "us-east-1",
        "AWS/Route53",
        "HealthCheckStatus",
        ("HealthCheckId", "hc-euw1"),
        0.0,
    )
    .await;

    let proxy = crate::support::throttle::start(moto.port, "never");
    let f = fleet(&proxy.url());
    let tmp = tempfile::tempdir().expect("tmp");
    let providers = Providers::build(
        &f,
        tmp.path(),
        &ProviderOptions {
            sim: Default::default(),
            ..Default::default()
        },
    )
    .expect("build");
    let state = meridian::engine::poll(&f, &providers, None).await;
    let r = |id: &str| state.region(id).expect("region").clone();

    assert_eq!(
        r("eu-west-1").lag.value,
        Some(1.5),
        "Aurora milliseconds to seconds: {:?}",
        r("eu-west-1").lag
    );
    assert_eq!(
        r("eu-west-2").lag.value,
        Some(0.25),
        "{:?}",
        r("eu-west-2").lag
    );
    let broken = r("ap-southeast-1").lag;
    assert_eq!(broken.value, None, "-1 is not a lag");
    assert!(
        broken
            .error
            .as_deref()
            .is_some_and(|e| e.contains("replication is not running")),
        "{broken:?}"
    );
    let none = r("ap-south-1").lag;
    assert_eq!(
        (none.value, none.error.clone()),
        (None, None),
        "no datapoint: unknown, never 0"
    );
    assert_eq!(
        r("us-east-1").health.value.map(|h| h.status),
        Some(HealthStatus::Healthy)
    );
    assert_eq!(
        r("eu-west-1").health.value.map(|h| h.status),
        Some(HealthStatus::Down)
    );

    // One GetMetricData per AWS region: us-east-1 (health), eu-west-1, ap-southeast-1, ap-south-1.
    let calls: Vec<String> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.body.contains("Action=GetMetricData"))
        .map(|r| {
            r.head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("authorization"))
                .and_then(|a| a.split('/').nth(2))
                .unwrap_or("?")
                .to_string()
        })
        .collect();
    let mut regions = calls.clone();
    regions.sort();
    assert_eq!(
        regions,
        vec!["ap-south-1", "ap-southeast-1", "eu-west-1", "us-east-1"],
        "{calls:?}"
    );
}
