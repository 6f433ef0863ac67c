//! Route 53 through the real AWS SDK against moto on 127.0.0.1: weights read by set
//! identifier, one atomic UPSERT batch that keeps every other field, throttling retried,
//! health checks (one made to fail on purpose).

use crate::support::aws::{client, seed, sets};
use aws_sdk_route53::types::{Tag, TagResourceType};
use meridian::fleet::{Fleet, FleetSource, parse};
use meridian::providers::aws::AwsConfigs;
use meridian::providers::aws::route53::Route53Traffic;
use meridian::providers::{Progress, ProviderOptions, Providers, TrafficProvider};
use meridian::state::HealthStatus;
use meridian::traffic::Weight;

/// A 3-region fleet whose traffic is the record `app.example.com. A` in `zone`.
pub fn fleet(endpoint: &str, zone: &str, health: [&str; 3]) -> Fleet {
    let src = format!(
        r#"
[fleet]
name = "r53-test"
[traffic]
provider = "route53"
hosted_zone_id = "{zone}"
record_name = "app.example.com"
endpoint_url = "{endpoint}"
aws_region = "us-east-1"
change_timeout = "10s"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
health = {{ provider = "route53", health_check_id = "{}", source = "status" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 30
health = {{ provider = "route53", health_check_id = "{}", source = "status" }}
[[regions]]
id = "ap-southeast-1"
role = "secondary"
steady_weight = 20
set_identifier = "apse1"
health = {{ provider = "route53", health_check_id = "{}", source = "status" }}
"#,
        health[0], health[1], health[2]
    );
    match parse(&src, "r53-test.toml", FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    }
}

#[tokio::test]
async fn weights_are_read_by_set_identifier_and_unmanaged_sets_are_kept() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    let (zone, hc) = seed(&c).await;
    let f = fleet(&moto.url(), &zone, [&hc[0], &hc[1], &hc[2]]);
    let traffic = Route53Traffic::from_fleet(&f, AwsConfigs::new());
    let reading = traffic.read_weights(&f).await.expect("read weights");
    assert_eq!(reading.by_region.get("us-east-1"), Some(&Weight::units(50)));
    assert_eq!(reading.by_region.get("eu-west-1"), Some(&Weight::units(30)));
    assert_eq!(
        reading.by_region.get("ap-southeast-1"),
        Some(&Weight::units(20)),
        "mapped by set_identifier apse1"
    );
    assert_eq!(reading.unmanaged, vec![("legacy-dc".to_string(), 5)]);
}

#[tokio::test]
async fn one_atomic_batch_keeps_other_fields_and_survives_throttling() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    let (zone, hc) = seed(&c).await;
    let proxy = crate::support::throttle::start(moto.port, "POST");
    let f = fleet(&proxy.url(), &zone, [&hc[0], &hc[1], &hc[2]]);
    let mut traffic = Route53Traffic::from_fleet(&f, AwsConfigs::new());
    traffic.backoff.base = std::time::Duration::from_millis(20);
    proxy.fail_next(&["Throttling", "PriorRequestNotComplete"]);
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = log.clone();
    let progress = Progress::new(move |m| sink.lock().expect("log").push(m.to_string()));
    let weights = vec![
        ("us-east-1".to_string(), Weight::units(0)),
        ("eu-west-1".to_string(), Weight::units(60)),
        ("ap-southeast-1".to_string(), Weight::units(40)),
    ];
    traffic
        .apply_weights(&f, &weights, &progress)
        .await
        .expect("apply weights after throttling");

    // Exactly one change request reached Route 53 (after two throttled attempts), holding
    // every UPSERT.
    let posts: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/rrset"))
        .collect();
    assert_eq!(posts.len(), 3, "{posts:#?}");
    assert_eq!(posts[0].throttled_with.as_deref(), Some("Throttling"));
    assert_eq!(
        posts[1].throttled_with.as_deref(),
        Some("PriorRequestNotComplete")
    );
    assert_eq!(posts[2].body.matches("<Action>UPSERT</Action>").count(), 3);
    let text = log.lock().expect("log").join("\n");
    assert!(text.contains("Throttling; retrying"), "{text}");
    assert!(text.contains("INSYNC"), "{text}");
    assert!(
        text.contains("control-plane call served from us-east-1"),
        "{text}"
    );

    // A separate read with the SDK: weights moved, everything else kept.
    let after = sets(&c, &zone).await;
    let get = |id: &str| {
        after
            .iter()
            .find(|s| s.set_identifier.as_deref() == Some(id))
            .cloned()
            .expect("set present")
    };
    let use1 = get("us-east-1");
    assert_eq!(use1.weight, Some(0));
    assert_eq!(use1.ttl, Some(60));
    assert_eq!(use1.health_check_id.as_deref(), Some(hc[0].as_str()));
    assert_eq!(
        use1.resource_records().first().map(|r| r.value()),
        Some("192.0.2.10")
    );
    assert_eq!(get("eu-west-1").weight, Some(60));
    assert_eq!(get("apse1").weight, Some(40));
    assert_eq!(get("legacy-dc").weight, Some(5), "unmanaged set untouched");
}

