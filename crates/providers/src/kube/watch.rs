//! Watching one kind of Argo CD object in one namespace of one cluster: list, then watch
//! from the list's resourceVersion, re-watch when the server ends the watch, re-list on
//! 410 Gone, and back off on errors. Every step has a deadline, so a cluster that accepts
//! connections and never answers is reported within it instead of hanging a region.
//!
//! This is kube-rs's `Api::list`/`Api::watch` driven by hand rather than its `watcher`,
//! because the watcher does not let a caller bound the wait for an answer.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::Api;
use kube::api::{DynamicObject, ListParams, WatchEvent, WatchParams};
use serde_json::Value;
use tokio::sync::mpsc;

use super::error::api_error;
use crate::{ApiMeter, ProviderError};

/// How long the server keeps one watch open; it is re-opened from the last version after.
pub const WATCH_SECONDS: u32 = 50;
/// First and longest pause after an error.
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(15);

/// The kinds a view follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Applications,
    ApplicationSets,
    AppProjects,
}

impl Kind {
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Applications => "applications",
            Kind::ApplicationSets => "applicationsets",
            Kind::AppProjects => "appprojects",
        }
    }
}

/// What a watch loop tells the view's owner.
#[derive(Debug)]
pub enum Event {
    /// A complete list: replace everything of this kind.
    Listed(Kind, Vec<Arc<Value>>),
    Upsert(Kind, Arc<Value>),
    Delete(Kind, String),
    /// The server answered (a watch opened, a bookmark came): the data is current.
    Contact(Kind),
    Failed(Kind, ProviderError),
}

/// The object as JSON, for reading with JSON pointers: what meridian reads of an
/// Application (there are hundreds per cluster, each kept as long as the watch runs), the
/// whole of an ApplicationSet or AppProject (a handful).
pub fn kept(kind: Kind, obj: DynamicObject) -> Option<Arc<Value>> {
    match kind {
        Kind::Applications => Some(Arc::new(super::application::slim(obj))),
        _ => serde_json::to_value(obj).ok().map(Arc::new),
    }
}

fn name_of(obj: &DynamicObject) -> String {
    obj.metadata.name.clone().unwrap_or_default()
}

/// Follow one kind until the receiver goes away.
pub async fn follow(
    api: Api<DynamicObject>,
    kind: Kind,
    deadline: Duration,
    tx: mpsc::Sender<Event>,
    label: String,
) {
    let call = format!("argocd watch {}", kind.plural());
    let mut backoff = BACKOFF_MIN;
    let fail = |e: ProviderError| Event::Failed(kind, e);
    loop {
        // List: the whole kind, and the version to watch from.
        let listed = tokio::time::timeout(deadline, api.list(&ListParams::default())).await;
        let mut version = match listed {
            Ok(Ok(list)) => {
                ApiMeter::global().record("kube", false);
                let version = list.metadata.resource_version.unwrap_or_default();
                let items = list
                    .items
                    .into_iter()
                    .filter_map(|o| kept(kind, o))
                    .collect();
                if tx.send(Event::Listed(kind, items)).await.is_err() {
                    return;
                }
                backoff = BACKOFF_MIN;
                version
            }
            failed => {
                let e = bounded_error(failed, &label, &call, deadline);
                if !report(&tx, fail(e), &mut backoff).await {
                    return;
                }
                continue;
            }
        };
        // Watch from that version until the server says it is too old.
        let mut quiet_retry = true;
        loop {
            let params = WatchParams::default().timeout(WATCH_SECONDS);
            let opened = tokio::time::timeout(deadline, api.watch(&params, &version)).await;
            let stream = match opened {
                Ok(Ok(s)) => {
                    quiet_retry = true;
                    s
                }
                // Re-opening goes over the connection the last watch used; if the server or
                // a load balancer closed it meanwhile, the request fails at once. Try once
                // more on a new connection before calling the region broken.
                Ok(Err(e)) if quiet_retry && !matches!(e, kube::Error::Api(_)) => {
                    quiet_retry = false;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                failed => {
                    let e = bounded_error(failed, &label, &call, deadline);
                    if !report(&tx, fail(e), &mut backoff).await {
                        return;
                    }
                    continue;
                }
            };
            ApiMeter::global().record("kube", false);
            if tx.send(Event::Contact(kind)).await.is_err() {
                return;
            }
            let mut stream = Box::pin(stream);
            // The server ends the watch after WATCH_SECONDS; silence well past that is a dead
            // connection.
            let silence = Duration::from_secs(u64::from(WATCH_SECONDS)) + deadline;
            let mut relist = false;
            loop {
                let next = match tokio::time::timeout(silence, stream.next()).await {
                    Ok(n) => n,
                    Err(_) => {
                        let e = ProviderError::timed_out(Some(&label), &call, silence);
                        let _ = tx.send(fail(e)).await;
                        break;
                    }
                };
                let event = match next {
                    None => break, // the server ended the watch: open it again
                    Some(Ok(ev)) => ev,
                    Some(Err(e)) => {
                        let _ = tx.send(fail(api_error(Some(&label), &call, &e))).await;
                        pause(&mut backoff).await;
                        break;
                    }
                };
                let msg = match event {
                    WatchEvent::Added(o) | WatchEvent::Modified(o) => {
                        version = o.metadata.resource_version.clone().unwrap_or(version);
                        kept(kind, o).map(|v| Event::Upsert(kind, v))
                    }
                    WatchEvent::Deleted(o) => {
                        version = o.metadata.resource_version.clone().unwrap_or(version);
                        Some(Event::Delete(kind, name_of(&o)))
                    }
                    WatchEvent::Bookmark(b) => {
                        version = b.metadata.resource_version;
                        Some(Event::Contact(kind))
                    }
                    WatchEvent::Error(status) if status.code == 410 => {
                        relist = true;
                        None
                    }
                    WatchEvent::Error(status) => {
                        let e = api_error(Some(&label), &call, &kube::Error::Api(status));
                        Some(Event::Failed(kind, e))
                    }
                };
                if relist {
                    break;
                }
                if let Some(m) = msg {
                    backoff = BACKOFF_MIN;
                    if tx.send(m).await.is_err() {
                        return;
                    }
                }
            }
            if relist {
                break;
            }
        }
    }
}

/// Why a call bounded by `deadline` failed: the API said so, or the deadline passed.
fn bounded_error<T, Elapsed>(
    failed: Result<Result<T, kube::Error>, Elapsed>,
    label: &str,
    call: &str,
    deadline: Duration,
) -> ProviderError {
    match failed {
        Ok(Err(e)) => api_error(Some(label), call, &e),
        _ => ProviderError::timed_out(Some(label), call, deadline),
    }
}

/// Tell the owner a region failed, then wait out the backoff; false once nobody listens.
async fn report(tx: &mpsc::Sender<Event>, event: Event, backoff: &mut Duration) -> bool {
    if tx.send(event).await.is_err() {
        return false;
    }
    pause(backoff).await;
    true
}

async fn pause(backoff: &mut Duration) {
    tokio::time::sleep(*backoff).await;
    *backoff = (*backoff * 2).min(BACKOFF_MAX);
}
