//! Overlays on top of the board: the plan modal, the weights editor, the revision picker,
//! the command palette and help. Each holds data and reports an `Outcome`; none of them
//! executes anything.

mod confirm;
mod palette;
mod palette_deploy;
mod revisions;
mod rollout_prompt;
mod rollout_start;
mod weights;

pub use confirm::{ConfirmModal, Field};
pub use palette::{Palette, PaletteEntry};
pub use revisions::RevisionPicker;
pub use rollout_prompt::{Ask, RolloutControl, RolloutPrompt};
pub use rollout_start::{RolloutStart, StartForm, TemplateInfo};
pub use weights::WeightsEditor;

use super::command::{Command, Mode};
use crate::actions::{Plan, Request};

/// Lines PgDn and PgUp move an approval request's text by.
const APPROVAL_PAGE: usize = 10;

/// What an overlay asks of the app after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stay,
    Close,
    /// The modal was dismissed without confirming.
    Declined(Box<Plan>),
    /// The modal's inputs changed (reason, override): plan again.
    Replan(Box<Request>),
    /// The editor or picker produced a request: plan it and show the modal.
    OpenPlan(Box<Request>),
    /// The palette chose a command.
    Run(Command),
    /// The operator confirmed: hand the plan to the executor.
    Confirmed(Box<Request>, Box<Plan>),
    /// Approve the pending request at this position of the approvals pane.
    Approve(usize),
    /// Open the plan of the finding at this position of the findings list.
    Finding(usize),
    /// Start a rollout from a template (through the executor).
    StartRollout(Box<crate::actions::executor::StartOptions>),
    /// Pause, resume, retry, skip or take over the rollout (through the executor).
    RolloutControl(RolloutControl),
    /// What was typed cannot be done; why.
    Refused(String),
}

/// The overlay on screen, if any.
#[derive(Debug, Clone)]
pub enum Overlay {
    Confirm(Box<ConfirmModal>),
    Weights(WeightsEditor),
    Revisions(RevisionPicker),
    Palette(Palette),
    Help {
        scroll: usize,
    },
    /// The rollout pane: its steps, and the next one a key away.
    Rollout,
    /// Plans waiting for a second person: the selected one is approved with Enter.
    Approvals {
        selected: usize,
        /// Lines of the selected request's text scrolled past (PgDn, PgUp).
        scroll: usize,
    },
    /// The findings, most urgent first: Enter opens the selected one's plan.
    Findings {
        selected: usize,
    },
    /// Starting a rollout: its templates, then the chosen one's parameters, reason and plan.
    RolloutStart(Box<RolloutStart>),
    /// The reason or comment a rollout control asks for.
    RolloutPrompt(RolloutPrompt),
}

impl Overlay {
    pub fn palette() -> Overlay {
        Overlay::Palette(Palette::default())
    }

    pub fn help() -> Overlay {
        Overlay::Help { scroll: 0 }
    }

    pub fn mode(&self) -> Mode {
        match self {
            Overlay::Confirm(_) => Mode::Modal,
            Overlay::Weights(_) => Mode::Editor,
            Overlay::Revisions(_) => Mode::Picker,
            Overlay::Palette(_) => Mode::Palette,
            Overlay::Help { .. } => Mode::Help,
            Overlay::Rollout => Mode::Picker,
            Overlay::Approvals { .. } => Mode::Picker,
            Overlay::Findings { .. } => Mode::Picker,
            Overlay::RolloutStart(s) => s.mode(),
            Overlay::RolloutPrompt(_) => Mode::Modal,
        }
    }

    /// Does a typed character go into a text field rather than to the keymap?
    pub fn takes_char(&self, c: char) -> bool {
        match self {
            Overlay::Confirm(m) => m.focus_is_text(),
            Overlay::Palette(_) => true,
            Overlay::Weights(_) => c.is_ascii_digit() || c == '.' || c == '%',
            Overlay::RolloutStart(s) => s.focus_is_text(),
            Overlay::RolloutPrompt(_) => true,
            _ => false,
        }
    }

