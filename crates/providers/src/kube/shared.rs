//! The shared store of a fleet with `[lock] provider = "kube"`: one ConfigMap per document,
//! in the Lease's context and namespace, named `<lease>.<kind>.<key>` and labelled
//! `meridian.dev/store=<lease>`, `meridian.dev/kind=<kind>` so a store's documents are
//! listed and watched with one selector. The exact kind and key are annotations and the
//! JSON is `data["doc.json"]`.
//!
//! One object per document rather than one per kind: each approval, each record and the
//! rollout then has its own resourceVersion, so writers of different documents never
//! conflict, a compare-and-swap covers exactly the document read, and no object nears the
//! 1 MiB limit however many approvals pile up.
//!
//! Writes carry the resourceVersion read: a replace over someone else's write is 409, which
//! `put_if` reports as `Swap::Conflict` (`shared_store::update` re-reads and re-applies) and
//! `put` as an error that says to re-read and retry. Every call has a deadline.
//!
//! Sync over async: the `SharedStore` trait is sync (see there), and its callers run on the
//! CLI's multi-threaded runtime, the dashboard's loop, or test runtimes with one thread. The
//! store therefore owns a small runtime on a thread of its own, with its own client, and
//! each call is a task there whose answer the caller waits for (with `block_in_place` when
//! the caller is a worker of a multi-threaded runtime, so that runtime keeps working). A
//! client's connections belong to the runtime that made them, which is why the store does
//! not borrow the fleet's clients. Reads of `get` and `list` come from a cache fed by a
//! watch once something asks for `changes` (the dashboard); before that, and always for
//! `get_versioned` (the read a compare-and-swap starts from), they ask the API server.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::client::Clients;
use super::error::describe_kube;
use super::lease::LeasePlace;
use crate::store::{SharedStore, StoreError, Swap, Versioned};
use meridian_model::fleet::Fleet;

/// Most one call to the API server may take.
const CALL_DEADLINE: Duration = Duration::from_secs(10);
/// Pause before a watch whose client could not be built tries again.
const RETRY: Duration = Duration::from_secs(2);

pub const LABEL_STORE: &str = "meridian.dev/store";
pub const LABEL_KIND: &str = "meridian.dev/kind";
const LABEL_MANAGED: &str = "app.kubernetes.io/managed-by";
const ANN_KIND: &str = "meridian.dev/kind";
const ANN_KEY: &str = "meridian.dev/key";
/// The data key holding the document.
pub const DOC: &str = "doc.json";

fn short_hash(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A name segment: the text itself when it is already a DNS label (lowercase letters,
/// digits, '-', at most 63, starting and ending with a letter or digit); else a readable
/// form of it and a hash of the original, so two different keys never share a name.
pub fn segment(s: &str) -> String {
    let plain = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if plain {
        return s.to_string();
    }
    let mut readable: String = s
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    readable.truncate(40);
    let readable = readable.trim_matches('-');
    if readable.is_empty() {
        format!("x{}", short_hash(s))
    } else {
        format!("{readable}-{}", short_hash(s))
    }
}

/// The ConfigMap of one document: `<lease>.<kind>.<key>` (a DNS subdomain: the segments
/// hold no dots, so the name splits back unambiguously).
pub fn object_name(lease: &str, kind: &str, key: &str) -> String {
    format!("{}.{}.{}", segment(lease), segment(kind), segment(key))
}

/// A label value (at most 63 characters of letters, digits, '-', '_', '.').
pub fn label_value(s: &str) -> String {
    segment(s)
}

/// Where one fleet's documents are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Place(LeasePlace);

impl Place {
    fn selector(&self, kind: Option<&str>) -> String {
        let mut s = format!("{LABEL_STORE}={}", label_value(&self.0.name));
        if let Some(k) = kind {
            s += &format!(",{LABEL_KIND}={}", label_value(k));
        }
        s
    }

    fn describe(&self) -> String {
        format!(
            "ConfigMaps {LABEL_STORE}={} in namespace {} (context {})",
            label_value(&self.0.name),
            self.0.namespace,
            self.0.target.context
        )
    }
}

/// A ConfigMap as a document: (kind, key, document and version).
fn decode(cm: &ConfigMap) -> Option<(String, String, Versioned)> {
    let ann = cm.metadata.annotations.as_ref()?;
    let kind = ann.get(ANN_KIND)?.clone();
    let key = ann.get(ANN_KEY)?.clone();
    let text = cm.data.as_ref()?.get(DOC)?;
    let doc = serde_json::from_str(text).ok()?;
    let version = cm.metadata.resource_version.clone()?;
    Some((kind, key, Versioned { doc, version }))
}

/// What the watch keeps: every document of the store, by object name.
#[derive(Default)]
struct Cache {
    started: bool,
    synced: bool,
    docs: BTreeMap<String, (String, String, Versioned)>,
}

/// ConfigMaps next to the fleet's Lease.
pub struct KubeStore {
    place: Place,
    clients: Arc<Clients>,
    handle: tokio::runtime::Handle,
    cache: Arc<Mutex<Cache>>,
    changed: Arc<watch::Sender<u64>>,
}

impl std::fmt::Debug for KubeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.place.describe())
    }
}

