//! Observations: one subject's reading, sent by the engine as soon as it arrives, and
//! merged into the fleet state by whoever owns it (the dashboard's loop, a one-shot poll).
//! A failed reading keeps the last good value and its age, and records why.

use std::collections::HashMap;

use arcstr::ArcStr;

use meridian_model::fleet::{Fleet, Role};
use meridian_model::state::{
    AlarmNow, AppState, FleetState, Health, HelmRelease, Millis, Observed, PhaseState, TenantHomes,
};
use meridian_providers::{AppsUpdate, ErrorKind, ProviderError, ProviderResult, WeightsReading};

use super::Subject;

/// What one reading of a subject returned.
#[derive(Debug, Clone)]
pub enum Reading {
    Weights(ProviderResult<WeightsReading>),
    Health(ProviderResult<Health>),
    Database {
        role: ProviderResult<Role>,
        lag: ProviderResult<Option<f64>>,
        /// Recent lag samples, when the backend keeps them (the simulator does).
        history: Vec<Option<f64>>,
        /// The region's further data stores, in order: each one's role and lag.
        stores: Vec<(ProviderResult<Role>, ProviderResult<Option<f64>>)>,
    },
    Phases(ProviderResult<Vec<PhaseState>>),
    /// The region's applications: all of them, or what changed (see `AppsUpdate`).
    Apps(ProviderResult<AppsUpdate>),
    /// The region's Helm releases, by tenant.
    Releases(ProviderResult<Vec<(String, HelmRelease)>>),
    /// The routing layer's tenant map.
    Routing(ProviderResult<std::sync::Arc<TenantHomes>>),
    /// The alarms `[alarms]` counts.
    Alarms(ProviderResult<Vec<AlarmNow>>),
}

/// One subject's reading and when it completed.
#[derive(Debug, Clone)]
pub struct Observation {
    pub subject: Subject,
    pub at: Millis,
    pub reading: Reading,
}

impl Observation {
    /// The errors this reading carries (a database reading may carry two).
    pub fn errors(&self) -> Vec<&ProviderError> {
        match &self.reading {
            Reading::Weights(r) => r.as_ref().err().into_iter().collect(),
            Reading::Health(r) => r.as_ref().err().into_iter().collect(),
            Reading::Database {
                role, lag, stores, ..
            } => role
                .as_ref()
                .err()
                .into_iter()
                .chain(lag.as_ref().err())
                .chain(
                    stores
                        .iter()
                        .flat_map(|(r, l)| r.as_ref().err().into_iter().chain(l.as_ref().err())),
                )
                .collect(),
            Reading::Phases(r) => r.as_ref().err().into_iter().collect(),
            Reading::Apps(r) => r.as_ref().err().into_iter().collect(),
            Reading::Releases(r) => r.as_ref().err().into_iter().collect(),
            Reading::Routing(r) => r.as_ref().err().into_iter().collect(),
            Reading::Alarms(r) => r.as_ref().err().into_iter().collect(),
        }
    }

    /// The backend asked us to slow down.
    pub fn throttled(&self) -> bool {
        self.errors().iter().any(|e| e.kind == ErrorKind::Throttled)
    }
}

fn merge<T: Clone>(prev: &Observed<T>, result: &ProviderResult<T>, at: Millis) -> Observed<T> {
    match result {
        Ok(v) => Observed::ok(v.clone(), at),
        Err(e) => Observed::failed(Some(prev), e.to_string()),
    }
}

/// A lag reading over the last one.
fn merge_lag(prev: &Observed<f64>, lag: &ProviderResult<Option<f64>>, at: Millis) -> Observed<f64> {
    match lag {
        Ok(Some(v)) => Observed::ok(*v, at),
        Ok(None) => Observed::empty(at),
        // A broken link voids the last lag: showing `~0.0s` for a replica that no longer
        // follows the writer would be a lie.
        Err(e) if e.kind == ErrorKind::Broken => Observed {
            value: None,
            at: Some(at),
            error: Some(e.to_string().into()),
        },
        Err(e) => Observed::failed(Some(prev), e.to_string()),
    }
}

/// Where a cell sits in the tenant matrix: (tenant index, index in the tenant's row). Two
/// `u32`s, not `usize`s: a 100 x 1,000 fleet indexes 100,000 cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellAt(u32, u32);

