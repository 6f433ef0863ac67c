//! The `status --json` document, written straight to its output. The tenant matrix of a
//! 100-region x 1,000-tenant fleet is 100,000 cells (tens of MB of JSON): building it whole
//! as a `serde_json::Value` first took a second and 330 MB, so each cell is built, written
//! and dropped in turn.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value, json};

use super::status_argo;
use crate::fleet::{Fleet, Tenant};
use crate::state::{AppCondition, FleetState, HistoryEntry, TenantState, rfc3339};

/// The whole document: the small sections as values, and the tenant matrix, lazily.
pub struct StatusDoc<'a> {
    pub sections: Map<String, Value>,
    pub tenants: Tenants<'a>,
}

impl StatusDoc<'_> {
    /// Add (or replace) a top-level section, e.g. `api` or `check`.
    pub fn insert(&mut self, key: &str, value: Value) {
        self.sections.insert(key.to_string(), value);
    }
}

impl Serialize for StatusDoc<'_> {
    /// Keys in sorted order, as a `Value` would print them, with `tenants` in its place.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.sections.len() + 1))?;
        let mut placed = false;
        for (k, v) in &self.sections {
            if !placed && k.as_str() > "tenants" {
                map.serialize_entry("tenants", &self.tenants)?;
                placed = true;
            }
            map.serialize_entry(k, v)?;
        }
        if !placed {
            map.serialize_entry("tenants", &self.tenants)?;
        }
        map.end()
    }
}

/// Every tenant of the fleet with its cells.
pub struct Tenants<'a> {
    pub fleet: &'a Fleet,
    pub state: &'a FleetState,
    /// Each cell's Argo CD and Helm history too (`status --json --history`): ten entries a
    /// cell made a 100 x 1,000 fleet's document 189 MB instead of about 60.
    pub history: bool,
}

impl Serialize for Tenants<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.fleet.tenants.len()))?;
        for (i, t) in self.fleet.tenants.iter().enumerate() {
            seq.serialize_element(&TenantDoc {
                environment: &t.environment,
                id: &t.id,
                production: self.fleet.is_production(&t.environment),
                regions: Cells {
                    tenant: t,
                    state: self.state.tenant_at(i, &t.id),
                    history: self.history,
                },
            })?;
        }
        seq.end()
    }
}

/// Fields in sorted order, as the document has always printed them.
#[derive(serde::Serialize)]
struct TenantDoc<'a> {
    environment: &'a str,
    id: &'a str,
    production: bool,
    regions: Cells<'a>,
}

struct Cells<'a> {
    tenant: &'a Tenant,
    state: Option<&'a TenantState>,
    history: bool,
}

impl Serialize for Cells<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.tenant;
        let mut seq = s.serialize_seq(Some(t.regions.len()))?;
        for (i, region) in t.regions.iter().enumerate() {
            seq.serialize_element(&Cell {
                tenant: t,
                state: self.state,
                index: i,
                region,
                history: self.history,
            })?;
        }
        seq.end()
    }
}

/// One tenant cell: the app in that region (and the Helm release, for Helm tenants),
/// written field by field in sorted order. A `Value` per cell spent most of a big fleet's
/// `status --json` in map inserts and frees.
struct Cell<'a> {
    tenant: &'a Tenant,
    state: Option<&'a TenantState>,
    index: usize,
    region: &'a str,
    history: bool,
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (t, region) = (self.tenant, self.region);
        let o = self.state.and_then(|ts| ts.app_at(self.index, region));
        let app = o.and_then(|o| o.value.as_ref());
        let mut m = s.serialize_map(None)?;
        match app {
            // The name the provider read it by, else the configured one.
            Some(a) => m.serialize_entry("app", &a.name)?,
            None => m.serialize_entry("app", &t.argo_app_in(region))?,
        }
        if let Some(a) = app {
            m.serialize_entry("applicationset", &a.detail.owner.as_ref().map(|o| &o.name))?;
        }
        m.serialize_entry("auto_sync", &app.map(|a| a.auto_sync))?;
        if let Some(a) = app {
            m.serialize_entry("conditions", &Conditions(&a.detail.conditions))?;
        }
        m.serialize_entry("error", &o.and_then(|o| o.error.as_ref()))?;
        if let Some(a) = app {
            m.serialize_entry("head", &a.head)?;
        }
        m.serialize_entry(
            "health",
            app.map(|a| a.health.as_str()).unwrap_or("Unknown"),
        )?;
        if t.helm.is_some() {
            let r = self.state.and_then(|ts| ts.release(region));
            m.serialize_entry("helm", &status_argo::helm_json(t, r, self.history))?;
        }
        if let Some(a) = app {
            if self.history {
                m.serialize_entry("history", &History(&a.history))?;
            }
            m.serialize_entry("history_id", &a.history_id())?;
        }
        m.serialize_entry("message", &app.and_then(|a| a.message.as_ref()))?;
        m.serialize_entry("observed_at", &o.and_then(|o| o.at).map(rfc3339))?;
        if let Some(a) = app {
            m.serialize_entry(
                "operation",
                &a.detail
                    .operation
                    .as_deref()
                    .map(status_argo::operation_json),
            )?;
            m.serialize_entry("paused_auto_sync", &a.detail.paused)?;
            m.serialize_entry("project", &a.detail.project)?;
            m.serialize_entry("prune", &a.prune)?;
        }
        m.serialize_entry("region", region)?;
        m.serialize_entry("revision", &app.map(|a| &*a.revision))?;
        if let Some(a) = app {
            m.serialize_entry("self_heal", &a.self_heal)?;
        }
        m.serialize_entry("sync", app.map(|a| a.sync.as_str()).unwrap_or("Unknown"))?;
        m.end()
    }
}

/// An app's Argo CD history, oldest first.
struct History<'a>(&'a [HistoryEntry]);

impl Serialize for History<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|h| {
            json!({"id": h.id, "revision": h.revision, "deployed_at": rfc3339(h.deployed_at),
                   "source": h.source, "initiated_by": h.initiated_by})
        }))
    }
}

/// `status.conditions`, as `{type, message}`.
struct Conditions<'a>(&'a [AppCondition]);

impl Serialize for Conditions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .map(|c| json!({"type": c.kind, "message": c.message})),
        )
    }
}