/// The runtime the stores' calls and watches run on: one thread, for the whole process.
fn runtime() -> Result<tokio::runtime::Handle, String> {
    static HANDLE: OnceLock<Result<tokio::runtime::Handle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let handle = rt.handle().clone();
            std::thread::Builder::new()
                .name("meridian-shared-store".into())
                .spawn(move || rt.block_on(std::future::pending::<()>()))
                .map_err(|e| e.to_string())?;
            Ok(handle)
        })
        .clone()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl KubeStore {
    /// The store of a fleet with `[lock] provider = "kube"`, shared by every caller in this
    /// process (one client, one watch). None for other fleets, or (logged) when no thread
    /// can be started for it.
    pub fn for_fleet(fleet: &Fleet) -> Option<Arc<KubeStore>> {
        static STORES: OnceLock<Mutex<HashMap<LeasePlace, Arc<KubeStore>>>> = OnceLock::new();
        let place = LeasePlace::of(fleet)?;
        let mut stores = lock(STORES.get_or_init(Default::default));
        if let Some(s) = stores.get(&place) {
            return Some(s.clone());
        }
        let handle = match runtime() {
            Ok(h) => h,
            Err(e) => {
                log::error!("the shared store's thread could not start: {e}");
                return None;
            }
        };
        let (changed, _) = watch::channel(0);
        let store = Arc::new(KubeStore {
            place: Place(place.clone()),
            clients: Clients::new(),
            handle,
            cache: Arc::default(),
            changed: Arc::new(changed),
        });
        stores.insert(place, store.clone());
        Some(store)
    }

    fn fail(&self, what: &str, why: impl std::fmt::Display) -> StoreError {
        StoreError {
            what: format!("{what} in {}", self.place.describe()),
            why: why.to_string(),
        }
    }

    /// Run `f` (given the ConfigMaps API) on the store's runtime within the deadline, and
    /// wait for its answer here.
    fn call<T, F, Fut>(&self, what: String, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Api<ConfigMap>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        let clients = self.clients.clone();
        let target = self.place.0.target.clone();
        let namespace = self.place.0.namespace.clone();
        let place = self.place.describe();
        let what2 = what.clone();
        self.handle.spawn(async move {
            let fail = |why: String| StoreError {
                what: format!("{what2} in {place}"),
                why,
            };
            let work = async {
                let client = clients
                    .get(&target, None)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                crate::ApiMeter::global().record("kube", false);
                f(Api::namespaced(client, &namespace)).await
            };
            let out = match tokio::time::timeout(CALL_DEADLINE, work).await {
                Ok(r) => r,
                Err(_) => Err(fail(format!(
                    "no answer within {}s; check the cluster is reachable (`kubectl --context {} get configmaps`)",
                    CALL_DEADLINE.as_secs(),
                    target.context
                ))),
            };
            let _ = tx.send(out);
        });
        let wait = || rx.recv_timeout(CALL_DEADLINE + Duration::from_secs(2));
        let answer = match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(wait)
            }
            _ => wait(),
        };
        answer.map_err(|_| self.fail(&what, "the store's thread did not answer"))?
    }

    /// Keep the cache's copy of a document current after our own write.
    fn remember(&self, name: &str, cm: Option<&ConfigMap>) {
        let mut cache = lock(&self.cache);
        if !cache.started {
            return;
        }
        match cm.and_then(decode) {
            Some(d) => {
                cache.docs.insert(name.to_string(), d);
            }
            None => {
                cache.docs.remove(name);
            }
        }
        drop(cache);
        self.changed.send_modify(|n| *n += 1);
    }

    fn object(&self, kind: &str, key: &str, doc: &Value, version: Option<&str>) -> ConfigMap {
        let name = object_name(&self.place.0.name, kind, key);
        let labels = BTreeMap::from([
            (LABEL_MANAGED.to_string(), "meridian".to_string()),
            (LABEL_STORE.to_string(), label_value(&self.place.0.name)),
            (LABEL_KIND.to_string(), label_value(kind)),
        ]);
        let annotations = BTreeMap::from([
            (ANN_KIND.to_string(), kind.to_string()),
            (ANN_KEY.to_string(), key.to_string()),
        ]);
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some(self.place.0.namespace.clone()),
                labels: Some(labels),
                annotations: Some(annotations),
                resource_version: version.map(str::to_string),
                ..ObjectMeta::default()
            },
            data: Some(BTreeMap::from([(DOC.to_string(), doc.to_string())])),
            ..ConfigMap::default()
        }
    }

    /// Start the watch that feeds the cache, once.
    fn start_watch(&self) {
        {
            let mut cache = lock(&self.cache);
            if cache.started {
                return;
            }
            cache.started = true;
        }
        let clients = self.clients.clone();
        let place = self.place.clone();
        let cache = self.cache.clone();
        let changed = self.changed.clone();
        self.handle.spawn(async move {
            let client = loop {
                match clients.get(&place.0.target, None).await {
                    Ok(c) => break c,
                    Err(e) => {
                        log::warn!("watching {}: {e}", place.describe());
                        tokio::time::sleep(RETRY).await;
                    }
                }
            };
            let api: Api<ConfigMap> = Api::namespaced(client, &place.0.namespace);
            let config = watcher::Config::default().labels(&place.selector(None));
            let mut events = watcher(api, config).default_backoff().boxed();
            let mut buffer = BTreeMap::new();
            while let Some(event) = events.next().await {
                let name = |cm: &ConfigMap| cm.metadata.name.clone().unwrap_or_default();
                match event {
                    Ok(watcher::Event::Init) => buffer.clear(),
                    Ok(watcher::Event::InitApply(cm)) => {
                        if let Some(d) = decode(&cm) {
                            buffer.insert(name(&cm), d);
                        }
                        continue;
                    }
                    Ok(watcher::Event::InitDone) => {
                        let mut c = lock(&cache);
                        c.docs = std::mem::take(&mut buffer);
                        c.synced = true;
                    }
                    Ok(watcher::Event::Apply(cm)) => {
                        let mut c = lock(&cache);
                        match decode(&cm) {
                            Some(d) => c.docs.insert(name(&cm), d),
                            None => c.docs.remove(&name(&cm)),
                        };
                    }
                    Ok(watcher::Event::Delete(cm)) => {
                        lock(&cache).docs.remove(&name(&cm));
                    }
                    Err(e) => {
                        log::warn!("watching {}: {e} (retrying)", place.describe());
                        continue;
                    }
                }
                changed.send_modify(|n| *n += 1);
            }
        });
    }

    /// The cache's answer, when the watch has listed everything.
    fn cached<T>(&self, f: impl FnOnce(&Cache) -> T) -> Option<T> {
        let cache = lock(&self.cache);
        cache.synced.then(|| f(&cache))
    }

    fn check_key(
        &self,
        kind: &str,
        key: &str,
        found: Option<(String, String, Versioned)>,
    ) -> Result<Option<Versioned>, StoreError> {
        match found {
            None => Ok(None),
            Some((k, y, v)) if k == kind && y == key => Ok(Some(v)),
            Some((k, y, _)) => Err(self.fail(
                &object_name(&self.place.0.name, kind, key),
                format!("it holds {k}/{y}, not {kind}/{key} (two keys share a name); remove it with kubectl if {k}/{y} is not needed"),
            )),
        }
    }
}

