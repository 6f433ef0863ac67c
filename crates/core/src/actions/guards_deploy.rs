//! The guards of a Helm deploy (`meridian deploy`): a release mid-operation, a release that
//! Argo CD owns, the target region's health, and a deploy whose rendered diff is unknown.
//! The production reason is the common `reason-required` guard.

use serde::{Deserialize, Serialize};

use super::plan::{Check, Guard};
use meridian_model::state::{AppState, FleetState, HealthStatus, HelmRelease};

/// What a deploy changes, rendered before it runs (deployed manifest vs the new render):
/// pure data, so the plan can show it and the audit record keeps it whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployDiff {
    /// One line: counts, objects, image changes.
    pub summary: String,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// "Deployment/shop/web web: app:1.4.2 -> app:1.5.0".
    pub images: Vec<String>,
    /// The whole per-object diff (the evidence).
    pub text: String,
    /// Helm found no such release when rendering: the deploy installs it.
    #[serde(default)]
    pub first_install: bool,
}

impl DeployDiff {
    /// The plan's view of a rendered diff (object names as `Kind/namespace/name`).
    pub fn of(d: &meridian_providers::kube::manifest_diff::ManifestDiff) -> DeployDiff {
        DeployDiff {
            summary: d.summary(),
            added: d.added.iter().map(ToString::to_string).collect(),
            changed: d.changed.iter().map(|(k, _)| k.to_string()).collect(),
            removed: d.removed.iter().map(ToString::to_string).collect(),
            images: d
                .images
                .iter()
                .map(|i| {
                    format!(
                        "{} {}: {} -> {}",
                        i.object,
                        i.container,
                        i.from.as_deref().unwrap_or("(none)"),
                        i.to.as_deref().unwrap_or("(none)")
                    )
                })
                .collect(),
            text: d.text(),
            first_install: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// A release in `pending-*` is mid-operation (or died mid-way): a deploy now would fail or
/// stack on it. No release yet is a first install.
pub fn deploy_helm_pending(release: Option<&HelmRelease>) -> Check {
    let Some(release) = release else {
        return Check::pass(Guard::HelmPending, "no release yet: a first install");
    };
    match release.latest().filter(|r| r.status.is_pending()) {
        Some(r) => Check::block(
            Guard::HelmPending,
            format!(
                "release {} revision {} is {}: another Helm operation is in progress or died mid-way; wait, or fix the release (helm history / helm rollback) before deploying",
                release.name,
                r.revision,
                r.status.as_str()
            ),
        ),
        None => Check::pass(Guard::HelmPending, "no Helm operation in progress"),
    }
}

/// An Argo CD app that owns the release would put its own render back: deploy through Git.
pub fn deploy_argo_managed(release: &str, argo_app: Option<&AppState>) -> Check {
    match argo_app {
        Some(app) => Check::block(
            Guard::ArgoManaged,
            format!(
                "Argo CD application {} manages this tenant here: a `helm upgrade` of {release} would be undone by Argo CD; deploy through Git (change the app's source) instead",
                app.name
            ),
        ),
        None => Check::pass(
            Guard::ArgoManaged,
            "no Argo CD application manages the release",
        ),
    }
}

/// Deploying into a region that is not healthy hides whether the deploy broke it: unknown
/// health warns, degraded or down blocks (overridable, for a fix-forward).
pub fn deploy_target_health(state: &FleetState, region: &str) -> Check {
    let status = state
        .region(region)
        .map(|r| r.health_status())
        .unwrap_or(HealthStatus::Unknown);
    match status {
        HealthStatus::Healthy => Check::pass(Guard::HealthGate, format!("{region} is healthy")),
        HealthStatus::Unknown => Check::warn(
            Guard::HealthGate,
            format!("{region}'s health is unknown: the deploy's effect cannot be judged"),
        ),
        other => Check::block(
            Guard::HealthGate,
            format!(
                "{region} is {}: deploy into a healthy region (override health-gate to fix forward)",
                other.as_str()
            ),
        ),
    }
}

/// Without the rendered diff nobody knows what the deploy changes; an empty diff still
/// writes a revision (warn).
pub fn deploy_diff_known(diff: Option<&DeployDiff>) -> Check {
    match diff {
        None => Check::block(
            Guard::RevisionUnknown,
            "the deploy's rendered diff is unknown (`helm template` was not run or failed)",
        ),
        Some(d) if d.is_empty() => Check::warn(
            Guard::NoChange,
            format!(
                "the render changes no object ({}): Helm still writes a new revision",
                d.summary
            ),
        ),
        Some(d) => Check::pass(Guard::NoChange, d.summary.clone()),
    }
}

#[cfg(test)]
mod tests;
