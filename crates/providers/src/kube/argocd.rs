//! `[gitops] provider = "argocd"`: Argo CD Applications in each region's cluster (or one
//! hub cluster), watched so an idle dashboard costs nothing and a change shows at once, and
//! changed by merge patches exactly as Argo CD's own API server changes them.

use meridian_model::fleet::settings::{self, Dur, Settings};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use kube::Api;
use kube::api::{DynamicObject, ListParams};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::client::{Clients, Target, region_target};
use super::error::api_error;
use super::operation::{self as op, Target as AppTarget};
use super::view::{self, Mode, View};
use super::watch::{Kind, WATCH_SECONDS, kept};
use crate::{
    AppsUpdate, GitOpsProvider, Progress, ProviderError, ProviderResult, ResumeRequest,
    RollbackRequest, SyncRequest,
};
use meridian_model::fleet::DEFAULT_TIMEOUT as DEFAULT_DEADLINE;
use meridian_model::fleet::Fleet;
use meridian_model::state::AppState;

/// How often an idle watch tells the dashboard its cells are still current.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Default limit for an operation (sync, rollback) to finish.
const SYNC_TIMEOUT: Duration = Duration::from_secs(300);

/// Argo CD through the Kubernetes API.
pub struct ArgoCd {
    clients: Arc<Clients>,
    namespace: String,
    hub: Option<Target>,
    deadline: Duration,
    sync_timeout: Duration,
    views: Mutex<HashMap<Target, watch::Receiver<Arc<View>>>>,
}

impl ArgoCd {
    pub fn from_fleet(fleet: &Fleet, clients: Arc<Clients>) -> ArgoCd {
        let default = settings::ArgoCd::default();
        let g = match &fleet.gitops.settings {
            Settings::Argocd(g) => g,
            _ => &default,
        };
        ArgoCd {
            clients,
            namespace: g.namespace.clone().unwrap_or_else(|| "argocd".into()),
            hub: g.hub_context.as_ref().map(|c| Target {
                context: c.clone(),
                kubeconfig: g.kubeconfig.as_ref().map(Into::into),
            }),
            deadline: g.pace.timeout.map_or(DEFAULT_DEADLINE, Dur::get),
            sync_timeout: g.sync_timeout.map_or(SYNC_TIMEOUT, Dur::get),
            views: Mutex::new(HashMap::new()),
        }
    }

    /// The cluster holding a region's Applications, and how they are told apart.
    fn target(&self, fleet: &Fleet, region: &str) -> ProviderResult<(Target, Mode)> {
        if let Some(hub) = &self.hub {
            return Ok((hub.clone(), Mode::Hub));
        }
        region_target(fleet, region)
            .map(|t| (t, Mode::PerRegion))
            .ok_or_else(|| {
                ProviderError::new(Some(region), "argocd", "the region has no cluster")
                    .with_hint("add cluster = { context = \"...\" } to the region")
            })
    }

    fn apps_api(&self, client: kube::Client) -> Api<DynamicObject> {
        Api::namespaced_with(client, &self.namespace, &view::resource(Kind::Applications))
    }

    /// The shared, watched view of a cluster, started on first use.
    async fn view_for(
        &self,
        target: &Target,
        region: &str,
    ) -> ProviderResult<watch::Receiver<Arc<View>>> {
        if let Ok(views) = self.views.lock()
            && let Some(rx) = views.get(target)
        {
            return Ok(rx.clone());
        }
        let client = self.clients.get(target, Some(region)).await?;
        let mut views = self.views.lock().map_err(|_| {
            ProviderError::new(Some(region), "argocd watch", "internal lock poisoned")
        })?;
        let label = match &self.hub {
            Some(h) => format!("hub {}", h.context),
            None => region.to_string(),
        };
        let rx = views
            .entry(target.clone())
            .or_insert_with(|| view::start(client, &self.namespace, self.deadline, &label));
        Ok(rx.clone())
    }

