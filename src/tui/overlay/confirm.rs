//! The plan modal. It shows a `Plan`, gathers what the plan asks for (a reason, an
//! override, acknowledgement of warnings, the typed target name) and, on confirmation,
//! hands the plan back. It never executes anything.

use super::Outcome;
use crate::actions::{Guard, Plan, Request, Verdict};
use crate::fleet::ConfirmStrength;
use crate::tui::command::Command;

/// The modal's inputs, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reason,
    Override,
    /// A promotion's choice: drain the old writer too (it takes no writes afterwards).
    DrainOld,
    Acknowledge,
    TypeName,
    Buttons,
}

/// The confirmation modal for one plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmModal {
    pub request: Request,
    pub plan: Plan,
    /// Why the latest replan failed (e.g. a half-typed guard name).
    pub plan_error: Option<String>,
    pub reason: String,
    pub override_guard: String,
    pub acknowledged: bool,
    pub typed_name: String,
    pub focus: Field,
    /// The confirm button is selected (No / Cancel is the default).
    pub on_confirm_button: bool,
    pub scroll: usize,
    /// Why the last attempt to confirm did nothing.
    pub refusal: Option<String>,
    /// What the backends said about how they would apply the plan, once they answered.
    pub backend_notes: Option<Vec<String>>,
}

impl ConfirmModal {
    pub fn new(request: Request, plan: Plan) -> ConfirmModal {
        let mut m = ConfirmModal {
            reason: request.reason.clone().unwrap_or_default(),
            override_guard: request.overrides.first().cloned().unwrap_or_default(),
            request,
            plan,
            plan_error: None,
            acknowledged: false,
            typed_name: String::new(),
            focus: Field::Buttons,
            on_confirm_button: false,
            scroll: 0,
            refusal: None,
            backend_notes: None,
        };
        m.focus = m.first_focus();
        m
    }

    /// Start where the plan needs something: a reason, else the typed name, else the buttons.
    fn first_focus(&self) -> Field {
        let fields = self.fields();
        let reason_blocks = self
            .plan
            .blocking()
            .any(|c| c.guard == Guard::ReasonRequired);
        if reason_blocks && fields.contains(&Field::Reason) {
            Field::Reason
        } else if fields.contains(&Field::TypeName) {
            Field::TypeName
        } else {
            Field::Buttons
        }
    }

    /// Is there a block the operator could override by naming it?
    pub fn has_overridable_block(&self) -> bool {
        self.plan.checks.iter().any(|c| {
            c.verdict == Verdict::Block && c.guard.overridable() && c.guard != Guard::ReasonRequired
        })
    }

    /// The inputs this plan asks for.
    pub fn fields(&self) -> Vec<Field> {
        if self.plan.read_only {
            return vec![Field::Buttons];
        }
        let mut f = vec![Field::Reason];
        if self.has_overridable_block() || !self.override_guard.is_empty() {
            f.push(Field::Override);
        }
        if self
            .plan
            .old_writer
            .as_ref()
            .is_some_and(|o| o.cannot_drain.is_none())
        {
            f.push(Field::DrainOld);
        }
        if self.plan.warnings().next().is_some() {
            f.push(Field::Acknowledge);
        }
        if self.plan.confirm == ConfirmStrength::TypeName {
            f.push(Field::TypeName);
        }
        f.push(Field::Buttons);
        f
    }

    pub fn focus_is_text(&self) -> bool {
        matches!(
            self.focus,
            Field::Reason | Field::Override | Field::TypeName
        )
    }

    /// Can the confirm button be pressed now? If not, why not.
    pub fn can_confirm(&self) -> Result<(), String> {
        if self.plan.read_only {
            return Err("read-only mode: this plan can be read, not run".into());
        }
        if let Some(e) = &self.plan_error {
            return Err(e.clone());
        }
        if let Some(b) = self.plan.blocking().next() {
            let how = if b.guard.overridable() && b.guard != Guard::ReasonRequired {
                format!(
                    "; to override, type {} in the override field and give a reason",
                    b.guard.name()
                )
            } else {
                String::new()
            };
            return Err(format!("blocked by {}: {}{how}", b.guard.name(), b.reason));
        }
        if self.plan.operation.is_none() {
            return Err("nothing in this plan can be executed".into());
        }
        if self.plan.warnings().next().is_some() && !self.acknowledged {
            return Err("acknowledge the warnings first (Tab to the checkbox, Space)".into());
        }
        if self.plan.confirm == ConfirmStrength::TypeName && self.typed_name != self.plan.target {
            return Err(format!("type {} to confirm", self.plan.target));
        }
        Ok(())
    }

