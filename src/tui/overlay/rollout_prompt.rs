//! The one line a rollout control asks for before it goes to the library: why a pause, a
//! resume or a hand-over, and the comment a skip must carry. Esc goes back to the pane.

use super::Outcome;
use crate::tui::command::Command;

/// What a person asked the rollout to do, with the text it carries; the executor's door
/// (`executor/rollout.rs`) decides whether they may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutControl {
    Pause(String),
    Resume(String),
    Retry,
    Skip(String),
    Take(String),
    Ungraceful(String),
}

/// What the prompt asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Pause,
    Resume,
    /// Skip step `step` (its label); in production the skip waits for a second person.
    Skip {
        step: usize,
        label: String,
        production: bool,
    },
    /// Take the driver's seat from `from`.
    Take {
        from: String,
    },
    /// Switch a failover to ungraceful: these steps (labels) will be left out.
    Ungraceful {
        left_out: Vec<String>,
    },
}

impl Ask {
    /// The prompt's title.
    pub fn title(&self) -> String {
        match self {
            Ask::Pause => "Pause the rollout".into(),
            Ask::Resume => "Resume the rollout".into(),
            Ask::Skip { step, label, .. } => format!("Skip step {} ({label})", step + 1),
            Ask::Take { from } => format!("Take over driving from {from}"),
            Ask::Ungraceful { .. } => "Switch the failover to ungraceful".into(),
        }
    }

    /// What the text field is, and what will happen.
    pub fn explain(&self) -> Vec<String> {
        match self {
            Ask::Pause => vec![
                "Reason (required): everyone sees who paused and why.".into(),
                "No step runs and no gate counts down until it is resumed.".into(),
            ],
            Ask::Resume => vec![
                "Reason (optional): recorded in the audit log.".into(),
                "A gate goes on counting from where it stood when paused.".into(),
            ],
            Ask::Skip { production, .. } => {
                let mut v = vec![
                    "Comment (required): why the step is left out; the outcome lists it.".into(),
                ];
                if *production {
                    v.push(
                        "It touches production: the skip waits for a second person to approve it (Enter in their rollout pane)."
                            .into(),
                    );
                }
                v
            }
            Ask::Take { .. } => vec![
                "Reason (required): the hand-over is audited, from whom, to whom and why.".into(),
                "Only the driver runs steps; others may approve, pause or abort.".into(),
            ],
            Ask::Ungraceful { left_out } => vec![
                "Reason (required): why the old region cannot answer.".into(),
                match left_out.is_empty() {
                    true => "No step left needs the old region.".into(),
                    false => format!("Left out: {}.", left_out.join("; ")),
                },
            ],
        }
    }

    fn required(&self) -> bool {
        !matches!(self, Ask::Resume)
    }
}

/// The prompt on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutPrompt {
    pub ask: Ask,
    pub text: String,
    /// Why Enter did nothing.
    pub refusal: Option<String>,
}

impl RolloutPrompt {
    pub fn new(ask: Ask) -> RolloutPrompt {
        RolloutPrompt {
            ask,
            text: String::new(),
            refusal: None,
        }
    }

    pub fn type_char(&mut self, c: char) -> Outcome {
        self.text.push(c);
        self.refusal = None;
        Outcome::Stay
    }

    pub fn command(&mut self, cmd: Command) -> Outcome {
        match cmd {
            Command::DeleteChar => {
                self.text.pop();
            }
            Command::Accept => {
                let text = self.text.trim().to_string();
                if text.is_empty() && self.ask.required() {
                    self.refusal = Some(match self.ask {
                        Ask::Skip { .. } => "a skip needs a comment".into(),
                        _ => "a reason is needed".into(),
                    });
                    return Outcome::Stay;
                }
                return Outcome::RolloutControl(match self.ask {
                    Ask::Pause => RolloutControl::Pause(text),
                    Ask::Resume => RolloutControl::Resume(text),
                    Ask::Skip { .. } => RolloutControl::Skip(text),
                    Ask::Take { .. } => RolloutControl::Take(text),
                    Ask::Ungraceful { .. } => RolloutControl::Ungraceful(text),
                });
            }
            Command::Cancel => return Outcome::Run(Command::Rollout),
            Command::Quit => return Outcome::Run(Command::Quit),
            _ => {}
        }
        Outcome::Stay
    }
}
