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
