//! Starting a rollout from the dashboard: the fleet's templates with their steps, then the
//! chosen one's parameters and a reason, with the whole rollout as it would start shown
//! below them. The preview is the library's own `Rollout::start` (the code `meridian
//! rollout start` runs), so a parameter is refused here exactly as the CLI refuses it; the
//! start itself is an effect that goes through the executor.

use std::collections::BTreeMap;

use super::Outcome;
use crate::actions::executor::StartOptions;
use crate::actions::rollout::Rollout;
use crate::fleet::Fleet;
use crate::fleet::rollout::RunMode;
use crate::state::Millis;
use crate::tui::command::{Command, Mode};

/// One template as the chooser lists it (copied, so the overlay needs no fleet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateInfo {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub modes: Vec<RunMode>,
    pub params: Vec<String>,
    /// Its steps as written, `{param}` placeholders kept.
    pub steps: Vec<String>,
}

/// The form of the chosen template.
#[derive(Debug, Clone, PartialEq)]
pub struct StartForm {
    pub template: usize,
    /// One value per parameter, in the template's order.
    pub values: Vec<String>,
    pub reason: String,
    /// 0..params: a parameter; params: the reason; then the mode (a template with an
    /// ungraceful mode); last: the start button.
    pub focus: usize,
    /// The mode to start in (`--mode`): a failover may start ungraceful.
    pub mode: RunMode,
    /// The rollout as it would start, or why it cannot (the library's words).
    pub preview: Result<Box<Rollout>, String>,
    /// Why the last press of the button did nothing.
    pub refusal: Option<String>,
}

/// The start overlay: choosing a template, then filling in its form.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutStart {
    pub templates: Vec<TemplateInfo>,
    pub selected: usize,
    pub form: Option<StartForm>,
}

/// A template step's line with what its meta adds: "eu-west-1 lag under 5s (graceful
/// only; timeout 10m)".
fn with_meta(label: String, m: &crate::fleet::rollout::StepMeta) -> String {
    let notes: Vec<String> = [
        m.only.map(|o| format!("{} only", o.as_str())),
        m.timeout
            .map(|t| format!("timeout {}", crate::fleet::rollout::span(t))),
    ]
    .into_iter()
    .flatten()
    .collect();
    match notes.is_empty() {
        true => label,
        false => format!("{label} ({})", notes.join("; ")),
    }
}

/// What stands in for the person in the preview (who starts it is the library's to say).
const PREVIEW_BY: &str = "you";

impl RolloutStart {
    pub fn new(fleet: &Fleet) -> RolloutStart {
        RolloutStart {
            templates: fleet
                .rollouts
                .iter()
                .map(|t| TemplateInfo {
                    id: t.id.clone(),
                    name: t.name.clone(),
                    kind: t.kind.as_str(),
                    modes: t.modes.clone(),
                    params: t.params.clone(),
                    steps: t
                        .steps
                        .iter()
                        .zip(
                            t.step_meta
                                .iter()
                                .chain(std::iter::repeat(&Default::default())),
                        )
                        .map(|(s, m)| with_meta(s.label(), m))
                        .collect(),
                })
                .collect(),
            selected: 0,
            form: None,
        }
    }

    pub fn mode(&self) -> Mode {
        match self.form {
            Some(_) => Mode::Modal,
            None => Mode::Picker,
        }
    }

    /// The template the form is for.
    pub fn chosen(&self) -> Option<&TemplateInfo> {
        self.form
            .as_ref()
            .and_then(|f| self.templates.get(f.template))
    }

    /// Where the mode field is, when the chosen template may run ungraceful.
    pub fn mode_field(&self) -> Option<usize> {
        let t = self.chosen()?;
        t.modes
            .contains(&RunMode::Ungraceful)
            .then_some(t.params.len() + 1)
    }

    /// Where the start button is.
    pub fn button(&self) -> usize {
        let n = self.chosen().map(|t| t.params.len()).unwrap_or(0);
        n + 1 + usize::from(self.mode_field().is_some())
    }

    /// Is the focus on a text field (parameter or reason)?
    pub fn focus_is_text(&self) -> bool {
        match (&self.form, self.chosen()) {
            (Some(f), Some(t)) => f.focus <= t.params.len(),
            _ => false,
        }
    }

    /// The parameters given so far; an empty field is not given (as a missing `--param`).
    pub fn params(&self) -> BTreeMap<String, String> {
        let (Some(f), Some(t)) = (&self.form, self.chosen()) else {
            return BTreeMap::new();
        };
        t.params
            .iter()
            .zip(&f.values)
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .collect()
    }

