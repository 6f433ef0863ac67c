//! The weights editor: every region's weight in the traffic provider's units or as a share
//! (`90%`), the resulting effective shares shown live, and impossible asks refused before a
//! plan is even made. The conversion is the planner's own (`traffic::resolve`).

use super::Outcome;
use crate::actions::{Action, Request};
use crate::fleet::Fleet;
use crate::state::FleetState;
use crate::traffic::{self, Ask, Resolution, TrafficRules, Weight};
use crate::tui::command::Command;

/// One region's row in the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightRow {
    pub region: String,
    /// Steady weight in provider units.
    pub steady: u32,
    pub now: Weight,
    /// What the operator asks: units (0 drains) or a share.
    pub new: Ask,
}

/// The editor's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightsEditor {
    pub rows: Vec<WeightRow>,
    pub cursor: usize,
    /// What was typed into the selected row since it was selected (digits, `.`, `%`).
    pub typing: Option<String>,
    /// Effective weight of records meridian does not manage (they still take a share).
    pub unmanaged: u32,
    pub error: Option<String>,
    pub rules: &'static TrafficRules,
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
                    .unwrap_or_default();
                WeightRow {
                    region: r.id.clone(),
                    steady: r.steady_weight,
                    now,
                    new: Ask::Units(now.effective() as u64),
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
            unmanaged: state.unmanaged_weights.iter().map(|(_, w)| *w).sum(),
            error: None,
            rules: fleet.traffic.provider.traffic_rules(),
        }
    }

    fn resolution(&self) -> Resolution {
        let current: Vec<(String, Weight)> = self
            .rows
            .iter()
            .map(|r| (r.region.clone(), r.now))
            .collect();
        let asks: Vec<(String, Ask)> = self
            .rows
            .iter()
            .map(|r| (r.region.clone(), r.new))
            .collect();
        traffic::resolve(&current, &asks, self.unmanaged, self.rules)
    }

    /// Every row's weight afterwards, in provider units (what the plan would ask for).
    pub fn after(&self) -> Vec<Weight> {
        let res = self.resolution();
        self.rows
            .iter()
            .zip(&res.requested)
            .map(|(r, q)| {
                self.rules
                    .set(r.now, u32::try_from(q.units).unwrap_or(u32::MAX))
            })
            .collect()
    }

    /// Total effective weight afterwards, unmanaged records included.
    pub fn total(&self) -> u32 {
        self.after().iter().map(|w| w.effective()).sum::<u32>() + self.unmanaged
    }

    /// The share a row would get, 0.0..=1.0 (None when the asks are invalid).
    pub fn share(&self, i: usize) -> Option<f64> {
        if self.invalid().is_some() {
            return None;
        }
        let after: Vec<(String, Weight)> = self
            .rows
            .iter()
            .zip(self.after())
            .map(|(r, w)| (r.region.clone(), w))
            .collect();
        traffic::shares(&after, &[self.unmanaged], self.rules)
            .get(i)
            .copied()
    }

    /// Is this row's weight going to change?
    pub fn changed(&self, i: usize) -> bool {
        match (self.rows.get(i), self.after().get(i)) {
            (Some(r), Some(w)) => r.now != *w,
            _ => false,
        }
    }

    /// Why the weights cannot be planned, if they cannot.
    pub fn invalid(&self) -> Option<String> {
        let res = self.resolution();
        if let Some(p) = res.problems.first() {
            return Some(p.clone());
        }
        if let Some(q) = res.requested.iter().find(|q| !self.rules.in_range(q.units)) {
            let shown = match q.asked {
                Ask::Percent(_) => format!("{} (weight {})", q.asked, q.units),
                Ask::Units(_) => q.asked.to_string(),
            };
            return Some(format!(
                "{} = {shown}: {} weights are {}",
                q.region,
                self.rules.provider,
                self.rules.range_text()
            ));
        }
        if self.total() == 0 {
            return Some(format!(
                "nothing would serve: {}",
                self.rules.all_drained_reason
            ));
        }
        None
    }

    /// A digit, `.` (decimal units) or `%` (a share) typed into the selected row.
    pub fn type_char(&mut self, c: char) {
        let buf = self.typing.get_or_insert_with(String::new);
        if buf.len() < 7 && !buf.ends_with('%') {
            buf.push(c);
        }
        self.apply_typing();
    }

    fn apply_typing(&mut self) {
        let text = self.typing.clone().unwrap_or_default();
        let ask = Ask::parse(&text, self.rules)
            .or_else(|| Ask::parse(text.trim_end_matches('.'), self.rules));
        if let Some(r) = self.rows.get_mut(self.cursor) {
            r.new = ask.unwrap_or(Ask::Units(0));
        }
        self.error = self.invalid();
    }

    fn adjust(&mut self, delta: i64) {
        self.typing = None;
        let max = self.rules.max as i64;
        if let Some(r) = self.rows.get_mut(self.cursor) {
            r.new = match r.new {
                Ask::Units(u) => Ask::Units((u as i64 + delta).clamp(0, max) as u64),
                Ask::Percent(p) => Ask::Percent((p as i64 + delta * 100).clamp(0, 10_000) as u32),
            };
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
                    r.new = Ask::Units(r.steady as u64);
                }
                self.typing = None;
                self.error = self.invalid();
            }
            Command::DeleteChar => {
                if let Some(buf) = &mut self.typing {
                    buf.pop();
                    self.apply_typing();
                }
            }
            Command::Cancel => return Outcome::Close,
            Command::Accept => {
                if let Some(why) = self.invalid() {
                    self.error = Some(why);
                    return Outcome::Stay;
                }
                let weights: Vec<(String, Ask)> = self
                    .rows
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| self.changed(*i))
                    .map(|(_, r)| (r.region.clone(), r.new))
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
