//! Gates in a practice run. A practice never reaches a real backend, so a gate that would
//! (a `command` gate runs a real program; an `alarms` gate reads CloudWatch) is not run:
//! it is shown as "PRACTICE: not run: ..." and passed only by the driver moving the
//! rollout on, and the rollout records it as an exception, so the practice's outcome reads
//! `succeeded with exceptions` and lists every gate that was not really checked.

use meridian_model::fleet::Fleet;
use meridian_model::fleet::rollout::{GateSpec, RolloutStep};

use super::GateVerdict;

/// How the reason of a gate passed without running starts, in a practice.
pub const PRACTICE_NOT_RUN: &str = "PRACTICE: not run: ";

/// Does this verdict pass a gate that a practice did not run?
pub fn not_run_in_practice(verdict: &GateVerdict) -> bool {
    matches!(verdict, GateVerdict::Met { reason } if reason.starts_with(PRACTICE_NOT_RUN))
}

/// Is a gate of `fleet` (or of a rollout marked practice) decided without the real world?
pub fn in_practice(fleet: &Fleet, rollout_practice: bool) -> bool {
    rollout_practice || crate::actions::practice::is_copy(fleet)
}

/// A practice's verdict for a gate that would reach the real world: passed without
/// running, saying what was not run. `None`: the gate is decided as usual (an approval, or
/// a gate read from the simulated copy's own state).
pub fn practice_verdict(gate: &GateSpec) -> Option<GateVerdict> {
    let what = match gate {
        GateSpec::Command { run, .. } => format!(
            "`{}` (a practice never runs a gate's command; passed by the driver)",
            run.display()
        ),
        GateSpec::Alarms { .. } => format!(
            "{} (a practice never reads CloudWatch; passed by the driver)",
            RolloutStep::Gate(gate.clone()).label()
        ),
        _ => return None,
    };
    Some(GateVerdict::Met {
        reason: format!("{PRACTICE_NOT_RUN}{what}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::rollout::{ExceptionKind, Outcome, Rollout, RolloutStatus};
    use crate::actions::testkit::{NOW, fleet, state};
    use meridian_model::fleet::StepCommand;
    use std::time::Duration;

    #[test]
    fn a_command_or_alarms_gate_is_not_run_and_an_approval_is_decided_as_usual() {
        let command = GateSpec::Command {
            run: StepCommand::Shell("terraform apply".into()),
            artifact: None,
            uses: None,
        };
        let v = practice_verdict(&command).expect("a practice verdict");
        assert!(not_run_in_practice(&v), "{v:?}");
        assert!(
            v.describe()
                .contains("PRACTICE: not run: `terraform apply`"),
            "{}",
            v.describe()
        );
        let alarms = GateSpec::Alarms {
            prefix: None,
            tag: None,
            region: None,
            hold: Duration::from_secs(600),
        };
        let v = practice_verdict(&alarms).expect("a practice verdict");
        assert!(v.describe().contains("never reads CloudWatch"), "{v:?}");
        let approval = GateSpec::Approval {
            second_person: true,
            artifact: None,
        };
        assert_eq!(practice_verdict(&approval), None);
        let live = fleet();
        assert!(!in_practice(&live, false) && in_practice(&live, true));
        let copy = crate::actions::practice::fleet(
            &live,
            &crate::actions::practice::seed(&live, &state(&live)),
        );
        assert!(in_practice(&copy, false));
    }

    /// A gate passed as not run is an exception of a practice rollout, never of a live one.
    #[test]
    fn a_gate_not_run_is_an_exception_of_the_practice_outcome() {
        let f = fleet();
        let mut r = Rollout::start(&f, "release", Default::default(), "CHG-1", "alice@a", NOW)
            .expect("rollout");
        let v = practice_verdict(&GateSpec::Command {
            run: StepCommand::Shell("touch x".into()),
            artifact: None,
            uses: None,
        })
        .expect("verdict");
        let mut live = r.clone();
        assert!(live.record_gate(0, &v, NOW));
        assert!(live.exceptions.is_empty());

        r.practice = true;
        assert!(r.record_gate(0, &v, NOW));
        assert_eq!(r.exceptions.len(), 1);
        assert_eq!(r.exceptions[0].kind, ExceptionKind::NotRunInPractice);
        assert_eq!(r.exceptions[0].by, "alice@a");
        let line = r.exception_lines().join("\n");
        assert!(line.contains("PRACTICE: not run: `touch x`"), "{line}");
        r.status = RolloutStatus::Done;
        assert_eq!(r.outcome(), Outcome::SucceededWithExceptions);
    }
}
