//! The `/` filter: a regex over what each row says in words (region id, role, health,
//! tenant id, environment, sync and health states), applied to every pane at once.

use regex::{Regex, RegexBuilder};

use crate::fleet::Fleet;
use crate::state::FleetState;

/// The filter being typed or in effect.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub text: String,
    pub regex: Option<Regex>,
    /// Why the text is not a valid regex (the previous one stays in effect).
    pub error: Option<String>,
    pub editing: bool,
}

impl Filter {
    pub fn start(&mut self) {
        self.editing = true;
    }

    pub fn push(&mut self, c: char) {
        self.text.push(c);
        self.compile();
    }

    pub fn pop(&mut self) {
        self.text.pop();
        self.compile();
    }

    pub fn clear(&mut self) {
        *self = Filter::default();
    }

    pub fn is_active(&self) -> bool {
        self.regex.is_some()
    }

    fn compile(&mut self) {
        if self.text.is_empty() {
            self.regex = None;
            self.error = None;
            return;
        }
        // Case-insensitive: at 03:00 nobody remembers whether it is OutOfSync or outofsync.
        match RegexBuilder::new(&self.text)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
        {
            Ok(r) => {
                self.regex = Some(r);
                self.error = None;
            }
            Err(e) => {
                let msg = e.to_string();
                self.error = Some(
                    msg.lines()
                        .last()
                        .unwrap_or("invalid regex")
                        .trim()
                        .to_string(),
                );
            }
        }
    }

    fn hit(&self, text: &str) -> bool {
        self.regex.as_ref().is_none_or(|r| r.is_match(text))
    }

    /// Region `i` is shown when its own words match, or any tenant cell in it does.
    pub fn region_visible(&self, fleet: &Fleet, state: &FleetState, i: usize) -> bool {
        if self.regex.is_none() {
            return true;
        }
        let Some(r) = fleet.regions.get(i) else {
            return false;
        };
        let s = state.region(&r.id);
        let role = s.and_then(|s| s.role.value).unwrap_or(r.role).as_str();
        let health = s.map(|s| s.health_status().as_str()).unwrap_or("unknown");
        if self.hit(&format!("{} {} {role} {health}", r.id, r.name)) {
            return true;
        }
        fleet
            .tenants_in(&r.id)
            .any(|t| self.hit(&cell_words(state, &t.id, &t.environment, &r.id)))
    }

    /// Tenant `i` is shown when its id, environment or any of its cells match.
    pub fn tenant_visible(&self, fleet: &Fleet, state: &FleetState, i: usize) -> bool {
        if self.regex.is_none() {
            return true;
        }
        let Some(t) = fleet.tenants.get(i) else {
            return false;
        };
        t.regions
            .iter()
            .any(|r| self.hit(&cell_words(state, &t.id, &t.environment, r)))
    }
}

/// What a tenant cell says, in words.
fn cell_words(state: &FleetState, tenant: &str, env: &str, region: &str) -> String {
    let app = state
        .tenant(tenant)
        .and_then(|t| t.app(region))
        .and_then(|a| a.value.as_ref());
    let (sync, health) = app
        .map(|a| (a.sync.as_str(), a.health.as_str()))
        .unwrap_or(("Unknown", "Unknown"));
    format!("{tenant} {env} {region} {sync} {health}")
}
