//! The weights editor: every region's weight, the resulting traffic shares shown live,
//! and invalid totals refused before a plan is even made.

use super::Outcome;
use crate::actions::{Action, Request};
use crate::fleet::Fleet;
use crate::state::FleetState;
use crate::tui::command::Command;

/// One region's row in the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightRow {
    pub region: String,
    pub steady: u8,
    pub now: u32,
    pub new: u32,
}

/// The editor's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightsEditor {
    pub rows: Vec<WeightRow>,
    pub cursor: usize,
    /// Digits typed into the selected row since it was selected.
    pub typing: Option<String>,
    /// Weight of record sets meridian does not manage (they still take a share).
    pub unmanaged: u32,
    pub error: Option<String>,
}

impl WeightsEditor {
    pub fn new(fleet: &Fleet, state: &FleetState, selected: Option<&str>) -> WeightsEditor {
        let rows: Vec<WeightRow> = fleet
            .regions
            .iter()
            .map(|r| {
                let now = state
                    .region(&r.id)
                    .and_then(|s| s.weight.value)
                    .unwrap_or(0) as u32;
                WeightRow {
                    region: r.id.clone(),
                    steady: r.steady_weight,
                    now,
                    new: now,
                }
            })
            .collect();
        let cursor = selected
            .and_then(|s| rows.iter().position(|r| r.region == s))
            .unwrap_or(0);
        WeightsEditor {
            rows,
            cursor,
            typing: None,
            unmanaged: state.unmanaged_weights.iter().map(|(_, w)| *w as u32).sum(),
            error: None,
        }
    }

    pub fn total(&self) -> u32 {
        self.rows.iter().map(|r| r.new).sum::<u32>() + self.unmanaged
    }

    /// The share a row would get, 0.0..=1.0 (None when the total is invalid).
    pub fn share(&self, i: usize) -> Option<f64> {
        let total = self.total();
        let row = self.rows.get(i)?;
        (total > 0).then(|| row.new as f64 / total as f64)
    }

    /// Why the weights cannot be planned, if they cannot.
    pub fn invalid(&self) -> Option<String> {
        if let Some(r) = self.rows.iter().find(|r| r.new > 255) {
            return Some(format!("{} = {}: weights are 0..=255", r.region, r.new));
        }
        if self.total() == 0 {
            return Some(
                "total weight 0: all-zero weights split traffic evenly, so they are refused".into(),
            );
        }
        None
    }

    pub fn type_digit(&mut self, d: char) {
        let buf = self.typing.get_or_insert_with(String::new);
        if buf.len() < 4 {
            buf.push(d);
        }
        let value = buf.parse::<u32>().unwrap_or(0);
        if let Some(r) = self.rows.get_mut(self.cursor) {
            r.new = value;
        }
        self.error = self.invalid();
    }

    fn adjust(&mut self, delta: i64) {
        self.typing = None;
        if let Some(r) = self.rows.get_mut(self.cursor) {
            r.new = (r.new as i64 + delta).clamp(0, 255) as u32;
        }
        self.error = self.invalid();
    }

    pub fn command(&mut self, cmd: Command) -> Outcome {
        match cmd {
            Command::MoveUp => {
                self.cursor = self.cursor.saturating_sub(1);
                self.typing = None;
            }
            Command::MoveDown => {
                self.cursor = (self.cursor + 1).min(self.rows.len().saturating_sub(1));
                self.typing = None;
            }
            Command::Increase => self.adjust(1),
            Command::Decrease => self.adjust(-1),
            Command::IncreaseMore => self.adjust(10),
            Command::DecreaseMore => self.adjust(-10),
            Command::SteadyWeights => {
                for r in &mut self.rows {
                    r.new = r.steady as u32;
                }
                self.typing = None;
                self.error = self.invalid();
            }
            Command::DeleteChar => {
                if let Some(buf) = &mut self.typing {
                    buf.pop();
                    let v = buf.parse::<u32>().unwrap_or(0);
                    if let Some(r) = self.rows.get_mut(self.cursor) {
                        r.new = v;
                    }
                    self.error = self.invalid();
                }
            }
            Command::Cancel => return Outcome::Close,
            Command::Accept => {
                if let Some(why) = self.invalid() {
                    self.error = Some(why);
                    return Outcome::Stay;
                }
                let weights: Vec<(String, u32)> = self
                    .rows
                    .iter()
                    .filter(|r| r.new != r.now)
                    .map(|r| (r.region.clone(), r.new))
                    .collect();
                if weights.is_empty() {
                    self.error = Some("nothing changed: adjust a weight first".into());
                    return Outcome::Stay;
                }
                return Outcome::OpenPlan(Box::new(Request::new(Action::SetWeights { weights })));
            }
            _ => {}
        }
        Outcome::Stay
    }
}