    pub fn type_char(&mut self, c: char) -> Outcome {
        self.refusal = None;
        match self.focus {
            Field::Reason => {
                self.reason.push(c);
                self.replan()
            }
            Field::Override => {
                self.override_guard.push(c);
                self.replan()
            }
            Field::TypeName => {
                self.typed_name.push(c);
                Outcome::Stay
            }
            _ => Outcome::Stay,
        }
    }

    /// The request as the modal's inputs now describe it.
    fn replan(&mut self) -> Outcome {
        let mut r = self.request.clone();
        r.reason = Some(self.reason.clone()).filter(|s| !s.trim().is_empty());
        r.overrides.clear();
        r.accept_data_loss = false;
        let name = self.override_guard.trim();
        match Guard::parse(name) {
            // Losing data is accepted with its own flag, which says what is at stake.
            Some(Guard::ReplicationLag) => r.accept_data_loss = true,
            Some(g) => r.overrides.push(g.name().to_string()),
            None => {}
        }
        Outcome::Replan(Box::new(r))
    }

    /// The app planned again after an input changed.
    pub fn replanned(&mut self, request: Request, plan: Result<Plan, String>) {
        match plan {
            Ok(p) => {
                // New warnings need a fresh acknowledgement.
                if p.warnings().count() != self.plan.warnings().count() {
                    self.acknowledged = false;
                }
                if p.operation != self.plan.operation {
                    self.backend_notes = None;
                }
                self.plan = p;
                self.request = request;
                self.plan_error = None;
            }
            Err(e) => self.plan_error = Some(e),
        }
        if !self.fields().contains(&self.focus) {
            self.focus = Field::Buttons;
        }
    }

    fn step_focus(&mut self, forward: bool) {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = fields.len();
        self.focus = fields[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }];
    }

    fn try_confirm(&mut self) -> Outcome {
        match self.can_confirm() {
            Ok(()) => {
                let mut request = self.request.clone();
                request.reason = self.plan.reason.clone();
                // The plan that runs carries what the operator was shown.
                let mut plan = self.plan.clone();
                plan.notes
                    .extend(self.backend_notes.iter().flatten().cloned());
                Outcome::Confirmed(Box::new(request), Box::new(plan))
            }
            Err(why) => {
                self.refusal = Some(why);
                Outcome::Stay
            }
        }
    }

    fn decline(&self) -> Outcome {
        Outcome::Declined(Box::new(self.plan.clone()))
    }

    pub fn command(&mut self, cmd: Command) -> Outcome {
        match cmd {
            Command::Cancel => return self.decline(),
            Command::NextField => self.step_focus(true),
            Command::PrevField => self.step_focus(false),
            Command::MoveUp => self.scroll = self.scroll.saturating_sub(1),
            Command::MoveDown => self.scroll += 1,
            Command::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Command::PageDown => self.scroll += 10,
            Command::MoveLeft | Command::MoveRight
                if self.focus == Field::Buttons && !self.plan.read_only =>
            {
                self.on_confirm_button = !self.on_confirm_button;
            }
            Command::Toggle if self.focus == Field::Acknowledge => {
                self.acknowledged = !self.acknowledged
            }
            Command::Toggle if self.focus == Field::DrainOld => {
                let drain = self.plan.old_writer.as_ref().is_some_and(|o| o.drain);
                self.request.drain_old = Some(!drain);
                return self.replan();
            }
            Command::Toggle if self.focus == Field::Buttons => {
                self.on_confirm_button = !self.on_confirm_button && !self.plan.read_only;
            }
            Command::DeleteChar => {
                let changed = match self.focus {
                    Field::Reason => self.reason.pop().is_some(),
                    Field::Override => self.override_guard.pop().is_some(),
                    Field::TypeName => {
                        self.typed_name.pop();
                        false
                    }
                    _ => false,
                };
                if changed {
                    return self.replan();
                }
            }
            // `y`: yes, straight from the buttons or the checkbox.
            Command::Confirm => return self.try_confirm(),
            // Enter: press the selected button; in a field, move on.
            Command::Accept => match self.focus {
                Field::Buttons if self.on_confirm_button => return self.try_confirm(),
                Field::Buttons => return self.decline(),
                Field::TypeName if self.typed_name == self.plan.target => {
                    self.focus = Field::Buttons;
                    self.on_confirm_button = true;
                }
                _ => self.step_focus(true),
            },
            _ => {}
        }
        Outcome::Stay
    }
}
