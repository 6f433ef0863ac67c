//! A replication link that has no lag to show. Providers say why in the lag's error; the
//! state keeps errors as text, so the words that mark these cases are shared here and the
//! front ends show a word (`fenced`, `broken`) instead of a number or a bare `?`.

use super::Observed;

/// Starts the message of a fenced former primary: read-only, replicating from nothing.
pub const FENCED: &str = "fenced former primary";
/// Starts the message of a replica that follows something other than the fleet's writer.
pub const BROKEN: &str = "replication broken";
/// Starts the message of a writer that another, newer writer has replaced (split brain).
pub const SUPERSEDED: &str = "superseded writer";

/// The word a lag cell shows for a link that is not a lag: `fenced`, `broken` or `split`,
/// or `None` when the lag is a number, missing or simply unread.
pub fn link_word(lag: &Observed<f64>) -> Option<&'static str> {
    if lag.value.is_some() {
        return None;
    }
    let error = lag.error.as_deref()?;
    [
        (FENCED, "fenced"),
        (BROKEN, "broken"),
        (SUPERSEDED, "split"),
    ]
    .into_iter()
    .find(|(mark, _)| error.contains(mark))
    .map(|(_, word)| word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_link_has_a_word_and_a_number_has_none() {
        let broken = Observed::<f64> {
            value: None,
            at: Some(1),
            error: Some(
                format!("ap: postgres replication lag: {BROKEN}: follows us-east-1").into(),
            ),
        };
        assert_eq!(link_word(&broken), Some("broken"));
        let fenced = Observed::<f64> {
            error: Some(format!("us: x: {FENCED}: read-only").into()),
            ..broken.clone()
        };
        assert_eq!(link_word(&fenced), Some("fenced"));
        let stale = Observed {
            value: Some(0.0),
            ..broken
        };
        assert_eq!(
            link_word(&stale),
            None,
            "a kept value is shown as a stale number"
        );
        assert_eq!(link_word(&Observed::<f64>::default()), None);
    }
}
