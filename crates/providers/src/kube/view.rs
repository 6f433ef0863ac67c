//! A cluster's Argo CD objects as last seen (Applications, ApplicationSets, AppProjects of
//! one namespace), kept current by three watches and shared by every region it serves: one
//! per region normally, one for all regions in hub mode.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::{Api, Client};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::application::{Related, app_state, destination, owner_name};
use super::watch::{Event, Kind, follow};
use crate::ProviderError;
use meridian_model::fleet::Fleet;
use meridian_model::state::AppState;

/// An Argo CD kind's API resource.
pub fn resource(kind: Kind) -> ApiResource {
    let name = match kind {
        Kind::Applications => "Application",
        Kind::ApplicationSets => "ApplicationSet",
        Kind::AppProjects => "AppProject",
    };
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", name),
        kind.plural(),
    )
}

/// What a cluster's watches have seen.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub apps: HashMap<String, Arc<Value>>,
    pub related: Related,
    /// Applications have been listed: the view holds them all, as of its last contact. A
    /// watch that breaks later resumes from the version it had (the server says 410 when
    /// that is too old, and the follower lists again), so the view stays whole across it.
    pub listed: bool,
    /// Why the Applications cannot be read now.
    pub error: Option<ProviderError>,
    /// The last time the server answered anything.
    pub contact: Option<Instant>,
}

/// How often a view that only heard "still here" (a bookmark, a re-opened watch) is
/// published: every such event woke every region's reader and recomputed its apps, which
/// with 100 clusters x 3 watches was most of an idle dashboard's CPU. The readers' own
/// liveness check allows far longer than this.
const CONTACT_EVERY: Duration = Duration::from_secs(10);

impl View {
    /// Apply one event; false when it only refreshed the time of last contact.
    fn apply(&mut self, event: Event) -> bool {
        let name = |v: &Value| {
            v.pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        match event {
            Event::Listed(kind, items) => {
                *self.target(kind) = items.into_iter().map(|v| (name(&v), v)).collect();
                if kind == Kind::Applications {
                    self.listed = true;
                    self.error = None;
                }
                self.contact = Some(Instant::now());
            }
            Event::Upsert(kind, v) => {
                self.target(kind).insert(name(&v), v);
                self.contact = Some(Instant::now());
            }
            Event::Delete(kind, n) => {
                self.target(kind).remove(&n);
                self.contact = Some(Instant::now());
            }
            Event::Contact(kind) => {
                self.contact = Some(Instant::now());
                if kind == Kind::Applications && self.listed && self.error.is_some() {
                    self.error = None;
                    return true;
                }
                return false;
            }
            // What was listed stays: it is stale until the server answers again (`Contact`
            // clears the error), never blanked.
            Event::Failed(Kind::Applications, e) => self.error = Some(e),
            // ApplicationSets and AppProjects refine the picture; without them guards say
            // "unknown" instead of the dashboard going blank.
            Event::Failed(kind, e) => {
                log::warn!("{}: {e}", kind.plural());
                return false;
            }
        }
        true
    }

    fn target(&mut self, kind: Kind) -> &mut HashMap<String, Arc<Value>> {
        match kind {
            Kind::Applications => &mut self.apps,
            Kind::ApplicationSets => &mut self.related.appsets,
            Kind::AppProjects => &mut self.related.projects,
        }
    }
}

/// Start watching a namespace of a cluster; the view is published on every change until
/// every receiver is gone.
pub fn start(
    client: Client,
    namespace: &str,
    deadline: Duration,
    label: &str,
) -> watch::Receiver<Arc<View>> {
    let (publish, receiver) = watch::channel(Arc::new(View::default()));
    let (tx, mut rx) = mpsc::channel(256);
    let mut followers = Vec::new();
    for kind in [Kind::Applications, Kind::ApplicationSets, Kind::AppProjects] {
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), namespace, &resource(kind));
        followers.push(tokio::spawn(follow(
            api,
            kind,
            deadline,
            tx.clone(),
            label.to_string(),
        )));
    }
    drop(tx);
    tokio::spawn(async move {
        let mut view = View::default();
        let mut published = Instant::now();
        loop {
            tokio::select! {
                _ = publish.closed() => break,
                event = rx.recv() => match event {
                    Some(e) => {
                        let mut changed = view.apply(e);
                        // Everything already queued goes out as one change.
                        while let Ok(more) = rx.try_recv() {
                            changed |= view.apply(more);
                        }
                        if changed || published.elapsed() >= CONTACT_EVERY {
                            publish.send_replace(Arc::new(view.clone()));
                            published = Instant::now();
                        }
                    }
                    None => break,
                },
            }
        }
        for f in followers {
            f.abort();
        }
    });
    receiver
}

/// How a region's Applications are found in a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The region has its own cluster: every Application in it is the region's.
    PerRegion,
    /// One hub cluster holds every region's Applications; a region's are those whose
    /// destination is the region's.
    Hub,
}

/// The region's applications by tenant, from a view.
pub fn region_apps(
    fleet: &Fleet,
    region: &str,
    mode: Mode,
    view: &View,
) -> Vec<(String, AppState)> {
    let destination_of = fleet
        .region(region)
        .and_then(|r| r.cluster.as_ref())
        .and_then(|c| c.destination.clone())
        .unwrap_or_else(|| region.to_string());
    let in_region = |app: &Value| match mode {
        Mode::PerRegion => true,
        Mode::Hub => {
            let (name, server, _) = destination(app);
            name == Some(destination_of.as_str()) || server == Some(destination_of.as_str())
        }
    };
    let mut out = Vec::new();
    for t in fleet.tenants_in(region) {
        let found: Option<&Arc<Value>> = match &t.applicationset {
            Some(set) => {
                let mut owned: Vec<&Arc<Value>> = view
                    .apps
                    .values()
                    .filter(|a| owner_name(a) == Some(set.as_str()) && in_region(a))
                    .collect();
                owned.sort_by_key(|a| {
                    a.pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
                match owned.as_slice() {
                    [one] => Some(*one),
                    many => many.iter().copied().find(|a| {
                        a.pointer("/metadata/name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| n.contains(region))
                    }),
                }
            }
            None => view.apps.get(&t.argo_app_in(region)),
        };
        if let Some(app) = found {
            out.push((t.id.clone(), app_state(app, &view.related)));
        }
    }
    out
}
