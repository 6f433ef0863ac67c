//! Seeding moto through the real SDK: a hosted zone with one weighted record set per region,
//! an unmanaged set, a neighbouring record, and health checks.

use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HealthCheckConfig, HealthCheckType, ResourceRecord,
    ResourceRecordSet, RrType,
};

pub async fn client(endpoint: &str) -> Client {
    super::set_aws_test_env();
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    Client::new(&conf)
}

fn weighted(set: &str, weight: i64, ip: &str, health: Option<&str>) -> ResourceRecordSet {
    let rr = ResourceRecord::builder()
        .value(ip)
        .build()
        .expect("test record");
    ResourceRecordSet::builder()
        .name("app.example.com.")
        .r#type(RrType::A)
        .set_identifier(set)
        .weight(weight)
        .ttl(60)
        .resource_records(rr)
        .set_health_check_id(health.map(str::to_string))
        .build()
        .expect("test record set")
}

/// A new hosted zone `example.com`; its id without the `/hostedzone/` prefix.
pub async fn create_zone(c: &Client) -> String {
    let zone = c
        .create_hosted_zone()
        .name("example.com")
        .caller_reference(format!("t-{}", super::free_port()))
        .send()
        .await
        .expect("create zone");
    zone.hosted_zone()
        .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
        .expect("zone id")
}

/// An HTTP health check of `ip`; its id.
pub async fn http_check(c: &Client, ip: &str) -> String {
    let cfg = HealthCheckConfig::builder()
        .ip_address(ip)
        .port(80)
        .r#type(HealthCheckType::Http)
        .resource_path("/healthz")
        .build()
        .expect("hc config");
    c.create_health_check()
        .caller_reference(format!("hc-{ip}-{}", super::free_port()))
        .health_check_config(cfg)
        .send()
        .await
        .expect("create health check")
        .health_check()
        .map(|h| h.id().to_string())
        .expect("hc id")
}

/// A zone with weighted sets for the three regions, one unmanaged set, and three health
/// checks. Returns (zone id, health check ids).
pub async fn seed(c: &Client) -> (String, [String; 3]) {
    let zone_id = create_zone(c).await;
    let mut hc = Vec::new();
    for ip in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
        hc.push(http_check(c, ip).await);
    }
    let sets = [
        weighted("us-east-1", 50, "192.0.2.10", Some(&hc[0])),
        weighted("eu-west-1", 30, "192.0.2.20", Some(&hc[1])),
        weighted("apse1", 20, "192.0.2.30", None),
        weighted("legacy-dc", 5, "192.0.2.99", None),
    ];
    let changes: Vec<Change> = sets
        .into_iter()
        .map(|s| {
            Change::builder()
                .action(ChangeAction::Create)
                .resource_record_set(s)
                .build()
                .expect("change")
        })
        .collect();
    // A neighbouring record that must not be mistaken for ours.
    let other = ResourceRecordSet::builder()
        .name("api.example.com.")
        .r#type(RrType::A)
        .set_identifier("us-east-1")
        .weight(255)
        .ttl(30)
        .resource_records(
            ResourceRecord::builder()
                .value("192.0.2.1")
                .build()
                .expect("rr"),
        )
        .build()
        .expect("rrset");
    let mut all = changes;
    all.push(
        Change::builder()
            .action(ChangeAction::Create)
            .resource_record_set(other)
            .build()
            .expect("change"),
    );
    c.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(all))
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("seed record sets");
    (zone_id, [hc[0].clone(), hc[1].clone(), hc[2].clone()])
}

pub async fn sets(c: &Client, zone: &str) -> Vec<ResourceRecordSet> {
    let out = c
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .expect("list");
    out.resource_record_sets()
        .iter()
        .filter(|s| s.name == "app.example.com.")
        .cloned()
        .collect()
}

/// Put one datapoint (timestamped now) into moto's CloudWatch in `region`.
pub async fn put_metric(
    endpoint: &str,
    region: &str,
    namespace: &str,
    name: &str,
    dim: (&str, &str),
    value: f64,
) {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    super::set_aws_test_env();
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(region.to_string()))
        .load()
        .await;
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    let datum = MetricDatum::builder()
        .metric_name(name)
        .dimensions(Dimension::builder().name(dim.0).value(dim.1).build())
        .value(value)
        .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from(
            std::time::SystemTime::now(),
        ))
        .build();
    cw.put_metric_data()
        .namespace(namespace)
        .metric_data(datum)
        .send()
        .await
        .expect("put metric data");
}
