//! The rollout pane's one key: plan the next action step in the usual confirmation modal,
//! decide the gate the rollout waits at from the state on screen, or approve it. Planning
//! and gate verdicts are pure; recording them is an effect for the loop.

use super::app::{App, Effect, Status};
use super::command::Command;
use super::overlay::Overlay;
use crate::actions::rollout::{GateVerdict, Next, evaluate, rollout_now};
use crate::fleet::rollout::GateSpec;

impl App {
    /// The pane's key; the pane stays open unless a plan's modal takes its place.
    pub(super) fn rollout_next(&mut self) -> Vec<Effect> {
        let effects = self.rollout_step();
        if self.overlay.is_none() {
            self.overlay = Some(Overlay::Rollout);
        }
        effects
    }

    fn rollout_step(&mut self) -> Vec<Effect> {
        let start = self.pane_key(Command::RolloutStart);
        let Some(r) = self.rollout.as_deref() else {
            self.status = Status::Info(format!(
                "no rollout in this fleet: {start} starts one from a template"
            ));
            return Vec::new();
        };
        // A skip waiting for a second person: Enter approves it (the library refuses the
        // person who asked).
        if r.skip_request.is_some() && !r.status.finished() {
            return vec![Effect::ApproveRollout];
        }
        match r.next() {
            Next::Finished => {
                self.status = Status::Info(format!(
                    "rollout {} is {}; {start} starts another",
                    r.id,
                    r.outcome().describe()
                ));
                Vec::new()
            }
            Next::Stopped { reason, .. } => {
                let (retry, skip) = (
                    self.pane_key(Command::RolloutRetry),
                    self.pane_key(Command::RolloutSkip),
                );
                self.status = Status::Failed(format!(
                    "rollout stopped: {reason}; {retry} retries the step, {skip} skips it with a comment, or `meridian rollout abort --rollback`"
                ));
                Vec::new()
            }
            Next::Paused { by, reason, .. } => {
                self.status = Status::Info(format!(
                    "rollout paused by {by} ({reason}): no step runs until it is resumed"
                ));
                Vec::new()
            }
            Next::Action { request, .. } => {
                let request = request.read_only(self.read_only);
                self.overlay = None;
                self.open_plan(request)
            }
            Next::Gate {
                index,
                gate:
                    GateSpec::Approval {
                        artifact: Some(name),
                        ..
                    },
                ..
            } => {
                self.status = Status::Running(format!(
                    "gate: is artifact {name} approved? (a second person approves it in the approvals list, A)"
                ));
                vec![Effect::ArtifactGate(index)]
            }
            Next::Gate {
                gate: GateSpec::Approval { .. },
                ..
            } => vec![Effect::ApproveRollout],
            Next::Gate {
                index,
                gate: GateSpec::Command { run, .. },
                ..
            } => {
                if self.read_only {
                    self.status = Status::Info(
                        "read-only: the command gate is run by whoever moves the rollout".into(),
                    );
                    return Vec::new();
                }
                // In a practice the executor runs nothing: this key is the driver passing it.
                self.status = Status::Running(
                    match crate::actions::rollout::in_practice(&self.fleet, r.practice) {
                        true => format!(
                            "gate: PRACTICE: not run: `{}` (passed by you, listed as an exception)…",
                            run.display()
                        ),
                        false => format!("gate: running `{}`…", run.display()),
                    },
                );
                vec![Effect::CommandGate(index, run)]
            }
            Next::Gate {
                index,
                gate: gate @ GateSpec::Alarms { .. },
                ..
            } => {
                // Decided from CloudWatch's alarm history, like `meridian rollout next`: a
                // read (no change), so read-only mode may look too.
                self.status = Status::Running(format!(
                    "gate: reading the alarms' history ({})…",
                    crate::fleet::rollout::RolloutStep::Gate(gate.clone()).label()
                ));
                vec![Effect::AlarmsGate(index, gate)]
            }
            Next::Gate { index, gate, since } => {
                // The step's timeout applies: waiting past it fails, saying for what.
                let now = self.gate_now();
                let verdict = r.timed(index, evaluate(&gate, &self.state, since, now), now);
                match verdict {
                    GateVerdict::Waiting { .. } => {
                        self.status = Status::Info(verdict.describe());
                        Vec::new()
                    }
                    v => vec![Effect::RolloutGate(index, v)],
                }
            }
        }
    }

    /// The running recovery clocks against what the dashboard sees now.
    pub fn recovery_readings(&self) -> Vec<crate::actions::recovery_open::ClockReading> {
        use crate::actions::recovery_open;
        let current = self.rollout.as_deref();
        recovery_open::read(
            &self.fleet,
            &self.state,
            &self.clocks,
            |id| recovery_open::rollout_done(current, id),
            self.gate_now(),
        )
    }

    /// Enter in the approvals pane: approve the selected request (the library refuses
    /// the requester themself, an expired request, read-only mode).
    pub fn approve_pending(&mut self, index: usize) -> Vec<Effect> {
        let last = self.approvals.len().saturating_sub(1);
        let Some(req) = self.approvals.get(index.min(last)) else {
            self.status = Status::Info("no plan is waiting for approval".into());
            return Vec::new();
        };
        if self.read_only {
            self.status = Status::Failed("read-only: nothing is approved".into());
            return Vec::new();
        }
        self.overlay = None;
        self.status = Status::Running(format!(
            "approving {} {} ({})…",
            req.action,
            req.target,
            crate::actions::approvals::short(&req.hash)
        ));
        vec![Effect::ApprovePlan(Box::new(req.clone()))]
    }

    /// A command or alarms gate's verdict came back: record it unless it is still waiting
    /// (past the step's timeout, waiting is a failure that says for what).
    pub fn command_gate_done(&mut self, index: usize, verdict: GateVerdict) -> Vec<Effect> {
        self.dirty = true;
        let now = self.gate_now();
        let verdict = match self.rollout.as_deref() {
            Some(r) => r.timed(index, verdict, now),
            None => verdict,
        };
        match verdict {
            GateVerdict::Waiting { .. } => {
                self.status = Status::Info(verdict.describe());
                Vec::new()
            }
            v => {
                self.status = Status::Info(v.describe());
                vec![Effect::RolloutGate(index, v)]
            }
        }
    }

    /// The rollout clock: the app's own time, moved like the CLI's in tests.
    pub fn gate_now(&self) -> i64 {
        self.now + (rollout_now() - crate::state::now_ms()).max(0)
    }
}
