//! Route 53 zones on moto routed other than by weight, seeded through the real SDK: seed
//! 004's latency records with health checks, a failover pair, geolocation records with a
//! default, and a plain alias at the top of a latency tree.

use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, GeoLocation, ResourceRecord, ResourceRecordSet,
    ResourceRecordSetFailover, ResourceRecordSetRegion, RrType,
};

/// How the seeded record routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    /// Three latency records (us-east-1, eu-west-1 with health checks; ap-southeast-1 without).
    Latency,
    /// `primary` (us-east-1's, with a check) and `secondary` (eu-west-1's, with a check).
    Failover,
    /// us-east-1 for continent NA, eu-west-1 for continent EU, ap-southeast-1 the default (*).
    Geolocation,
    /// `app.example.com` a plain alias to `latency.app.example.com`, which has the three
    /// latency records of `Latency`.
    AliasToLatency,
}

/// A seeded zone: its id and the health checks the records carry (us, eu).
pub struct Zone {
    pub id: String,
    pub checks: [String; 2],
}

fn set(
    name: &str,
    id: &str,
    ip: &str,
    health: Option<&str>,
) -> aws_sdk_route53::types::builders::ResourceRecordSetBuilder {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .set_identifier(id)
        .ttl(60)
        .resource_records(ResourceRecord::builder().value(ip).build().expect("rr"))
        .set_health_check_id(health.map(str::to_string))
}

fn latency_sets(name: &str, checks: &[String; 2]) -> Vec<ResourceRecordSet> {
    [
        ("us-east-1", "192.0.2.10", Some(checks[0].as_str())),
        ("eu-west-1", "192.0.2.20", Some(checks[1].as_str())),
        ("ap-southeast-1", "192.0.2.30", None),
    ]
    .into_iter()
    .map(|(r, ip, hc)| {
        set(name, r, ip, hc)
            .region(ResourceRecordSetRegion::from(r))
            .build()
            .expect("latency set")
    })
    .collect()
}

/// Seed a zone whose `app.example.com` routes as `routed`.
pub async fn seed(c: &Client, routed: Routed) -> Zone {
    let id = super::aws::create_zone(c).await;
    let checks = [
        super::aws::http_check(c, "192.0.2.10").await,
        super::aws::http_check(c, "192.0.2.20").await,
    ];
    let app = "app.example.com.";
    let sets: Vec<ResourceRecordSet> = match routed {
        Routed::Latency => latency_sets(app, &checks),
        Routed::Failover => vec![
            set(app, "primary", "192.0.2.10", Some(&checks[0]))
                .failover(ResourceRecordSetFailover::Primary)
                .build()
                .expect("primary"),
            set(app, "secondary", "192.0.2.20", Some(&checks[1]))
                .failover(ResourceRecordSetFailover::Secondary)
                .build()
                .expect("secondary"),
        ],
        Routed::Geolocation => {
            let geo = |continent: Option<&str>, country: Option<&str>| {
                GeoLocation::builder()
                    .set_continent_code(continent.map(str::to_string))
                    .set_country_code(country.map(str::to_string))
                    .build()
            };
            vec![
                set(app, "us-east-1", "192.0.2.10", Some(&checks[0]))
                    .geo_location(geo(Some("NA"), None))
                    .build()
                    .expect("na"),
                set(app, "eu-west-1", "192.0.2.20", Some(&checks[1]))
                    .geo_location(geo(Some("EU"), None))
                    .build()
                    .expect("eu"),
                set(app, "ap-southeast-1", "192.0.2.30", None)
                    .geo_location(geo(None, Some("*")))
                    .build()
                    .expect("default"),
            ]
        }
        Routed::AliasToLatency => {
            let mut sets = latency_sets("latency.app.example.com.", &checks);
            sets.push(
                ResourceRecordSet::builder()
                    .name(app)
                    .r#type(RrType::A)
                    .alias_target(
                        AliasTarget::builder()
                            .hosted_zone_id(&id)
                            .dns_name("latency.app.example.com.")
                            .evaluate_target_health(true)
                            .build()
                            .expect("alias"),
                    )
                    .build()
                    .expect("alias set"),
            );
            sets
        }
    };
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
    c.change_resource_record_sets()
        .hosted_zone_id(&id)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("seed record sets");
    Zone { id, checks }
}

/// Every record set of the zone (any name), as listed.
pub async fn all_sets(c: &Client, zone: &str) -> Vec<ResourceRecordSet> {
    c.list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .expect("list")
        .resource_record_sets()
        .to_vec()
}

/// Every health check id of the account.
pub async fn check_ids(c: &Client) -> Vec<String> {
    let mut ids: Vec<String> = c
        .list_health_checks()
        .send()
        .await
        .expect("list health checks")
        .health_checks()
        .iter()
        .map(|h| h.id().to_string())
        .collect();
    ids.sort();
    ids
}

/// A fleet file on the zone: us-east-1, eu-west-1, ap-southeast-1 (set identifiers as
/// `ids` gives them), health from the records' own checks where they have one.
pub fn fleet_toml(moto: &str, zone: &Zone, ids: [&str; 3]) -> String {
    format!(
        r#"[fleet]
name = "routed"
[policy]
health_gate = "0s"
production_environments = []
[traffic]
provider = "route53"
hosted_zone_id = "{z}"
record_name = "app.example.com"
endpoint_url = "{moto}"
aws_region = "us-east-1"
change_timeout = "10s"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 1
set_identifier = "{i0}"
health = {{ provider = "route53", health_check_id = "{h0}", source = "status" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 1
set_identifier = "{i1}"
health = {{ provider = "route53", health_check_id = "{h1}", source = "status" }}
[[regions]]
id = "ap-southeast-1"
role = "secondary"
steady_weight = 1
set_identifier = "{i2}"
"#,
        z = zone.id,
        h0 = zone.checks[0],
        h1 = zone.checks[1],
        i0 = ids[0],
        i1 = ids[1],
        i2 = ids[2],
    )
}
