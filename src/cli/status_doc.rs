//! The `status --json` document, written straight to its output. The tenant matrix of a
//! 100-region x 1,000-tenant fleet is 100,000 cells (tens of MB of JSON): building it whole
//! as a `serde_json::Value` first took a second and 330 MB, so each cell is built, written
//! and dropped in turn.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value, json};

use crate::fleet::{Fleet, Tenant};
use crate::state::{FleetState, TenantState, rfc3339};

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
}

impl Serialize for Cells<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.tenant;
        let mut seq = s.serialize_seq(Some(t.regions.len()))?;
        for (i, region) in t.regions.iter().enumerate() {
            // One cell at a time: built, written and dropped.
            seq.serialize_element(&cell(t, self.state, i, region))?;
        }
        seq.end()
    }
}

/// One tenant cell: the app in that region (and the Helm release, for Helm tenants).
fn cell(t: &Tenant, ts: Option<&TenantState>, i: usize, region: &str) -> Value {
    let o = ts.and_then(|ts| ts.app_at(i, region));
    let app = o.and_then(|o| o.value.as_ref());
    let mut cell = json!({
        "region": region,
        // The name the provider read it by, else the configured one.
        "app": app.map(|a| a.name.clone()).unwrap_or_else(|| t.argo_app_in(region)),
        "sync": app.map(|a| a.sync.as_str()).unwrap_or("Unknown"),
        "health": app.map(|a| a.health.as_str()).unwrap_or("Unknown"),
        "revision": app.map(|a| a.revision.clone()),
        "auto_sync": app.map(|a| a.auto_sync),
        "message": app.and_then(|a| a.message.clone()),
        "observed_at": o.and_then(|o| o.at).map(rfc3339),
        "error": o.and_then(|o| o.error.clone()),
    });
    if let Some(a) = app {
        super::status_argo::extend_cell(&mut cell, a);
    }
    if t.helm.is_some() {
        let r = ts.and_then(|ts| ts.release(region));
        cell["helm"] = super::status_argo::helm_json(t, r);
    }
    cell
}
