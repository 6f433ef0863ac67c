//! An Argo CD Application object (with its ApplicationSet and AppProject) read into an
//! `AppState`. Only what meridian models is read; writes are merge patches of exactly the
//! fields meridian changes, so nothing unmodelled is ever lost.

use std::collections::HashMap;
use std::sync::Arc;

use kube::api::DynamicObject;
use serde_json::{Map, Value};

use super::applicationset;
use meridian_model::state::{
    AppCondition, AppDetail, AppHealth, AppSetOwner, AppState, Detail, HistoryEntry, HookResult,
    Millis, OperationInfo, OperationPhase, PausedAutoSync, SyncStatus, SyncWindow,
};

/// The annotation that keeps the `automated` block meridian paused, so it can be put back.
pub const PAUSED_ANNOTATION: &str = "meridian.dev/paused-auto-sync";

/// The ApplicationSets and AppProjects of a namespace, by name, as last read.
#[derive(Debug, Clone, Default)]
pub struct Related {
    pub appsets: HashMap<String, Arc<Value>>,
    pub projects: HashMap<String, Arc<Value>>,
}

fn s<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// RFC 3339 text as milliseconds since the epoch.
pub fn parse_time(text: &str) -> Option<Millis> {
    humantime::parse_rfc3339(text)
        .or_else(|_| humantime::parse_rfc3339_weak(text))
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as Millis)
}

/// The ApplicationSet that owns an Application (its controller ownerReference).
pub fn owner_name(app: &Value) -> Option<&str> {
    app.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| s(r, "/kind") == Some("ApplicationSet"))
        .and_then(|r| s(r, "/name"))
}

/// `spec.syncPolicy.automated` when auto-sync is on (present and not `enabled: false`).
pub fn automated(app: &Value) -> Option<&Value> {
    let a = app.pointer("/spec/syncPolicy/automated")?;
    let on = a.is_object() && a.get("enabled").and_then(Value::as_bool) != Some(false);
    on.then_some(a)
}

/// `spec.destination` as (name or server, namespace), for hub matching and sync windows.
pub fn destination(app: &Value) -> (Option<&str>, Option<&str>, Option<&str>) {
    (
        s(app, "/spec/destination/name"),
        s(app, "/spec/destination/server"),
        s(app, "/spec/destination/namespace"),
    )
}

fn history(app: &Value) -> Vec<HistoryEntry> {
    let Some(list) = app.pointer("/status/history").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|h| {
            let revision = s(h, "/revision")
                .or_else(|| s(h, "/revisions/0"))
                .unwrap_or_default()
                .to_string();
            Some(HistoryEntry {
                id: u32::try_from(h.get("id")?.as_u64()?).ok()?,
                revision,
                deployed_at: s(h, "/deployedAt").and_then(parse_time).unwrap_or(0),
                source: h.get("source").or_else(|| h.pointer("/sources/0")).cloned(),
                initiated_by: initiator(h.get("initiatedBy")),
            })
        })
        .collect()
}

fn initiator(by: Option<&Value>) -> Option<String> {
    let by = by?;
    if by.get("automated").and_then(Value::as_bool) == Some(true) {
        return Some("auto-sync".into());
    }
    s(by, "/username").map(str::to_string)
}

fn operation(app: &Value) -> Option<OperationInfo> {
    let requested = app.get("operation").is_some_and(|o| !o.is_null());
    let state = app.pointer("/status/operationState");
    if !requested && state.is_none_or(Value::is_null) {
        return None;
    }
    let state = state.cloned().unwrap_or(Value::Null);
    let phase = s(&state, "/phase").and_then(OperationPhase::parse);
    let revision = s(&state, "/syncResult/revision")
        .or_else(|| s(&state, "/operation/sync/revision"))
        .or_else(|| s(app, "/operation/sync/revision"))
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let by = state
        .pointer("/operation/initiatedBy")
        .or_else(|| app.pointer("/operation/initiatedBy"));
    Some(OperationInfo {
        requested,
        phase,
        message: s(&state, "/message").map(str::to_string),
        revision,
        started_at: s(&state, "/startedAt").and_then(parse_time),
        finished_at: s(&state, "/finishedAt").and_then(parse_time),
        initiated_by: initiator(by),
        hooks: hooks(&state),
    })
}