    /// Work the preview out again from what is typed: the library's `Rollout::start`
    /// resolves every step (a parameter that names no region is refused, as in the CLI).
    pub fn refresh(&mut self, fleet: &Fleet, now: Millis) {
        let params = self.params();
        let Some(id) = self.chosen().map(|t| t.id.clone()) else {
            return;
        };
        let Some(f) = &mut self.form else {
            return;
        };
        // The reason is checked on its own (below), so the steps show before it is typed.
        let reason = match f.reason.trim() {
            "" => "(reason)",
            r => r,
        };
        let mode = f.mode;
        f.preview = Rollout::start(fleet, &id, params, reason, PREVIEW_BY, now)
            .and_then(|mut r| {
                // As the executor does for `--mode ungraceful`: the steps it leaves out show.
                if mode == RunMode::Ungraceful {
                    r.go_ungraceful(PREVIEW_BY, "started ungraceful", now)?;
                }
                Ok(r)
            })
            .map(Box::new)
            .map_err(|e| e.to_string());
    }

    /// Why the rollout cannot be started as the form stands, if it cannot.
    pub fn blocker(&self) -> Option<String> {
        let f = self.form.as_ref()?;
        if let Err(e) = &f.preview {
            return Some(e.clone());
        }
        if f.reason.trim().is_empty() {
            return Some(
                "a rollout needs a reason (a change or ticket id): every step is audited with it"
                    .into(),
            );
        }
        None
    }

    pub fn type_char(&mut self, c: char) -> Outcome {
        let n = self.chosen().map(|t| t.params.len()).unwrap_or(0);
        if let Some(f) = &mut self.form {
            match f.focus {
                i if i < n => f.values[i].push(c),
                i if i == n => f.reason.push(c),
                _ => {}
            }
            f.refusal = None;
        }
        Outcome::Stay
    }

    pub fn command(&mut self, cmd: Command) -> Outcome {
        if cmd == Command::Quit {
            return Outcome::Run(Command::Quit);
        }
        match self.form.is_some() {
            false => self.choose(cmd),
            true => self.fill(cmd),
        }
    }

    /// The chooser: a template is picked with Enter.
    fn choose(&mut self, cmd: Command) -> Outcome {
        let last = self.templates.len().saturating_sub(1);
        match cmd {
            Command::MoveUp => self.selected = self.selected.saturating_sub(1),
            Command::MoveDown => self.selected = (self.selected + 1).min(last),
            Command::GoTop => self.selected = 0,
            Command::GoBottom => self.selected = last,
            Command::Accept => {
                if let Some(t) = self.templates.get(self.selected) {
                    self.form = Some(StartForm {
                        template: self.selected,
                        values: vec![String::new(); t.params.len()],
                        reason: String::new(),
                        focus: 0,
                        mode: RunMode::Graceful,
                        preview: Err(String::new()),
                        refusal: None,
                    });
                }
            }
            // Back to the rollout pane.
            Command::Cancel | Command::RolloutStart => return Outcome::Run(Command::Rollout),
            _ => {}
        }
        Outcome::Stay
    }

    /// The form: Tab moves between the fields and the button; Enter on a field moves on,
    /// on the button starts the rollout if nothing stands in the way.
    fn fill(&mut self, cmd: Command) -> Outcome {
        let n = self.chosen().map(|t| t.params.len()).unwrap_or(0);
        let button = self.button();
        let mode_field = self.mode_field();
        let on_button = self.form.as_ref().is_some_and(|f| f.focus == button);
        if on_button && matches!(cmd, Command::Accept | Command::Confirm) {
            return self.start();
        }
        let Some(f) = &mut self.form else {
            return Outcome::Stay;
        };
        if Some(f.focus) == mode_field
            && matches!(
                cmd,
                Command::Toggle | Command::MoveLeft | Command::MoveRight
            )
        {
            f.mode = match f.mode {
                RunMode::Graceful => RunMode::Ungraceful,
                RunMode::Ungraceful => RunMode::Graceful,
            };
            return Outcome::Stay;
        }
        match cmd {
            Command::NextField | Command::MoveDown | Command::Accept => {
                f.focus = (f.focus + 1) % (button + 1)
            }
            Command::PrevField | Command::MoveUp => f.focus = (f.focus + button) % (button + 1),
            Command::DeleteChar => {
                match f.focus {
                    i if i < n => {
                        f.values[i].pop();
                    }
                    i if i == n => {
                        f.reason.pop();
                    }
                    _ => {}
                }
                f.refusal = None;
            }
            // Back to the templates.
            Command::Cancel => self.form = None,
            _ => {}
        }
        Outcome::Stay
    }

    /// The button: start, unless something stands in the way (then say what).
    fn start(&mut self) -> Outcome {
        if let Some(why) = self.blocker() {
            if let Some(f) = &mut self.form {
                f.refusal = Some(why);
            }
            return Outcome::Stay;
        }
        let (Some(f), Some(t)) = (&self.form, self.chosen()) else {
            return Outcome::Stay;
        };
        Outcome::StartRollout(Box::new(StartOptions {
            template: t.id.clone(),
            params: self.params(),
            reason: f.reason.trim().to_string(),
            mode: f.mode,
            ..StartOptions::default()
        }))
    }
}
