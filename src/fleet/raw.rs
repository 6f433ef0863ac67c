//! The fleet file exactly as written, with the location of every value that validation may
//! need to point at. `fleet::load` turns this into a `Fleet` or a located error.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFleet {
    pub fleet: RawMeta,
    #[serde(default)]
    pub policy: RawPolicy,
    pub traffic: Option<Spanned<RawCapability>>,
    pub gitops: Option<Spanned<RawCapability>>,
    pub runner: Option<Spanned<RawCapability>>,
    /// Defaults for every HTTP probe of the fleet.
    pub probe_defaults: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub regions: Vec<Spanned<RawRegion>>,
    #[serde(default)]
    pub tenants: Vec<Spanned<RawTenant>>,
    #[serde(default)]
    pub phases: Vec<Spanned<RawPhase>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub seed: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub rpo_budget: Option<Spanned<String>>,
    pub health_gate: Option<Spanned<String>>,
    pub production_environments: Option<Vec<String>>,
    #[serde(default)]
    pub confirm: RawConfirm,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawConfirm {
    pub drain: Option<Spanned<String>>,
    pub restore: Option<Spanned<String>>,
    pub set_weights: Option<Spanned<String>>,
    pub promote: Option<Spanned<String>>,
    pub run_phase: Option<Spanned<String>>,
    pub rollback: Option<Spanned<String>>,
}

/// `{ provider = "...", <provider-specific keys> }`
#[derive(Debug, Deserialize)]
pub struct RawCapability {
    pub provider: Option<Spanned<String>>,
    #[serde(flatten)]
    pub settings: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    pub id: Spanned<String>,
    pub name: Option<String>,
    pub cloud_region: Option<String>,
    pub role: Spanned<String>,
    pub steady_weight: Spanned<i64>,
    pub set_identifier: Option<String>,
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// One capability table, or a list of them (the verdict is the worst).
    pub health: Option<Spanned<toml::Value>>,
    pub lag: Option<Spanned<RawCapability>>,
    pub database: Option<Spanned<RawCapability>>,
    pub sim: Option<RawRegionSim>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegionSim {
    pub phases_done: Option<usize>,
    pub weight: Option<Spanned<i64>>,
    pub latency_ms: Option<f64>,
    pub lag_seconds: Option<f64>,
    #[serde(default)]
    pub fail_once: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTenant {
    pub id: Spanned<String>,
    pub environment: Spanned<String>,
    pub regions: Spanned<Vec<Spanned<String>>>,
    pub argo_app: Option<String>,
    pub helm_release: Option<String>,
    pub sim: Option<RawTenantSim>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTenantSim {
    pub auto_sync: Option<bool>,
    pub history: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub id: Spanned<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub steps: Vec<Spanned<RawStep>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawStep {
    Name(String),
    Full(RawStepTable),
}

/// `{ name, run, check, timeout, workdir, env }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStepTable {
    pub name: String,
    pub run: Option<RawCommand>,
    pub check: Option<RawCommand>,
    pub timeout: Option<String>,
    pub workdir: Option<String>,
    pub env: Option<std::collections::BTreeMap<String, String>>,
}

/// A string for `sh -c`, or an argv list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawCommand {
    Shell(String),
    Argv(Vec<String>),
}