impl CellAt {
    fn new(tenant: usize, cell: usize) -> CellAt {
        // A fleet file of four billion tenants or regions cannot be loaded in the first place.
        CellAt(tenant as u32, cell as u32)
    }

    pub fn tenant(self) -> usize {
        self.0 as usize
    }

    pub fn cell(self) -> usize {
        self.1 as usize
    }

    /// (tenant index, cell index).
    pub fn pair(self) -> (usize, usize) {
        (self.tenant(), self.cell())
    }
}

/// Merges observations into a fleet state. Built once per fleet: it indexes where each
/// region's cells sit in the tenant matrix, so applying a region's apps costs the apps,
/// not tenants x regions.
#[derive(Debug, Clone)]
pub struct Merger {
    fleet: Fleet,
    /// Region id -> where every app in that region sits. Keyed by the fleet's shared ids,
    /// so building it does not allocate a key per cell.
    cells: HashMap<ArcStr, Vec<CellAt>>,
    /// Region id -> where every Helm release in that region sits.
    releases: HashMap<ArcStr, Vec<CellAt>>,
    /// Tenant id -> tenant index, to place the few apps a watch push names.
    tenants: HashMap<String, usize>,
}

impl Merger {
    pub fn new(fleet: &Fleet) -> Merger {
        let mut cells: HashMap<ArcStr, Vec<CellAt>> = HashMap::new();
        let mut releases: HashMap<ArcStr, Vec<CellAt>> = HashMap::new();
        for (ti, t) in fleet.tenants.iter().enumerate() {
            for (ci, r) in t.regions.iter().enumerate() {
                cells
                    .entry(r.clone())
                    .or_default()
                    .push(CellAt::new(ti, ci));
                if t.helm.is_some() {
                    releases
                        .entry(r.clone())
                        .or_default()
                        .push(CellAt::new(ti, ci));
                }
            }
        }
        for v in cells.values_mut().chain(releases.values_mut()) {
            v.shrink_to_fit();
        }
        let tenants = fleet
            .tenants
            .iter()
            .enumerate()
            .map(|(ti, t)| (t.id.clone(), ti))
            .collect();
        Merger {
            fleet: fleet.clone(),
            cells,
            releases,
            tenants,
        }
    }

