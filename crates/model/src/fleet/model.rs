//! The validated fleet: what meridian watches and may change.
//!
//! These types are only ever built by `fleet::load` (from a file or the embedded demo), so
//! code holding a `Fleet` may rely on the invariants validation checked: unique ids, tenants
//! only in known regions, exactly one primary, weights in the traffic provider's range and not
//! all drained.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arcstr::ArcStr;
use serde::Serialize;

pub use super::step::{Step, StepCommand, StepVars};

/// Where a fleet came from, for messages and for `meridian paths`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum FleetSource {
    /// The demo fleet embedded in the binary.
    Demo,
    /// A fleet file on disk.
    File(PathBuf),
}

/// Everything meridian watches: regions, tenants, phases and the policy that guards them.
#[derive(Debug, Clone, Serialize)]
pub struct Fleet {
    pub name: String,
    pub description: Option<String>,
    #[serde(skip)]
    pub source: FleetSource,
    pub policy: Policy,
    pub traffic: Capability,
    pub gitops: Capability,
    pub runner: Capability,
    /// Where the fleet lock lives: a file in the state directory, or a Kubernetes Lease.
    pub lock: Capability,
    /// Where each tenant's home region (and the regions open to sign-ups) is kept: the
    /// global routing layer's map (`[tenant_routing]`), when the fleet has one.
    pub tenant_routing: Option<Capability>,
    /// Where alarms are read for alarm gates and `status --check` (`[alarms]`).
    pub alarms: Option<Capability>,
    pub regions: Vec<Region>,
    pub tenants: Vec<Tenant>,
    pub phases: Vec<Phase>,
    /// `[[rollouts]]` templates, in file order.
    pub rollouts: Vec<super::rollout::RolloutTemplate>,
    pub sim: SimSettings,
    /// Most calls per minute polling may spend, per provider family (`route53`, ...).
    pub budgets: BTreeMap<String, f64>,
    /// `[probe_defaults]`: what every HTTP probe gets unless it says otherwise.
    #[serde(skip)]
    pub probe_defaults: toml::Table,
}

