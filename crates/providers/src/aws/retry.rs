//! Retrying AWS calls that were refused for now, not for good: throttling and Route 53's
//! `PriorRequestNotComplete` (a second change to a zone before the first is INSYNC).
//! Exponential backoff with full jitter, so several meridians do not retry in lockstep.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};

use crate::{ApiMeter, ErrorKind, Progress, ProviderError, root_cause};

/// How hard to retry.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            max_attempts: 6,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// One attempt: for readings the engine polls. A throttled reading is not retried on
    /// the spot (that spends more of the budget a failover needs); the engine backs the
    /// subject's polling off instead, and the error says "throttled".
    pub fn once(&self) -> Backoff {
        Backoff {
            max_attempts: 1,
            ..*self
        }
    }

    /// The pause before retry number `attempt` (1-based): uniform in [0, min(cap, base*2^n)].
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        let r = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        ceiling.mul_f64((r % 10_000) as f64 / 10_000.0)
    }
}

/// Error codes that mean "try again later".
const RETRYABLE: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
];

/// The meter's name for an AWS service (a static name: the meter keeps it for the process).
fn known_family(name: &str) -> &'static str {
    match name {
        "route53" => "route53",
        "cloudwatch" => "cloudwatch",
        "rds" => "rds",
        "elasticache" => "elasticache",
        _ => "aws",
    }
}

/// Did AWS refuse this call for now (throttling, not a prior change still in progress)?
pub fn is_throttled<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(err, SdkError::ServiceError(_))
        && err
            .code()
            .is_some_and(|c| RETRYABLE.contains(&c) && c != "PriorRequestNotComplete")
}

/// Is this failure worth retrying?
pub fn is_retryable<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    match err {
        SdkError::ServiceError(_) => err.code().is_some_and(|c| RETRYABLE.contains(&c)),
        SdkError::TimeoutError(_) => true,
        _ => false,
    }
}

/// Run `call` until it succeeds, fails for good, or runs out of attempts.
pub async fn with_backoff<T, E, R, F, Fut>(
    backoff: &Backoff,
    what: &str,
    progress: &Progress,
    mut call: F,
) -> Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
{
    let mut attempt = 1;
    let family = what.split_whitespace().next().unwrap_or("aws");
    let family = known_family(family);
    loop {
        let result = call().await;
        ApiMeter::global().record(
            family,
            result.as_ref().err().is_some_and(|e| is_throttled(e)),
        );
        match result {
            Ok(v) => return Ok(v),
            Err(e) if attempt < backoff.max_attempts && is_retryable(&e) => {
                let pause = backoff.delay(attempt);
                let code = e.code().unwrap_or("timeout").to_string();
                progress.say(&format!(
                    "{what}: {code}; retrying in {} ms (attempt {}/{})",
                    pause.as_millis(),
                    attempt + 1,
                    backoff.max_attempts
                ));
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Turn an SDK failure into a `ProviderError` that says what to do about it.
pub fn provider_error<E, R>(region: Option<&str>, call: &str, err: &SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let (message, hint) = match err {
        SdkError::ServiceError(_) if err.code().is_none() => (
            "the answer is not an AWS response".to_string(),
            "check endpoint_url: it should point at AWS (or the right local server)",
        ),
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("error");
            let msg = format!("{code}: {}", err.message().unwrap_or("no message"));
            let hint = match code {
                c if RETRYABLE.contains(&c) => {
                    "AWS is throttling this account: readings are polled less often until it stops, and actions retry with backoff before giving up; try again in a minute"
                }
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                    "the credentials lack this permission: check the IAM policy of the profile in use"
                }
                "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "ExpiredTokenException" => {
                    "the credentials are invalid or expired: refresh them (e.g. `aws sso login --profile ...`)"
                }
                "NoSuchHostedZone" => "check hosted_zone_id in the fleet file",
                "InternalFailure"
                | "InternalError"
                | "ServiceUnavailable"
                | "InternalServiceError" => {
                    "AWS failed to answer this request: it is retried at the next refresh; if it persists, check the AWS Health Dashboard"
                }
                "NoSuchHealthCheck" => "check health_check_id in the fleet file",
                _ => "see the AWS error code above",
            };
            (msg, hint)
        }
        SdkError::DispatchFailure(d) => {
            let cause = root_cause(err);
            if d.is_timeout() {
                (
                    format!("could not connect in time ({cause})"),
                    "AWS (or endpoint_url) did not accept the connection in time: check the network and endpoint_url; connect_timeout sets the limit",
                )
            } else if d.is_io() {
                (
                    format!("cannot reach AWS: {cause}"),
                    "check the network and endpoint_url in the fleet file",
                )
            } else {
                (
                    format!("request not sent: {cause}"),
                    "cannot reach AWS or load credentials: check the network, endpoint_url, and that credentials are configured (AWS_PROFILE, `aws sso login`)",
                )
            }
        }
        SdkError::TimeoutError(_) => (
            "no answer in time".to_string(),
            "AWS did not answer in time: check the network and try again",
        ),
        SdkError::ResponseError(_) => (
            format!("the answer could not be read: {}", root_cause(err)),
            "the endpoint answered with something that is not an AWS response: check endpoint_url",
        ),
        _ => (
            root_cause(err),
            "see the message; check credentials and the fleet file's AWS settings",
        ),
    };
    let kind = if is_throttled(err) {
        ErrorKind::Throttled
    } else if matches!(err, SdkError::TimeoutError(_)) {
        ErrorKind::Timeout
    } else {
        ErrorKind::Other
    };
    ProviderError::new(region, call, message)
        .with_hint(hint)
        .with_kind(kind)
}