/// The hooks of an operation: `syncResult.resources` entries with a `hookType` (Argo CD
/// leaves it empty for resources that are not hooks).
pub(super) fn hooks(state: &Value) -> Vec<HookResult> {
    let Some(resources) = state
        .pointer("/syncResult/resources")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    resources
        .iter()
        .filter_map(|r| {
            let hook_type = s(r, "/hookType").filter(|t| !t.is_empty())?;
            let text = |k: &str| s(r, k).filter(|v| !v.is_empty()).map(str::to_string);
            Some(HookResult {
                hook_type: hook_type.to_string(),
                kind: s(r, "/kind").unwrap_or("?").to_string(),
                name: s(r, "/name").unwrap_or("?").to_string(),
                namespace: text("/namespace"),
                phase: text("/hookPhase"),
                message: text("/message"),
            })
        })
        .collect()
}

fn paused(app: &Value, related: &Related, auto_sync: bool) -> Option<PausedAutoSync> {
    if let Some(text) = s(
        app,
        &format!("/metadata/annotations/{}", escape(PAUSED_ANNOTATION)),
    ) && let Ok(v) = serde_json::from_str::<Value>(text)
    {
        return Some(PausedAutoSync {
            automated: v.get("automated").cloned().unwrap_or(Value::Null),
            by: s(&v, "/by").unwrap_or("?").to_string(),
            at: s(&v, "/at").unwrap_or("?").to_string(),
            reason: s(&v, "/reason").map(str::to_string),
        });
    }
    // An ApplicationSet that keeps hand-set syncPolicy but not annotations drops the note;
    // its template still says what auto-sync should be.
    let owner = owner_name(app)?;
    let set = related.appsets.get(owner)?;
    if auto_sync || !applicationset::preserves_sync_policy(set, s(app, "/metadata/name")?) {
        return None;
    }
    let template = automated_in(set.pointer("/spec/template/spec/syncPolicy/automated")?)?;
    Some(PausedAutoSync {
        automated: template.clone(),
        by: format!("ApplicationSet {owner} (its template)"),
        at: String::new(),
        reason: None,
    })
}

fn automated_in(a: &Value) -> Option<&Value> {
    (a.is_object() && a.get("enabled").and_then(Value::as_bool) != Some(false)).then_some(a)
}

/// JSON pointer escaping of a key (`/` and `~`).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn sync_windows(app: &Value, related: &Related) -> Option<Vec<SyncWindow>> {
    let project = related.projects.get(s(app, "/spec/project")?)?;
    let name = s(app, "/metadata/name").unwrap_or_default();
    let (dest_name, dest_server, dest_ns) = destination(app);
    let list = project
        .pointer("/spec/syncWindows")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let strings = |w: &Value, key: &str| -> Vec<String> {
        w.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(
        list.iter()
            .map(|w| SyncWindow {
                kind: s(w, "/kind").unwrap_or("allow").to_string(),
                schedule: s(w, "/schedule").unwrap_or_default().to_string(),
                duration: s(w, "/duration").unwrap_or_default().to_string(),
                applications: strings(w, "applications"),
                namespaces: strings(w, "namespaces"),
                clusters: strings(w, "clusters"),
                manual_sync: w.get("manualSync").and_then(Value::as_bool) == Some(true),
                time_zone: s(w, "/timeZone").map(str::to_string),
            })
            .filter(|w| {
                meridian_model::state::windows::applies_to(
                    w,
                    name,
                    dest_ns,
                    dest_name.or(dest_server),
                )
            })
            .collect(),
    )
}

