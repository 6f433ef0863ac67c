//! The fleet file exactly as written, with the location of every value that validation may
//! need to point at. `fleet::load` turns this into a `Fleet` or a located error.

//!
//! The same types generate the fleet file's JSON Schema (`meridian config schema`): their
//! doc comments become the descriptions an editor shows, and `super::schema` supplies the
//! parts serde cannot describe (each capability's provider-specific keys, durations).

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::model::{ConfirmStrength, Role};
use super::schema as s;

/// A meridian fleet file: regions, tenants, phases and the providers that serve them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "meridian fleet file")]
pub struct RawFleet {
    pub fleet: RawMeta,
    #[serde(default)]
    pub policy: RawPolicy,
    /// How DNS weights are read and changed (one weighted record set per region).
    #[serde(default)]
    #[schemars(schema_with = "s::traffic")]
    pub traffic: Option<Spanned<RawCapability>>,
    /// Where tenants' deployments live (applications and their history).
    #[serde(default)]
    #[schemars(schema_with = "s::gitops")]
    pub gitops: Option<Spanned<RawCapability>>,
    /// What runs the steps of a phase.
    #[serde(default)]
    #[schemars(schema_with = "s::runner")]
    pub runner: Option<Spanned<RawCapability>>,
    /// Defaults for every HTTP probe of the fleet.
    #[serde(default)]
    #[schemars(schema_with = "s::probe_defaults")]
    pub probe_defaults: Option<Spanned<toml::Table>>,
    /// Where the fleet lock lives: the state directory (`file`) or a Kubernetes Lease.
    #[serde(default)]
    #[schemars(schema_with = "s::lock")]
    pub lock: Option<Spanned<RawCapability>>,
    /// Polling budgets per provider family, in calls per minute.
    #[serde(default)]
    #[schemars(schema_with = "s::budget")]
    pub budget: Option<Spanned<toml::Table>>,
    /// Where each tenant's home region and the regions open to sign-ups are kept (the
    /// global routing layer's tenant -> region map).
    #[serde(default)]
    #[schemars(schema_with = "s::tenant_routing")]
    pub tenant_routing: Option<Spanned<RawCapability>>,
    /// Where alarms are read, for `gate = "alarms"`, `meridian wait quiet` and
    /// `status --check`.
    #[serde(default)]
    #[schemars(schema_with = "s::alarms")]
    pub alarms: Option<Spanned<RawCapability>>,
    /// The deployment locations; exactly one is the primary.
    #[serde(default)]
    #[schemars(with = "Vec<RawRegion>")]
    pub regions: Vec<Spanned<RawRegion>>,
    /// Application deployments, each present in some regions.
    #[serde(default)]
    #[schemars(with = "Vec<RawTenant>")]
    pub tenants: Vec<Spanned<RawTenant>>,
    /// The ordered stages of standing a region up.
    #[serde(default)]
    #[schemars(with = "Vec<RawPhase>")]
    pub phases: Vec<Spanned<RawPhase>>,
    /// Rollout templates: ordered steps across regions, with gates between them.
    #[serde(default)]
    #[schemars(with = "Vec<RawRollout>")]
    pub rollouts: Vec<Spanned<RawRollout>>,
}

/// The fleet's name and description.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    /// Letters, digits, '-', '_' and '.'; names the fleet's state directory.
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$"))]
    pub name: Spanned<String>,
    pub description: Option<String>,
    /// Seed of the simulated world (the same seed gives the same world).
    pub seed: Option<u64>,
}

