//! Changing an Argo CD Application: merge patches that carry the resourceVersion the plan
//! was checked against (a 409 means someone changed it; nothing is retried blindly), an
//! `operation` written as Argo CD's own API server writes it, and waiting for the
//! application controller to finish it.

use std::time::Duration;

use kube::Api;
use kube::api::{DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::application::PAUSED_ANNOTATION;
use super::error::api_error;
use crate::{ChangeNote, ErrorKind, Progress, ProviderError, ProviderResult};
use meridian_model::state::{now_ms, rfc3339};

/// One Application to change, in one region.
pub struct Target<'a> {
    pub api: Api<DynamicObject>,
    pub name: &'a str,
    pub region: &'a str,
    /// Overall limit for the operation to finish.
    pub timeout: Duration,
    /// Limit for one API call.
    pub deadline: Duration,
}

/// How often the application is read while an operation runs.
const POLL: Duration = Duration::from_millis(300);

impl Target<'_> {
    fn call(&self, what: &str) -> String {
        format!("argocd {what} {}", self.name)
    }

    /// The application as it is now.
    pub async fn get(&self) -> ProviderResult<Value> {
        let call = self.call("get");
        match tokio::time::timeout(self.deadline, self.api.get(self.name)).await {
            Ok(Ok(o)) => serde_json::to_value(o)
                .map_err(|e| ProviderError::new(Some(self.region), call, e.to_string())),
            Ok(Err(e)) => Err(api_error(Some(self.region), &call, &e)),
            Err(_) => Err(ProviderError::timed_out(
                Some(self.region),
                call,
                self.deadline,
            )),
        }
    }

    /// The application, provided it is still the version the plan was checked against.
    pub async fn get_at(&self, version: Option<&str>) -> ProviderResult<Value> {
        let app = self.get().await?;
        let now = app
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str);
        match version {
            Some(v) if now != Some(v) => Err(ProviderError::new(
                Some(self.region),
                self.call("check"),
                format!(
                    "the application changed since the plan was checked (version {v}, now {})",
                    now.unwrap_or("?")
                ),
            )
            .with_kind(ErrorKind::Conflict)
            .with_hint(
                "nothing was written: run the action again to re-read, re-plan and re-confirm",
            )),
            _ => Ok(app),
        }
    }

    /// A merge patch carrying `version`; returns the new version.
    pub async fn patch(
        &self,
        what: &str,
        version: &str,
        mut body: Value,
    ) -> ProviderResult<String> {
        body["metadata"]["resourceVersion"] = json!(version);
        let call = self.call(what);
        let params = PatchParams::default();
        let patch = Patch::Merge(&body);
        let sent = self.api.patch(self.name, &params, &patch);
        let patched = match tokio::time::timeout(self.deadline, sent).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => return Err(api_error(Some(self.region), &call, &e)),
            Err(_) => {
                return Err(ProviderError::timed_out(
                    Some(self.region),
                    call,
                    self.deadline,
                ));
            }
        };
        crate::ApiMeter::global().record("kube", false);
        Ok(patched.metadata.resource_version.unwrap_or_default())
    }
}