    /// A one-shot read of a cluster's Applications (ApplicationSets and AppProjects too,
    /// when they can be read).
    async fn read_view(&self, target: &Target, region: &str) -> ProviderResult<View> {
        let client = self.clients.get(target, Some(region)).await?;
        let list = |kind: Kind| {
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), &self.namespace, &view::resource(kind));
            async move {
                let r = api.list(&ListParams::default()).await;
                if r.is_ok() {
                    crate::ApiMeter::global().record("kube", false);
                }
                r
            }
        };
        let call = format!("argocd list applications in {}", self.namespace);
        let all = async {
            futures::join!(
                list(Kind::Applications),
                list(Kind::ApplicationSets),
                list(Kind::AppProjects)
            )
        };
        let (apps, sets, projects) = tokio::time::timeout(self.deadline, all)
            .await
            .map_err(|_| ProviderError::timed_out(Some(region), &call, self.deadline))?;
        let apps = apps.map_err(|e| api_error(Some(region), &call, &e))?;
        let by_name = |kind: Kind, items: Vec<DynamicObject>| {
            items
                .into_iter()
                .filter_map(|o| Some((o.metadata.name.clone()?, kept(kind, o)?)))
                .collect::<HashMap<String, Arc<Value>>>()
        };
        let mut v = View {
            apps: by_name(Kind::Applications, apps.items),
            listed: true,
            ..View::default()
        };
        for (kind, result) in [(Kind::ApplicationSets, sets), (Kind::AppProjects, projects)] {
            match result {
                Ok(l) => {
                    let map = by_name(kind, l.items);
                    match kind {
                        Kind::ApplicationSets => v.related.appsets = map,
                        _ => v.related.projects = map,
                    }
                }
                Err(e) => log::warn!(
                    "{}",
                    api_error(Some(region), &format!("argocd list {}", kind.plural()), &e)
                ),
            }
        }
        Ok(v)
    }

    /// The Application of a tenant in a region, found as the dashboard finds it.
    async fn locate(
        &self,
        fleet: &Fleet,
        tenant: &str,
        region: &str,
    ) -> ProviderResult<(Api<DynamicObject>, AppState)> {
        let (target, mode) = self.target(fleet, region)?;
        let view = self.read_view(&target, region).await?;
        let app = view::region_apps(fleet, region, mode, &view)
            .into_iter()
            .find(|(t, _)| t == tenant)
            .map(|(_, a)| a)
            .ok_or_else(|| {
                ProviderError::new(
                    Some(region),
                    "argocd",
                    format!("no application for tenant {tenant}"),
                )
            })?;
        let client = self.clients.get(&target, Some(region)).await?;
        Ok((self.apps_api(client), app))
    }

    fn app_target<'a>(
        &self,
        api: Api<DynamicObject>,
        name: &'a str,
        region: &'a str,
    ) -> AppTarget<'a> {
        AppTarget {
            api,
            name,
            region,
            timeout: self.sync_timeout,
            deadline: self.deadline,
        }
    }
}

#[async_trait]
impl GitOpsProvider for ArgoCd {
    async fn read_apps(
        &self,
        fleet: &Fleet,
        region: &str,
    ) -> ProviderResult<Vec<(String, AppState)>> {
        let (target, mode) = self.target(fleet, region)?;
        let view = self.read_view(&target, region).await?;
        Ok(view::region_apps(fleet, region, mode, &view))
    }

    fn watches(&self) -> bool {
        true
    }

    async fn watch_apps(
        &self,
        fleet: &Fleet,
        region: &str,
        sink: mpsc::Sender<ProviderResult<AppsUpdate>>,
    ) -> ProviderResult<()> {
        let (target, mode) = self.target(fleet, region)?;
        let mut last_error: Option<String> = None;
        // No client yet (a login that expired, a kubeconfig being fixed): say so, try again.
        let mut pause = Duration::from_secs(2);
        let mut rx = loop {
            match self.view_for(&target, region).await {
                Ok(rx) => break rx,
                Err(e) => {
                    let text = e.to_string();
                    if last_error.as_deref() != Some(text.as_str()) {
                        last_error = Some(text);
                        if sink.send(Err(e)).await.is_err() {
                            return Ok(());
                        }
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(60));
                }
            }
        };
        let mut last: Option<HashMap<String, AppState>> = None;
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let alive = Duration::from_secs(u64::from(WATCH_SECONDS)) + self.deadline;
        loop {
            let heartbeat = tokio::select! {
                changed = rx.changed() => {
                    if changed.is_err() {
                        return Err(ProviderError::new(Some(region), "argocd watch", "the watch stopped"));
                    }
                    false
                }
                _ = beat.tick() => true,
            };
            let view = rx.borrow_and_update().clone();
            if let Some(e) = &view.error {
                let text = e.to_string();
                if last_error.as_deref() != Some(text.as_str()) {
                    last_error = Some(text);
                    last = None;
                    if sink.send(Err(e.for_region(region))).await.is_err() {
                        return Ok(());
                    }
                }
                continue;
            }
            if !view.listed {
                continue;
            }
            last_error = None;
            let now: HashMap<String, AppState> = view::region_apps(fleet, region, mode, &view)
                .into_iter()
                .collect();
            let update = match &last {
                Some(prev) if prev.keys().all(|k| now.contains_key(k)) => {
                    let changed: Vec<(String, AppState)> = now
                        .iter()
                        .filter(|(t, a)| prev.get(*t) != Some(*a))
                        .map(|(t, a)| (t.clone(), a.clone()))
                        .collect();
                    let current = view.contact.is_some_and(|c| c.elapsed() < alive);
                    (!changed.is_empty() || (heartbeat && current)).then_some(AppsUpdate {
                        apps: changed,
                        complete: false,
                    })
                }
                _ => Some(AppsUpdate {
                    apps: now.iter().map(|(t, a)| (t.clone(), a.clone())).collect(),
                    complete: true,
                }),
            };
            last = Some(now);
            if let Some(u) = update
                && sink.send(Ok(u)).await.is_err()
            {
                return Ok(());
            }
        }
    }

