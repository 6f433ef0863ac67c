//! Real servers for backend tests, started by each test on free loopback ports and stopped
//! when dropped: moto (Route 53, CloudWatch), PostgreSQL primary + replica, Redis primary +
//! replica, the Kubernetes API stand-in with kubectl and Helm's SDK, and the vendor
//! stand-ins for Cloudflare and Azure Traffic Manager (`tests/servers/`).
//! `scripts/ci-backends.sh install` installs them.
//!
//! A missing server FAILS the test when `CI` is set; elsewhere the test prints SKIPPED and
//! returns, so `cargo test` on a laptop without PostgreSQL still runs the rest.

#![allow(dead_code)]

pub mod aws;
pub mod aws_routed;
pub mod azure;
pub mod cloudflare;
pub mod db;
pub mod elasticache;
pub mod faults;
pub mod kube;
pub mod kube_seed;
pub mod moto;
pub mod standin;
pub mod throttle;
pub mod tmux;
pub mod trio;

use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A server is missing: fail in CI, skip loudly elsewhere.
pub fn unavailable(what: &str, why: &str) {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "{what} is required in CI but unavailable: {why} (run scripts/ci-backends.sh install)"
        );
    }
    eprintln!("SKIPPED: {what} unavailable: {why} (run scripts/ci-backends.sh install)");
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(a) => a.port(),
        Err(e) => panic!("cannot find a free loopback port: {e}"),
    }
}

/// Wait until `ready` says yes, or fail after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        if start.elapsed() > limit {
            panic!("{what} not ready after {}s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP request to a loopback server, without pulling an HTTP client into the tests.
pub fn http(port: u16, method: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Environment for anything that uses the AWS SDK in tests: static credentials and no
/// instance-metadata lookups, so nothing can leave the machine.
pub fn aws_test_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_REGION", "us-east-1"),
    ]
}

/// Set the AWS test environment in this process (tests that use the SDK in-process).
pub fn set_aws_test_env() {
    for (k, v) in aws_test_env() {
        // SAFETY: set before any test thread reads these (each test sets the same values).
        unsafe { std::env::set_var(k, v) };
    }
}
