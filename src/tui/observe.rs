//! How live data reaches the dashboard: whole snapshots (tests, screenshots) or the
//! engine's observations, one subject each, merged as they arrive. What is derived from the
//! state (the Argo summary per region, the filtered rows) is refreshed once per batch.

use super::app::{App, Effect, Unsettled};
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
        self.unsettled.any = true;
        if !self.frozen {
            self.note_for_findings(&obs);
        }
        // A watch push names the few apps that changed: their counts are moved out of the
        // region's summary and back in after the merge. Anything else (a full list, a
        // failed read) recounts the region's cells at the settle. An empty push (a watch's
        // heartbeat: "all current as of now") moves no count at all.
        let pushed: Option<Vec<String>> = match (&obs.subject, &obs.reading) {
            (Subject::Apps(_), Reading::Apps(Ok(u))) if !u.complete && !self.frozen => {
                Some(u.apps.iter().map(|(id, _)| id.clone()).collect())
            }
            _ => None,
        };
        if let Subject::Apps(region) = &obs.subject
            && pushed.is_none()
            && !self.unsettled.apps_of.contains(region)
        {
            self.unsettled.apps_of.push(region.clone());
        }
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
        let moved = match (&subject, &pushed) {
            (Subject::Apps(region), Some(ids)) if !ids.is_empty() => Some((region, ids)),
            _ => None,
        };
        let counted = moved.map(|(region, ids)| self.merger.argo_of(target, region, ids));
        // A watch push only sets the apps it names: it can bring no new error, and looking
        // (a pass over the region's cells, twice) was a tenth of an idle big dashboard.
        let quiet = pushed.is_some();
        let before = match quiet {
            true => Vec::new(),
            false => errors_of(&self.merger, target, &subject),
        };
        self.merger.apply(target, obs);
        if let (Some((region, ids)), Some(old)) = (moved, counted) {
            let new = self.merger.argo_of(target, region, ids);
            if old != new {
                self.unsettled.argo.push((region.clone(), old, new));
            }
        }
        let after = match quiet {
            true => Vec::new(),
            false => errors_of(&self.merger, target, &subject),
        };
        // The cells this reading touched are judged again for the findings' watchlist and
        // compared by the recorder (while frozen, the held snapshot is rescanned whole
        // when it is shown).
        if !self.frozen {
            let cells: Vec<(usize, usize)> = match (&subject, &pushed) {
                (Subject::Apps(region), Some(ids)) => self.merger.cells_of(region, ids),
                (Subject::Apps(region), None) => self
                    .merger
                    .cells_in(region)
                    .iter()
                    .map(|c| c.pair())
                    .collect(),
                (Subject::Releases(region), _) => self
                    .merger
                    .releases_in(region)
                    .iter()
                    .map(|c| c.pair())
                    .collect(),
                _ => Vec::new(),
            };
            self.touched.add(cells.iter().copied());
            if let Some(list) = self.attention.watchlist.as_mut() {
                list.update(&self.fleet, &self.state, cells);
            }
        }
        for (what, error) in after {
            let was = before.iter().find(|(w, _)| *w == what).map(|(_, e)| e);
            let region = subject.region();
            match (&error, was) {
                (Some(e), was) if was != Some(&error) => {
                    let line = match region {
                        Some(r) if !e.starts_with(r) => format!("{r} {what}: {e}"),
                        _ => format!("{what}: {e}"),
                    };
                    effects.push(Effect::Log(log::Level::Warn, line));
                }
                // The failure was logged; so is the end of it, or the log would say the
                // region is broken for ever.
                (None, Some(Some(_))) => {
                    let whose = region.map(|r| format!("{r} ")).unwrap_or_default();
                    effects.push(Effect::Log(
                        log::Level::Info,
                        format!("{whose}{what}: answering again; the values shown are current"),
                    ));
                }
                _ => {}
            }
        }
        effects
    }

    /// Has every subject reported at least once (the start-up is over)?
    pub fn all_reported(&self) -> bool {
        self.reported.0.len() >= self.reported.1
    }

    /// Has anything been absorbed that is not yet shown?
    pub fn unsettled(&self) -> bool {
        self.unsettled.any
    }

    /// Show what was absorbed since the last time: derive what drawing needs from it.
    pub fn settle(&mut self) {
        let unsettled = std::mem::take(&mut self.unsettled);
        if !self.frozen {
            self.derive_after(&unsettled);
        }
        self.now = self.now.max(self.state.observed_at);
        self.dirty = true;
    }

    /// What a batch changed, derived again: the Argo counts of the regions whose apps were
    /// read whole (a 100-region fleet's batch is usually a region or two) or pushed, and the
    /// filtered rows when a filter is set (without one, every row shows whatever the data).
    fn derive_after(&mut self, unsettled: &Unsettled) {
        if self.argo.len() != self.fleet.regions.len() {
            return self.derive();
        }
        for region in &unsettled.apps_of {
            if let Some(i) = self.fleet.regions.iter().position(|r| &r.id == region) {
                self.argo[i] = self.merger.argo_summary(&self.state, region);
            }
        }
        // A region counted again above already has every push since in its counts.
        for (region, old, new) in &unsettled.argo {
            if !unsettled.apps_of.contains(region)
                && let Some(i) = self.fleet.regions.iter().position(|r| &r.id == region)
            {
                self.argo[i].replace(old, new);
            }
        }
        if self.filter.is_active() {
            self.refilter();
        }
    }

    /// Show a new snapshot and refresh what is derived from it.
    pub fn set_state(&mut self, state: FleetState) {
        self.state = state;
        self.attention.watchlist = None;
        self.touched.mark_all();
        self.derive();
    }

    /// Refresh what drawing needs from the state: the Argo summary and the filtered rows.
    pub fn derive(&mut self) {
        self.argo = self
            .fleet
            .regions
            .iter()
            .map(|r| self.merger.argo_summary(&self.state, &r.id))
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
) -> Vec<(&'static str, Option<arcstr::ArcStr>)> {
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
            // Cells that hold nothing and no error (a Helm tenant with no Argo CD app) have
            // no part in the region's read.
            let mut errors = merger
                .cells_in(id)
                .iter()
                .filter_map(|c| state.tenants.get(c.tenant())?.apps.get(c.cell()))
                .filter(|(_, a)| a.value.is_some() || a.error.is_some())
                .map(|(_, a)| a.error.as_ref());
            let first = errors.next().flatten();
            let shared = first.is_some() && errors.all(|e| e == first);
            vec![("applications", first.filter(|_| shared).cloned())]
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
        Subject::Routing => vec![("tenant routing", state.routing.error.clone())],
        Subject::Alarms => vec![("alarms", state.alarms.error.clone())],
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Observation, Reading, Subject};
    use crate::providers::AppsUpdate;
    use crate::state::SyncStatus;
    use crate::tui::fixture::demo_app;
    use crate::tui::message::Msg;

    /// Every app of `region` as the dashboard holds it, by tenant.
    fn apps_in(app: &crate::tui::app::App, region: &str) -> Vec<(String, crate::state::AppState)> {
        app.state
            .tenants
            .iter()
            .filter_map(|t| Some((t.id.clone(), t.app(region)?.value.clone()?)))
            .collect()
    }

    #[test]
    fn a_reading_is_merged_as_it_arrives_and_shown_at_the_settle() {
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        let region = app.fleet.regions[0].id.clone();
        // The region's apps as they stand, one of the synced ones now OutOfSync.
        let mut apps = apps_in(&app, &region);
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
        assert_eq!(
            (
                app.argo[0].synced,
                app.argo[0].total,
                app.argo[0].out_of_sync
            ),
            (before.synced - 1, before.total, before.out_of_sync + 1)
        );
    }

    /// A watch push's cells are counted out and in; the result is what a recount of the
    /// region says, including a push that names one app twice or an unknown tenant.
    #[test]
    fn a_push_moves_the_counts_a_recount_would_give() {
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        let region = app.fleet.regions[0].id.clone();
        let mut cells = apps_in(&app, &region);
        let before = app.argo[0];
        assert!(cells.len() >= 2, "the demo has apps in {region}");
        let push = |app: &mut crate::tui::app::App, apps: Vec<(String, crate::state::AppState)>| {
            let obs = Observation {
                subject: Subject::Apps(region.clone()),
                at: app.now + 1_000,
                reading: Reading::Apps(Ok(AppsUpdate {
                    apps,
                    complete: false,
                })),
            };
            app.update(Msg::Arrived(Box::new(obs)));
        };
        cells[0].1.sync = SyncStatus::OutOfSync;
        cells[1].1.sync = SyncStatus::Synced;
        let first = cells[0].clone();
        push(&mut app, vec![first.clone(), first, cells[1].clone()]);
        push(
            &mut app,
            vec![("no-such-tenant".into(), cells[1].1.clone())],
        );
        cells[1].1.sync = SyncStatus::OutOfSync;
        push(&mut app, vec![cells[1].clone()]);
        // Freezing shows what was merged so far, counted.
        crate::tui::fixture::press(&mut app, &["f"]);
        assert!(app.frozen);
        let recount = app.merger.argo_summary(&app.state, &region);
        assert_eq!(app.argo[0], recount);
        assert_ne!(app.argo[0], before, "the pushes changed the counts");
        assert!(recount.out_of_sync >= 2, "{recount:?}");
    }

    /// A region whose apps cannot be read makes the header say so (never "live, 0s old"),
    /// keeps its ARGO count with a mark, and its recovery is logged.
    #[test]
    fn a_failed_region_is_counted_stale_in_the_header_and_its_recovery_is_logged() {
        use crate::providers::ProviderError;
        use crate::tui::fixture::{render, text};
        // One tenant is Helm-only: it has no Argo CD app in the region, and no part in its
        // read's error (which every other cell shares, so the log says it once).
        let (mut fleet, mut state) =
            crate::tui::fixture::demo_state(42).unwrap_or_else(|e| panic!("{e}"));
        let region = fleet.regions[0].id.clone();
        let helm_only = fleet
            .tenants
            .iter()
            .position(|t| t.runs_in(&region))
            .unwrap_or_else(|| panic!("a tenant in {region}"));
        fleet.tenants[helm_only].helm = Some(crate::fleet::Capability {
            provider: crate::fleet::ProviderKind::Helm,
            settings: crate::fleet::settings::Settings::Helm(Default::default()),
        });
        if let Some((_, cell)) = state.tenants[helm_only]
            .apps
            .iter_mut()
            .find(|(r, _)| **r == *region)
        {
            *cell = crate::state::Observed::empty(state.observed_at);
        }
        let mut app = crate::tui::fixture::app_for(fleet, state, "dark", "default", false)
            .unwrap_or_else(|e| panic!("{e}"));
        let header = |app: &crate::tui::app::App| {
            text(&render(app, 160, 45))
                .lines()
                .nth(1)
                .unwrap_or_default()
                .to_string()
        };
        assert!(header(&app).contains("● live"), "{}", header(&app));
        let before = app.argo[0];
        let apps = apps_in(&app, &region);
        let failed = Observation {
            subject: Subject::Apps(region.clone()),
            at: app.now + 1_000,
            reading: Reading::Apps(Err(ProviderError::new(
                Some(&region),
                "argocd watch applications",
                "no answer within 5s",
            ))),
        };
        let effects = app.update(Msg::Observed(vec![failed]));
        assert!(
            format!("{effects:?}").contains("applications: no answer within 5s"),
            "{effects:?}"
        );
        let stale = header(&app);
        assert!(
            !stale.contains("● live") && stale.contains("stale"),
            "{stale}"
        );
        assert_eq!(
            (app.argo[0].synced, app.argo[0].total),
            (before.synced, before.total),
            "the counts hold while the cluster is unreachable"
        );
        assert!(app.argo[0].text("◷").starts_with('◷'));

        let back = Observation {
            subject: Subject::Apps(region.clone()),
            at: app.now + 2_000,
            reading: Reading::Apps(Ok(AppsUpdate {
                apps,
                complete: true,
            })),
        };
        let effects = app.update(Msg::Observed(vec![back]));
        assert!(
            format!("{effects:?}").contains("applications: answering again"),
            "{effects:?}"
        );
        assert!(header(&app).contains("● live"), "{}", header(&app));
    }

    /// The findings' watchlist follows the readings: a pushed app that turns Degraded is
    /// on it at once, and is what a whole scan of the state would hold.
    #[test]
    fn a_pushed_app_that_turns_unwell_joins_the_findings_watchlist() {
        use crate::actions::findings::Watchlist;
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        app.assess_findings();
        let region = app.fleet.regions[0].id.clone();
        let mut cells = apps_in(&app, &region);
        let Some(well) = cells.iter_mut().find(|(_, a)| {
            a.sync == SyncStatus::Synced && a.health == crate::state::AppHealth::Healthy
        }) else {
            panic!("the demo has a well app in {region}");
        };
        well.1.health = crate::state::AppHealth::Degraded;
        let pushed = well.clone();
        let before = app.attention.watchlist.as_ref().map(Watchlist::len);
        let obs = Observation {
            subject: Subject::Apps(region.clone()),
            at: app.now + 1_000,
            reading: Reading::Apps(Ok(AppsUpdate {
                apps: vec![pushed],
                complete: false,
            })),
        };
        app.update(Msg::Arrived(Box::new(obs)));
        let list = app.attention.watchlist.clone();
        assert_eq!(list.as_ref().map(Watchlist::len), before.map(|n| n + 1));
        assert_eq!(list, Some(Watchlist::scan(&app.fleet, &app.state)));
    }

    /// The recorder compares the cells the readings merged: a pushed app is on the list
    /// (and nothing else), and a whole new snapshot makes every cell due.
    #[test]
    fn the_cells_a_reading_merges_are_kept_for_the_recorder() {
        let mut app = demo_app("dark", "default", false).unwrap_or_else(|e| panic!("{e}"));
        app.touched = crate::recording::Touched::default();
        let region = app.fleet.regions[0].id.clone();
        let mut cells = apps_in(&app, &region);
        let Some(one) = cells.first_mut() else {
            panic!("the demo has apps in {region}");
        };
        one.1.sync = SyncStatus::OutOfSync;
        let pushed = one.clone();
        let obs = Observation {
            subject: Subject::Apps(region.clone()),
            at: app.now + 1_000,
            reading: Reading::Apps(Ok(AppsUpdate {
                apps: vec![pushed.clone()],
                complete: false,
            })),
        };
        app.update(Msg::Arrived(Box::new(obs)));
        let expected = app.merger.cells_of(&region, &[pushed.0]);
        assert_eq!(expected.len(), 1);
        assert!(!app.touched.is_all());
        assert_eq!(app.touched.cells().collect::<Vec<_>>(), expected);
        let snapshot = app.state.clone();
        app.set_state(snapshot);
        assert!(app.touched.is_all());
    }
}