impl Fleet {
    /// The region with this id, if the fleet has one.
    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.id == id)
    }

    /// The tenant with this id, if the fleet has one.
    pub fn tenant(&self, id: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id == id)
    }

    /// The position of a phase in the standing-up order (0-based).
    pub fn phase_index(&self, id: &str) -> Option<usize> {
        self.phases.iter().position(|p| p.id == id)
    }

    /// Tenants that run in this region.
    pub fn tenants_in<'a>(&'a self, region: &'a str) -> impl Iterator<Item = &'a Tenant> + 'a {
        self.tenants.iter().filter(move |t| t.runs_in(region))
    }

    /// Is this record (a weighted set, endpoint or pool that is not a region) one the
    /// fleet says to leave unlisted (`[traffic] ignore`)? Its weight still counts in the
    /// shares: DNS sends it traffic all the same.
    pub fn ignores_record(&self, id: &str) -> bool {
        self.traffic
            .settings
            .ignored()
            .is_some_and(|i| i.ignores(id))
    }

    /// Does this environment count as production under the fleet's policy?
    pub fn is_production(&self, environment: &str) -> bool {
        self.policy
            .production_environments
            .iter()
            .any(|e| e.eq_ignore_ascii_case(environment))
    }

    /// The folder that relative paths in the fleet file are read from.
    pub fn source_dir(&self) -> PathBuf {
        match &self.source {
            FleetSource::File(f) => f
                .parent()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".")),
            FleetSource::Demo => PathBuf::from("."),
        }
    }

    /// Every region id, in file order.
    pub fn region_ids(&self) -> Vec<&str> {
        self.regions.iter().map(|r| r.id.as_str()).collect()
    }

    /// True when any capability is served by the simulator.
    pub fn is_simulated(&self) -> bool {
        self.providers().contains(&ProviderKind::Sim)
    }

    /// The capabilities served by the simulator, by name (`traffic`, `health`, ...), so a
    /// mostly real fleet can say exactly which parts are simulated.
    pub fn simulated_capabilities(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut note = |name: &'static str, p: ProviderKind| {
            if p == ProviderKind::Sim && !out.contains(&name) {
                out.push(name);
            }
        };
        note("traffic", self.traffic.provider);
        note("gitops", self.gitops.provider);
        note("runner", self.runner.provider);
        if let Some(r) = &self.tenant_routing {
            note("tenant_routing", r.provider);
        }
        for r in &self.regions {
            for h in r.health_sources() {
                note("health", h.provider);
            }
            note("lag", r.lag.provider);
            note("database", r.database.provider);
            for st in r.further_stores() {
                note("lag", st.lag.provider);
                note("database", st.database.provider);
            }
        }
        out
    }

    /// "simulated" for an all-simulated fleet, "simulated: gitops, runner" for a partly
    /// simulated one, None for a real one: front ends show it next to the fleet's name.
    pub fn simulated_label(&self) -> Option<String> {
        // Traffic, gitops, runner, health, lag and database, and tenant routing when the
        // fleet has it.
        let capabilities = 6 + usize::from(self.tenant_routing.is_some());
        let sim = self.simulated_capabilities();
        match sim.len() {
            0 => None,
            n if n == capabilities => Some("simulated".to_string()),
            _ => Some(format!("simulated: {}", sim.join(", "))),
        }
    }

    /// The fleet as data store `index` sees it (0: the regions' databases): each region's
    /// `database` and `lag` are that store's tables, a region without it has none (the
    /// simulator's). The providers of a further store are built from, and act on, this view.
    pub fn store_view(&self, index: usize) -> Fleet {
        let mut view = self.clone();
        for r in &mut view.regions {
            let (database, lag) = match r.data_stores().get(index) {
                Some(s) => (s.database.clone(), s.lag.clone()),
                None => (Capability::default(), Capability::default()),
            };
            r.database = database;
            r.lag = lag;
            r.stores = Vec::new();
        }
        view
    }

    /// The most data stores any region has (1 without `databases` or `cache`).
    pub fn store_count(&self) -> usize {
        self.regions
            .iter()
            .map(|r| r.data_stores().len())
            .max()
            .unwrap_or(1)
    }

    /// Every provider the fleet uses, fleet-wide capabilities first.
    pub fn providers(&self) -> Vec<ProviderKind> {
        let mut all = vec![
            self.traffic.provider,
            self.gitops.provider,
            self.runner.provider,
        ];
        for r in &self.regions {
            all.extend(r.health_sources().map(|h| h.provider));
            all.extend([r.lag.provider, r.database.provider]);
            all.extend(
                r.further_stores()
                    .iter()
                    .flat_map(|s| [s.lag.provider, s.database.provider]),
            );
        }
        all.extend(self.tenant_routing.iter().map(|c| c.provider));
        all
    }
}

/// The database role of a region.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Role {
    Primary,
    Secondary,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Which implementation serves a capability. New providers are added here and in
/// `ProviderKind::valid_for`; the fleet file's shape does not change.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ProviderKind {
    /// The simulated world (the demo fleet and drills).
    #[default]
    Sim,
    /// Route 53 weighted record sets (traffic) and health checks (health).
    Route53,
    /// CloudWatch replication-lag metrics (Aurora Global Database, RDS, ElastiCache).
    Cloudwatch,
    /// Self-managed PostgreSQL streaming replication.
    Postgres,
    /// Self-managed Redis replication.
    Redis,
    /// Aurora Global Database (role and switchover/failover through the RDS API).
    Aurora,
    /// Azure Traffic Manager weighted endpoints (traffic) and their monitor status (health).
    AzureTrafficManager,
    /// Cloudflare Load Balancing pool weights (traffic) and pool health (health).
    Cloudflare,
    /// HTTP(S) health probes.
    Http,
    /// Phase steps as local processes, with evidence.
    Shell,
    /// Argo CD Applications read from each region's cluster (or a hub cluster).
    Argocd,
    /// Helm releases read from their Secrets, rolled back with the helm command.
    Helm,
    /// A Kubernetes Lease (the fleet lock).
    Kube,
    /// A lock file in the state directory (the default fleet lock).
    File,
    /// A Cloudflare Workers KV namespace: the tenant -> region map of the routing layer.
    CloudflareKv,
    /// ElastiCache Global Datastore (role and failover through the ElastiCache API).
    ElasticacheGlobal,
}

