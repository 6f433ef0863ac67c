//! A tenant's Helm release in one region: its revisions as Helm's storage records them.

use serde::{Deserialize, Serialize};

use super::Millis;

/// A release revision's status, as Helm writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HelmStatus {
    Deployed,
    Superseded,
    Failed,
    Uninstalling,
    Uninstalled,
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
    Unknown,
}

impl HelmStatus {
    pub fn parse(s: &str) -> HelmStatus {
        match s {
            "deployed" => HelmStatus::Deployed,
            "superseded" => HelmStatus::Superseded,
            "failed" => HelmStatus::Failed,
            "uninstalling" => HelmStatus::Uninstalling,
            "uninstalled" => HelmStatus::Uninstalled,
            "pending-install" => HelmStatus::PendingInstall,
            "pending-upgrade" => HelmStatus::PendingUpgrade,
            "pending-rollback" => HelmStatus::PendingRollback,
            _ => HelmStatus::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HelmStatus::Deployed => "deployed",
            HelmStatus::Superseded => "superseded",
            HelmStatus::Failed => "failed",
            HelmStatus::Uninstalling => "uninstalling",
            HelmStatus::Uninstalled => "uninstalled",
            HelmStatus::PendingInstall => "pending-install",
            HelmStatus::PendingUpgrade => "pending-upgrade",
            HelmStatus::PendingRollback => "pending-rollback",
            HelmStatus::Unknown => "unknown",
        }
    }

    /// Another Helm operation holds the release (or died holding it).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            HelmStatus::PendingInstall | HelmStatus::PendingUpgrade | HelmStatus::PendingRollback
        )
    }
}

/// One revision of a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelmRevision {
    pub revision: u32,
    pub status: HelmStatus,
    pub chart: String,
    pub chart_version: String,
    pub app_version: String,
    pub updated: Option<Millis>,
    pub description: String,
}

impl HelmRevision {
    /// `checkout-1.4.0`, as `helm history` shows the chart.
    pub fn chart_label(&self) -> String {
        format!("{}-{}", self.chart, self.chart_version)
    }
}

/// A Helm release and its revisions, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HelmRelease {
    pub name: String,
    pub namespace: String,
    pub revisions: Vec<HelmRevision>,
}

impl HelmRelease {
    /// The newest revision (what Helm acts on next).
    pub fn latest(&self) -> Option<&HelmRevision> {
        self.revisions.iter().max_by_key(|r| r.revision)
    }

    /// The revision that is deployed, if one is.
    pub fn deployed(&self) -> Option<&HelmRevision> {
        self.revisions
            .iter()
            .rev()
            .find(|r| r.status == HelmStatus::Deployed)
    }

    pub fn revision(&self, n: u32) -> Option<&HelmRevision> {
        self.revisions.iter().find(|r| r.revision == n)
    }

    /// The default rollback target: the newest revision below the deployed one.
    pub fn previous(&self) -> Option<&HelmRevision> {
        let current = self.deployed().or(self.latest())?.revision;
        self.revisions
            .iter()
            .filter(|r| r.revision < current)
            .max_by_key(|r| r.revision)
    }
}