#[tokio::test]
async fn throttling_that_never_stops_is_an_error_with_a_hint_not_a_crash() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    let (zone, hc) = seed(&c).await;
    let proxy = crate::support::throttle::start(moto.port, "POST");
    let f = fleet(&proxy.url(), &zone, [&hc[0], &hc[1], &hc[2]]);
    let mut traffic = Route53Traffic::from_fleet(&f, AwsConfigs::new());
    traffic.backoff.base = std::time::Duration::from_millis(5);
    traffic.backoff.max_attempts = 3;
    proxy.fail_next(&["Throttling"; 10]);
    let err = traffic
        .apply_weights(
            &f,
            &[("us-east-1".to_string(), Weight::units(10))],
            &Progress::silent(),
        )
        .await
        .expect_err("gives up");
    assert_eq!(err.call, "route53 ChangeResourceRecordSets");
    assert!(err.message.contains("Throttling"), "{err}");
    assert!(
        err.hint
            .as_deref()
            .is_some_and(|h| h.contains("throttling")),
        "{err}"
    );
    assert_eq!(
        sets(&c, &zone)
            .await
            .iter()
            .find(|s| s.set_identifier.as_deref() == Some("us-east-1"))
            .and_then(|s| s.weight),
        Some(50)
    );
}

#[tokio::test]
async fn a_region_without_a_record_set_is_an_error_for_that_region_only() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    let (zone, hc) = seed(&c).await;
    let mut f = fleet(&moto.url(), &zone, [&hc[0], &hc[1], &hc[2]]);
    f.regions[1].set_identifier = "eu-west-9".into();
    let tmp = tempfile::tempdir().expect("temp dir");
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
    let eu = state.region("eu-west-1").expect("eu");
    assert!(
        eu.weight
            .error
            .as_deref()
            .is_some_and(|e| e.contains("eu-west-9")),
        "{:?}",
        eu.weight
    );
    assert_eq!(
        state.region("us-east-1").and_then(|r| r.weight.value),
        Some(Weight::units(50))
    );
    assert!(
        state
            .unmanaged_weights
            .iter()
            .any(|(id, _)| id == "eu-west-1"),
        "the orphaned set shows as unmanaged"
    );
}

