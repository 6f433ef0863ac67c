//! Pace follows attention, the dashboard's side: which regions it attends to, for the
//! engine to read fast (`engine::pace`). What is on screen (as last drawn), what has a
//! finding, and what an action, a plan open in its modal, a rollout's current step, a
//! running recovery clock or a plan waiting for approval touches. Everything else is read
//! more slowly; a region that turns bad is promoted by the engine itself, before any
//! finding is judged.

use std::collections::BTreeSet;

use super::app::App;
use super::mouse::Target;
use super::overlay::Overlay;
use crate::actions::Action;
use crate::fleet::rollout::RolloutStep;

impl App {
    /// The regions the dashboard attends to now.
    pub fn attended_regions(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let visible = self.visible_regions();
        let id = |i: usize| self.fleet.regions.get(i).map(|r| r.id.clone());
        for t in self.hits.targets() {
            let region = match t {
                Target::Region(row) | Target::Phase { row, .. } => {
                    visible.get(row).copied().and_then(id)
                }
                Target::Cell { col, .. } => id(col),
                _ => None,
            };
            out.extend(region);
        }
        out.extend(
            self.attention
                .findings
                .iter()
                .flat_map(|f| f.regions.iter().cloned()),
        );
        if let Some(Overlay::Confirm(m)) = &self.overlay {
            out.extend(self.action_regions(&m.request.action));
        }
        if let Some(r) = &self.rollout
            && let Some(i) = r.current()
            && let Some(step) = r.steps.get(i)
        {
            out.extend(self.step_regions(&step.step));
        }
        let named = self
            .clocks
            .iter()
            .map(|c| c.target.as_str())
            .chain(self.approvals.iter().map(|a| a.target.as_str()));
        out.extend(
            named
                .filter(|t| self.fleet.region(t).is_some())
                .map(str::to_string),
        );
        out
    }

    /// The regions an action acts on (restoring every region: all of them).
    pub fn action_regions(&self, action: &Action) -> Vec<String> {
        self.step_regions(&RolloutStep::Action(action.clone()))
    }

    fn step_regions(&self, step: &RolloutStep) -> Vec<String> {
        match step {
            RolloutStep::Action(Action::Restore { regions }) if regions.is_empty() => {
                self.fleet.regions.iter().map(|r| r.id.clone()).collect()
            }
            _ => step.regions(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture::demo_app;

    #[test]
    fn the_regions_on_screen_and_those_with_a_finding_are_attended() {
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        // Nothing drawn yet, nothing wrong: nothing attended.
        app.attention.findings.clear();
        assert_eq!(app.attended_regions(), BTreeSet::new());
        // The board drew its second region's row.
        app.hits
            .add(ratatui::layout::Rect::new(0, 0, 10, 1), Target::Region(1));
        let second = app.fleet.regions[app.visible_regions()[1]].id.clone();
        assert_eq!(app.attended_regions(), BTreeSet::from([second.clone()]));
        // A matrix column counts by the fleet's order.
        app.hits.add(
            ratatui::layout::Rect::new(0, 2, 10, 1),
            Target::Cell { row: 0, col: 3 },
        );
        let fourth = app.fleet.regions[3].id.clone();
        assert_eq!(
            app.attended_regions(),
            BTreeSet::from([second.clone(), fourth.clone()])
        );
        app.hits.clear();
        // Restoring every region touches every region.
        let all = app.action_regions(&Action::Restore {
            regions: Vec::new(),
        });
        assert_eq!(all.len(), app.fleet.regions.len());
        assert_eq!(
            app.action_regions(&Action::Drain {
                region: fourth.clone()
            }),
            vec![fourth]
        );
    }
}