/// What meridian reads of an Application, and nothing else. A watched cluster keeps every
/// Application for as long as the dashboard runs, and a real one carries its managed
/// resources, managedFields and last-applied annotation: tens of KB each, which on 100
/// clusters was half the dashboard's memory. `app_state` reads the slim copy exactly as it
/// reads the whole object (tested below); keep the two lists in step.
pub fn slim(obj: DynamicObject) -> Value {
    let DynamicObject {
        metadata, mut data, ..
    } = obj;
    let mut meta = Map::new();
    let mut put = |key: &str, v: Option<String>| {
        if let Some(v) = v {
            meta.insert(key.into(), Value::String(v));
        }
    };
    put("name", metadata.name);
    put("namespace", metadata.namespace);
    put("resourceVersion", metadata.resource_version);
    let owners: Vec<Value> = (metadata.owner_references.unwrap_or_default().into_iter())
        .filter(|r| r.kind == "ApplicationSet")
        .map(|r| serde_json::json!({"kind": r.kind, "name": r.name}))
        .collect();
    if !owners.is_empty() {
        meta.insert("ownerReferences".into(), owners.into());
    }
    if let Some(note) = metadata
        .annotations
        .and_then(|mut a| a.remove(PAUSED_ANNOTATION))
    {
        let note = Map::from_iter([(PAUSED_ANNOTATION.to_string(), Value::String(note))]);
        meta.insert("annotations".into(), note.into());
    }
    let mut out = Map::from_iter([("metadata".to_string(), Value::Object(meta))]);
    for path in [
        "/spec/project",
        "/spec/syncPolicy/automated",
        "/spec/destination",
        "/status/sync/status",
        "/status/sync/revision",
        "/status/health/status",
        "/status/health/message",
        "/status/history",
        "/status/operationState",
        "/status/conditions",
        "/operation",
    ] {
        if let Some(v) = data.pointer_mut(path).map(Value::take) {
            insert_at(&mut out, path, v);
        }
    }
    Value::Object(out)
}

/// Put `v` at a JSON pointer of plain keys, making the objects on the way.
fn insert_at(root: &mut Map<String, Value>, pointer: &str, v: Value) {
    let mut keys: Vec<&str> = pointer.split('/').skip(1).collect();
    let Some(last) = keys.pop() else { return };
    let mut at = root;
    for k in keys {
        let next = at.entry(k).or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(m) = next else { return };
        at = m;
    }
    at.insert(last.to_string(), v);
}