    async fn rollback(
        &self,
        fleet: &Fleet,
        req: &RollbackRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let region = req.region.as_str();
        let (api, app) = self.locate(fleet, &req.tenant, region).await?;
        let t = self.app_target(api, &app.name, region);
        let started = Instant::now();
        let live = t.get_at(req.resource_version.as_deref()).await?;
        let version = op::version_of(&live);
        let entry = live
            .pointer("/status/history")
            .and_then(Value::as_array)
            .and_then(|h| {
                h.iter().find(|e| {
                    e.get("id").and_then(Value::as_u64) == Some(u64::from(req.history_id))
                })
            })
            .cloned()
            .ok_or_else(|| {
                ProviderError::new(
                    Some(region),
                    format!("argocd rollback {}", app.name),
                    format!("history entry {} is gone", req.history_id),
                )
                .with_hint("read the app again and re-plan")
            })?;
        let revision = entry
            .get("revision")
            .cloned()
            .unwrap_or(json!(req.revision));
        let mut sync = json!({"revision": revision, "syncStrategy": {"apply": {"force": false}}});
        if let Some(source) = entry.get("source") {
            sync["source"] = source.clone();
        }
        let id = op::operation_id();
        let mut body = op::operation_body(sync, &req.note, &id);
        // Pausing and requesting the sync in one write leaves no moment in which auto-sync
        // could start its own operation, or a controller could change the app in between.
        if req.pause_auto_sync && super::application::automated(&live).is_some() {
            progress.say(&format!(
                "{}: pausing auto-sync (kept in annotation {})",
                app.name,
                super::application::PAUSED_ANNOTATION
            ));
            merge(&mut body, op::pause_body(&live, &req.note));
        }
        progress.say(&format!(
            "{}: syncing to history entry {} ({}), apply strategy",
            app.name,
            req.history_id,
            short(&req.revision)
        ));
        t.patch("roll back", &version, body).await?;
        op::wait(&t, &id, progress).await?;
        op::settle(&t, progress, started).await
    }

    async fn sync(
        &self,
        fleet: &Fleet,
        req: &SyncRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let region = req.region.as_str();
        let (api, app) = self.locate(fleet, &req.tenant, region).await?;
        let t = self.app_target(api, &app.name, region);
        let started = Instant::now();
        let live = t.get_at(req.resource_version.as_deref()).await?;
        let mut sync = json!({"revision": req.revision.clone().unwrap_or_default()});
        if let Some(opts) = live.pointer("/spec/syncPolicy/syncOptions") {
            sync["syncOptions"] = opts.clone();
        }
        if let Some(prune) = live.pointer("/spec/syncPolicy/automated/prune") {
            sync["prune"] = prune.clone();
        }
        let id = op::operation_id();
        progress.say(&format!(
            "{}: syncing to {}",
            app.name,
            req.revision.as_deref().unwrap_or("its target")
        ));
        t.patch(
            "sync",
            &op::version_of(&live),
            op::operation_body(sync, &req.note, &id),
        )
        .await?;
        op::wait(&t, &id, progress).await?;
        op::settle(&t, progress, started).await
    }

    async fn resume_auto_sync(
        &self,
        fleet: &Fleet,
        req: &ResumeRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let region = req.region.as_str();
        let (api, app) = self.locate(fleet, &req.tenant, region).await?;
        let t = self.app_target(api, &app.name, region);
        let live = t.get_at(req.resource_version.as_deref()).await?;
        progress.say(&format!("{}: resuming auto-sync", app.name));
        t.patch(
            "resume auto-sync of",
            &op::version_of(&live),
            op::resume_body(&req.automated),
        )
        .await?;
        Ok(())
    }
}

/// Merge `extra` into `body` (objects key by key).
fn merge(body: &mut Value, extra: Value) {
    match (body, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, e) => *b = e,
    }
}

fn short(rev: &str) -> &str {
    &rev[..rev.len().min(7)]
}