fn not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

fn conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

impl SharedStore for KubeStore {
    fn get(&self, kind: &str, key: &str) -> Result<Option<Value>, StoreError> {
        let name = object_name(&self.place.0.name, kind, key);
        if let Some(found) = self.cached(|c| c.docs.get(&name).cloned()) {
            return Ok(self.check_key(kind, key, found)?.map(|v| v.doc));
        }
        Ok(self.get_versioned(kind, key)?.map(|v| v.doc))
    }

    fn get_versioned(&self, kind: &str, key: &str) -> Result<Option<Versioned>, StoreError> {
        let name = object_name(&self.place.0.name, kind, key);
        let n = name.clone();
        let cm = self.call(format!("get ConfigMap {name}"), move |api| async move {
            api.get_opt(&n).await.map_err(|e| StoreError {
                what: format!("get ConfigMap {n}"),
                why: describe_kube(&e),
            })
        })?;
        let Some(cm) = cm else {
            return Ok(None);
        };
        let Some(found) = decode(&cm) else {
            return Err(self.fail(
                &format!("ConfigMap {name}"),
                format!("it has no {DOC} that is JSON, or lacks meridian's annotations; delete it (`kubectl delete configmap {name}`) to start afresh"),
            ));
        };
        self.check_key(kind, key, Some(found))
    }

