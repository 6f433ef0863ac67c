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
    pub lock: Option<Spanned<RawCapability>>,
    /// Polling budgets per provider family, in calls per minute.
    pub budget: Option<Spanned<toml::Table>>,
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
    pub health: Option<Spanned<RawCapability>>,
    pub lag: Option<Spanned<RawCapability>>,
    pub database: Option<Spanned<RawCapability>>,
    pub cluster: Option<Spanned<RawCluster>>,
    pub sim: Option<RawRegionSim>,
}

/// `cluster = { context = "...", kubeconfig = "...", destination = "..." }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    pub context: Option<Spanned<String>>,
    pub kubeconfig: Option<String>,
    pub destination: Option<String>,
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
    pub applicationset: Option<Spanned<String>>,
    pub helm: Option<Spanned<RawCapability>>,
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
    pub steps: Vec<RawStep>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawStep {
    Name(String),
    Full { name: String, run: Option<String> },
}
