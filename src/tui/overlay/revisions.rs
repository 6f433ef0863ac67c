//! Choosing the revision to roll a tenant back to, from its deployment history.

use super::Outcome;
use crate::actions::{Action, Request};
use crate::state::{FleetState, HistoryEntry};
use crate::tui::command::Command;

/// The history of one tenant in one region, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionPicker {
    pub tenant: String,
    pub region: String,
    pub current: String,
    pub auto_sync: bool,
    pub entries: Vec<HistoryEntry>,
    pub cursor: usize,
}

impl RevisionPicker {
    /// Fails with a reason when the app's history is not known.
    pub fn new(state: &FleetState, tenant: &str, region: &str) -> Result<RevisionPicker, String> {
        let observed = state
            .tenant(tenant)
            .and_then(|t| t.app(region))
            .ok_or_else(|| format!("{tenant} does not run in {region}"))?;
        let app = observed.value.as_ref().ok_or_else(|| {
            format!(
                "{tenant} in {region}: history unknown ({})",
                observed.error.as_deref().unwrap_or("not read yet")
            )
        })?;
        let entries: Vec<HistoryEntry> = app.history.iter().rev().cloned().collect();
        // Start on the newest entry that is not what runs now: the usual rollback target.
        let cursor = entries
            .iter()
            .position(|e| *e.revision != *app.revision)
            .unwrap_or(0);
        Ok(RevisionPicker {
            tenant: tenant.to_string(),
            region: region.to_string(),
            current: app.revision.to_string(),
            auto_sync: app.auto_sync,
            entries,
            cursor,
        })
    }

    pub fn command(&mut self, cmd: Command) -> Outcome {
        let last = self.entries.len().saturating_sub(1);
        match cmd {
            Command::MoveUp => self.cursor = self.cursor.saturating_sub(1),
            Command::MoveDown => self.cursor = (self.cursor + 1).min(last),
            Command::GoTop => self.cursor = 0,
            Command::GoBottom => self.cursor = last,
            Command::Cancel => return Outcome::Close,
            Command::Accept => {
                let Some(e) = self.entries.get(self.cursor) else {
                    return Outcome::Close;
                };
                return Outcome::OpenPlan(Box::new(Request::new(Action::Rollback {
                    tenant: self.tenant.clone(),
                    region: self.region.clone(),
                    to: Some(e.id.to_string()),
                    via: Some(crate::actions::Via::Argocd),
                })));
            }
            _ => {}
        }
        Outcome::Stay
    }
}