    fn put(&self, kind: &str, key: &str, doc: &Value) -> Result<(), StoreError> {
        let current = self.get_versioned(kind, key)?;
        match self.put_if(kind, key, doc, current.as_ref().map(|v| v.version.as_str()))? {
            Swap::Written => Ok(()),
            Swap::Conflict => Err(self.fail(
                &object_name(&self.place.0.name, kind, key),
                "someone else wrote it between our read and our write; re-read it and try again",
            )),
        }
    }

    fn put_if(
        &self,
        kind: &str,
        key: &str,
        doc: &Value,
        expected: Option<&str>,
    ) -> Result<Swap, StoreError> {
        let obj = self.object(kind, key, doc, expected);
        let name = obj.metadata.name.clone().unwrap_or_default();
        let n = name.clone();
        let create = expected.is_none();
        let written = self.call(format!("write ConfigMap {name}"), move |api| async move {
            let pp = PostParams::default();
            let r = if create {
                api.create(&pp, &obj).await
            } else {
                api.replace(&n, &pp, &obj).await
            };
            match r {
                Ok(cm) => Ok(Some(cm)),
                // Exists already (create), or not at that version, or gone (replace).
                Err(e) if conflict(&e) || not_found(&e) => Ok(None),
                Err(e) => Err(StoreError {
                    what: format!("write ConfigMap {n}"),
                    why: describe_kube(&e),
                }),
            }
        })?;
        match written {
            Some(cm) => {
                self.remember(&name, Some(&cm));
                Ok(Swap::Written)
            }
            None => Ok(Swap::Conflict),
        }
    }