#[tokio::test]
async fn health_checks_feed_region_health_and_a_failing_one_reads_down() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    let (zone, hc) = seed(&c).await;
    c.change_tags_for_resource()
        .resource_type(TagResourceType::Healthcheck)
        .resource_id(&hc[1])
        .add_tags(
            Tag::builder()
                .key("meridian-status")
                .value("Failure")
                .build(),
        )
        .send()
        .await
        .expect("tag health check");
    c.change_tags_for_resource()
        .resource_type(TagResourceType::Healthcheck)
        .resource_id(&hc[2])
        .add_tags(
            Tag::builder()
                .key("meridian-status")
                .value("Partial")
                .build(),
        )
        .send()
        .await
        .expect("tag health check");
    let f = fleet(&moto.url(), &zone, [&hc[0], &hc[1], &hc[2]]);
    let tmp = tempfile::tempdir().expect("temp dir");
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
    let status = |id: &str| {
        state
            .region(id)
            .and_then(|r| r.health.value.clone())
            .map(|h| (h.status, h.reason))
    };
    assert_eq!(
        status("us-east-1").map(|s| s.0),
        Some(HealthStatus::Healthy)
    );
    let (eu, why) = status("eu-west-1").expect("eu health");
    assert_eq!(eu, HealthStatus::Down);
    assert!(
        why.contains("0/3 checkers ok") && why.contains("Connection timed out"),
        "{why}"
    );
    // The verdict leads, so a narrow WHY column shows it; the id is in the detail pane.
    assert!(why.starts_with("0/3 checkers ok"), "{why}");
    assert_eq!(
        status("ap-southeast-1").map(|s| s.0),
        Some(HealthStatus::Degraded)
    );
}

/// moto ignores StartRecordIdentifier, so a record's sets cannot be paged there one by one.
/// The reader must then refuse rather than return part of the record as the whole.
#[tokio::test]
async fn paging_that_makes_no_progress_is_an_error_not_partial_weights() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    let (zone, hc) = seed(&c).await;
    let f = fleet(&moto.url(), &zone, [&hc[0], &hc[1], &hc[2]]);
    let mut traffic = Route53Traffic::from_fleet(&f, AwsConfigs::new());
    traffic.page_size = Some(1);
    let err = traffic
        .read_weights(&f)
        .await
        .expect_err("moto repeats the first page");
    assert!(err.message.contains("no progress"), "{err}");
    // Pages that end at the record's last set are followed to the end.
    traffic.page_size = Some(4);
    let reading = traffic.read_weights(&f).await.expect("read weights");
    assert_eq!(reading.by_region.len(), 3, "{reading:?}");
}

/// Route 53 takes about a minute to reach INSYNC: the change is followed with progress, and
/// a change still PENDING at the timeout is an error that says the change will still apply.
#[tokio::test]
async fn get_change_is_followed_until_insync_or_the_timeout() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    let (zone, hc) = seed(&c).await;
    let proxy = crate::support::throttle::start(moto.port, "never");
    let f = fleet(&proxy.url(), &zone, [&hc[0], &hc[1], &hc[2]]);
    let mut traffic = Route53Traffic::from_fleet(&f, AwsConfigs::new());
    traffic.sync_interval = std::time::Duration::from_millis(50);
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = log.clone();
    let progress = Progress::new(move |m| sink.lock().expect("log").push(m.to_string()));

    proxy
        .changes_pending
        .store(2, std::sync::atomic::Ordering::SeqCst);
    traffic
        .apply_weights(
            &f,
            &[("eu-west-1".to_string(), Weight::units(10))],
            &progress,
        )
        .await
        .expect("in sync after two PENDING answers");
    let pending = log
        .lock()
        .expect("log")
        .iter()
        .filter(|l| l.contains("PENDING"))
        .count();
    assert_eq!(pending, 2, "{:#?}", log.lock().expect("log"));

    traffic.change_timeout = std::time::Duration::from_millis(200);
    proxy
        .changes_pending
        .store(1000, std::sync::atomic::Ordering::SeqCst);
    let err = traffic
        .apply_weights(
            &f,
            &[("eu-west-1".to_string(), Weight::units(20))],
            &Progress::silent(),
        )
        .await
        .expect_err("times out");
    assert_eq!(err.call, "route53 GetChange");
    assert!(err.message.contains("still PENDING"), "{err}");
    assert!(
        err.hint
            .as_deref()
            .is_some_and(|h| h.contains("will still apply")),
        "{err}"
    );
}