/// The capabilities a fleet file configures, for checking which provider serves which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum CapabilityKind {
    Traffic,
    Gitops,
    Runner,
    Health,
    Lag,
    Database,
    /// A tenant's Helm release.
    Helm,
    /// The fleet lock.
    Lock,
    /// Where each tenant lives and which regions take sign-ups (`[tenant_routing]`).
    TenantRouting,
    /// CloudWatch alarms, for alarm gates (`[alarms]`).
    Alarms,
}

impl ProviderKind {
    /// The traffic rules of this provider (its weight range, how it drains, what "every
    /// region drained" does); the simulator's for a provider that is not a traffic one.
    pub fn traffic_rules(self) -> &'static crate::traffic::TrafficRules {
        use crate::traffic::rules;
        match self {
            ProviderKind::AzureTrafficManager => &rules::AZURE,
            ProviderKind::Cloudflare => &rules::CLOUDFLARE,
            ProviderKind::Route53 => &rules::ROUTE53,
            _ => &rules::SIMULATED,
        }
    }
}

impl ProviderKind {
    /// Every provider, in declaration order.
    pub const ALL: &'static [ProviderKind] = <ProviderKind as strum::VariantArray>::VARIANTS;

    /// The name the fleet file uses (`route53`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The provider with this fleet-file name.
    pub fn parse(s: &str) -> Option<ProviderKind> {
        s.parse().ok()
    }

    /// The providers that can serve a capability, for validation and error messages.
    pub fn valid_for(cap: CapabilityKind) -> &'static [ProviderKind] {
        use ProviderKind::*;
        match cap {
            CapabilityKind::Traffic => &[Sim, Route53, AzureTrafficManager, Cloudflare],
            CapabilityKind::Gitops => &[Sim, Argocd],
            CapabilityKind::Runner => &[Sim, Shell],
            CapabilityKind::Health => &[Sim, Route53, AzureTrafficManager, Cloudflare, Http],
            CapabilityKind::Lag => &[Sim, Cloudwatch, Postgres, Redis],
            CapabilityKind::Database => &[Sim, Postgres, Redis, Aurora, ElasticacheGlobal],
            CapabilityKind::Helm => &[Helm],
            CapabilityKind::Lock => &[File, Kube],
            CapabilityKind::TenantRouting => &[Sim, CloudflareKv],
            CapabilityKind::Alarms => &[Cloudwatch],
        }
    }
}

/// One capability's provider and its provider-specific settings, typed (parsed once when
/// the fleet file was loaded).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Capability {
    pub provider: ProviderKind,
    #[serde(skip)]
    pub settings: super::settings::Settings,
}

/// The default `timeout` of a capability's reading or call: a few seconds, as an operator
/// would wait.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The Kubernetes cluster that serves a region: a kubeconfig context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cluster {
    pub context: String,
    /// The kubeconfig file; default as kubectl: `$KUBECONFIG`, then `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// In hub mode: the Argo CD destination (`spec.destination.name` or `server`) of this
    /// region's Applications; default the region id.
    pub destination: Option<String>,
}

/// One deployment location.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub id: String,
    pub name: String,
    pub cloud_region: String,
    pub role: Role,
    /// Where the weight rests when nothing is going on, in the traffic provider's units (0:
    /// drained at steady state).
    pub steady_weight: u32,
    /// The DNS weighted record's set identifier for this region.
    pub set_identifier: String,
    pub health: Capability,
    /// Further health sources (`health = [{...}, {...}]`); the verdict is the worst.
    pub more_health: Vec<Capability>,
    /// Health endpoints probed (e.g. `/healthz`); shown in the detail pane.
    pub endpoints: Vec<String>,
    pub lag: Capability,
    pub database: Capability,
    /// The region's Kubernetes cluster, when it has one.
    pub cluster: Option<Cluster>,
    #[serde(skip)]
    pub sim: RegionSim,
    /// Every data store of the region in promotion order, when it names them
    /// (`databases = [...]`, or `database` plus `cache`); the first one's tables are also
    /// `database` and `lag`. Empty for a region with one database (its `database`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<DataStore>,
}