/// The rules actions are held to.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Most replication lag a promotion may lose without --accept-data-loss (default "60s").
    #[serde(default)]
    #[schemars(schema_with = "s::duration")]
    pub rpo_budget: Option<Spanned<String>>,
    /// How long a region must be healthy before it gets more traffic (default "15m").
    #[serde(default)]
    #[schemars(schema_with = "s::duration")]
    pub health_gate: Option<Spanned<String>>,
    /// Tenants in these environments count as production (default ["prd", "prod", "production"]).
    pub production_environments: Option<Vec<String>>,
    #[serde(default)]
    pub confirm: RawConfirm,
    /// Actions that need a second person: `[[policy.approvals]]` with `action`,
    /// optional `environment` and `approval = "two-person"`.
    #[serde(default)]
    #[schemars(with = "Vec<RawApprovalRule>")]
    pub approvals: Vec<Spanned<RawApprovalRule>>,
    /// How long a second person's approval holds (default "15m").
    #[serde(default)]
    #[schemars(schema_with = "s::duration")]
    pub approval_expiry: Option<Spanned<String>>,
    /// Recovery time objective: how long until the fleet is healthy again after a drain
    /// or promote (default "5m").
    #[serde(default)]
    #[schemars(schema_with = "s::duration")]
    pub rto: Option<Spanned<String>>,
    /// Where identities for approvals, skips, the driver and the audit log come from:
    /// "kube" (SelfSubjectReview on the cluster holding the shared store), "aws" (STS
    /// GetCallerIdentity), "os" (the OS user, unverified); default: the strongest the
    /// fleet has.
    #[serde(default)]
    #[schemars(with = "Option<super::IdentitySource>")]
    pub identity: Option<Spanned<String>>,
    /// Refuse an approval or a skip in production by an unverified identity (default false).
    pub require_verified_identity: Option<bool>,
    /// Principals a whole team shares (e.g. "kube:kubernetes-admin", "aws:role/Deploy"):
    /// shown as shared and never counted as a second person.
    pub shared_principals: Option<Vec<String>>,
    /// Scheduled change freezes: `[[policy.freezes]]` with `name` and either `from` and
    /// `until` (dates or RFC 3339 times, UTC) or `cron` (five fields, UTC) and `for`.
    #[serde(default)]
    #[schemars(with = "Vec<RawFreeze>")]
    pub freezes: Vec<Spanned<RawFreeze>>,
}

/// One scheduled change freeze.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFreeze {
    /// What people call it, e.g. "year-end".
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Why changes stop then; the freeze guard shows it.
    pub reason: Option<String>,
    /// Start: a date ("2026-12-20") or an RFC 3339 time, UTC.
    #[schemars(with = "Option<String>")]
    pub from: Option<Spanned<String>>,
    /// End (exclusive): a date or an RFC 3339 time, UTC.
    #[schemars(with = "Option<String>")]
    pub until: Option<Spanned<String>>,
    /// A five-field cron schedule (UTC) at which the freeze starts, e.g. "0 17 * * fri".
    #[schemars(with = "Option<String>")]
    pub cron: Option<Spanned<String>>,
    /// How long each cron-started freeze lasts, e.g. "64h".
    #[serde(default, rename = "for")]
    #[schemars(schema_with = "s::duration")]
    pub length: Option<Spanned<String>>,
}

/// One approval rule: which action (and environment) needs how many people.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawApprovalRule {
    /// An action's name (`promote`, `drain`, `set-weights`, ...) or "*" for all.
    #[schemars(with = "String")]
    pub action: Spanned<String>,
    /// A tenant environment ("prd"), or "production" for any production environment;
    /// absent: every environment.
    #[schemars(with = "Option<String>")]
    pub environment: Option<Spanned<String>>,
    /// "two-person" or "one-person".
    #[schemars(with = "super::ApprovalKind")]
    pub approval: Spanned<String>,
}

/// Confirmation per action: "yes-no" (y/N) or "type-name" (type the target's name).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawConfirm {
    #[schemars(with = "Option<ConfirmStrength>")]
    pub drain: Option<Spanned<String>>,
    #[schemars(with = "Option<ConfirmStrength>")]
    pub restore: Option<Spanned<String>>,
    #[schemars(with = "Option<ConfirmStrength>")]
    pub set_weights: Option<Spanned<String>>,
    #[schemars(with = "Option<ConfirmStrength>")]
    pub promote: Option<Spanned<String>>,
    #[schemars(with = "Option<ConfirmStrength>")]
    pub run_phase: Option<Spanned<String>>,
    #[schemars(with = "Option<ConfirmStrength>")]
    pub rollback: Option<Spanned<String>>,
}

