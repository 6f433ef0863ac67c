//! What the REST providers (Azure Resource Manager, Cloudflare) share: one HTTP client with
//! connect and request deadlines, and one way to send a request that retries throttling
//! (429, or what the vendor calls throttling) with backoff and jitter, honours
//! `Retry-After`, says so in the progress log, and never outlives the operation's deadline.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use super::aws::retry::Backoff;
use super::{ApiMeter, ErrorKind, Progress};
use meridian_model::fleet::settings::{Dur, HttpClient};

/// Deadlines and retries of one provider, from its `timeout`, `connect_timeout` and
/// `max_attempts` keys.
#[derive(Debug, Clone, Copy)]
pub struct RestSettings {
    /// The whole operation (every attempt and every pause) must finish within this.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub backoff: Backoff,
}

impl RestSettings {
    /// A provider's settings over these defaults: 10 s per operation, 3 s to connect.
    pub fn of(http: &HttpClient) -> RestSettings {
        let mut backoff = Backoff::default();
        if let Some(n) = http.max_attempts {
            backoff.max_attempts = n.clamp(1, 20);
        }
        RestSettings {
            timeout: http.timeout.map_or(Duration::from_secs(10), Dur::get),
            connect_timeout: http
                .connect_timeout
                .map_or(Duration::from_secs(3), Dur::get),
            backoff,
        }
    }

    /// An HTTP client (rustls) with these deadlines, trusting `ca_file` (PEM) too.
    pub fn client(&self, ca_file: Option<&Path>) -> Result<reqwest::Client, String> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(concat!("meridian/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|_| format!("ca_file {} is not a PEM certificate", path.display()))?;
            b = b.add_root_certificate(cert);
        }
        b.build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))
    }
}

/// An answer, whatever its status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// `Retry-After` in seconds, when the server sent one.
    pub retry_after: Option<u64>,
}

/// Why a request got no usable answer.
#[derive(Debug, Clone, PartialEq)]
pub enum SendError {
    /// The operation's deadline passed (a server that never answers ends here).
    Deadline(Duration),
    /// Nothing came back: refused, reset, DNS, TLS.
    Transport(String),
    /// Still throttled after every attempt, or asked to wait past the deadline.
    Throttled {
        attempts: u32,
        retry_after: Option<u64>,
    },
}

/// Send until an answer that is not throttling, retrying throttled answers (and transport
/// failures) with backoff and jitter, all within `settings.timeout`.
pub async fn send<F, Fut>(
    settings: &RestSettings,
    what: &str,
    progress: &Progress,
    throttled: impl Fn(&Reply) -> bool,
    mut request: F,
) -> Result<Reply, SendError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<reqwest::Response, reqwest::Error>>,
{
    let start = Instant::now();
    let deadline = settings.timeout;
    let attempts = async {
        let mut attempt = 1;
        loop {
            let outcome = match request().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    match resp.text().await {
                        Ok(body) => Ok(Reply {
                            status,
                            body,
                            retry_after,
                        }),
                        Err(e) => Err(describe(&e)),
                    }
                }
                Err(e) => Err(describe(&e)),
            };
            // Every attempt spends budget, retries included: the meter shows it.
            let was_throttled = matches!(&outcome, Ok(reply) if throttled(reply));
            ApiMeter::global().record(family(what), was_throttled);
            let (pause, why) = match &outcome {
                Ok(reply) if throttled(reply) => {
                    let jitter = settings.backoff.delay(attempt);
                    let asked = reply.retry_after.map(Duration::from_secs);
                    if attempt >= settings.backoff.max_attempts {
                        return Err(SendError::Throttled {
                            attempts: attempt,
                            retry_after: reply.retry_after,
                        });
                    }
                    let pause = asked.map(|a| a + jitter / 4).unwrap_or(jitter);
                    if start.elapsed() + pause > deadline {
                        return Err(SendError::Throttled {
                            attempts: attempt,
                            retry_after: reply.retry_after,
                        });
                    }
                    let why = match reply.retry_after {
                        Some(s) => format!("throttled ({}; Retry-After {s}s)", reply.status),
                        None => format!("throttled ({})", reply.status),
                    };
                    (pause, why)
                }
                Ok(reply) => return Ok(reply.clone()),
                Err(e) if attempt < settings.backoff.max_attempts => {
                    (settings.backoff.delay(attempt), e.clone())
                }
                Err(e) => return Err(SendError::Transport(e.clone())),
            };
            progress.say(&format!(
                "{what}: {why}; retrying in {} ms (attempt {}/{})",
                pause.as_millis(),
                attempt + 1,
                settings.backoff.max_attempts
            ));
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    };
    match tokio::time::timeout(deadline, attempts).await {
        Ok(r) => r,
        Err(_) => Err(SendError::Deadline(deadline)),
    }
}

/// A transport failure in words, without URLs' query strings or Debug dumps.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut root = String::new();
    while let Some(s) = source {
        root = s.to_string();
        source = s.source();
    }
    if root.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {root}")
    }
}

/// The meter's name for a vendor's API, from the call's name ("cloudflare GET ...").
fn family(what: &str) -> &'static str {
    match what.split_whitespace().next().unwrap_or("") {
        w if w.eq_ignore_ascii_case("cloudflare") => "cloudflare",
        w if w.eq_ignore_ascii_case("azure") || w.eq_ignore_ascii_case("arm") => "azure",
        _ => "http",
    }
}

impl SendError {
    /// What kind of failure, for the engine (throttled readings are polled less often).
    pub fn kind(&self) -> ErrorKind {
        match self {
            SendError::Deadline(_) => ErrorKind::Timeout,
            SendError::Throttled { .. } => ErrorKind::Throttled,
            SendError::Transport(_) => ErrorKind::Other,
        }
    }

    /// The failure in words with what to do, for a `ProviderError`.
    pub fn words(&self, vendor: &str) -> (String, String) {
        match self {
            SendError::Deadline(d) => (
                format!("no answer within {}s", d.as_secs()),
                format!(
                    "{vendor} (or the network to it) is not answering; raise `timeout` in the fleet file if it is only slow"
                ),
            ),
            SendError::Transport(e) => (
                e.clone(),
                format!("cannot reach {vendor}: check the network and endpoint_url"),
            ),
            SendError::Throttled {
                attempts,
                retry_after,
            } => (
                match retry_after {
                    Some(s) => format!(
                        "throttled after {attempts} attempts (the server asks to wait {s}s)"
                    ),
                    None => format!("throttled after {attempts} attempts"),
                },
                format!("{vendor} is rate-limiting this account: wait and try again"),
            ),
        }
    }
}