impl Region {
    /// Every source of the region's health, the first one first.
    pub fn health_sources(&self) -> impl Iterator<Item = &Capability> {
        std::iter::once(&self.health).chain(self.more_health.iter())
    }

    /// Every data store, in promotion order: the named ones, or the one `database`.
    pub fn data_stores(&self) -> Vec<StoreRef<'_>> {
        if self.stores.is_empty() {
            return vec![StoreRef {
                name: DEFAULT_STORE,
                database: &self.database,
                lag: &self.lag,
                rpo: None,
            }];
        }
        self.stores
            .iter()
            .map(|s| StoreRef {
                name: &s.name,
                database: &s.database,
                lag: &s.lag,
                rpo: s.rpo,
            })
            .collect()
    }

    /// The stores after the first (whose role and lag are the region's own), in order.
    pub fn further_stores(&self) -> &[DataStore] {
        self.stores.get(1..).unwrap_or(&[])
    }

    /// The first data store's name (`database` unless it is named).
    pub fn database_name(&self) -> &str {
        self.stores
            .first()
            .map(|s| s.name.as_str())
            .unwrap_or(DEFAULT_STORE)
    }
}

/// What a region's one database is called when it is not named.
pub const DEFAULT_STORE: &str = "database";

/// One of a region's data stores (`databases = [...]` or `cache`): promoted with the others,
/// in order, each with its own lag gate.
#[derive(Debug, Clone, Serialize)]
pub struct DataStore {
    /// Its name in plans and on the board ("database", "cache", "sessions").
    pub name: String,
    pub database: Capability,
    pub lag: Capability,
    /// The most lag its promotion may lose (default: the policy's `rpo_budget`).
    #[serde(skip)]
    pub rpo: Option<Duration>,
}

/// A data store of a region, borrowed: the one `database` or a named store.
#[derive(Debug, Clone, Copy)]
pub struct StoreRef<'a> {
    pub name: &'a str,
    pub database: &'a Capability,
    pub lag: &'a Capability,
    pub rpo: Option<Duration>,
}

/// One application deployment present in some regions.
#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub id: String,
    pub environment: String,
    /// Shared, not copied, when the fleet is cloned: a 1,000-tenant fleet in 100 regions
    /// holds 100,000 of these, and the engine, the simulator and the executor each keep a
    /// fleet. Each id is the region's one shared string (`ArcStr`, one pointer).
    pub regions: Arc<[ArcStr]>,
    /// Argo CD application name; `{region}` is replaced by the region id.
    pub argo_app: String,
    pub helm_release: String,
    /// The ApplicationSet whose generated apps are this tenant's (matched to regions).
    pub applicationset: Option<String>,
    /// The tenant's Helm release, for charts installed by Helm itself.
    pub helm: Option<Capability>,
    #[serde(skip)]
    pub sim: TenantSim,
}

impl Tenant {
    /// The Argo CD application name for this tenant in a region.
    pub fn argo_app_in(&self, region: &str) -> String {
        self.argo_app.replace("{region}", region)
    }

    /// Whether the tenant runs in a region.
    pub fn runs_in(&self, region: &str) -> bool {
        self.regions.iter().any(|r| *r == region)
    }

    /// The tenant's `helm` table, when it has one.
    pub fn helm_settings(&self) -> Option<&super::settings::Helm> {
        match self.helm.as_ref().map(|h| &h.settings) {
            Some(super::settings::Settings::Helm(h)) => Some(h),
            _ => None,
        }
    }

    /// The `helm` program to run (the table's `binary`, else `helm` on the PATH).
    pub fn helm_binary(&self) -> String {
        self.helm_settings()
            .and_then(|h| h.binary.clone())
            .unwrap_or_else(|| "helm".into())
    }

