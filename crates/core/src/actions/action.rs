//! A request: an action (`fleet::Action`) with everything the operator said about it,
//! and the rollout step it belongs to.

use serde::{Deserialize, Serialize};

pub use meridian_model::fleet::{Action, Via};

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
    /// For a deploy: its rendered diff, made before planning (`helm template` against
    /// `helm get manifest`), so the plan stays pure data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_diff: Option<Box<super::guards_deploy::DeployDiff>>,
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
            deploy_diff: None,
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
