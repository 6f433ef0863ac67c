//! The guard of `rejoin`: which region may be rebuilt as a replica of the writer. Whether
//! it took writes after it was fenced is read from the server itself, so the provider
//! checks that just before it changes anything (the plan lists the check).

use super::plan::{Check, Guard};
use meridian_model::state::FleetState;
use meridian_model::state::replication::link_word;

/// A region may rejoin when a writer is known, it is not that writer, and it does not
/// already stream from it.
pub fn rejoin_target(state: &FleetState, region: &str) -> Check {
    let Some(writer) = state.primary().map(|r| r.id.clone()) else {
        return Check::block(
            Guard::RejoinTarget,
            "no region reads as the primary: there is no writer to rejoin; promote one first",
        );
    };
    if writer == region {
        return Check::block(
            Guard::RejoinTarget,
            format!(
                "{region} is the primary: rejoin makes a replica; promote another region first"
            ),
        );
    }
    let Some(lag) = state.region(region).map(|r| &r.lag) else {
        return Check::block(Guard::RejoinTarget, format!("{region} has not been read"));
    };
    match (link_word(lag), lag.value, &lag.error) {
        (Some(word), _, Some(e)) => Check::pass(
            Guard::RejoinTarget,
            format!("{region} is {word} ({e}); it becomes a replica of {writer}"),
        ),
        (_, Some(l), None) => Check::block(
            Guard::RejoinTarget,
            format!("{region} already streams from {writer} (lag {l:.1}s): nothing to rejoin"),
        ),
        (_, _, Some(e)) => Check::warn(
            Guard::RejoinTarget,
            format!(
                "{region}'s replication is unknown ({e}); the rejoin reads it again before changing anything"
            ),
        ),
        _ => Check::warn(
            Guard::RejoinTarget,
            format!(
                "{region}'s replication is unknown (no datapoint); the rejoin reads it again before changing anything"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::plan::Verdict;
    use crate::actions::testkit::{fleet, set_lag, state};
    use meridian_model::state::replication::FENCED;

    #[test]
    fn only_a_fenced_or_broken_non_writer_rejoins() {
        let f = fleet();
        let mut s = state(&f);
        let writer = s.primary().map(|r| r.id.clone()).expect("a primary");
        assert_eq!(rejoin_target(&s, &writer).verdict, Verdict::Block);
        let c = rejoin_target(&s, "eu-west-1");
        assert_eq!(c.verdict, Verdict::Block, "streams already: {}", c.reason);
        assert!(c.reason.contains("already streams"), "{}", c.reason);
        let why = format!("eu-west-1: postgres replication lag: {FENCED}: read-only");
        set_lag(&mut s, "eu-west-1", None, Some(&why));
        let c = rejoin_target(&s, "eu-west-1");
        assert_eq!(c.verdict, Verdict::Pass, "{}", c.reason);
        assert!(c.reason.contains("is fenced"), "{}", c.reason);
        set_lag(&mut s, "eu-west-1", Some(3.0), Some("connection refused"));
        assert_eq!(rejoin_target(&s, "eu-west-1").verdict, Verdict::Warn);
    }
}