/// `{ provider = "...", <provider-specific keys> }`
#[derive(Debug, Deserialize)]
pub struct RawCapability {
    pub provider: Option<Spanned<String>>,
    #[serde(flatten)]
    pub settings: toml::Table,
}

/// One deployment location.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    /// Unique region id, e.g. "eu-west-1".
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9_-]+$"))]
    pub id: Spanned<String>,
    pub name: Option<String>,
    /// The cloud provider's region name.
    pub cloud_region: Option<String>,
    /// The database role; exactly one region is the primary.
    #[schemars(with = "Role")]
    pub role: Spanned<String>,
    /// DNS weight in normal operation: an integer, or a decimal for Cloudflare pool weights;
    /// checked against the traffic provider's rules in `load`.
    #[schemars(with = "f64", range(min = 0, max = 1000))]
    pub steady_weight: Spanned<toml::Value>,
    /// The DNS weighted record's SetIdentifier (default: the id).
    pub set_identifier: Option<String>,
    /// Health endpoints probed, shown in the detail pane.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// Whether the region is serving: one capability table, or a list of them (the
    /// verdict is the worst).
    #[serde(default)]
    #[schemars(schema_with = "s::health_sources")]
    pub health: Option<Spanned<toml::Value>>,
    /// Replication lag of the region's database.
    #[serde(default)]
    #[schemars(schema_with = "s::lag")]
    pub lag: Option<Spanned<RawCapability>>,
    /// The region's database role and promotion.
    #[serde(default)]
    #[schemars(schema_with = "s::database")]
    pub database: Option<Spanned<RawCapability>>,
    /// The region's Kubernetes cluster: a kubeconfig context.
    #[serde(default)]
    #[schemars(with = "Option<RawCluster>")]
    pub cluster: Option<Spanned<RawCluster>>,
    pub sim: Option<RawRegionSim>,
    /// Several data stores promoted together, in this order (instead of `database`): each
    /// a database table with an optional `name`, `lag` and `rpo`.
    #[serde(default)]
    #[schemars(schema_with = "s::stores")]
    pub databases: Option<Spanned<toml::Value>>,
    /// A second data store promoted after `database` (an ElastiCache Global Datastore, a
    /// Redis replica set): a database table with an optional `name`, `lag` and `rpo`.
    #[serde(default)]
    #[schemars(schema_with = "s::store")]
    pub cache: Option<Spanned<toml::Value>>,
}

/// `cluster = { context = "...", kubeconfig = "...", destination = "..." }`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    /// The kubeconfig context, e.g. "prod-use1".
    #[schemars(with = "String")]
    pub context: Option<Spanned<String>>,
    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    pub kubeconfig: Option<String>,
    /// In hub mode: the Argo CD destination name or server of this region's apps.
    pub destination: Option<String>,
}

/// Simulation hints for a region (ignored by real providers).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRegionSim {
    /// How many phases have already succeeded when the world starts (default: all).
    pub phases_done: Option<usize>,
    /// Weight at start, when it differs from the steady weight.
    #[schemars(with = "Option<f64>", range(min = 0, max = 1000))]
    pub weight: Option<Spanned<toml::Value>>,
    pub latency_ms: Option<f64>,
    pub lag_seconds: Option<f64>,
    #[serde(default)]
    pub fail_once: Vec<String>,
    /// Whether the simulated routing map opens the region to new tenants (default true).
    pub signups: Option<bool>,
}

