//! HTTP health probes against real servers on 127.0.0.1 started here: Python's http.server
//! (scripts/health_server.py, also the lab's service) over HTTP and HTTPS with a CA made
//! at test time, a closed port, and a black hole that accepts and never answers.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use meridian::fleet::{Fleet, FleetSource};
use meridian::providers::HealthProvider;
use meridian::providers::http::HttpHealth;
use meridian::state::HealthStatus;

/// The Python health server on a free port; stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(extra: &[&str]) -> Option<Server> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/health_server.py");
        let child = Command::new("python3")
            .arg(script)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) if std::env::var_os("CI").is_some() => panic!("python3 is needed: {e}"),
            Err(e) => {
                eprintln!("SKIPPED: python3 is not available ({e})");
                return None;
            }
        };
        let mut line = String::new();
        let out = child.stdout.take().unwrap();
        BufReader::new(out).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("ready ").unwrap().parse().unwrap();
        Some(Server { child, port })
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Accepts connections and never answers (held open until the test ends).
fn black_hole() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming().flatten() {
            held.push(c);
        }
    });
    port
}

fn fleet(dir: &Path, regions: &str) -> Fleet {
    let src = format!("[fleet]\nname = \"probes\"\n{regions}");
    let path = dir.join("fleet.toml");
    std::fs::write(&path, &src).unwrap();
    meridian::fleet::parse(&src, "fleet.toml", FleetSource::File(path)).unwrap()
}

fn region(id: &str, primary: bool, health: &str) -> String {
    let role = if primary { "primary" } else { "secondary" };
    format!("[[regions]]\nid = \"{id}\"\nrole = \"{role}\"\nsteady_weight = 1\nhealth = {health}\n")
}

#[tokio::test]
async fn verdicts_and_reasons_name_each_failing_probe() {
    let Some(s) = Server::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mixed = format!(
        "{{ provider = \"http\", probes = [\"{}\", \"{}\", {{ url = \"{}\", timeout = \"1s\" }}, \"{}\", {{ url = \"{}\", expect_body = \"^ready$\" }}, \"http://127.0.0.1:{}/healthz\", {{ url = \"http://127.0.0.1:{}/healthz\", timeout = \"1s\" }}] }}",
        s.url("/healthz"),
        s.url("/status/503"),
        s.url("/slow?ms=3000"),
        s.url("/reset"),
        s.url("/body?text=not-ready"),
        closed_port(),
        black_hole(),
    );
    let good = format!(
        "{{ provider = \"http\", probes = [\"{}\", \"{}\"] }}",
        s.url("/healthz"),
        s.url("/health/live")
    );
    let dead = format!(
        "{{ provider = \"http\", probes = [\"http://127.0.0.1:{}/healthz\"] }}",
        closed_port()
    );
    let f = fleet(
        dir.path(),
        &(region("good", true, &good)
            + &region("mixed", false, &mixed)
            + &region("dead", false, &dead)),
    );
    let http = HttpHealth::from_fleet(&f, Some(dir.path()));
    let h = http.read_health(&f.regions[0]).await.unwrap();
    assert_eq!(h.status, HealthStatus::Healthy, "{}", h.reason);
    assert_eq!(h.reason, "2/2 probes ok");
    assert!(h.latency_ms.is_some() && h.healthy_since.is_some());

    let h = http.read_health(&f.regions[1]).await.unwrap();
    assert_eq!(h.status, HealthStatus::Degraded, "{}", h.reason);
    for part in [
        "1/7 probes ok",
        "/status/503: 503",
        "/slow?ms=3000: timed out after 1s",
        "/reset: connection reset",
        "/body?text=not-ready: body did not match",
        "/healthz: connect refused",
        "/healthz: timed out after 1s",
    ] {
        assert!(
            h.reason.contains(part),
            "missing \"{part}\" in: {}",
            h.reason
        );
    }
    assert_eq!(h.healthy_since, None);

    let h = http.read_health(&f.regions[2]).await.unwrap();
    assert_eq!(h.status, HealthStatus::Down);
    assert_eq!(h.reason, "0/1 probes ok; /healthz: connect refused");
    assert_eq!(h.latency_ms, None);
}

