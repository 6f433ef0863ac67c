//! CloudWatch alarms on moto through the real SDK (DescribeAlarms, ListTagsForResource and
//! DescribeAlarmHistory, the last added to moto by tests/support/moto_launcher.py from
//! moto's own state changes): the reader in-process, then `wait quiet`, `status --check`
//! and a rollout's `alarms` gate through the real binary.

use assert_cmd::Command;
use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic, Tag};

use meridian::fleet::{FleetSource, parse};
use meridian::providers::alarms::AlarmQuery;
use meridian::providers::{ProviderOptions, Providers};

async fn client(endpoint: &str) -> aws_sdk_cloudwatch::Client {
    crate::support::set_aws_test_env();
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    aws_sdk_cloudwatch::Client::new(&conf)
}

async fn alarm(c: &aws_sdk_cloudwatch::Client, name: &str, team: &str) {
    c.put_metric_alarm()
        .alarm_name(name)
        .namespace("App")
        .metric_name("Errors")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(10.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .tags(Tag::builder().key("team").value(team).build())
        .send()
        .await
        .expect("put metric alarm");
}

async fn set(c: &aws_sdk_cloudwatch::Client, name: &str, state: StateValue, reason: &str) {
    c.set_alarm_state()
        .alarm_name(name)
        .state_value(state)
        .state_reason(reason)
        .send()
        .await
        .expect("set alarm state");
}

fn fleet_text(endpoint: &str) -> String {
    format!(
        r#"
[fleet]
name = "alarms-test"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 100
[alarms]
provider = "cloudwatch"
prefix = "pay-"
endpoint_url = "{endpoint}"
[[rollouts]]
id = "release"
name = "Release"
steps = [{{ gate = "alarms", for = "15m" }}]
"#
    )
}

#[tokio::test]
async fn the_reader_filters_by_prefix_and_tag_and_reads_state_changes() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    alarm(&c, "pay-5xx", "payments").await;
    alarm(&c, "pay-latency", "search").await;
    alarm(&c, "web-5xx", "payments").await;
    set(&c, "pay-5xx", StateValue::Alarm, "5xx over 10").await;
    set(&c, "pay-5xx", StateValue::Ok, "back under 10").await;
    set(&c, "web-5xx", StateValue::Alarm, "web down").await;

    let f = parse(&fleet_text(&moto.url()), "alarms.toml", FleetSource::Demo).expect("fleet");
    let tmp = tempfile::tempdir().expect("tmp");
    let providers = Providers::build(&f, tmp.path(), &ProviderOptions::default()).expect("build");
    let reader = providers.alarms.as_deref().expect("an alarm reader");

    let q = AlarmQuery::of_fleet(&f);
    assert_eq!(q.aws_regions, vec!["us-east-1".to_string()]);
    let mut names: Vec<String> = reader
        .alarms(&q)
        .await
        .expect("alarms")
        .into_iter()
        .map(|a| a.name)
        .collect();
    names.sort();
    assert_eq!(names, ["pay-5xx", "pay-latency"]);

    let tagged = AlarmQuery::of_gate(&f, None, Some("team=payments"), None);
    let now = reader.alarms(&tagged).await.expect("tagged alarms");
    assert_eq!(now.len(), 1, "{now:?}");
    assert_eq!(
        (now[0].name.as_str(), now[0].state.as_str()),
        ("pay-5xx", "OK")
    );

    let web = AlarmQuery::of_gate(&f, Some("web-"), None, None);
    let h = reader
        .history(&web, meridian::state::now_ms() - 3_600_000)
        .await
        .expect("history");
    assert!(h.alarms[0].firing(), "{h:?}");

    let h = reader
        .history(&tagged, meridian::state::now_ms() - 3_600_000)
        .await
        .expect("history");
    let changes: Vec<(&str, &str)> = h
        .transitions
        .iter()
        .map(|t| (t.from.as_str(), t.to.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("INSUFFICIENT_DATA", "OK"),
            ("OK", "ALARM"),
            ("ALARM", "OK")
        ]
    );
    assert!(h.transitions.iter().all(|t| t.alarm == "pay-5xx"));
    // Past CloudWatch's 30 days of history the reader refuses in words.
    let e = reader
        .history(&tagged, meridian::state::now_ms() - 31 * 86_400_000)
        .await
        .expect_err("31 days");
    assert!(e.to_string().contains("30 days"), "{e}");
}

struct Lab {
    dir: tempfile::TempDir,
    fleet: std::path::PathBuf,
}

impl Lab {
    fn run(&self, args: &[&str]) -> (i32, String) {
        let mut c = Command::cargo_bin("meridian").expect("binary");
        c.env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env_remove("MERIDIAN_READ_ONLY")
            .envs(crate::support::aws_test_env())
            .arg("-c")
            .arg(&self.fleet)
            .args(args);
        let out = c.output().expect("run meridian");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }
}

#[tokio::test]
async fn wait_quiet_status_check_and_a_rollout_gate_through_the_binary() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = client(&moto.url()).await;
    alarm(&c, "pay-5xx", "payments").await;
    alarm(&c, "pay-latency", "payments").await;
    alarm(&c, "web-5xx", "web").await;
    set(&c, "web-5xx", StateValue::Alarm, "web down").await;
    let dir = tempfile::tempdir().expect("tmp");
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(&fleet, fleet_text(&moto.url())).expect("fleet");
    let lab = Lab { dir, fleet };

    // Quiet: met at once, 7 days answered from history (nothing waited out).
    let (code, out) = lab.run(&["wait", "quiet", "--for", "7d", "--timeout", "10m"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("met: no alarm in ALARM for 168h (2 alarms of name prefix \"pay-\""),
        "{out}"
    );
    let (code, out) = lab.run(&["status", "--check"]);
    assert_eq!(code, 0, "web-5xx is not counted by [alarms]: {out}");

    // In ALARM now: `wait quiet` stops at once when the window cannot hold in the timeout.
    let (code, out) = lab.run(&[
        "wait",
        "quiet",
        "--prefix",
        "web-",
        "--for",
        "15m",
        "--timeout",
        "5m",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("alarm web-5xx is in ALARM since"), "{out}");
    assert!(out.contains("cannot hold before the timeout"), "{out}");

    set(&c, "pay-latency", StateValue::Alarm, "p99 over 2s").await;
    let (code, out) = lab.run(&["status", "--check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("alarm pay-latency (us-east-1) is in ALARM since"),
        "{out}"
    );
    assert!(out.contains("p99 over 2s"), "{out}");

    // A rollout's alarms gate: failed while it fires, then waiting for the window.
    let (code, out) = lab.run(&["rollout", "start", "release", "--reason", "test"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = lab.run(&["rollout", "next"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("alarm pay-latency is in ALARM"), "{out}");
    set(&c, "pay-latency", StateValue::Ok, "back under 2s").await;
    let (code, out) = lab.run(&["rollout", "resume"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = lab.run(&["rollout", "next"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("alarm pay-latency was in ALARM until"),
        "{out}"
    );
    assert!(out.contains("inside the 15m window"), "{out}");
    // ... and `wait quiet` says at once that 15m of quiet cannot come within 1m.
    let (code, out) = lab.run(&["wait", "quiet", "--for", "15m", "--timeout", "1m"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot hold before the timeout"), "{out}");
    // A short window is met once the alarm has left it.
    let (code, out) = lab.run(&[
        "wait",
        "quiet",
        "--for",
        "1s",
        "--timeout",
        "30s",
        "--interval",
        "1s",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("met: no alarm in ALARM for 1s"), "{out}");
}
