//! The `freeze` guard: while a change freeze is in force (set by a person with `meridian
//! freeze`, or a window the fleet file schedules) every planned action is blocked, naming
//! who froze, why and until when. It is overridable with `--override freeze --reason`;
//! in production the override also needs a second person (`approvals::required`).

use super::plan::{Check, Guard};
use meridian_model::fleet::Fleet;
use meridian_model::state::freeze::active;
use meridian_model::state::{FleetState, Millis};

/// The freeze in force at `now`, as `state` last read it, against the fleet's windows.
pub fn freeze(fleet: &Fleet, state: &FleetState, now: Millis) -> Check {
    if let Some(f) = active(fleet, state.freeze.value.as_ref(), now) {
        return Check::block(
            Guard::Freeze,
            format!(
                "{}; to act anyway: --override freeze --reason TEXT (in production a second person approves)",
                f.describe()
            ),
        );
    }
    match &state.freeze.error {
        // Not knowing is said, not guessed: an unreadable store does not stop an incident.
        Some(e) => Check::warn(
            Guard::Freeze,
            format!("whether a change freeze is set could not be read: {e}"),
        ),
        None => Check::pass(Guard::Freeze, "no change freeze"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::plan::Verdict;
    use crate::actions::testkit::{NOW, fleet, state};
    use meridian_model::state::Observed;
    use meridian_model::state::freeze::Freeze;

    #[test]
    fn passes_without_a_freeze_blocks_during_one_and_warns_when_unknown() {
        let f = fleet();
        let mut s = state(&f);
        assert_eq!(freeze(&f, &s, NOW).verdict, Verdict::Pass);
        s.freeze = Observed::ok(
            Freeze {
                by: "kube:ana (on ana@a)".into(),
                reason: "INC-9 in progress".into(),
                at: NOW - 60_000,
                until: Some(NOW + 3_600_000),
            },
            NOW,
        );
        let c = freeze(&f, &s, NOW);
        assert_eq!(c.verdict, Verdict::Block);
        assert!(
            c.reason.contains("frozen by kube:ana (on ana@a)"),
            "{}",
            c.reason
        );
        assert!(c.reason.contains("INC-9 in progress"), "{}", c.reason);
        assert!(c.reason.contains("--override freeze"), "{}", c.reason);
        // Past its end it no longer holds.
        assert_eq!(freeze(&f, &s, NOW + 3_600_000).verdict, Verdict::Pass);
        s.freeze = Observed::default();
        s.freeze.error = Some("the store is unreachable".into());
        assert_eq!(freeze(&f, &s, NOW).verdict, Verdict::Warn);
    }
}
