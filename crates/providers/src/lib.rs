//! One narrow trait per capability, and the implementations behind them.
//!
//! The engine reads through these traits and the executor changes the world through them;
//! nothing above this module knows whether a weight lives in Route 53 or the simulator.

pub mod alarms;
pub mod aws;
pub mod azure;
pub mod board;
pub mod budget;
pub mod cloudflare;
pub mod combined_health;
pub mod drains;
mod error;
mod gitops;
pub mod http;
pub mod identity;
pub mod kube;
pub mod lock;
pub mod postgres;
pub mod redis;
pub mod rest;
pub mod routing;
pub mod secrets;
pub mod shell;
pub mod sim;
pub mod step_artifacts;
pub mod store;
pub mod trouble;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

pub use budget::ApiMeter;
pub use error::{ErrorKind, ProviderError, root_cause};
pub use gitops::DeployRequest;
pub use gitops::{
    AppsUpdate, ChangeNote, GitOpsProvider, NoReleases, ReleaseProvider, ResumeRequest,
    RollbackRequest, SyncRequest,
};

use meridian_model::fleet::{Capability, Fleet, ProviderKind, Region, Role};
use meridian_model::state::{Health, PhaseState};
use meridian_model::traffic::Weight;

pub type ProviderResult<T> = Result<T, ProviderError>;

/// A function that receives progress messages.
type ProgressSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Where an action's progress messages go: the CLI prints them, the TUI logs them.
#[derive(Clone, Default)]
pub struct Progress {
    sink: Option<ProgressSink>,
}

impl Progress {
    pub fn new(sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Progress {
            sink: Some(Arc::new(sink)),
        }
    }

    /// Progress that goes nowhere (tests, dry runs).
    pub fn silent() -> Self {
        Progress::default()
    }

    pub fn say(&self, message: &str) {
        log::info!("{message}");
        if let Some(s) = &self.sink {
            s(message);
        }
    }

    /// Pass a message on to the sink only (it was logged where it was first said).
    pub fn relay(&self, message: &str) {
        if let Some(s) = &self.sink {
            s(message);
        }
    }
}

/// Traffic weights as read from the traffic provider, in its units (`traffic::Weight`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeightsReading {
    /// Weight per region id; a region missing here is an error for that region only.
    pub by_region: HashMap<String, Weight>,
    /// Records (sets, endpoints, pools) that match no region: effective weight in units.
    pub unmanaged: Vec<(String, u32)>,
    /// What decides each region's traffic beyond its weight, where the provider has more
    /// to say (an alias followed, geographies only that region serves).
    pub routes: std::collections::BTreeMap<String, meridian_model::state::Route>,
}

/// Reads and changes traffic weights. The plan's rules for a provider's units live in
/// `traffic::rules` (pure data the planner reads); the provider converts the neutral
/// `Weight` (units plus drained) to its own calls.
#[async_trait]
pub trait TrafficProvider: Send + Sync {
    async fn read_weights(&self, fleet: &Fleet) -> ProviderResult<WeightsReading>;
    /// The exact change `apply_weights` would make, in words (and the request bodies it
    /// would send), for the plan: whether it is atomic and in what order it goes (default:
    /// nothing beyond the plan's own before -> after).
    async fn describe_change(&self, _fleet: &Fleet, _weights: &[(String, Weight)]) -> Vec<String> {
        Vec::new()
    }
    /// Set every listed region's weight, in one atomic change where the provider has one,
    /// wait until it is in effect and read it back.
    async fn apply_weights(
        &self,
        fleet: &Fleet,
        weights: &[(String, Weight)],
        progress: &Progress,
    ) -> ProviderResult<()>;

    /// `apply_weights` for every routing policy: a region that is not weighted is taken out
    /// of rotation (or put back) the provider's way, and what was changed is written to
    /// (or taken from) `book`, which the executor keeps in the shared store so anyone can
    /// restore it. Providers that only know weights need not override it.
    async fn apply_traffic(
        &self,
        fleet: &Fleet,
        weights: &[(String, Weight)],
        book: &mut drains::DrainBook,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let _ = book;
        self.apply_weights(fleet, weights, progress).await
    }

