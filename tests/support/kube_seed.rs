//! Seeds for the Kubernetes stand-in: Argo CD Applications with history, ApplicationSets,
//! AppProjects with sync windows, and Helm release Secrets in Helm's own format.

use serde_json::{Value, json};

use super::kube::KubeStandin;

const APPS: &str = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications";
const APPSETS: &str = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets";
const PROJECTS: &str = "/apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects";

/// An Argo CD Application in `argocd`. Start from `AppSeed::new(name)` and change fields.
#[derive(Clone, Debug)]
pub struct AppSeed<'a> {
    pub name: &'a str,
    pub project: &'a str,
    pub repo: &'a str,
    pub path: &'a str,
    pub target_revision: &'a str,
    /// Deployed revisions, oldest first (history ids 0..); the last one is live.
    pub history: &'a [&'a str],
    /// The branch head; `None` means the last history revision (so the app is Synced).
    pub head: Option<&'a str>,
    pub auto_sync: bool,
    pub labels: &'a [(&'a str, &'a str)],
}

impl<'a> AppSeed<'a> {
    pub fn new(name: &'a str) -> Self {
        AppSeed {
            name,
            project: "default",
            repo: "https://git.example.com/platform/deploy.git",
            path: "apps/checkout",
            target_revision: "main",
            history: &[],
            head: None,
            auto_sync: false,
            labels: &[],
        }
    }

    /// The Application object as a real cluster would hold it after these deployments.
    pub fn to_json(&self) -> Value {
        let source = json!({
            "repoURL": self.repo, "path": self.path, "targetRevision": self.target_revision,
        });
        let history: Vec<Value> = self
            .history
            .iter()
            .enumerate()
            .map(|(i, rev)| {
                let at = format!("2026-01-01T{:02}:00:00Z", 8 + i.min(15));
                json!({"id": i, "revision": rev, "deployedAt": at, "deployStartedAt": at,
                       "source": source, "initiatedBy": {"username": "admin"}})
            })
            .collect();
        let mut annotations = serde_json::Map::new();
        if let Some(head) = self.head.or(self.history.last().copied()) {
            annotations.insert("standin.meridian.dev/head-revision".into(), head.into());
        }
        let labels: serde_json::Map<String, Value> = self
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        let sync_policy = if self.auto_sync {
            json!({"automated": {"prune": true, "selfHeal": true}})
        } else {
            json!({})
        };
        let mut status = json!({"history": history});
        if let Some(last) = self.history.last() {
            status["operationState"] = json!({
                "operation": {"sync": {"revision": last}, "initiatedBy": {"username": "admin"}},
                "phase": "Succeeded", "message": "successfully synced (all tasks run)",
                "startedAt": "2026-01-01T08:00:00Z", "finishedAt": "2026-01-01T08:00:01Z",
                "syncResult": {"revision": last, "source": source, "resources": []},
            });
        }
        json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": self.name, "namespace": "argocd", "labels": labels,
                         "annotations": annotations},
            "spec": {
                "project": self.project, "source": source,
                "destination": {"server": "https://kubernetes.default.svc", "namespace": self.name},
                "syncPolicy": sync_policy,
            },
            "status": status,
        })
    }
}

/// An AppProject sync window (`kind` allow or deny, cron `schedule`, `duration` like "1h").
#[derive(Clone, Debug)]
pub struct SyncWindow<'a> {
    pub kind: &'a str,
    pub schedule: &'a str,
    pub duration: &'a str,
    pub applications: &'a [&'a str],
    pub manual_sync: bool,
}

/// One revision of a Helm release, written as Helm's storage driver writes it.
#[derive(Clone, Debug)]
pub struct HelmRevision<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub version: u32,
    /// deployed, superseded, failed, pending-install, pending-upgrade, pending-rollback, ...
    pub status: &'a str,
    pub chart: &'a str,
    pub chart_version: &'a str,
    pub app_version: &'a str,
    pub manifest: &'a str,
    pub description: &'a str,
}

impl KubeStandin {
    /// Create an Application (status included: Applications have no status subresource).
    pub fn seed_app(&self, cluster: &str, seed: &AppSeed) -> Value {
        self.create(cluster, APPS, &seed.to_json())
    }

    /// Create an ApplicationSet with a list generator whose elements are `{"region": R}`,
    /// generating `{prefix}-{region}` apps; `extra` is merged into its spec (e.g.
    /// `ignoreApplicationDifferences`, `syncPolicy.applicationsSync`).
    pub fn seed_region_appset(
        &self,
        cluster: &str,
        prefix: &str,
        regions: &[&str],
        auto_sync: bool,
        extra: Value,
    ) -> Value {
        let elements: Vec<Value> = regions.iter().map(|r| json!({ "region": r })).collect();
        let sync_policy = if auto_sync {
            json!({"automated": {"prune": true, "selfHeal": true}})
        } else {
            json!({})
        };
        let mut spec = json!({
            "generators": [{"list": {"elements": elements}}],
            "template": {
                "metadata": {"name": format!("{prefix}-{{{{region}}}}"),
                             "labels": {"region": "{{region}}", "app": prefix}},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": "https://git.example.com/platform/deploy.git",
                               "targetRevision": "main", "path": format!("apps/{prefix}/{{{{region}}}}")},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": prefix},
                    "syncPolicy": sync_policy,
                },
            },
        });
        if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        let obj = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
            "metadata": {"name": prefix, "namespace": "argocd"}, "spec": spec,
        });
        self.create(cluster, APPSETS, &obj)
    }

    /// Create an AppProject with these sync windows (the stand-in stores them; it does not
    /// enforce them).
    pub fn seed_project(&self, cluster: &str, name: &str, windows: &[SyncWindow]) -> Value {
        let windows: Vec<Value> = windows
            .iter()
            .map(|w| {
                json!({"kind": w.kind, "schedule": w.schedule, "duration": w.duration,
                       "applications": w.applications, "manualSync": w.manual_sync})
            })
            .collect();
        let obj = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
            "metadata": {"name": name, "namespace": "argocd"},
            "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                     "syncWindows": windows},
        });
        self.create(cluster, PROJECTS, &obj)
    }

    /// Write one Helm release revision as a Secret in Helm's format (through the stand-in's
    /// `helm_release.py`); any status, including the pending ones Helm leaves after a crash.
    pub fn seed_helm_revision(&self, cluster: &str, rev: &HelmRevision) -> Value {
        let body = json!({
            "name": rev.name, "namespace": rev.namespace, "version": rev.version,
            "status": rev.status, "chart": rev.chart, "chartVersion": rev.chart_version,
            "appVersion": rev.app_version, "manifest": rev.manifest, "description": rev.description,
        });
        let path = format!("/_standin/clusters/{cluster}/helm-releases");
        let (code, v) = self.control("POST", &path, &body);
        assert_eq!(code, 200, "seeding helm release {}: {v}", rev.name);
        v
    }

    /// The decoded revisions of a Helm release, oldest first (read from its Secrets).
    pub fn helm_releases(&self, cluster: &str, namespace: &str, name: &str) -> Vec<Value> {
        let path = format!("/_standin/clusters/{cluster}/helm-releases/{namespace}/{name}");
        let (_, v) = self.control("GET", &path, &json!({}));
        v["releases"].as_array().cloned().unwrap_or_default()
    }
}