    pub fn type_char(&mut self, c: char) -> Outcome {
        match self {
            Overlay::Confirm(m) => m.type_char(c),
            Overlay::Palette(p) => {
                p.query.push(c);
                p.selected = 0;
                Outcome::Stay
            }
            Overlay::Weights(e) => {
                e.type_char(c);
                Outcome::Stay
            }
            Overlay::RolloutStart(s) => s.type_char(c),
            Overlay::RolloutPrompt(p) => p.type_char(c),
            _ => Outcome::Stay,
        }
    }

    pub fn command(&mut self, cmd: Command) -> Outcome {
        match self {
            Overlay::Confirm(m) => m.command(cmd),
            Overlay::Weights(e) => e.command(cmd),
            Overlay::Revisions(p) => p.command(cmd),
            Overlay::Palette(p) => p.command(cmd),
            Overlay::Approvals { selected, scroll } => match cmd {
                Command::MoveUp => {
                    *selected = selected.saturating_sub(1);
                    *scroll = 0;
                    Outcome::Stay
                }
                Command::MoveDown => {
                    *selected += 1;
                    *scroll = 0;
                    Outcome::Stay
                }
                // The selected request's text (an artifact's plan can be long).
                Command::PageDown => {
                    *scroll = scroll.saturating_add(APPROVAL_PAGE);
                    Outcome::Stay
                }
                Command::PageUp => {
                    *scroll = scroll.saturating_sub(APPROVAL_PAGE);
                    Outcome::Stay
                }
                Command::Accept => Outcome::Approve(*selected),
                Command::Quit => Outcome::Run(Command::Quit),
                Command::Cancel | Command::Approvals => Outcome::Close,
                _ => Outcome::Stay,
            },
            Overlay::Findings { selected } => match cmd {
                Command::MoveUp => {
                    *selected = selected.saturating_sub(1);
                    Outcome::Stay
                }
                Command::MoveDown => {
                    *selected += 1;
                    Outcome::Stay
                }
                Command::GoTop => {
                    *selected = 0;
                    Outcome::Stay
                }
                Command::Accept => Outcome::Finding(*selected),
                Command::Quit => Outcome::Run(Command::Quit),
                Command::Cancel | Command::Findings => Outcome::Close,
                _ => Outcome::Stay,
            },
            Overlay::Rollout => match cmd {
                Command::Accept | Command::RolloutNext => Outcome::Run(Command::RolloutNext),
                Command::Quit => Outcome::Run(Command::Quit),
                Command::RolloutStart
                | Command::RolloutPause
                | Command::RolloutResume
                | Command::RolloutRetry
                | Command::RolloutSkip
                | Command::RolloutTake
                | Command::RolloutUngraceful => Outcome::Run(cmd),
                Command::Cancel | Command::Rollout => Outcome::Close,
                _ => Outcome::Stay,
            },
            Overlay::Help { scroll } => match cmd {
                Command::MoveUp => {
                    *scroll = scroll.saturating_sub(1);
                    Outcome::Stay
                }
                Command::MoveDown => {
                    *scroll += 1;
                    Outcome::Stay
                }
                Command::PageUp => {
                    *scroll = scroll.saturating_sub(10);
                    Outcome::Stay
                }
                Command::PageDown => {
                    *scroll += 10;
                    Outcome::Stay
                }
                Command::GoTop => {
                    *scroll = 0;
                    Outcome::Stay
                }
                Command::GoBottom => {
                    *scroll = usize::MAX / 4;
                    Outcome::Stay
                }
                Command::Quit => Outcome::Run(Command::Quit),
                _ => Outcome::Close,
            },
            Overlay::RolloutStart(s) => s.command(cmd),
            Overlay::RolloutPrompt(p) => p.command(cmd),
        }
    }
}