    /// `describe_change` knowing what earlier drains changed (what restore puts back).
    async fn describe_traffic(
        &self,
        fleet: &Fleet,
        weights: &[(String, Weight)],
        book: &drains::DrainBook,
    ) -> Vec<String> {
        let _ = book;
        self.describe_change(fleet, weights).await
    }
}

#[async_trait]
pub trait HealthProvider: Send + Sync {
    async fn read_health(&self, region: &Region) -> ProviderResult<Health>;

    /// A one-shot round of reads begins (`status`, `wait`, an action's reads): answers
    /// kept from earlier readings are not good enough for it.
    async fn begin_round(&self) {}
}

/// What became of one other member of the replication set when a region was promoted.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberOutcome {
    pub region: String,
    /// It does not follow the new primary (unreachable, diverged): an operator must act.
    pub needs_attention: bool,
    /// What happened, and for one that needs attention the command to run next.
    pub detail: String,
}

/// The other members after a promotion. The promotion itself is done when the target is
/// the writer; a replica that could not be re-pointed is reported, not a failure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromoteReport {
    pub members: Vec<MemberOutcome>,
}

impl PromoteReport {
    /// `done, 1 replica needs attention: ...` when one does; `None` when all follow.
    pub fn summary(&self) -> Option<String> {
        let attention: Vec<&MemberOutcome> =
            self.members.iter().filter(|m| m.needs_attention).collect();
        if attention.is_empty() {
            return None;
        }
        let (n, verb) = match attention.len() {
            1 => ("1 replica".to_string(), "needs"),
            n => (format!("{n} replicas"), "need"),
        };
        let each: Vec<String> = attention
            .iter()
            .map(|m| format!("{}: {}", m.region, m.detail))
            .collect();
        Some(format!("done, {n} {verb} attention: {}", each.join("; ")))
    }
}

/// A database backend that shares answers between readings over time (PostgreSQL and
/// Redis keep a board of what each server last said).
#[async_trait]
pub trait Rounds: Send + Sync {
    /// A one-shot read of the fleet begins (`status`, an action's reads before and after,
    /// `wait`): what the provider shares between readings over time is asked again, so the
    /// round sees every change made before it started. The dashboard's continuous readings
    /// do not call it.
    async fn begin_round(&self) {}
}

/// How far a region's database is behind the writer: replication lag, read apart from who
/// the writer is (CloudWatch serves only this; PostgreSQL and Redis serve both).
#[async_trait]
pub trait LagReader: Rounds {
    /// Seconds behind the primary: `None` for the primary itself or when there is no datapoint.
    async fn read_lag(&self, region: &Region) -> ProviderResult<Option<f64>>;
    /// Recent lag samples, when the backend keeps them (the simulator does).
    async fn lag_history(&self, _region: &Region) -> Vec<Option<f64>> {
        Vec::new()
    }
}

/// How a promotion is to be made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PromoteOptions {
    /// Data loss was accepted explicitly (`--accept-data-loss`): backends with a planned and
    /// a forced promotion (Aurora switchover or failover) take the forced one.
    pub accept_data_loss: bool,
}

/// Which region's database is the writer, and changing that: promotion and rejoining.
#[async_trait]
pub trait DatabaseControl: Rounds {
    async fn read_role(&self, region: &Region) -> ProviderResult<Role>;
    /// Make `region` the writer, and say what became of the other members (a replica that
    /// could not be re-pointed is reported, not a failure).
    async fn promote(
        &self,
        fleet: &Fleet,
        region: &Region,
        options: PromoteOptions,
        progress: &Progress,
    ) -> ProviderResult<PromoteReport>;
    /// How promotion will go, in words for the plan: what happens to the old primary, how
    /// the new one is verified.
    fn describe_promote(
        &self,
        target: &str,
        old_primary: Option<&str>,
        _options: PromoteOptions,
    ) -> Vec<String> {
        let old = old_primary.unwrap_or("the old primary");
        vec![format!(
            "{target} is promoted; {old} should stop taking writes first"
        )]
    }
    /// Make a region's database a replica of the writer again: the fenced old primary after
    /// a promotion, or a replica that follows anything else. Never makes it a writer; it
    /// refuses, changing nothing, when it cannot be done safely.
    async fn rejoin(
        &self,
        _fleet: &Fleet,
        region: &Region,
        _progress: &Progress,
    ) -> ProviderResult<()> {
        Err(ProviderError::new(
            Some(&region.id),
            "rejoin",
            "this database provider cannot rejoin a region",
        )
        .with_hint("rebuild it as a replica with the backend's own tools"))
    }
    /// How a rejoin will go, step by step, for the plan.
    fn describe_rejoin(&self, _region: &str, _writer: &str) -> Vec<String> {
        Vec::new()
    }
}