    /// The Helm release name (the `helm` table's `release`, else `helm_release`).
    pub fn helm_release_name(&self) -> &str {
        self.helm_settings()
            .and_then(|h| h.release.as_deref())
            .unwrap_or(&self.helm_release)
    }

    /// The Helm release's namespace (default `default`, as Helm's).
    pub fn helm_namespace(&self) -> &str {
        self.helm_settings()
            .and_then(|h| h.namespace.as_deref())
            .unwrap_or("default")
    }
}

/// One ordered stage of standing a region up.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub id: String,
    pub name: String,
    pub steps: Vec<Step>,
}

/// How strongly an action must be confirmed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::VariantNames,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ConfirmStrength {
    /// y/N, No by default.
    YesNo,
    /// Type the target's name.
    TypeName,
}

/// The rules actions are held to.
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    /// Most replication lag a promotion may lose without `--accept-data-loss`.
    #[serde(with = "secs")]
    pub rpo_budget: Duration,
    /// How long a region must have been healthy before it gets more traffic.
    #[serde(with = "secs")]
    pub health_gate: Duration,
    pub production_environments: Vec<String>,
    pub confirm: ConfirmPolicy,
    /// Actions that need a second person's approval, and how long it holds.
    pub approvals: super::ApprovalPolicy,
    /// How long recovery after a drain or promote may take (the recovery clock's target).
    #[serde(with = "secs")]
    pub rto: Duration,
    /// Where identities come from, and whether production insists on a verified one.
    pub identity: super::approval::IdentityPolicy,
    /// Scheduled change freezes (`[[policy.freezes]]`).
    pub freezes: Vec<super::freeze::FreezeWindow>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            rpo_budget: Duration::from_secs(60),
            health_gate: Duration::from_secs(15 * 60),
            production_environments: vec!["prd".into(), "prod".into(), "production".into()],
            confirm: ConfirmPolicy::default(),
            approvals: super::ApprovalPolicy::default(),
            rto: super::approval::DEFAULT_RTO,
            identity: super::approval::IdentityPolicy::default(),
            freezes: Vec::new(),
        }
    }
}

/// Confirmation strength per action (production always needs the typed name).
#[derive(Debug, Clone, Serialize)]
pub struct ConfirmPolicy {
    pub drain: ConfirmStrength,
    pub restore: ConfirmStrength,
    pub set_weights: ConfirmStrength,
    pub promote: ConfirmStrength,
    pub run_phase: ConfirmStrength,
    pub rollback: ConfirmStrength,
}

impl Default for ConfirmPolicy {
    fn default() -> Self {
        use ConfirmStrength::*;
        ConfirmPolicy {
            drain: TypeName,
            restore: YesNo,
            set_weights: YesNo,
            promote: TypeName,
            run_phase: YesNo,
            rollback: YesNo,
        }
    }
}

/// Settings for the simulated world.
#[derive(Debug, Clone, Serialize)]
pub struct SimSettings {
    /// Seed used when the world is created or reset.
    pub seed: u64,
}

/// Simulation hints for a region (ignored by real providers).
#[derive(Debug, Clone, Default)]
pub struct RegionSim {
    /// How many phases have already succeeded when the world starts (default: all).
    pub phases_done: Option<usize>,
    /// Weight at start, when it differs from the steady weight.
    pub weight: Option<u32>,
    /// Typical probe latency in milliseconds.
    pub latency_ms: Option<f64>,
    /// Typical replication lag in seconds.
    pub lag_seconds: Option<f64>,
    /// Steps (`phase-id/step name`) that fail on their first run.
    pub fail_once: Vec<String>,
    /// Whether the simulated routing map opens the region to sign-ups (default: yes).
    pub signups: Option<bool>,
}

/// Simulation hints for a tenant.
#[derive(Debug, Clone, Default)]
pub struct TenantSim {
    pub auto_sync: Option<bool>,
    /// How many past revisions the history holds at start.
    pub history: Option<usize>,
    /// The tenant's home region in the simulated routing map (default: its first region).
    pub home: Option<String>,
}

mod secs {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}
