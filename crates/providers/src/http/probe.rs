//! One HTTP probe: a GET bounded by its timeout, judged by status and body, with a reason a
//! person can act on when it fails (`503`, `connect refused`, `timed out after 2s`,
//! `TLS: unknown issuer`, `body did not match`).

use std::error::Error;
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use http_body_util::BodyExt;
use regex::Regex;

use super::transport::Transport;
use meridian_model::fleet::probes::ProbeSpec;

/// Most of a body read to match `expect_body` (health pages are small; a huge one is cut).
const BODY_LIMIT: usize = 64 * 1024;

/// A probe ready to run.
pub struct Probe {
    pub spec: ProbeSpec,
    /// How the probe is named in reasons: its path (`/health/ready`), or host and path.
    pub label: String,
    body: Option<Regex>,
    /// The request's URI and headers, built once (a probe on 100 regions runs 40 times a
    /// second); or why they cannot be, which every run then reports.
    request: Result<(Uri, HeaderMap), String>,
}

/// What one probe found: round-trip milliseconds when it answered, and why it failed.
pub struct Answer {
    pub latency_ms: Option<f64>,
    pub failure: Option<String>,
}

impl Probe {
    pub fn new(spec: ProbeSpec, label_with_host: bool) -> Probe {
        let parsed = url::Url::parse(&spec.url);
        let label = parsed
            .as_ref()
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
        let request = parsed
            .map_err(|e| format!("the URL does not parse: {e}"))
            .and_then(|u| {
                // The URL as the url crate writes it (host names in ASCII, paths escaped).
                u.as_str()
                    .parse::<Uri>()
                    .map_err(|e| format!("the URL does not parse: {e}"))
            })
            .and_then(|uri| Ok((uri, headers(&spec)?)));
        Probe {
            spec,
            label,
            body,
            request,
        }
    }

    /// Run the probe; never takes longer than its timeout.
    pub async fn run(&self, transport: &Transport) -> Answer {
        let start = Instant::now();
        let timeout = self.spec.timeout;
        match tokio::time::timeout(timeout, self.exchange(transport, start)).await {
            Ok(answer) => answer,
            Err(_) => Answer {
                latency_ms: None,
                failure: Some(format!("timed out after {}", short(timeout))),
            },
        }
    }

    async fn exchange(&self, transport: &Transport, start: Instant) -> Answer {
        let failed = |failure: String| Answer {
            latency_ms: None,
            failure: Some(failure),
        };
        let (uri, headers) = match &self.request {
            Ok(r) => r,
            Err(why) => return failed(why.clone()),
        };
        let resp = match transport.get(uri, headers).await {
            Ok(r) => r,
            Err(e) => return failed(describe(&e)),
        };
        let latency_ms = Some(start.elapsed().as_secs_f64() * 1000.0);
        let status = resp.status().as_u16();
        // Read the body even when nothing is matched against it: a connection whose
        // response was left unread cannot go back to the pool, and every probe would
        // open a new one (on 100 regions about 6 connections a second).
        let body = read_body(resp.into_body()).await;
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
                    failure: Some(format!("reading the body: {}", describe(&e))),
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

/// The spec's headers, then its Host (checked at load; one that does not build here is
/// reported by every run).
fn headers(spec: &ProbeSpec) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    let named = spec.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let host = spec
        .host
        .as_deref()
        .map(|h| (http::header::HOST.as_str(), h));
    for (k, v) in named.chain(host) {
        let name =
            HeaderName::try_from(k).map_err(|_| format!("header {k:?} is not a valid name"))?;
        let value =
            HeaderValue::try_from(v).map_err(|_| format!("header {k}'s value is not valid"))?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// The body, up to `BODY_LIMIT` (the rest is left unread, and the connection with it).
async fn read_body(mut body: hyper::body::Incoming) -> Result<Vec<u8>, hyper::Error> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            out.extend_from_slice(&data);
            if out.len() >= BODY_LIMIT {
                out.truncate(BODY_LIMIT);
                break;
            }
        }
    }
    Ok(out)
}

/// `2s`, `500ms`.
fn short(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// A failed exchange in the words an operator uses, from the innermost cause. (A timeout
/// is `run`'s: nothing under it has a timer of its own.)
fn describe(e: &(dyn Error + 'static)) -> String {
    let mut chain = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connect refused".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                std::io::ErrorKind::TimedOut => return "timed out connecting".into(),
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