/// One run of a phase in a region: where it starts, and who asked and why (for evidence).
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseRun {
    pub region: String,
    pub phase: String,
    /// 0-based step to start at: 0 for the whole phase, the failed step for a resume.
    pub from: usize,
    /// The audit record's id; the evidence folder is named after it.
    pub run_id: String,
    /// `user@host`
    pub user: String,
    pub reason: Option<String>,
    /// The approval check of steps that write or apply an artifact.
    pub artifacts: step_artifacts::Artifacts,
}

/// Runs the steps of a phase and remembers how far each region got.
///
/// A runner persists phase state, records which process runs a phase (so a phase whose
/// process died reads as `interrupted`, never `running` for good), skips a step whose
/// `check` says it is done, and can be cancelled from another process.
#[async_trait]
pub trait PhaseRunner: Send + Sync {
    async fn read_phases(&self, fleet: &Fleet, region: &str) -> ProviderResult<Vec<PhaseState>>;
    /// Run the phase's steps in order from `run.from`; the first failing step stops it
    /// (`failed`, naming the step and why). The runner records running, failed or
    /// succeeded as it goes.
    async fn run_phase(
        &self,
        fleet: &Fleet,
        run: &PhaseRun,
        progress: &Progress,
    ) -> ProviderResult<()>;
    /// Stop a running phase (the running step's processes get SIGTERM, then SIGKILL after
    /// a grace period); says what was done.
    async fn cancel(
        &self,
        fleet: &Fleet,
        region: &str,
        phase: &str,
        progress: &Progress,
    ) -> ProviderResult<String>;
    /// The folder this run's evidence goes to, if the runner keeps evidence.
    fn evidence_dir(&self, _run: &PhaseRun) -> Option<std::path::PathBuf> {
        None
    }
}

/// The provider behind each capability of a fleet.
#[derive(Clone)]
pub struct Providers {
    pub traffic: Arc<dyn TrafficProvider>,
    pub gitops: Arc<dyn GitOpsProvider>,
    /// Helm releases of tenants that have one.
    pub releases: Arc<dyn ReleaseProvider>,
    /// Kubernetes clients by context, shared by Argo CD, Helm and the Lease lock.
    pub kube: Arc<kube::Clients>,
    pub runner: Arc<dyn PhaseRunner>,
    pub health: HashMap<String, Arc<dyn HealthProvider>>,
    /// Each region's replication lag.
    pub lag: HashMap<String, Arc<dyn LagReader>>,
    /// Each region's database role, promotion and rejoining.
    pub database: HashMap<String, Arc<dyn DatabaseControl>>,
    /// The tenant -> region map of the routing layer (fleets with `[tenant_routing]`).
    pub routing: Option<Arc<dyn routing::TenantRouting>>,
    /// Alarms (fleets with `[alarms]`).
    pub alarms: Option<Arc<dyn alarms::AlarmReader>>,
    /// Each region's further data stores (`databases = [...]`, `cache`), in order: store k
    /// of the fleet is `stores[region][k - 1]`, built from `Fleet::store_view(k)`.
    pub stores: HashMap<String, Vec<StoreProviders>>,
}

/// The providers of one further data store of a region.
#[derive(Clone)]
pub struct StoreProviders {
    pub name: String,
    pub lag: Arc<dyn LagReader>,
    pub database: Arc<dyn DatabaseControl>,
}