    /// Where a region's apps sit in the tenant matrix: (tenant index, cell index).
    pub fn cells_in(&self, region: &str) -> &[CellAt] {
        self.cells.get(region).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Where a region's Helm releases sit in the tenant matrix.
    pub fn releases_in(&self, region: &str) -> &[CellAt] {
        self.releases.get(region).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Where the named tenants' cells of a region sit (a watch push names a few).
    pub fn cells_of(&self, region: &str, tenants: &[String]) -> Vec<(usize, usize)> {
        tenants
            .iter()
            .filter_map(|id| self.tenants.get(id).copied())
            .filter_map(|ti| self.cell_of(region, ti).map(|ci| (ti, ci)))
            .collect()
    }

    /// Where tenant `ti`'s cell of a region sits in its row (a region's cells are in tenant
    /// order, so this is a search, not a string compare per region of the tenant).
    fn cell_of(&self, region: &str, ti: usize) -> Option<usize> {
        let cells = self.cells_in(region);
        let at = cells.binary_search_by_key(&ti, |c| c.tenant()).ok()?;
        cells.get(at).map(|c| c.cell())
    }

    /// One region's Argo CD counts, from its cells alone (what a region's reading changed).
    pub fn argo_summary(
        &self,
        state: &FleetState,
        region: &str,
    ) -> meridian_model::state::ArgoSummary {
        let mut out = meridian_model::state::ArgoSummary::default();
        for (ti, ci) in self.cells_in(region).iter().map(|c| c.pair()) {
            let cell = state.tenants.get(ti).and_then(|ts| ts.apps.get(ci));
            if let Some(t) = self.fleet.tenants.get(ti) {
                out.add(t, cell.map(|(_, a)| a));
            }
        }
        out
    }

    /// The Argo CD counts of the named tenants' cells in one region (each counted once):
    /// what a watch push that names them changes, counted before and after it is merged.
    pub fn argo_of(
        &self,
        state: &FleetState,
        region: &str,
        tenants: &[String],
    ) -> meridian_model::state::ArgoSummary {
        let mut indexes: Vec<usize> = tenants
            .iter()
            .filter_map(|id| self.tenants.get(id).copied())
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        let mut out = meridian_model::state::ArgoSummary::default();
        for ti in indexes {
            let (Some(t), Some(ts)) = (self.fleet.tenants.get(ti), state.tenants.get(ti)) else {
                continue;
            };
            if let Some((_, cell)) = self
                .cell_of(region, ti)
                .and_then(|ci| ts.apps.get(ci))
                .filter(|(r, _)| **r == *region)
            {
                out.add(t, Some(cell));
            }
        }
        out
    }

    /// Merge one observation. Readings for regions or tenants the state does not know are
    /// ignored (the state is built from the same fleet, so this is a stale message after a
    /// reload, not an error).
    pub fn apply(&self, state: &mut FleetState, obs: Observation) {
        let at = obs.at;
        state.observed_at = state.observed_at.max(at);
        match obs.reading {
            Reading::Weights(result) => apply_weights(state, &self.fleet, result, at),
            Reading::Health(result) => {
                if let Some(r) = region_of(state, &obs.subject) {
                    r.health = merge(&r.health, &result, at);
                }
            }
            Reading::Database {
                role,
                lag,
                history,
                stores,
            } => {
                if let Some(r) = region_of(state, &obs.subject) {
                    r.role = merge(&r.role, &role, at);
                    r.lag = merge_lag(&r.lag, &lag, at);
                    for (st, (role, lag)) in r.stores.iter_mut().zip(stores) {
                        st.role = merge(&st.role, &role, at);
                        st.lag = merge_lag(&st.lag, &lag, at);
                    }
                    if history.is_empty() {
                        let sample = r.lag.value.filter(|_| r.lag.error.is_none());
                        r.push_lag_sample(sample);
                    } else {
                        r.lag_history = history;
                    }
                }
            }
            Reading::Phases(result) => {
                if let Some(r) = region_of(state, &obs.subject) {
                    r.phases = merge(&r.phases, &result, at);
                }
            }
            Reading::Apps(result) => {
                if let Some(region) = obs.subject.region() {
                    self.apply_apps(state, region, result, at);
                }
            }
            Reading::Releases(result) => {
                if let Some(region) = obs.subject.region() {
                    self.apply_releases(state, region, result, at);
                }
            }
            Reading::Routing(result) => state.routing = merge(&state.routing, &result, at),
            Reading::Alarms(result) => state.alarms = merge(&state.alarms, &result, at),
        }
    }

    /// A region's Helm releases, into each Helm tenant's cell.
    fn apply_releases(
        &self,
        state: &mut FleetState,
        region: &str,
        result: ProviderResult<Vec<(String, HelmRelease)>>,
        at: Millis,
    ) {
        let Some(cells) = self.releases.get(region) else {
            return;
        };
        let mut by_tenant: HashMap<String, HelmRelease> = match &result {
            Ok(list) => list.iter().cloned().collect(),
            Err(_) => HashMap::new(),
        };
        // One text for the region's cells when the whole read failed, as for apps.
        let failure: Option<ArcStr> = result.as_ref().err().map(|e| e.to_string().into());
        for (ti, ci) in cells.iter().map(|c| c.pair()) {
            let Some(tenant) = self.fleet.tenants.get(ti) else {
                continue;
            };
            let Some(cell) = state
                .tenants
                .get_mut(ti)
                .and_then(|ts| ts.releases.get_mut(ci))
                .filter(|(r, _)| **r == *region)
            else {
                continue;
            };
            cell.1 = match (&failure, by_tenant.remove(&tenant.id)) {
                (Some(text), _) => Observed::failed(Some(&cell.1), text.clone()),
                (None, Some(release)) => Observed::ok(release, at),
                (None, None) => Observed::failed(
                    Some(&cell.1),
                    format!(
                        "{region}: Helm release {} not found",
                        tenant.helm_release_name()
                    ),
                ),
            };
        }
    }

    /// A region's apps: each tenant's cell in that region takes its app, or the error when
    /// the whole read failed. A tenant the backend did not return is an error for that cell.
    fn apply_apps(
        &self,
        state: &mut FleetState,
        region: &str,
        result: ProviderResult<AppsUpdate>,
        at: Millis,
    ) {
        let Some(cells) = self.cells.get(region) else {
            return;
        };
        match result {
            Ok(update) if !update.complete => {
                // A watch push names what changed; every other app is as it was, as of now,
                // which the region says once instead of each of its cells.
                if let Some(r) = state.region_mut(region) {
                    r.apps_at = Some(at);
                }
                for (id, app) in update.apps {
                    let Some(cell) = self.tenants.get(&id).and_then(|&ti| {
                        let ci = self.cell_of(region, ti)?;
                        let cell = state.tenants.get_mut(ti)?.apps.get_mut(ci)?;
                        (*cell.0 == *region).then_some(cell)
                    }) else {
                        continue;
                    };
                    cell.1 = Observed::ok(app, at);
                }
            }
            Ok(update) => {
                if let Some(r) = state.region_mut(region) {
                    r.apps_at = Some(at);
                }
                // Providers usually answer in fleet order: take apps in step with the cells,
                // and fall back to a map only for what arrives out of order.
                let mut apps = update.apps.into_iter().peekable();
                let mut by_tenant: HashMap<String, AppState> = HashMap::new();
                for (ti, ci) in cells.iter().map(|c| c.pair()) {
                    let Some(tenant) = self.fleet.tenants.get(ti) else {
                        continue;
                    };
                    let Some(cell) = state
                        .tenants
                        .get_mut(ti)
                        .and_then(|ts| ts.apps.get_mut(ci))
                        .filter(|(r, _)| **r == *region)
                    else {
                        continue;
                    };
                    let in_step = apps.next_if(|(id, _)| *id == tenant.id).map(|(_, a)| a);
                    let found = in_step.or_else(|| {
                        // Most pushes name a few apps or none: hash a tenant's id only when
                        // something is waiting in the map.
                        if !by_tenant.is_empty()
                            && let Some(app) = by_tenant.remove(&tenant.id)
                        {
                            return Some(app);
                        }
                        // Everything up to this tenant's app (or all, if absent) into the map.
                        for (id, app) in apps.by_ref() {
                            if id == tenant.id {
                                return Some(app);
                            }
                            by_tenant.insert(id, app);
                        }
                        None
                    });
                    cell.1 = match found {
                        Some(app) => Observed::ok(app, at),
                        // A Helm tenant need not have an Argo CD application.
                        None if tenant.helm.is_some() => Observed::empty(at),
                        None => Observed::failed(
                            Some(&cell.1),
                            format!(
                                "{region}: application {} not found",
                                tenant.argo_app_in(region)
                            ),
                        ),
                    };
                }
            }
            Err(e) => {
                // One text for the region's cells (a failed read of 1,000 apps).
                let text: ArcStr = e.to_string().into();
                for (ti, ci) in cells.iter().map(|c| c.pair()) {
                    // A Helm tenant not known to have an Argo CD application keeps showing
                    // its release: an Argo CD error is not its to carry.
                    let helm_only = self.fleet.tenants.get(ti).is_some_and(|t| t.helm.is_some());
                    if let Some(cell) = state
                        .tenants
                        .get_mut(ti)
                        .and_then(|ts| ts.apps.get_mut(ci))
                        .filter(|(r, _)| **r == *region)
                        .filter(|(_, c)| !(helm_only && c.value.is_none()))
                    {
                        cell.1 = Observed::failed(Some(&cell.1), text.clone());
                    }
                }
            }
        }
    }
}

fn region_of<'a>(
    state: &'a mut FleetState,
    subject: &Subject,
) -> Option<&'a mut meridian_model::state::RegionState> {
    state.region_mut(subject.region()?)
}