/// The resourceVersion of an object read as JSON.
pub fn version_of(app: &Value) -> String {
    app.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Pause auto-sync: remove `automated`, keeping it (and who, when, why) in an annotation.
pub fn pause_body(app: &Value, note: &ChangeNote) -> Value {
    let automated = app
        .pointer("/spec/syncPolicy/automated")
        .cloned()
        .unwrap_or(Value::Null);
    let kept = json!({"automated": automated, "by": note.user, "at": rfc3339(now_ms()), "reason": note.reason});
    json!({
        "metadata": {"annotations": {PAUSED_ANNOTATION: kept.to_string()}},
        "spec": {"syncPolicy": {"automated": null}},
    })
}

/// Put `automated` back and drop the note.
pub fn resume_body(automated: &Value) -> Value {
    json!({
        "metadata": {"annotations": {PAUSED_ANNOTATION: null}},
        "spec": {"syncPolicy": {"automated": automated}},
    })
}

/// A unique id for an operation, so its outcome can be told from others'.
pub fn operation_id() -> String {
    format!("{:x}-{:x}", now_ms(), std::process::id())
}

/// The `operation` Argo CD's API server writes for a sync (or, with a history entry's
/// revision and source and the apply strategy, for a rollback).
pub fn operation_body(sync: Value, note: &ChangeNote, id: &str) -> Value {
    let mut info = vec![json!({"name": "meridian-id", "value": id})];
    if let Some(r) = &note.reason {
        info.push(json!({"name": "Reason", "value": r}));
    }
    json!({"operation": {
        "sync": sync,
        "initiatedBy": {"username": format!("{} (meridian)", note.user)},
        "info": info,
    }})
}

/// Wait until the controller has finished the operation `id`, saying each phase change.
pub async fn wait(target: &Target<'_>, id: &str, progress: &Progress) -> ProviderResult<()> {
    let start = Instant::now();
    let mut last_phase = String::new();
    let ours = |app: &Value| {
        app.pointer("/status/operationState/operation/info")
            .and_then(Value::as_array)
            .is_some_and(|i| {
                i.iter()
                    .any(|x| x["name"] == "meridian-id" && x["value"] == id)
            })
    };
    loop {
        if start.elapsed() > target.timeout {
            return Err(ProviderError::new(
                Some(target.region),
                target.call("wait for operation"),
                format!(
                    "the operation did not finish within {} (last phase: {})",
                    humantime::format_duration(target.timeout),
                    if last_phase.is_empty() { "not started" } else { &last_phase }
                ),
            )
            .with_kind(ErrorKind::Timeout)
            .with_hint(format!(
                "it may still be running in Argo CD: watch it, or stop it with `argocd app terminate-op {}`; raise sync_timeout in [gitops] if syncs are slow",
                target.name
            )));
        }
        let app = target.get().await?;
        let requested = app.get("operation").is_some_and(|o| !o.is_null());
        let phase = app
            .pointer("/status/operationState/phase")
            .and_then(Value::as_str)
            .unwrap_or("");
        let message = app
            .pointer("/status/operationState/message")
            .and_then(Value::as_str)
            .unwrap_or("");
        if ours(&app) {
            if phase != last_phase {
                progress.say(&format!(
                    "{}: operation {phase}{}",
                    target.name,
                    sep(message)
                ));
                last_phase = phase.to_string();
            }
            match phase {
                "Succeeded" if !requested => return Ok(()),
                "Failed" | "Error" if !requested => {
                    // The hook that stopped it says more than Argo CD's summary message.
                    let hook = app
                        .pointer("/status/operationState")
                        .map(super::application::hooks)
                        .unwrap_or_default()
                        .into_iter()
                        .find(|h| h.failed())
                        .map(|h| format!(": {}", h.failure_text()))
                        .unwrap_or_default();
                    return Err(ProviderError::new(
                        Some(target.region),
                        target.call("sync"),
                        format!("the operation ended {phase}{}{hook}", sep(message)),
                    )
                    .with_hint(format!(
                        "see `argocd app get {}` for the failed resources",
                        target.name
                    )));
                }
                _ => {}
            }
        } else if !requested {
            return Err(ProviderError::new(
                Some(target.region),
                target.call("sync"),
                "Argo CD dropped the operation: another one was running when it was written",
            )
            .with_hint("read the app again and re-plan"));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn sep(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// After a successful sync, wait (within what is left of the timeout) for health to settle.
pub async fn settle(
    target: &Target<'_>,
    progress: &Progress,
    started: Instant,
) -> ProviderResult<()> {
    let mut said = false;
    while started.elapsed() < target.timeout {
        let app = target.get().await?;
        let health = app
            .pointer("/status/health/status")
            .and_then(Value::as_str)
            .unwrap_or("Unknown");
        if !matches!(health, "Progressing" | "Missing") {
            progress.say(&format!("{}: health {health}", target.name));
            return Ok(());
        }
        if !said {
            progress.say(&format!(
                "{}: health {health}; waiting for it to settle",
                target.name
            ));
            said = true;
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}