/// Each provider once, however many regions share it.
fn distinct<'a, T: ?Sized>(all: impl Iterator<Item = &'a Arc<T>>) -> Vec<&'a Arc<T>> {
    let mut seen: Vec<&Arc<T>> = Vec::new();
    for p in all {
        if !seen.iter().any(|s| Arc::ptr_eq(s, p)) {
            seen.push(p);
        }
    }
    seen
}

/// How providers are built: how fast simulated time runs, and the paces the engine's
/// schedule gives them.
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    pub sim: sim::SimOptions,
    /// Per region with several health sources, how often each is read (in fleet-file
    /// order): `engine::schedule::health_source_intervals`. Empty: every source on every
    /// reading.
    pub health_paces: std::collections::BTreeMap<String, Vec<combined_health::SourcePace>>,
}

impl Providers {
    /// Tell every database and health provider a one-shot round of reads begins (once
    /// each, however many regions share it).
    pub async fn begin_round(&self) {
        // Once per backend, whether it serves lag, role or both.
        // Addresses as numbers: a raw pointer held across an await would make this not Send.
        let mut seen: Vec<usize> = Vec::new();
        let lags = self.lag.values().map(|l| {
            (
                Arc::as_ptr(l) as *const () as usize,
                l.as_ref() as &dyn Rounds,
            )
        });
        let dbs = self.database.values().map(|d| {
            (
                Arc::as_ptr(d) as *const () as usize,
                d.as_ref() as &dyn Rounds,
            )
        });
        let stores = self.stores.values().flatten().flat_map(|st| {
            [
                (
                    Arc::as_ptr(&st.lag) as *const () as usize,
                    st.lag.as_ref() as &dyn Rounds,
                ),
                (
                    Arc::as_ptr(&st.database) as *const () as usize,
                    st.database.as_ref() as &dyn Rounds,
                ),
            ]
        });
        for (ptr, backend) in lags.chain(dbs).chain(stores) {
            if !seen.contains(&ptr) {
                seen.push(ptr);
                backend.begin_round().await;
            }
        }
        for h in distinct(self.health.values()) {
            h.begin_round().await;
        }
    }