fn apply_weights(
    state: &mut FleetState,
    fleet: &Fleet,
    result: ProviderResult<WeightsReading>,
    at: Millis,
) {
    match result {
        Ok(reading) => {
            state.unmanaged_weights = reading.unmanaged.clone();
            state.routes = reading.routes.clone();
            for r in state.regions.iter_mut() {
                r.weight = match reading.by_region.get(&r.id) {
                    Some(w) => Observed::ok(*w, at),
                    None => {
                        let set_id = fleet
                            .region(&r.id)
                            .map(|x| x.set_identifier.as_str())
                            .unwrap_or(&r.id);
                        Observed::failed(
                            Some(&r.weight),
                            format!(
                                "the traffic provider has nothing for this region (looked for \"{set_id}\": a record set, endpoint or pool)"
                            ),
                        )
                    }
                };
            }
        }
        Err(e) => {
            for r in state.regions.iter_mut() {
                r.weight = Observed::failed(Some(&r.weight), e.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_model::state::{AppHealth, SyncStatus};

    fn app(name: &str, sync: SyncStatus) -> AppState {
        AppState {
            name: name.into(),
            sync,
            health: AppHealth::Healthy,
            revision: "abc1234".into(),
            auto_sync: true,
            ..AppState::default()
        }
    }

    fn apps(at: Millis, apps: Vec<(String, AppState)>, complete: bool) -> Observation {
        Observation {
            subject: Subject::Apps("us-east-1".into()),
            at,
            reading: Reading::Apps(Ok(AppsUpdate { apps, complete })),
        }
    }

    fn cell<'a>(s: &'a FleetState, tenant: &str) -> &'a Observed<AppState> {
        s.tenant(tenant)
            .and_then(|t| t.app("us-east-1"))
            .unwrap_or_else(|| panic!("no cell for {tenant}"))
    }

    #[test]
    fn apps_in_any_order_land_in_their_own_cells_and_a_missing_one_is_an_error() {
        let fleet = meridian_model::fleet::demo();
        let merger = Merger::new(&fleet);
        let mut s = FleetState::skeleton(&fleet, 0);
        let ids: Vec<String> = fleet
            .tenants_in("us-east-1")
            .map(|t| t.id.clone())
            .collect();
        assert!(ids.len() >= 3, "the demo has tenants to shuffle");
        // Reversed, the first tenant missing: each app is told apart by its tenant id.
        let answer: Vec<(String, AppState)> = ids[1..]
            .iter()
            .rev()
            .map(|id| (id.clone(), app(&format!("{id}-app"), SyncStatus::Synced)))
            .collect();
        merger.apply(&mut s, apps(1_000, answer, true));
        for id in &ids[1..] {
            let c = cell(&s, id);
            assert_eq!(
                c.value.as_ref().map(|a| a.name.to_string()),
                Some(format!("{id}-app"))
            );
            assert_eq!(c.error, None);
        }
        let missing = cell(&s, &ids[0]);
        assert!(missing.value.is_none());
        assert!(
            missing
                .error
                .as_deref()
                .is_some_and(|e| e.contains("not found")),
            "{missing:?}"
        );
    }

    #[test]
    fn a_change_updates_its_apps_and_keeps_the_rest_current() {
        let fleet = meridian_model::fleet::demo();
        let merger = Merger::new(&fleet);
        let mut s = FleetState::skeleton(&fleet, 0);
        let all: Vec<(String, AppState)> = fleet
            .tenants_in("us-east-1")
            .map(|t| {
                (
                    t.id.clone(),
                    app(&t.argo_app_in("us-east-1"), SyncStatus::Synced),
                )
            })
            .collect();
        merger.apply(&mut s, apps(1_000, all, true));
        let change = vec![(
            "search-stg".to_string(),
            app("search-stg-us-east-1", SyncStatus::OutOfSync),
        )];
        merger.apply(&mut s, apps(2_000, change, false));
        let changed = cell(&s, "search-stg");
        assert_eq!(
            changed.value.as_ref().map(|a| a.sync),
            Some(SyncStatus::OutOfSync)
        );
        let other = cell(&s, "payments-prd");
        assert_eq!(
            other.value.as_ref().map(|a| a.sync),
            Some(SyncStatus::Synced)
        );
        let region_at = s.region("us-east-1").and_then(|r| r.apps_at);
        assert_eq!(
            (other.at, other.as_of(region_at)),
            (Some(1_000), Some(2_000)),
            "an unnamed app keeps its reading and is current as of the change"
        );
        // Another region's cells are untouched.
        let elsewhere = s.tenant("search-stg").and_then(|t| t.app("eu-west-1"));
        assert_eq!(elsewhere.and_then(|c| c.at), None);
    }

    #[test]
    fn a_failed_read_of_helm_releases_gives_the_regions_cells_one_text() {
        let src = meridian_model::fleet::load::DEMO_FLEET
            .replace(
                "[[tenants]]",
                "[[tenants]]\nhelm = { provider = \"helm\", release = \"app\", namespace = \"app\" }",
            )
            .replace("[[regions]]", "[[regions]]\ncluster = { context = \"lab\" }");
        let fleet = meridian_model::fleet::parse(
            &src,
            "demo.toml",
            meridian_model::fleet::FleetSource::Demo,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let merger = Merger::new(&fleet);
        let mut s = FleetState::skeleton(&fleet, 0);
        merger.apply(
            &mut s,
            Observation {
                subject: Subject::Releases("us-east-1".into()),
                at: 1_000,
                reading: Reading::Releases(Err(ProviderError::new(
                    Some("us-east-1"),
                    "helm list",
                    "403 Forbidden",
                ))),
            },
        );
        let texts: Vec<_> = fleet
            .tenants_in("us-east-1")
            .filter_map(|t| s.tenant(&t.id)?.release("us-east-1")?.error.clone())
            .collect();
        assert!(texts.len() >= 3, "{texts:?}");
        assert!(texts[0].contains("403"), "{texts:?}");
        assert!(texts.iter().all(|e| ArcStr::ptr_eq(e, &texts[0])));
    }

    #[test]
    fn a_complete_reading_without_an_app_says_it_is_missing() {
        let fleet = meridian_model::fleet::demo();
        let merger = Merger::new(&fleet);
        let mut s = FleetState::skeleton(&fleet, 0);
        merger.apply(&mut s, apps(1_000, Vec::new(), true));
        let missing = cell(&s, "payments-prd");
        assert!(
            missing
                .error
                .as_deref()
                .is_some_and(|e| e.contains("payments-prd-us-east-1 not found")),
            "{missing:?}"
        );
        let failed = Observation {
            subject: Subject::Apps("us-east-1".into()),
            at: 2_000,
            reading: Reading::Apps(Err(ProviderError::new(
                Some("us-east-1"),
                "argocd watch",
                "401 Unauthorized",
            ))),
        };
        merger.apply(&mut s, failed);
        assert!(
            cell(&s, "search-stg")
                .error
                .as_deref()
                .is_some_and(|e| e.contains("401"))
        );
        // The region's cells share one text (a failed read of 1,000 apps is not 1,000
        // copies of its error).
        let texts: Vec<_> = fleet
            .tenants_in("us-east-1")
            .filter_map(|t| cell(&s, &t.id).error.clone())
            .collect();
        assert!(texts.len() >= 3, "{texts:?}");
        assert!(texts.iter().all(|e| ArcStr::ptr_eq(e, &texts[0])));
    }

    #[test]
    fn a_helm_tenant_without_an_application_never_carries_an_argo_cd_error() {
        let src = meridian_model::fleet::load::DEMO_FLEET
            .replace(
                "[[tenants]]",
                "[[tenants]]\nhelm = { provider = \"helm\", release = \"app\", namespace = \"app\" }",
            )
            .replace("[[regions]]", "[[regions]]\ncluster = { context = \"lab\" }");
        let fleet = meridian_model::fleet::parse(
            &src,
            "demo.toml",
            meridian_model::fleet::FleetSource::Demo,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let merger = Merger::new(&fleet);
        let mut s = FleetState::skeleton(&fleet, 0);
        let failed = |at| Observation {
            subject: Subject::Apps("us-east-1".into()),
            at,
            reading: Reading::Apps(Err(ProviderError::new(
                Some("us-east-1"),
                "argocd watch",
                "no answer within 5s",
            ))),
        };
        // Never read, then read without its app, then the cluster stops answering.
        merger.apply(&mut s, failed(500));
        merger.apply(&mut s, apps(1_000, Vec::new(), true));
        merger.apply(&mut s, failed(2_000));
        for t in fleet.tenants_in("us-east-1") {
            let c = cell(&s, &t.id);
            assert!(c.value.is_none() && c.error.is_none(), "{}: {c:?}", t.id);
        }
    }
}
