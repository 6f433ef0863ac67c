//! One HTTP probe: a GET bounded by its timeout, judged by status and body, with a reason a
//! person can act on when it fails (`503`, `connect refused`, `timed out after 2s`,
//! `TLS: unknown issuer`, `body did not match`).

use std::error::Error as _;
use std::time::{Duration, Instant};

use regex::Regex;

use meridian_model::fleet::probes::ProbeSpec;

/// Most of a body read to match `expect_body` (health pages are small; a huge one is cut).
const BODY_LIMIT: usize = 64 * 1024;

/// A probe ready to run.
pub struct Probe {
    pub spec: ProbeSpec,
    /// How the probe is named in reasons: its path (`/health/ready`), or host and path.
    pub label: String,
    body: Option<Regex>,
    /// The URL parsed once: parsing it on every probe (host, IDNA) was a fifth of a
    /// probe's CPU on 100 regions (None: it does not parse, and the request says why).
    url: Option<reqwest::Url>,
    /// The headers built once (the spec's, then Host), copied into each request.
    headers: reqwest::header::HeaderMap,
}

/// What one probe found: round-trip milliseconds when it answered, and why it failed.
pub struct Answer {
    pub latency_ms: Option<f64>,
    pub failure: Option<String>,
}

impl Probe {
    pub fn new(spec: ProbeSpec, label_with_host: bool) -> Probe {
        let label = reqwest::Url::parse(&spec.url)
            .map(|u| {
                let path = match u.query() {
                    Some(q) => format!("{}?{q}", u.path()),
                    None => u.path().to_string(),
                };
                match (label_with_host, u.host_str(), u.port()) {
                    (true, Some(h), Some(port)) => format!("{h}:{port}{path}"),
                    (true, Some(h), None) => format!("{h}{path}"),
                    _ => path,
                }
            })
            .unwrap_or_else(|_| spec.url.clone());
        // Validated at load; a pattern that fails here matches nothing and says so.
        let body = spec
            .expect_body
            .as_deref()
            .and_then(|re| Regex::new(re).ok());
        let url = reqwest::Url::parse(&spec.url).ok();
        let mut headers = reqwest::header::HeaderMap::new();
        let named = spec.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let host = spec
            .host
            .as_deref()
            .map(|h| (reqwest::header::HOST.as_str(), h));
        for (k, v) in named.chain(host) {
            // Checked at load; one that does not build is left out here and sent as
            // before by the request builder, which then says what is wrong with it.
            if let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::try_from(k),
                reqwest::header::HeaderValue::try_from(v),
            ) {
                headers.append(k, v);
            }
        }
        Probe {
            spec,
            label,
            body,
            url,
            headers,
        }
    }

    /// Run the probe; never takes longer than its timeout.
    pub async fn run(&self, client: &reqwest::Client) -> Answer {
        let start = Instant::now();
        let timeout = self.spec.timeout;
        match tokio::time::timeout(timeout, self.exchange(client, start)).await {
            Ok(answer) => answer,
            Err(_) => Answer {
                latency_ms: None,
                failure: Some(format!("timed out after {}", short(timeout))),
            },
        }
    }

    async fn exchange(&self, client: &reqwest::Client, start: Instant) -> Answer {
        // No timeout of reqwest's own: `run` bounds the whole exchange (one timer a probe,
        // not two).
        let built = self.spec.headers.len() + usize::from(self.spec.host.is_some());
        let req = match &self.url {
            Some(url) if self.headers.len() == built => {
                client.get(url.clone()).headers(self.headers.clone())
            }
            _ => {
                let mut req = client.get(&self.spec.url);
                for (k, v) in &self.spec.headers {
                    req = req.header(k, v);
                }
                if let Some(h) = &self.spec.host {
                    req = req.header(reqwest::header::HOST, h);
                }
                req
            }
        };
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Answer {
                    latency_ms: None,
                    failure: Some(describe(&e, self.spec.timeout)),
                };
            }
        };
        let latency_ms = Some(start.elapsed().as_secs_f64() * 1000.0);
        let status = resp.status().as_u16();
        // Read the body even when nothing is matched against it: a connection whose
        // response was left unread cannot go back to the pool, and every probe would
        // open a new one (on 100 regions about 6 connections a second).
        let body = read_body(&mut resp).await;
        if status != self.spec.expect_status {
            let expected = if self.spec.expect_status == 200 {
                String::new()
            } else {
                format!(" (expected {})", self.spec.expect_status)
            };
            return Answer {
                latency_ms,
                failure: Some(format!("{status}{expected}")),
            };
        }
        let Some(re) = &self.body else {
            return Answer {
                latency_ms,
                failure: if self.spec.expect_body.is_some() {
                    Some("expect_body is not a valid regular expression".into())
                } else {
                    None
                },
            };
        };
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                return Answer {
                    latency_ms,
                    failure: Some(format!(
                        "reading the body: {}",
                        describe(&e, self.spec.timeout)
                    )),
                };
            }
        };
        let matched = re.is_match(&String::from_utf8_lossy(&body));
        Answer {
            latency_ms,
            failure: (!matched).then(|| "body did not match".to_string()),
        }
    }
}

/// The body, up to `BODY_LIMIT` (the rest is left unread, and the connection with it).
async fn read_body(resp: &mut reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(c) = resp.chunk().await? {
        body.extend_from_slice(&c);
        if body.len() >= BODY_LIMIT {
            body.truncate(BODY_LIMIT);
            break;
        }
    }
    Ok(body)
}

/// `2s`, `500ms`.
fn short(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// A reqwest error in the words an operator uses, from the innermost cause.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {}", short(timeout));
    }
    let mut chain = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connect refused".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                std::io::ErrorKind::TimedOut => {
                    return format!("timed out after {}", short(timeout));
                }
                _ => {}
            }
        }
        chain.push(s.to_string());
        source = s.source();
    }
    let all = chain.join(": ");
    let tls = [
        ("UnknownIssuer", "TLS: unknown issuer"),
        (
            "NotValidForName",
            "TLS: certificate not valid for this host name",
        ),
        ("Expired", "TLS: certificate expired"),
        ("BadSignature", "TLS: bad certificate signature"),
    ];
    if let Some((_, words)) = tls.iter().find(|(k, _)| all.contains(k)) {
        return (*words).to_string();
    }
    if all.contains("certificate")
        || all.contains("tls")
        || all.contains("TLS")
        || all.contains("handshake")
    {
        return format!("TLS: {}", chain.last().cloned().unwrap_or_default());
    }
    if all.contains("connection reset") || all.contains("Connection reset") {
        return "connection reset".into();
    }
    if all.contains("connection closed before message completed")
        || all.contains("IncompleteMessage")
    {
        return "connection closed without an answer".into();
    }
    if all.contains("dns error") || all.contains("failed to lookup") {
        return format!("DNS: {}", chain.last().cloned().unwrap_or_default());
    }
    match chain.last() {
        Some(inner) => inner.clone(),
        None => e.to_string(),
    }
}