    /// Build every provider the fleet names.
    pub fn build(
        fleet: &Fleet,
        state_dir: &Path,
        opts: &ProviderOptions,
    ) -> Result<Providers, ProviderError> {
        let mut sim_world: Option<Arc<sim::SimProvider>> = None;
        let mut sim = || -> Arc<sim::SimProvider> {
            sim_world
                .get_or_insert_with(|| {
                    Arc::new(sim::SimProvider::new(fleet, state_dir, opts.sim.clone()))
                })
                .clone()
        };
        let real = RealProviders::new(fleet, state_dir);
        // Azure and Cloudflare serve traffic and health from one client (one read per refresh).
        let azure = Arc::new(azure::TrafficManager::new(
            fleet,
            &fleet.traffic,
            Some(state_dir),
        ));
        let cloudflare = Arc::new(cloudflare::LoadBalancing::new(
            fleet,
            &fleet.traffic,
            Some(state_dir),
        ));
        let traffic: Arc<dyn TrafficProvider> = match fleet.traffic.provider {
            ProviderKind::Route53 => Arc::new(aws::route53::Route53Traffic::from_fleet(
                fleet,
                real.aws.clone(),
            )),
            ProviderKind::AzureTrafficManager => azure.clone(),
            ProviderKind::Cloudflare => cloudflare.clone(),
            _ => sim(),
        };
        let kube = kube::Clients::new();
        let gitops: Arc<dyn GitOpsProvider> = match fleet.gitops.provider {
            ProviderKind::Argocd => Arc::new(kube::ArgoCd::from_fleet(fleet, kube.clone())),
            _ => sim(),
        };
        let releases: Arc<dyn ReleaseProvider> = if fleet.tenants.iter().any(|t| t.helm.is_some()) {
            Arc::new(kube::HelmReleases::new(kube.clone()))
        } else {
            Arc::new(NoReleases)
        };
        let runner: Arc<dyn PhaseRunner> = match fleet.runner.provider {
            ProviderKind::Shell => Arc::new(shell::ShellRunner::new(fleet, state_dir)),
            _ => sim(),
        };
        let mut health: HashMap<String, Arc<dyn HealthProvider>> = HashMap::new();
        // Every region's health says since when it has been in trouble; one wrapper per
        // provider, so a provider shared by regions still begins a round once.
        let trouble = trouble::TroubleTracked::record(Some(state_dir));
        let mut tracked: Vec<(Arc<dyn HealthProvider>, Arc<dyn HealthProvider>)> = Vec::new();
        let mut track = |inner: Arc<dyn HealthProvider>| -> Arc<dyn HealthProvider> {
            if let Some((_, t)) = tracked.iter().find(|(i, _)| Arc::ptr_eq(i, &inner)) {
                return t.clone();
            }
            let t: Arc<dyn HealthProvider> =
                Arc::new(trouble::TroubleTracked::new(inner.clone(), trouble.clone()));
            tracked.push((inner, t.clone()));
            t
        };
        // Each source of a region's health reads at its own pace, within its budget.
        let intervals = &opts.health_paces;
        let mut lag: HashMap<String, Arc<dyn LagReader>> = HashMap::new();
        let mut database: HashMap<String, Arc<dyn DatabaseControl>> = HashMap::new();
        for r in &fleet.regions {
            let own = |cap: &Capability| !cap.settings.reads_like_traffic(&fleet.traffic.settings);
            let mut sources: Vec<(&'static str, Arc<dyn HealthProvider>)> = r
                .health_sources()
                .map(|h| {
                    let p: Arc<dyn HealthProvider> = match h.provider {
                        ProviderKind::Route53 => real.route53_health.clone(),
                        ProviderKind::Http => real.http_health.clone(),
                        ProviderKind::AzureTrafficManager if own(h) => {
                            Arc::new(azure::TrafficManager::new(fleet, h, Some(state_dir)))
                        }
                        ProviderKind::AzureTrafficManager => azure.clone(),
                        ProviderKind::Cloudflare if own(h) => {
                            Arc::new(cloudflare::LoadBalancing::new(fleet, h, Some(state_dir)))
                        }
                        ProviderKind::Cloudflare => cloudflare.clone(),
                        _ => sim(),
                    };
                    (h.provider.as_str(), p)
                })
                .collect();
            let h: Arc<dyn HealthProvider> = match sources.len() {
                1 => sources.remove(0).1,
                _ => Arc::new(combined_health::CombinedHealth::new(
                    sources,
                    intervals.get(&r.id).map_or(&[], Vec::as_slice),
                )),
            };
            health.insert(r.id.clone(), track(h));
            // Lag and role may come from different backends (CloudWatch lag, Aurora role).
            let lag_reader: Arc<dyn LagReader> = match r.lag.provider {
                ProviderKind::Postgres => real.postgres.clone(),
                ProviderKind::Redis => real.redis.clone(),
                ProviderKind::Cloudwatch => real.cloudwatch_lag.clone(),
                _ => sim(),
            };
            lag.insert(r.id.clone(), lag_reader);
            let control: Arc<dyn DatabaseControl> = match r.database.provider {
                ProviderKind::Postgres => real.postgres.clone(),
                ProviderKind::Redis => real.redis.clone(),
                ProviderKind::Aurora => real.aurora.clone(),
                ProviderKind::ElasticacheGlobal => real.elasticache.clone(),
                _ => sim(),
            };
            database.insert(r.id.clone(), control);
        }
        let routing: Option<Arc<dyn routing::TenantRouting>> =
            fleet.tenant_routing.as_ref().map(|cap| match cap.provider {
                ProviderKind::CloudflareKv => Arc::new(cloudflare::kv::KvRouting::new(fleet, cap))
                    as Arc<dyn routing::TenantRouting>,
                _ => sim() as Arc<dyn routing::TenantRouting>,
            });
        let alarms: Option<Arc<dyn alarms::AlarmReader>> = fleet.alarms.as_ref().map(|_| {
            Arc::new(aws::alarms::CloudWatchAlarms::from_fleet(
                fleet,
                real.aws.clone(),
            )) as Arc<dyn alarms::AlarmReader>
        });
        let mut stores: HashMap<String, Vec<StoreProviders>> = HashMap::new();
        for k in 1..fleet.store_count() {
            let view = fleet.store_view(k);
            let real = RealProviders::for_store(&view, state_dir, &real);
            for r in &fleet.regions {
                let Some(st) = r.stores.get(k) else { continue };
                let lag: Arc<dyn LagReader> = match st.lag.provider {
                    ProviderKind::Postgres => real.postgres.clone(),
                    ProviderKind::Redis => real.redis.clone(),
                    ProviderKind::Cloudwatch => real.cloudwatch_lag.clone(),
                    _ => sim(),
                };
                let control: Arc<dyn DatabaseControl> = match st.database.provider {
                    ProviderKind::Postgres => real.postgres.clone(),
                    ProviderKind::Redis => real.redis.clone(),
                    ProviderKind::Aurora => real.aurora.clone(),
                    ProviderKind::ElasticacheGlobal => real.elasticache.clone(),
                    _ => sim(),
                };
                stores
                    .entry(r.id.clone())
                    .or_default()
                    .push(StoreProviders {
                        name: st.name.clone(),
                        lag,
                        database: control,
                    });
            }
        }
        Ok(Providers {
            traffic,
            gitops,
            releases,
            kube,
            runner,
            health,
            lag,
            database,
            routing,
            alarms,
            stores,
        })
    }
}

/// The real backends of a fleet, shared by every region that uses them.
struct RealProviders {
    aws: Arc<aws::AwsConfigs>,
    route53_health: Arc<aws::health::Route53Health>,
    http_health: Arc<http::HttpHealth>,
    cloudwatch_lag: Arc<aws::cloudwatch::CloudWatchLag>,
    postgres: Arc<postgres::Postgres>,
    redis: Arc<redis::Redis>,
    aurora: Arc<aws::aurora::Aurora>,
    elasticache: Arc<aws::elasticache::ElastiCacheGlobal>,
    hub: Arc<aws::cloudwatch::CloudWatchHub>,
}

impl RealProviders {
    /// Cheap: nothing connects until the first read.
    fn new(fleet: &Fleet, state_dir: &Path) -> RealProviders {
        let configs = aws::AwsConfigs::new();
        let hub = aws::cloudwatch::CloudWatchHub::new(configs.clone());
        RealProviders::with(fleet, state_dir, configs, hub)
    }

