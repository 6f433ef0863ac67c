//! No backend can freeze meridian: one `status` against a fleet whose regions each point
//! at a differently broken server (refused, black hole, slow past the deadline, server
//! error, throttling, malformed answer) for each provider family (AWS through the real SDK,
//! PostgreSQL, Redis). The answer comes within the deadline, every broken region says what
//! went wrong in words, and the healthy region is fresh. The Kubernetes family's faults
//! need its API stand-in and are in `tests/backends/kube/faults.rs` (and `read.rs`).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::faults::{self, Fault, aws_error, http, pg_error};
use serde_json::Value;

/// The deadline every broken capability is given in the fleet file.
const DEADLINE_S: u64 = 2;
/// What a loaded CI machine may add on top (process start, the simulated world).
const SLACK: Duration = Duration::from_secs(6);

/// One broken region: its id, the capability table, the env var it needs, and words its
/// error must contain.
struct Broken {
    id: String,
    table: String,
    env: Option<(String, String)>,
    expect: &'static str,
}

fn aws(id: &str, url: &str, expect: &'static str) -> Broken {
    Broken {
        id: id.into(),
        table: format!(
            "{{ provider = \"cloudwatch\", metric = \"aurora-global\", identifier = \"db-{id}\", endpoint_url = \"{url}\", aws_region = \"eu-west-1\", timeout = \"{DEADLINE_S}s\" }}"
        ),
        env: None,
        expect,
    }
}

fn db(kind: &str, id: &str, dsn: String, expect: &'static str) -> Broken {
    let var = format!("FAULT_DSN_{}", id.replace('-', "_").to_uppercase());
    Broken {
        id: id.into(),
        table: format!(
            "{{ provider = \"{kind}\", dsn_env = \"{var}\", timeout = \"{DEADLINE_S}s\", connect_timeout = \"{DEADLINE_S}s\" }}"
        ),
        env: Some((var, dsn)),
        expect,
    }
}

fn pg(id: &str, port: u16, expect: &'static str) -> Broken {
    db(
        "postgres",
        id,
        format!("host=127.0.0.1 port={port} user=postgres dbname=postgres"),
        expect,
    )
}

fn redis(id: &str, port: u16, expect: &'static str) -> Broken {
    db("redis", id, format!("redis://127.0.0.1:{port}/"), expect)
}

fn slow(reply: Vec<u8>) -> u16 {
    faults::start(Fault::Slow(Duration::from_secs(DEADLINE_S + 6), reply)).port
}

fn fleet(broken: &[Broken]) -> String {
    let mut s = String::from(
        "[fleet]\nname = \"faults\"\n\n[[regions]]\nid = \"ctl\"\nrole = \"primary\"\nsteady_weight = 50\n",
    );
    for b in broken {
        s.push_str(&format!(
            "\n[[regions]]\nid = \"{}\"\nrole = \"secondary\"\nsteady_weight = 1\nlag = {}\n",
            b.id, b.table
        ));
    }
    s
}

fn status(broken: &[Broken]) -> (Value, Duration) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("fleet.toml");
    std::fs::write(&file, fleet(broken)).unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_meridian"));
    cmd.args(["status", "--json", "-c"])
        .arg(&file)
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .env("MERIDIAN_SIM_SPEED", "0")
        .envs(crate::support::aws_test_env());
    for b in broken {
        if let Some((k, v)) = &b.env {
            cmd.env(k, v);
        }
    }
    let started = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "status failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (doc, took)
}

fn region<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["regions"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["id"] == id))
        .unwrap_or_else(|| panic!("no region {id}"))
}