/// Read an Application into the state meridian shows and plans from.
pub fn app_state(app: &Value, related: &Related) -> AppState {
    let history = history(app);
    let op = operation(app);
    let running = op
        .as_ref()
        .and_then(|o| o.phase)
        .is_some_and(OperationPhase::is_active);
    let revision = match (&op, running) {
        (Some(o), true) if o.revision.is_some() => o.revision.clone(),
        _ => history.last().map(|h| h.revision.clone()),
    }
    .or_else(|| s(app, "/status/sync/revision").map(str::to_string))
    .unwrap_or_default();
    let auto = automated(app);
    let auto_sync = auto.is_some();
    let flag = |k: &str| auto.and_then(|a| a.get(k)).and_then(Value::as_bool) == Some(true);
    let conditions: Vec<AppCondition> = app
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| AppCondition {
                    kind: s(c, "/type").unwrap_or("Unknown").to_string(),
                    message: s(c, "/message").unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let failed_op = op.as_ref().filter(|o| {
        matches!(
            o.phase,
            Some(OperationPhase::Failed | OperationPhase::Error)
        )
    });
    let message = s(app, "/status/health/message")
        .map(str::to_string)
        .or_else(|| {
            conditions
                .first()
                .map(|c| format!("{}: {}", c.kind, c.message))
        })
        .or_else(|| failed_op.and_then(|o| o.message.clone()));
    let name = s(app, "/metadata/name").unwrap_or_default().to_string();
    let owner = owner_name(app).map(|o| AppSetOwner {
        name: o.to_string(),
        preserves_sync_policy: related
            .appsets
            .get(o)
            .map(|set| applicationset::preserves_sync_policy(set, &name)),
    });
    AppState {
        sync: match s(app, "/status/sync/status") {
            Some("Synced") => SyncStatus::Synced,
            Some("OutOfSync") => SyncStatus::OutOfSync,
            _ => SyncStatus::Unknown,
        },
        health: match s(app, "/status/health/status") {
            Some("Healthy") => AppHealth::Healthy,
            Some("Progressing") => AppHealth::Progressing,
            Some("Degraded") => AppHealth::Degraded,
            Some("Suspended") => AppHealth::Suspended,
            Some("Missing") => AppHealth::Missing,
            _ => AppHealth::Unknown,
        },
        revision: revision.into(),
        auto_sync,
        history: history.into(),
        message: message.map(Into::into),
        head: s(app, "/status/sync/revision").map(Into::into),
        prune: flag("prune"),
        self_heal: flag("selfHeal"),
        detail: Detail::new(AppDetail {
            operation: op.map(Box::new),
            conditions,
            owner: owner.map(Box::new),
            paused: paused(app, related, auto_sync).map(Box::new),
            project: s(app, "/spec/project").map(Into::into),
            sync_windows: sync_windows(app, related).map(Into::into),
            namespace: s(app, "/metadata/namespace").map(Into::into),
            resource_version: s(app, "/metadata/resourceVersion").map(str::to_string),
        }),
        name: name.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app() -> Value {
        json!({
            "metadata": {"name": "checkout-eu", "namespace": "argocd", "resourceVersion": "42",
                         "ownerReferences": [{"kind": "ApplicationSet", "name": "checkout"}]},
            "spec": {"project": "fleet", "syncPolicy": {"automated": {"prune": true}},
                     "destination": {"server": "https://kubernetes.default.svc", "namespace": "checkout"}},
            "status": {
                "sync": {"status": "Synced", "revision": "bbbb"},
                "health": {"status": "Healthy"},
                "history": [
                    {"id": 0, "revision": "aaaa", "deployedAt": "2026-01-01T10:00:00Z", "source": {"path": "a"}},
                    {"id": 1, "revision": "bbbb", "deployedAt": "2026-01-02T10:00:00Z", "source": {"path": "a"},
                     "initiatedBy": {"automated": true}},
                ],
                "operationState": {"phase": "Succeeded", "syncResult": {"revision": "bbbb"},
                                   "operation": {"sync": {"revision": "bbbb"}, "initiatedBy": {"automated": true}}},
            }
        })
    }

    #[test]
    fn an_application_reads_into_its_state() {
        let a = app_state(&app(), &Related::default());
        assert_eq!(&*a.name, "checkout-eu");
        assert_eq!((a.sync, a.health), (SyncStatus::Synced, AppHealth::Healthy));
        assert_eq!(&*a.revision, "bbbb");
        assert!(a.auto_sync && a.prune && !a.self_heal);
        assert_eq!(a.history.len(), 2);
        assert_eq!(a.history[1].initiated_by.as_deref(), Some("auto-sync"));
        assert_eq!(a.history[0].source, Some(json!({"path": "a"})));
        assert_eq!(a.history[0].deployed_at, 1_767_261_600_000);
        assert_eq!(a.operation_in_progress(), None);
        assert_eq!(a.detail.resource_version.as_deref(), Some("42"));
        let owner = a.detail.owner.clone().unwrap_or_else(|| panic!("owner"));
        assert_eq!(
            (owner.name.as_str(), owner.preserves_sync_policy),
            ("checkout", None)
        );
    }

    #[test]
    fn a_running_operation_shows_its_revision_and_blocks() {
        let mut v = app();
        v["status"]["operationState"] = json!({"phase": "Running",
            "operation": {"sync": {"revision": "cccc"}, "initiatedBy": {"username": "ana"}}});
        let a = app_state(&v, &Related::default());
        assert_eq!(&*a.revision, "cccc");
        assert!(
            a.operation_in_progress()
                .is_some_and(|w| w.contains("Running") && w.contains("ana"))
        );
        v["status"]["operationState"]["phase"] = json!("Succeeded");
        v["operation"] = json!({"sync": {"revision": "dddd"}});
        let a = app_state(&v, &Related::default());
        assert!(
            a.operation_in_progress().is_some(),
            "a requested operation blocks too"
        );
    }

    /// Everything a real Application carries that meridian does not read, around what it does.
    fn whole_application() -> Value {
        let mut v = app();
        v["apiVersion"] = json!("argoproj.io/v1alpha1");
        v["kind"] = json!("Application");
        v["metadata"]["annotations"] = json!({
            PAUSED_ANNOTATION: r#"{"automated":{"prune":true},"by":"ana@h","at":"2026-01-01T00:00:00Z"}"#,
            "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(4000)});
        v["metadata"]["ownerReferences"] = json!([
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": "u1"},
            {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "name": "checkout", "uid": "u2"}]);
        v["metadata"]["managedFields"] = json!([{"manager": "argocd", "operation": "Update",
            "fieldsV1": {"f:status": {"f:resources": {}}}}]);
        v["metadata"]["labels"] = json!({"team": "payments"});
        v["spec"]["source"] = json!({"repoURL": "https://git.example/x", "path": "a"});
        v["spec"]["destination"]["name"] = json!("eu-west-1");
        v["spec"]["syncPolicy"]["syncOptions"] = json!(["CreateNamespace=true"]);
        v["status"]["sync"]["comparedTo"] = json!({"source": {"path": "a"}});
        v["status"]["health"]["message"] = json!("1 pod pending");
        v["status"]["conditions"] = json!([{"type": "SyncError", "message": "boom"}]);
        v["status"]["resources"] =
            json!((0..200)
            .map(|i| json!({"kind": "Deployment", "name": format!("d{i}"), "status": "Synced"}))
            .collect::<Vec<_>>());
        v["status"]["summary"] = json!({"images": ["x:1"]});
        v["operation"] = json!({"sync": {"revision": "dddd"}, "initiatedBy": {"username": "ana"}});
        v
    }

    #[test]
    fn the_slim_copy_reads_as_the_whole_application() {
        let whole = whole_application();
        let related = Related {
            appsets: HashMap::from([(
                "checkout".to_string(),
                Arc::new(json!({"spec": {"syncPolicy": {"applicationsSync": "create-only"}}})),
            )]),
            projects: HashMap::from([(
                "fleet".to_string(),
                Arc::new(json!({"spec": {"syncWindows": [
                    {"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "namespaces": ["checkout"]},
                    {"kind": "allow", "schedule": "0 1 * * *", "duration": "1h", "namespaces": ["other"]}]}})),
            )]),
        };
        let obj: DynamicObject =
            serde_json::from_value(whole.clone()).unwrap_or_else(|e| panic!("{e}"));
        let slim = slim(obj);
        let from_whole = app_state(&whole, &related);
        assert_eq!(app_state(&slim, &related), from_whole);
        // The test means something only if the whole object sets what is compared.
        let d = &from_whole.detail;
        assert!(d.paused.is_some() && d.owner.is_some() && d.operation.is_some());
        assert_eq!(d.sync_windows.as_ref().map(|w| w.len()), Some(1));
        assert_eq!(from_whole.message.as_deref(), Some("1 pod pending"));
        assert_eq!(destination(&slim), destination(&whole));
        assert_eq!(owner_name(&slim), Some("checkout"));
        let size = |v: &Value| v.to_string().len();
        assert!(
            size(&slim) * 10 < size(&whole),
            "{} of {}",
            size(&slim),
            size(&whole)
        );
    }

    #[test]
    fn enabled_false_means_auto_sync_is_off() {
        let mut v = app();
        v["spec"]["syncPolicy"]["automated"]["enabled"] = json!(false);
        assert!(!app_state(&v, &Related::default()).auto_sync);
    }

    #[test]
    fn the_paused_note_is_read_back() {
        let mut v = app();
        v["metadata"]["annotations"] = json!({PAUSED_ANNOTATION:
            r#"{"automated":{"prune":true,"selfHeal":true},"by":"ana@h","at":"2026-01-01T00:00:00Z","reason":"INC-1"}"#});
        let p = app_state(&v, &Related::default())
            .detail
            .paused
            .clone()
            .unwrap_or_else(|| panic!("paused"));
        assert_eq!(p.automated, json!({"prune": true, "selfHeal": true}));
        assert_eq!(
            (p.by.as_str(), p.reason.as_deref()),
            ("ana@h", Some("INC-1"))
        );
    }
}