    /// The backends of a further data store (`view`: `Fleet::store_view`), sharing the
    /// fleet's AWS clients and CloudWatch batches.
    fn for_store(view: &Fleet, state_dir: &Path, main: &RealProviders) -> RealProviders {
        // Only its database and lag: the health sources are the fleet's own, read once.
        let mut view = view.clone();
        for r in &mut view.regions {
            r.health = Capability::default();
            r.more_health.clear();
        }
        RealProviders::with(&view, state_dir, main.aws.clone(), main.hub.clone())
    }

    fn with(
        fleet: &Fleet,
        state_dir: &Path,
        configs: Arc<aws::AwsConfigs>,
        hub: Arc<aws::cloudwatch::CloudWatchHub>,
    ) -> RealProviders {
        RealProviders {
            elasticache: aws::elasticache::ElastiCacheGlobal::from_fleet(fleet, configs.clone()),
            route53_health: aws::health::Route53Health::from_fleet(
                fleet,
                configs.clone(),
                hub.clone(),
                Some(state_dir),
            ),
            cloudwatch_lag: aws::cloudwatch::CloudWatchLag::from_fleet(fleet, hub.clone()),
            hub,
            http_health: Arc::new(http::HttpHealth::from_fleet(fleet, Some(state_dir))),
            aurora: aws::aurora::Aurora::from_fleet(fleet, configs.clone()),
            aws: configs,
            postgres: Arc::new(postgres::Postgres::from_fleet(fleet)),
            redis: Arc::new(redis::Redis::from_fleet(fleet)),
        }
    }
}
