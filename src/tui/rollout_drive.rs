//! Driving a rollout from its pane: starting one from a template, pausing and resuming it,
//! retrying a failed step, skipping one with a comment, taking over the driver's seat. The
//! app only gathers what each needs (a template's parameters, a reason, a comment) and says
//! what is plainly not possible now; whether this person may is the library's to decide
//! (`executor/rollout.rs`), and its answer comes back as `Msg::RolloutSaid`.

use super::app::{App, Effect, Status};
use super::command::Command;
use super::overlay::{Ask, Outcome, Overlay, RolloutControl, RolloutPrompt, RolloutStart};
use crate::actions::executor::{StartOptions, step_production};
use crate::actions::rollout::Next;

impl App {
    /// A rollout key (in the pane, or by name from the palette).
    pub(super) fn rollout_key(&mut self, cmd: Command) -> Vec<Effect> {
        // The pane stays open behind a message, so the next key is at hand.
        self.overlay = Some(Overlay::Rollout);
        if self.read_only {
            self.status = Status::Failed(format!(
                "read-only: {} changes the rollout; start meridian without --read-only",
                cmd.name()
            ));
            return Vec::new();
        }
        if cmd == Command::RolloutStart {
            self.open_rollout_start();
            return Vec::new();
        }
        let Some(r) = self.rollout.as_deref() else {
            let key = self.pane_key(Command::RolloutStart);
            self.status = Status::Info(format!("no rollout is running: {key} starts one"));
            return Vec::new();
        };
        let Some(index) = r.current().filter(|_| !r.status.finished()) else {
            self.status = Status::Info(format!(
                "rollout {} is {}: nothing to {}",
                r.id,
                r.outcome().describe(),
                cmd.name().trim_start_matches("rollout-")
            ));
            return Vec::new();
        };
        let stopped = matches!(r.next(), Next::Stopped { .. });
        let ask = match cmd {
            Command::RolloutPause => match &r.paused {
                Some(p) => {
                    let key = self.pane_key(Command::RolloutResume);
                    self.status = Status::Info(format!(
                        "already paused by {} ({}); {key} resumes it",
                        p.by, p.reason
                    ));
                    return Vec::new();
                }
                None => Ask::Pause,
            },
            Command::RolloutResume if r.paused.is_none() && !stopped => {
                self.status = Status::Info(format!("rollout {} is not paused", r.id));
                return Vec::new();
            }
            Command::RolloutResume => Ask::Resume,
            Command::RolloutRetry => {
                if !stopped {
                    self.status = Status::Info(format!(
                        "step {} has not failed: retry is for a failed step",
                        index + 1
                    ));
                    return Vec::new();
                }
                self.status = Status::Running(format!("retrying step {}…", index + 1));
                return vec![Effect::ControlRollout(RolloutControl::Retry)];
            }
            Command::RolloutSkip => Ask::Skip {
                step: index,
                label: r.steps[index].step.label(),
                production: step_production(&self.fleet, r, index),
            },
            Command::RolloutTake => Ask::Take {
                from: r.driver().to_string(),
            },
            Command::RolloutUngraceful => {
                use crate::fleet::rollout::RunMode;
                if !r.modes.contains(&RunMode::Ungraceful) || r.mode == RunMode::Ungraceful {
                    self.status = Status::Info(format!(
                        "rollout {} cannot switch: {}",
                        r.id,
                        match r.mode {
                            RunMode::Ungraceful => "it already runs ungraceful",
                            RunMode::Graceful => "its template has no ungraceful mode",
                        }
                    ));
                    return Vec::new();
                }
                // What the library will leave out (its own rule, on a copy).
                let mut preview = r.clone();
                let before = preview.exceptions.len();
                let _ = preview.go_ungraceful("you", "preview", self.gate_now());
                let left_out = preview.exceptions[before.min(preview.exceptions.len())..]
                    .iter()
                    .map(|e| {
                        format!(
                            "step {} ({})",
                            e.step + 1,
                            preview.steps[e.step].step.label()
                        )
                    })
                    .collect();
                Ask::Ungraceful { left_out }
            }
            _ => return Vec::new(),
        };
        self.overlay = Some(Overlay::RolloutPrompt(RolloutPrompt::new(ask)));
        Vec::new()
    }

    /// The templates to choose from; refused while another rollout is unfinished (the
    /// library refuses it too, but the form would be wasted).
    fn open_rollout_start(&mut self) {
        if let Some(r) = self.rollout.as_deref()
            && !r.status.finished()
        {
            self.status = Status::Info(format!(
                "rollout {} is {} (driven by {}): it finishes, or is aborted (`meridian rollout abort`), before another starts",
                r.id,
                r.outcome().describe(),
                r.driver()
            ));
            return;
        }
        if self.fleet.rollouts.is_empty() {
            self.status = Status::Info(
                "the fleet file has no [[rollouts]] templates to start (see docs/rollouts.md)"
                    .into(),
            );
            return;
        }
        self.overlay = Some(Overlay::RolloutStart(Box::new(RolloutStart::new(
            &self.fleet,
        ))));
    }

    /// After any key in the start form: work its preview out again from what is typed.
    pub(super) fn preview_rollout_start(&mut self) {
        let now = self.gate_now();
        if let Some(Overlay::RolloutStart(s)) = &mut self.overlay {
            s.refresh(&self.fleet, now);
        }
    }

    /// The form was sent: the executor starts it (or says why not).
    pub(super) fn start_rollout(&mut self, options: StartOptions) -> Vec<Effect> {
        self.overlay = Some(Overlay::Rollout);
        self.status = Status::Running(format!("starting rollout {}…", options.template));
        vec![Effect::StartRollout(Box::new(options))]
    }

    /// A prompt was answered: the executor does it (or says why not).
    pub(super) fn control_rollout(&mut self, control: RolloutControl) -> Vec<Effect> {
        self.overlay = Some(Overlay::Rollout);
        let doing = match &control {
            RolloutControl::Pause(_) => "pausing the rollout",
            RolloutControl::Resume(_) => "resuming the rollout",
            RolloutControl::Retry => "retrying the failed step",
            RolloutControl::Skip(_) => "skipping the step",
            RolloutControl::Take(_) => "taking over driving",
            RolloutControl::Ungraceful(_) => "switching to ungraceful",
        };
        self.status = Status::Running(format!("{doing}…"));
        vec![Effect::ControlRollout(control)]
    }

    /// What the library said about a change to the rollout.
    pub(super) fn rollout_said(&mut self, said: Result<String, String>) {
        self.status = match said {
            Ok(text) => Status::Done(text),
            Err(why) => Status::Failed(format!("rollout: {why}")),
        };
        self.dirty = true;
    }

    /// The key a pane command is on (for messages), or its name for the palette.
    pub(super) fn pane_key(&self, cmd: Command) -> String {
        self.keymap
            .key_for(super::command::Mode::Picker, cmd)
            .unwrap_or_else(|| format!(":{}", cmd.name()))
    }

    /// What an overlay's outcome about rollouts asks for; None for every other outcome.
    pub(super) fn rollout_outcome(&mut self, outcome: &Outcome) -> Option<Vec<Effect>> {
        match outcome {
            Outcome::StartRollout(o) => Some(self.start_rollout((**o).clone())),
            Outcome::RolloutControl(c) => Some(self.control_rollout(c.clone())),
            _ => None,
        }
    }
}
