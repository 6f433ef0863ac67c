//! How live data reaches the dashboard: whole snapshots (tests, screenshots) or the
//! engine's observations, one subject each, merged as they arrive. What is derived from the
//! state (the Argo summary per region, the filtered rows) is refreshed once per batch.

use super::app::{App, Effect};
use crate::engine::{Merger, Observation, Reading, Subject};
use crate::state::FleetState;

impl App {
    /// Merge a batch of observations and show it (tests and snapshots; the live loop
    /// absorbs each reading as it arrives and settles at most every quarter second).
    pub fn observe(&mut self, batch: Vec<Observation>) -> Vec<Effect> {
        let mut effects = Vec::new();
        for obs in batch {
            effects.extend(self.absorb(obs));
        }
        self.settle();
        effects
    }

    /// Merge one observation now (into the held snapshot while frozen) and log its new
    /// errors once. Nothing is derived or drawn until `settle`: merging at once frees each
    /// reading as it arrives, where a queue of them would hold a 100-region fleet's first
    /// readings all at the same time (12 MB of app readings on 100 x 1,000).
    pub fn absorb(&mut self, obs: Observation) -> Vec<Effect> {
        let mut effects = Vec::new();
        // An empty change (a watch's heartbeat: "all current as of now") moves no
        // count, so it costs no recount of the region's cells.
        let heartbeat = matches!(&obs.reading,
            Reading::Apps(Ok(u)) if !u.complete && u.apps.is_empty());
        if let Subject::Apps(region) = &obs.subject
            && !heartbeat
            && !self.unsettled.apps_of.contains(region)
        {
            self.unsettled.apps_of.push(region.clone());
        }
        self.unsettled.any = true;
        let target = if self.frozen {
            self.held
                .get_or_insert_with(|| Box::new(self.state.clone()))
                .as_mut()
        } else {
            &mut self.state
        };
        let subject = obs.subject.clone();
        if self.reported.0.len() < self.reported.1 {
            self.reported.0.insert(subject.clone());
        }
        let before = errors_of(&self.merger, target, &subject);
        self.merger.apply(target, obs);
        let after = errors_of(&self.merger, target, &subject);
        for (what, error) in after {
            let was = before.iter().find(|(w, _)| *w == what).map(|(_, e)| e);
            if let Some(e) = &error
                && was != Some(&error)
            {
                let line = match subject.region() {
                    Some(r) if !e.starts_with(r) => format!("{r} {what}: {e}"),
                    _ => format!("{what}: {e}"),
                };
                effects.push(Effect::Log(log::Level::Warn, line));
            }
        }
        effects
    }

    /// Has anything been absorbed that is not yet shown?
    pub fn unsettled(&self) -> bool {
        self.unsettled.any
    }

    /// Show what was absorbed since the last time: derive what drawing needs from it.
    pub fn settle(&mut self) {
        let unsettled = std::mem::take(&mut self.unsettled);
        if !self.frozen {
            self.derive_after(&unsettled.apps_of);
        }
        self.now = self.now.max(self.state.observed_at);
        self.dirty = true;
    }

    /// What a batch changed, derived again: the Argo counts of the regions whose apps were
    /// read (a 100-region fleet's batch is usually a region or two), and the filtered rows
    /// when a filter is set (without one, every row shows whatever the data).
    fn derive_after(&mut self, apps_of: &[String]) {
        if self.argo.len() != self.fleet.regions.len() {
            return self.derive();
        }
        for region in apps_of {
            if let Some(i) = self.fleet.regions.iter().position(|r| &r.id == region) {
                let a = self.merger.argo_summary(&self.state, region);
                self.argo[i] = (a.synced, a.total, a.out_of_sync);
            }
        }
        if self.filter.is_active() {
            self.refilter();
        }
    }

    /// Show a new snapshot and refresh what is derived from it.
    pub fn set_state(&mut self, state: FleetState) {
        self.state = state;
        self.derive();
    }

    /// Refresh what drawing needs from the state: the Argo summary and the filtered rows.
    pub fn derive(&mut self) {
        self.argo = self
            .fleet
            .regions
            .iter()
            .map(|r| self.merger.argo_summary(&self.state, &r.id))
            .map(|a| (a.synced, a.total, a.out_of_sync))
            .collect();
        self.refilter();
    }

