//! `ProviderError`: a backend call that failed, said the way an operator needs it.

use std::fmt;
use std::time::Duration;

/// What kind of failure, where it changes what meridian does next (back off, say "slow").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorKind {
    #[default]
    Other,
    /// The backend refused for now (HTTP 429, AWS throttling): poll it less often.
    Throttled,
    /// No answer within the deadline.
    Timeout,
    /// The object changed since it was read (HTTP 409): nothing was written; re-read and
    /// re-plan, never retry blindly.
    Conflict,
    /// The backend answered, and its answer means the value does not exist: a replica that
    /// follows something other than the primary has no lag against the writer, and a
    /// fenced former primary replicates from nothing. The last good value is void, not stale.
    Broken,
}

/// A backend call that failed: which region, which call, what happened, what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ProviderError {
    pub region: Option<String>,
    /// The backend call, e.g. `route53 ChangeResourceRecordSets`.
    pub call: String,
    pub message: String,
    pub hint: Option<String>,
    pub kind: ErrorKind,
}

impl ProviderError {
    pub fn new(region: Option<&str>, call: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError {
            region: region.map(str::to_string),
            call: call.into(),
            message: message.into(),
            hint: None,
            kind: ErrorKind::Other,
        }
    }

    /// No answer within `deadline`: the call was abandoned, nothing waits on it any more.
    pub fn timed_out(region: Option<&str>, call: impl Into<String>, deadline: Duration) -> Self {
        ProviderError::new(
            region,
            call,
            format!("no answer within {}", humantime::format_duration(deadline)),
        )
        .with_hint(
            "the backend is unreachable or hanging; raise `timeout` in the fleet file if it is \
             only slow",
        )
        .with_kind(ErrorKind::Timeout)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same failure, said of another region (a fleet-wide read shared by regions).
    pub fn for_region(&self, region: &str) -> Self {
        ProviderError {
            region: Some(region.to_string()),
            ..self.clone()
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = &self.region {
            write!(f, "{r}: ")?;
        }
        write!(f, "{}: {}", self.call, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " — {h}")?;
        }
        Ok(())
    }
}

/// What went wrong underneath a client error, in a few words: the root cause of its
/// `source()` chain ("connection refused", "connection reset by the server", ...), never
/// the `Debug` dump of the layers in between.
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = err;
    let mut io_kind = None;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
        }
        deepest = e;
        current = e.source();
    }
    use std::io::ErrorKind as K;
    let phrase = match io_kind {
        Some(K::ConnectionRefused) => Some("connection refused"),
        Some(K::ConnectionReset) => Some("connection reset by the server"),
        Some(K::ConnectionAborted) => Some("connection aborted"),
        Some(K::TimedOut) => Some("connection timed out"),
        Some(K::UnexpectedEof) => Some("the server closed the connection"),
        Some(K::BrokenPipe) => Some("the connection broke"),
        Some(K::AddrNotAvailable) => Some("address not available"),
        _ => None,
    };
    match phrase {
        Some(p) => p.to_string(),
        None => {
            let text = deepest.to_string();
            // "... (os error 111)" says nothing more to an operator.
            match text.find(" (os error ") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(
        &'static str,
        Option<Box<dyn std::error::Error + Send + Sync>>,
    );
    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn a_refused_connection_is_said_in_words() {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let err = Layer(
            "dispatch failure",
            Some(Box::new(Layer("io error", Some(Box::new(io))))),
        );
        assert_eq!(root_cause(&err), "connection refused");
    }

    #[test]
    fn other_causes_give_the_deepest_message_without_os_codes() {
        let err = Layer(
            "dispatch failure",
            Some(Box::new(Layer(
                "dns error: no such host (os error 2)",
                None,
            ))),
        );
        assert_eq!(root_cause(&err), "dns error: no such host");
    }

    #[test]
    fn timeouts_say_how_long_and_what_to_do() {
        let e = ProviderError::timed_out(
            Some("eu-west-1"),
            "postgres read lag",
            Duration::from_secs(5),
        );
        assert_eq!(e.kind, ErrorKind::Timeout);
        let text = e.to_string();
        assert!(
            text.starts_with("eu-west-1: postgres read lag: no answer within 5s — "),
            "{text}"
        );
    }
}
