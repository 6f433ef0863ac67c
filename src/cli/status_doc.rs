//! The `status --json` document, written straight to its output. The tenant matrix of a
//! 100-region x 1,000-tenant fleet is 100,000 cells (35 MB of JSON): building it as a
//! `serde_json::Value` first took a second and 330 MB, so the matrix is serialised from the
//! fleet and state as it is written, and only the small parts are `Value`s.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

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
        let mut seq = s.serialize_seq(Some(self.tenant.regions.len()))?;
        for (i, region) in self.tenant.regions.iter().enumerate() {
            let o = self.state.and_then(|ts| ts.app_at(i, region));
            let app = o.and_then(|o| o.value.as_ref());
            seq.serialize_element(&CellDoc {
                // The name the provider read it by, else the configured one (the same,
                // without formatting a template per cell).
                app: app
                    .map(|a| Cow::Borrowed(a.name.as_str()))
                    .unwrap_or_else(|| Cow::Owned(self.tenant.argo_app_in(region))),
                auto_sync: app.map(|a| a.auto_sync),
                error: o.and_then(|o| o.error.as_deref()),
                health: app.map(|a| a.health.as_str()).unwrap_or("Unknown"),
                message: app.and_then(|a| a.message.as_deref()),
                observed_at: o.and_then(|o| o.at).map(rfc3339),
                region,
                revision: app.map(|a| &*a.revision),
                sync: app.map(|a| a.sync.as_str()).unwrap_or("Unknown"),
            })?;
        }
        seq.end()
    }
}

#[derive(serde::Serialize)]
struct CellDoc<'a> {
    app: Cow<'a, str>,
    auto_sync: Option<bool>,
    error: Option<&'a str>,
    health: &'a str,
    message: Option<&'a str>,
    observed_at: Option<String>,
    region: &'a str,
    revision: Option<&'a str>,
    sync: &'a str,
}