fn check(broken: &[Broken]) {
    let (doc, took) = status(broken);
    assert!(
        took < Duration::from_secs(DEADLINE_S) + SLACK,
        "status took {took:?} with a {DEADLINE_S}s deadline"
    );
    let ctl = region(&doc, "ctl");
    assert_eq!(ctl["stale"], false, "the healthy region is fresh: {ctl}");
    assert_eq!(ctl["errors"], serde_json::json!({}), "{ctl}");
    for b in broken {
        let r = region(&doc, &b.id);
        let e = r["errors"]["lag"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no lag error: {r}", b.id));
        eprintln!("{e}");
        assert_eq!(r["stale"], true, "{}: {r}", b.id);
        assert!(
            e.starts_with(&format!("{}: ", b.id)),
            "names the region: {e}"
        );
        assert!(
            e.to_lowercase().contains(b.expect),
            "{}: {e:?} should say {:?}",
            b.id,
            b.expect
        );
        for debris in ["DispatchFailure", "ConnectorError", "Os {", "{ ", "Some("] {
            assert!(!e.contains(debris), "{}: a Debug dump leaked: {e}", b.id);
        }
        // Other readings of the broken region (health, role) are unaffected.
        assert_eq!(r["health"], "healthy", "{}: {r}", b.id);
    }
}

#[test]
fn aws_faults_answer_within_the_deadline_and_leave_other_regions_fresh() {
    let garbage = faults::start(Fault::Reply(http("200 OK", "text/xml", "<<<not xml"))).url();
    let broken = vec![
        aws(
            "aws-refused",
            &format!("http://127.0.0.1:{}", faults::refused_port()),
            "refused",
        ),
        aws(
            "aws-black-hole",
            &faults::start(Fault::BlackHole).url(),
            "no answer within 2s",
        ),
        aws(
            "aws-slow",
            &format!(
                "http://127.0.0.1:{}",
                slow(aws_error(
                    "500 Internal Server Error",
                    "InternalFailure",
                    "late"
                ))
            ),
            "no answer within 2s",
        ),
        aws(
            "aws-5xx",
            &faults::start(Fault::Reply(aws_error(
                "500 Internal Server Error",
                "InternalFailure",
                "The request processing has failed",
            )))
            .url(),
            "internalfailure",
        ),
        aws(
            "aws-throttled",
            &faults::start(Fault::Reply(aws_error(
                "400 Bad Request",
                "Throttling",
                "Rate exceeded",
            )))
            .url(),
            "throttling",
        ),
        aws("aws-garbage", &garbage, "cloudwatch"),
    ];
    check(&broken);
}

#[test]
fn postgres_faults_answer_within_the_deadline_and_leave_other_regions_fresh() {
    let broken = vec![
        pg("pg-refused", faults::refused_port(), "refused"),
        pg(
            "pg-black-hole",
            faults::start(Fault::BlackHole).port,
            "within 2s",
        ),
        pg(
            "pg-slow",
            slow(pg_error("53300", "sorry, too many clients already")),
            "within 2s",
        ),
        pg(
            "pg-too-many",
            faults::start(Fault::Reply(pg_error(
                "53300",
                "sorry, too many clients already",
            )))
            .port,
            "too many clients",
        ),
        pg(
            "pg-garbage",
            faults::start(Fault::Reply(b"HTTP/1.1 200 OK\r\n\r\nhello".to_vec())).port,
            "postgres",
        ),
    ];
    check(&broken);
}

#[test]
fn redis_faults_answer_within_the_deadline_and_leave_other_regions_fresh() {
    let broken = vec![
        redis("redis-refused", faults::refused_port(), "refused"),
        redis(
            "redis-black-hole",
            faults::start(Fault::BlackHole).port,
            "within",
        ),
        redis("redis-slow", slow(b"-ERR late\r\n".to_vec()), "within"),
        redis(
            "redis-full",
            faults::start(Fault::RedisReply(
                b"-ERR max number of clients reached\r\n".to_vec(),
            ))
            .port,
            "max number of clients",
        ),
        redis(
            "redis-garbage",
            faults::start(Fault::Reply(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec())).port,
            "redis",
        ),
    ];
    check(&broken);
}