#[tokio::test]
async fn self_signed_tls_fails_without_the_ca_and_passes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".into()]).unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    let (c, k) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let Some(s) = Server::start(&["--cert", c.to_str().unwrap(), "--key", k.to_str().unwrap()])
    else {
        return;
    };
    let url = format!("https://127.0.0.1:{}/healthz", s.port);
    let f = fleet(
        dir.path(),
        &(region(
            "plain",
            true,
            &format!("{{ provider = \"http\", probes = [\"{url}\"] }}"),
        ) + &region(
            "trusted",
            false,
            &format!("{{ provider = \"http\", probes = [\"{url}\"], ca_file = \"ca.pem\" }}"),
        ) + &region(
            "insecure",
            false,
            &format!("{{ provider = \"http\", probes = [\"{url}\"], insecure = true }}"),
        )),
    );
    let http = HttpHealth::from_fleet(&f, None);
    let h = http.read_health(&f.regions[0]).await.unwrap();
    assert_eq!(h.status, HealthStatus::Down);
    assert_eq!(h.reason, "0/1 probes ok; /healthz: TLS: unknown issuer");
    let h = http.read_health(&f.regions[1]).await.unwrap();
    assert_eq!(h.status, HealthStatus::Healthy, "{}", h.reason);
    let h = http.read_health(&f.regions[2]).await.unwrap();
    assert_eq!(h.status, HealthStatus::Healthy, "{}", h.reason);
    assert!(
        h.reason.contains("TLS NOT VERIFIED"),
        "insecure is never silent: {}",
        h.reason
    );
}

#[tokio::test]
async fn a_flapping_endpoint_flips_and_restarts_the_health_gate() {
    let Some(s) = Server::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = fleet(
        dir.path(),
        &region(
            "flappy",
            true,
            &format!(
                "{{ provider = \"http\", probes = [\"{}\"] }}",
                s.url("/flap")
            ),
        ),
    );
    let http = HttpHealth::from_fleet(&f, Some(dir.path()));
    let mut seen = Vec::new();
    for _ in 0..4 {
        let h = http.read_health(&f.regions[0]).await.unwrap();
        seen.push((h.status, h.healthy_since.is_some()));
    }
    use HealthStatus::*;
    assert_eq!(
        seen,
        vec![
            (Healthy, true),
            (Down, false),
            (Healthy, true),
            (Down, false)
        ]
    );
    assert!(
        dir.path().join("http-healthy-since.json").exists(),
        "kept in the state directory"
    );
}

#[tokio::test]
async fn a_black_holed_region_never_holds_up_another() {
    let Some(s) = Server::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let hole = format!(
        "{{ provider = \"http\", probes = [{{ url = \"http://127.0.0.1:{}/healthz\", timeout = \"120s\" }}] }}",
        black_hole()
    );
    let good = format!(
        "{{ provider = \"http\", probes = [\"{}\"] }}",
        s.url("/healthz")
    );
    let f = fleet(
        dir.path(),
        &(region("hole", true, &hole) + &region("good", false, &good)),
    );
    let http = Arc::new(HttpHealth::from_fleet(&f, None));
    let stuck = {
        let (http, r) = (http.clone(), f.regions[0].clone());
        tokio::spawn(async move { http.read_health(&r).await })
    };
    for _ in 0..3 {
        let h = http.read_health(&f.regions[1]).await.unwrap();
        assert_eq!(h.status, HealthStatus::Healthy);
    }
    assert!(
        !stuck.is_finished(),
        "the black hole is still waiting while the other region refreshed"
    );
    stuck.abort();
}

#[tokio::test]
async fn combined_sources_take_the_worst_and_name_the_source() {
    let Some(s) = Server::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let health = format!(
        "[{{ provider = \"http\", probes = [\"{}\"] }}, {{ provider = \"sim\" }}]",
        s.url("/status/503")
    );
    let f = fleet(dir.path(), &region("both", true, &health));
    let opts = meridian::providers::ProviderOptions {
        sim: meridian::providers::sim::SimOptions {
            speed: 0.0,
            seed: Some(1),
        },
        ..Default::default()
    };
    let providers = meridian::providers::Providers::build(&f, dir.path(), &opts).unwrap();
    let h = providers.health["both"]
        .read_health(&f.regions[0])
        .await
        .unwrap();
    assert_eq!(h.status, HealthStatus::Down);
    assert!(
        h.reason
            .starts_with("http: 0/1 probes ok; /status/503: 503; sim: "),
        "{}",
        h.reason
    );
}

