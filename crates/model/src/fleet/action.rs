//! The actions an operator can take, by their stable kebab-case names: keymaps, the
//! palette, rollout steps and the audit log all refer to them.

use serde::{Deserialize, Serialize};

use crate::traffic::Ask;

/// One thing an operator asks meridian to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(tag = "action", rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Action {
    /// Take a region out of rotation (weight 0, or its endpoint disabled).
    Drain { region: String },
    /// Put regions back to their steady weights (all regions when the list is empty).
    Restore { regions: Vec<String> },
    /// Set explicit weights, in provider units or as shares (`90%`). Values are kept as
    /// asked so the range guard can name a bad one.
    SetWeights { weights: Vec<(String, Ask)> },
    /// Make a secondary the database primary.
    Promote { region: String },
    /// Make a fenced old primary (or a replica following anything but the writer) a
    /// replica of the writer again; never a writer.
    Rejoin { region: String },
    /// Run the steps of one phase in a region.
    RunPhase { region: String, phase: String },
    /// Return a tenant in a region to an earlier revision (the previous one by default).
    Rollback {
        tenant: String,
        region: String,
        to: Option<String>,
        /// Roll back through Argo CD or Helm; default Helm for tenants with a `helm`
        /// release, else Argo CD.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<Via>,
    },
    /// Ask Argo CD to sync a tenant's app to its target (or to a given revision).
    Sync {
        tenant: String,
        region: String,
        revision: Option<String>,
    },
    /// Put back the auto-sync that a rollback paused.
    ResumeAutoSync { tenant: String, region: String },
    /// Open a region to new tenants in the routing layer, or close it (`signups`).
    Signups { region: String, open: bool },
    /// Point a tenant's routing entry at another home region (its data is not moved).
    TenantMove { tenant: String, to: String },
    /// Upgrade (or install) a tenant's Helm release in one region with the real `helm
    /// upgrade --install --wait`: the chart in its `helm` table at a `version`, with
    /// `--set` pairs and `--values` files, in the order given.
    Deploy {
        tenant: String,
        region: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        set: Vec<(String, String)>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        values: Vec<String>,
    },
}

/// Which backend a rollback goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    Argocd,
    Helm,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Argocd => "argocd",
            Via::Helm => "helm",
        }
    }
}

impl Action {
    /// The stable kebab-case name.
    pub fn name(&self) -> &'static str {
        self.into()
    }

    /// A verb for buttons and messages: "Drain", "Set weights", ...
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Drain { .. } => "Drain",
            Action::Restore { .. } => "Restore",
            Action::SetWeights { .. } => "Set weights",
            Action::Promote { .. } => "Promote",
            Action::Rejoin { .. } => "Rejoin",
            Action::RunPhase { .. } => "Run",
            Action::Rollback { .. } => "Roll back",
            Action::Sync { .. } => "Sync",
            Action::ResumeAutoSync { .. } => "Resume auto-sync",
            Action::Signups { open: true, .. } => "Open sign-ups in",
            Action::Signups { open: false, .. } => "Close sign-ups in",
            Action::TenantMove { .. } => "Move tenant",
            Action::Deploy { .. } => "Deploy",
        }
    }
}
