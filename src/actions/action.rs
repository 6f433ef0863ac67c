//! The actions an operator can take, by their stable kebab-case names.

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
        }
    }
}

/// An action with everything the operator said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub action: Action,
    pub reason: Option<String>,
    /// Guards the operator chose to override, by name.
    pub overrides: Vec<String>,
    /// Promote even though replication lag is over budget or unknown.
    pub accept_data_loss: bool,
    /// Read-only mode: plans are shown, nothing is executed.
    pub read_only: bool,
    /// Run a phase from its first step even if it could resume at a failed one.
    #[serde(default)]
    pub from_start: bool,
    /// The rollout step this action is, so its audit records carry the rollout's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutRef>,
    /// For a promotion: drain the old writer as the plan's last step (`--drain-old`), or
    /// leave its traffic where it is (`--no-drain-old`). None: drain it when its database
    /// cannot be reached (a failover), else leave it and warn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_old: Option<bool>,
    /// Weights this change sets are meant to hold only this long (a rollout's
    /// `weights = ..., for = "2h"`): recorded as temporary, with an expiry the board raises.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_ms: Option<u64>,
}

/// Which rollout, and which of its steps, an action belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutRef {
    /// The started rollout's id (template id and start time), e.g. "release-1764744000000".
    pub id: String,
    /// The step's index in the rollout, from 0.
    pub step: usize,
}

impl Request {
    pub fn new(action: Action) -> Request {
        Request {
            action,
            reason: None,
            overrides: Vec::new(),
            accept_data_loss: false,
            read_only: false,
            from_start: false,
            rollout: None,
            drain_old: None,
            temporary_ms: None,
        }
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Request {
        self.reason = Some(reason.into());
        self
    }

    pub fn override_guard(mut self, guard: impl Into<String>) -> Request {
        self.overrides.push(guard.into());
        self
    }

    pub fn accept_data_loss(mut self) -> Request {
        self.accept_data_loss = true;
        self
    }

    /// Redo a phase from its first step instead of resuming.
    pub fn from_start(mut self, from_start: bool) -> Request {
        self.from_start = from_start;
        self
    }

    pub fn read_only(mut self, read_only: bool) -> Request {
        self.read_only = read_only;
        self
    }

    /// The reason, if one was given and is not blank.
    pub fn given_reason(&self) -> Option<&str> {
        self.reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
    }
}