/// One application deployment present in some regions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTenant {
    /// Unique tenant id, e.g. "payments-prd".
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9_-]+$"))]
    pub id: Spanned<String>,
    /// e.g. "prd", "stg"; policy.production_environments says which are production.
    #[schemars(with = "String")]
    pub environment: Spanned<String>,
    /// Ids of the regions the tenant runs in.
    #[schemars(with = "Vec<String>")]
    pub regions: Spanned<Vec<Spanned<String>>>,
    /// Argo CD application name; "{region}" is replaced by the region id.
    pub argo_app: Option<String>,
    pub helm_release: Option<String>,
    /// The ApplicationSet whose generated apps are this tenant's.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub applicationset: Option<Spanned<String>>,
    /// The tenant's Helm release, for charts installed by Helm itself.
    #[serde(default)]
    #[schemars(schema_with = "s::helm")]
    pub helm: Option<Spanned<RawCapability>>,
    pub sim: Option<RawTenantSim>,
}

/// Simulation hints for a tenant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTenantSim {
    pub auto_sync: Option<bool>,
    pub history: Option<usize>,
    /// The tenant's home region in the simulated routing map (default: its first region).
    pub home: Option<String>,
}

/// One ordered stage of standing a region up.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    /// Unique phase id, e.g. "platform-services".
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9_-]+$"))]
    pub id: Spanned<String>,
    pub name: Option<String>,
    #[serde(default)]
    #[schemars(with = "Vec<RawStep>")]
    pub steps: Vec<Spanned<RawStep>>,
}

/// A step: its name, or `{ name, run }` with the command a shell runner runs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawStep {
    Name(String),
    Full(Box<RawStepTable>),
}

/// `{ name, run, check, timeout, workdir, env, artifact, uses }`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStepTable {
    pub name: String,
    pub run: Option<RawCommand>,
    pub check: Option<RawCommand>,
    pub timeout: Option<String>,
    pub workdir: Option<String>,
    pub env: Option<std::collections::BTreeMap<String, String>>,
    /// A file the step writes, kept as evidence with its sha256 and approved by a second
    /// person before a later step `uses` it: `{ name, path, text }` (`text`: its text form
    /// for the approver, e.g. `terraform show` output; optional).
    pub artifact: Option<RawStepArtifact>,
    /// The artifact (by name) an earlier step wrote that this step applies; the step runs
    /// only when that exact hash is approved by a second person, unchanged and unexpired.
    pub uses: Option<String>,
}

/// `{ name, path, text }` of a phase step's artifact.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStepArtifact {
    pub name: String,
    pub path: String,
    pub text: Option<String>,
}

/// A string for `sh -c`, or an argv list.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawCommand {
    Shell(String),
    Argv(Vec<String>),
}

/// A rollout template: `meridian rollout start ID` steps through it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRollout {
    /// Unique rollout id, e.g. "release".
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9_-]+$"))]
    pub id: Spanned<String>,
    pub name: Option<String>,
    /// Parameter names; steps use them as "{name}", `start` gives them with --param.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub params: Vec<Spanned<String>>,
    /// What the rollout is: "release" (the default), "failover" or "recovery". The
    /// recovery clock (RTO) runs for failovers and recoveries, not for releases.
    #[serde(default)]
    #[schemars(with = "Option<super::rollout::TemplateKind>")]
    pub kind: Option<Spanned<String>>,
    /// The modes a failover can run in: ["graceful", "ungraceful"] lets the driver switch
    /// to ungraceful mid-run, skipping steps marked `mode = "graceful"`.
    #[serde(default)]
    #[schemars(with = "Vec<super::rollout::RunMode>")]
    pub modes: Vec<Spanned<String>>,
    /// The steps in order: one action (weights, drain, restore, sync, rollback, phase,
    /// promote, deploy, signups) or one gate (healthy, lag, command, approval, wait, alarms) each. Any step may
    /// add `timeout = "10m"` (past it the step fails, saying what it waited for) and, in a
    /// template with both modes, `mode = "graceful"` (a step that needs the old region).
    #[schemars(schema_with = "s::rollout_steps")]
    pub steps: Spanned<Vec<Spanned<RawRolloutStep>>>,
}

/// One rollout step as written: its keys, each value located for error messages.
pub type RawRolloutStep = std::collections::BTreeMap<String, Spanned<toml::Value>>;