    /// Backend errors that are new in this snapshot go to the log pane once.
    pub(super) fn new_errors(&self, next: &FleetState) -> Vec<Effect> {
        let mut out = Vec::new();
        for r in &next.regions {
            for subject in [
                Subject::Health(r.id.clone()),
                Subject::Database(r.id.clone()),
                Subject::Phases(r.id.clone()),
            ] {
                let before = errors_of(&self.merger, &self.state, &subject);
                for (what, e) in errors_of(&self.merger, next, &subject) {
                    let was = before.iter().find(|(w, _)| *w == what).map(|(_, e)| e);
                    if let Some(e) = &e
                        && was != Some(&Some(e.clone()))
                    {
                        out.push(Effect::Log(
                            log::Level::Warn,
                            format!("{} {what}: {e}", r.id),
                        ));
                    }
                }
            }
        }
        out
    }
}

/// The errors a subject's cells carry now, by field name. Apps report the region's read
/// error once (when every cell of the region shares it), not one line per tenant.
fn errors_of(
    merger: &Merger,
    state: &FleetState,
    subject: &Subject,
) -> Vec<(&'static str, Option<std::sync::Arc<str>>)> {
    let region = subject.region().and_then(|id| state.region(id));
    match subject {
        Subject::Weights => vec![(
            "weights",
            state.regions.first().and_then(|r| r.weight.error.clone()),
        )],
        Subject::Health(_) => vec![("health", region.and_then(|r| r.health.error.clone()))],
        Subject::Database(_) => vec![
            ("lag", region.and_then(|r| r.lag.error.clone())),
            ("role", region.and_then(|r| r.role.error.clone())),
        ],
        Subject::Phases(_) => vec![("phases", region.and_then(|r| r.phases.error.clone()))],
        Subject::Apps(id) => {
            let mut errors = merger
                .cells_in(id)
                .iter()
                .filter_map(|&(ti, ci)| state.tenants.get(ti)?.apps.get(ci))
                .map(|(_, a)| a.error.clone());
            let first = errors.next().flatten();
            let shared = first.is_some() && errors.all(|e| e == first);
            vec![("applications", if shared { first } else { None })]
        }
        Subject::Releases(id) => {
            let first = state
                .tenants
                .iter()
                .flat_map(|t| t.releases.iter())
                .find(|(r, _)| **r == **id)
                .and_then(|(_, rel)| rel.error.clone());
            vec![("helm releases", first)]
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Observation, Reading, Subject};
    use crate::providers::AppsUpdate;
    use crate::state::SyncStatus;
    use crate::tui::fixture::demo_app;
    use crate::tui::message::Msg;

    #[test]
    fn a_reading_is_merged_as_it_arrives_and_shown_at_the_settle() {
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        let region = app.fleet.regions[0].id.clone();
        // The region's apps as they stand, one of the synced ones now OutOfSync.
        let mut apps: Vec<(String, crate::state::AppState)> = app
            .state
            .tenants
            .iter()
            .filter_map(|t| Some((t.id.clone(), t.app(&region)?.value.clone()?)))
            .collect();
        let Some((tenant, changed)) = apps.iter_mut().find(|(_, a)| a.sync == SyncStatus::Synced)
        else {
            panic!("the demo has a synced app in {region}");
        };
        changed.sync = SyncStatus::OutOfSync;
        let tenant = tenant.clone();
        let before = app.argo[0];
        app.dirty = false;
        let obs = Observation {
            subject: Subject::Apps(region.clone()),
            at: app.now + 1_000,
            reading: Reading::Apps(Ok(AppsUpdate {
                apps,
                complete: true,
            })),
        };
        app.update(Msg::Arrived(Box::new(obs)));
        // In the state at once; not yet counted or drawn.
        let cell = app.state.tenant(&tenant).and_then(|t| t.app(&region));
        assert_eq!(
            cell.and_then(|c| c.value.as_ref()).map(|a| a.sync),
            Some(SyncStatus::OutOfSync)
        );
        assert!(app.unsettled() && !app.dirty);
        assert_eq!(app.argo[0], before);
        app.update(Msg::Settle);
        assert!(!app.unsettled() && app.dirty);
        assert_eq!(app.argo[0], (before.0 - 1, before.1, true));
    }
}