#[test]
fn probe_mistakes_are_config_errors_with_a_location() {
    let src = "[fleet]\nname = \"x\"\n[[regions]]\nid = \"a\"\nrole = \"primary\"\nsteady_weight = 1\nhealth = { provider = \"http\", probes = [{ url = \"http://a/\", expect_body = \"(\" }] }\n";
    let e = meridian::fleet::parse(src, "fleet.toml", FleetSource::Demo)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("fleet.toml:7:10: regions[0].health.probes[0].expect_body: not a valid regular expression"), "{e}");
}

/// A probe reads its answer to the end, so its connection goes back to the pool: a region
/// probed again and again keeps its connections instead of opening one per probe (on 100
/// regions that was about 6 new connections a second, each a thread on the service).
#[tokio::test]
async fn probes_keep_their_connections() {
    let Some(s) = Server::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let health = format!(
        "{{ provider = \"http\", probes = [\"{}\", \"{}\", \"{}\"] }}",
        s.url("/healthz"),
        s.url("/status/503"),
        s.url("/body?text=a-longer-body-than-ok"),
    );
    let f = fleet(dir.path(), &region("kept", true, &health));
    let http = HttpHealth::from_fleet(&f, Some(dir.path()));
    for _ in 0..10 {
        let h = http.read_health(&f.regions[0]).await.unwrap();
        assert_eq!(h.status, HealthStatus::Degraded, "{}", h.reason);
    }
    // Asked on a connection of its own, which counts too.
    let body = reqwest::get(s.url("/connections"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let connections: u32 = body.trim().parse().unwrap();
    // Three probes at once need three connections, and this question one more. With the
    // answers left unread, 30 probes opened about 20.
    assert!(
        connections <= 5,
        "30 probes on 3 URLs opened {connections} connections"
    );
}

/// A probe sends the spec's headers, its `host` as the Host header (probing a load
/// balancer by address) and meridian's User-Agent; without `host`, Host is the URL's.
#[tokio::test]
async fn a_probe_sends_its_headers_host_and_user_agent() {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ =
                c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            let _ = tx.send(String::from_utf8_lossy(&head).to_lowercase());
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let by_address = format!(
        "{{ provider = \"http\", probes = [{{ url = \"http://127.0.0.1:{port}/healthz\", host = \"api.example.com\", headers = {{ Authorization = \"Bearer probe\" }} }}] }}"
    );
    let plain = format!("{{ provider = \"http\", probes = [\"http://127.0.0.1:{port}/ready\"] }}");
    let f = fleet(
        dir.path(),
        &(region("lb", true, &by_address) + &region("plain", false, &plain)),
    );
    let http = HttpHealth::from_fleet(&f, Some(dir.path()));
    let h = http.read_health(&f.regions[0]).await.unwrap();
    assert_eq!(h.status, HealthStatus::Healthy, "{}", h.reason);
    let head = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    assert!(head.starts_with("get /healthz http/1.1\r\n"), "{head}");
    for line in [
        "\r\nhost: api.example.com\r\n",
        "\r\nauthorization: bearer probe\r\n",
        concat!(
            "\r\nuser-agent: meridian/",
            env!("CARGO_PKG_VERSION"),
            " health probe\r\n"
        ),
    ] {
        assert!(head.contains(line), "missing {line:?} in {head}");
    }
    assert_eq!(head.matches("\r\nhost:").count(), 1, "{head}");
    let h = http.read_health(&f.regions[1]).await.unwrap();
    assert_eq!(h.status, HealthStatus::Healthy, "{}", h.reason);
    let head = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    assert!(
        head.contains(&format!("\r\nhost: 127.0.0.1:{port}\r\n")),
        "{head}"
    );
}