    fn list(&self, kind: &str) -> Result<Vec<(String, Value)>, StoreError> {
        let pick = |docs: Vec<(String, String, Versioned)>| {
            let mut out: Vec<(String, Value)> = docs
                .into_iter()
                .filter(|(k, _, _)| k == kind)
                .map(|(_, key, v)| (key, v.doc))
                .collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            out
        };
        if let Some(docs) = self.cached(|c| c.docs.values().cloned().collect::<Vec<_>>()) {
            return Ok(pick(docs));
        }
        let selector = self.place.selector(Some(kind));
        let listed = self.call(
            format!("list ConfigMaps {selector}"),
            move |api| async move {
                api.list(&ListParams::default().labels(&selector))
                    .await
                    .map_err(|e| StoreError {
                        what: format!("list ConfigMaps {selector}"),
                        why: describe_kube(&e),
                    })
            },
        )?;
        Ok(pick(listed.items.iter().filter_map(decode).collect()))
    }

    fn remove(&self, kind: &str, key: &str) -> Result<(), StoreError> {
        let name = object_name(&self.place.0.name, kind, key);
        let n = name.clone();
        self.call(format!("delete ConfigMap {name}"), move |api| async move {
            match api.delete(&n, &DeleteParams::default()).await {
                Ok(_) => Ok(()),
                Err(e) if not_found(&e) => Ok(()),
                Err(e) => Err(StoreError {
                    what: format!("delete ConfigMap {n}"),
                    why: describe_kube(&e),
                }),
            }
        })?;
        self.remember(&name, None);
        Ok(())
    }

    fn changes(&self) -> Option<watch::Receiver<u64>> {
        // Subscribe before the watch starts: it runs on another thread, and a receiver made
        // after its first listing would count that listing as already seen.
        let rx = self.changed.subscribe();
        self.start_watch();
        Some(rx)
    }

    fn describe(&self) -> String {
        self.place.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns_subdomain(s: &str) -> bool {
        s.len() <= 253
            && s.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    }

    #[test]
    fn plain_keys_are_kept_and_others_get_a_hash() {
        assert_eq!(
            object_name("meridian-prod", "approvals", "ab12cd"),
            "meridian-prod.approvals.ab12cd"
        );
        assert_eq!(
            object_name("meridian-prod", "approval-requests", "x"),
            "meridian-prod.approval-requests.x"
        );
        let odd = object_name("meridian-prod", "weights", "Drift_Seen.v2");
        assert!(
            odd.starts_with("meridian-prod.weights.drift-seen-v2-"),
            "{odd}"
        );
        assert!(dns_subdomain(&odd), "{odd}");
    }

    #[test]
    fn different_keys_never_share_a_name_and_every_name_is_valid() {
        let keys = [
            "a", "A", "a_", "a-", "-a", "_a", ".", "..", "a.b", "a-b", "A-B", "ä", "", "x",
        ];
        let mut seen = std::collections::HashSet::new();
        for k in keys {
            let n = object_name("meridian-f", "rollout", k);
            assert!(dns_subdomain(&n), "{k:?} -> {n}");
            assert!(seen.insert(n.clone()), "{k:?} -> {n} again");
        }
        let long = "k".repeat(300);
        let n = object_name("meridian-f", "rollout", &long);
        assert!(dns_subdomain(&n), "{n}");
        assert!(label_value(&long).len() <= 63);
    }

    #[test]
    fn a_configmap_decodes_to_its_document() {
        let mut cm = ConfigMap::default();
        assert!(decode(&cm).is_none());
        cm.metadata.resource_version = Some("42".into());
        cm.metadata.annotations = Some(BTreeMap::from([
            (ANN_KIND.to_string(), "rollout".to_string()),
            (ANN_KEY.to_string(), "current".to_string()),
        ]));
        cm.data = Some(BTreeMap::from([(
            DOC.to_string(),
            r#"{"id":"r1"}"#.to_string(),
        )]));
        let (kind, key, v) = decode(&cm).unwrap();
        assert_eq!((kind.as_str(), key.as_str()), ("rollout", "current"));
        assert_eq!(v.version, "42");
        assert_eq!(v.doc, serde_json::json!({"id": "r1"}));
        cm.data = Some(BTreeMap::from([(DOC.to_string(), "not json".to_string())]));
        assert!(decode(&cm).is_none());
    }
}
