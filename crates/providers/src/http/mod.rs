//! HTTP health probes (`health = { provider = "http" }`). Every probe of a region runs
//! concurrently, each bounded by its own timeout, so a black-holed endpoint costs at most
//! its timeout and never holds up another region. Healthy when every probe passes,
//! degraded when some do, down when none do.

pub mod probe;
mod transport;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use futures::future::join_all;

use super::aws::healthy_since::HealthySince;
use crate::{HealthProvider, ProviderError, ProviderResult};
use meridian_model::fleet::probes::HttpHealthConfig;
use meridian_model::fleet::settings::Settings;
use meridian_model::fleet::{Fleet, FleetSource, Region};
use meridian_model::state::{Health, HealthStatus, now_ms};
use probe::Probe;
use transport::Transport;

/// How many recent round trips the latency median is taken over.
const LATENCY_SAMPLES: usize = 20;

/// One region's probes.
struct RegionProbes {
    probes: Vec<Probe>,
    config: HttpHealthConfig,
}

/// Regions with the same TLS settings share a client (and its connection pool).
type ClientKey = (Option<String>, bool);

/// Health of every region probed over HTTP.
pub struct HttpHealth {
    regions: HashMap<String, Result<RegionProbes, String>>,
    base_dir: PathBuf,
    since: HealthySince,
    latencies: Mutex<HashMap<String, VecDeque<f64>>>,
    /// Built at the first read that needs them (loading the system's roots takes a while).
    clients: Mutex<HashMap<ClientKey, Result<Transport, String>>>,
}

impl HttpHealth {
    /// `state_dir` keeps `healthy_since` across processes (None: this process only).
    pub fn from_fleet(fleet: &Fleet, state_dir: Option<&Path>) -> HttpHealth {
        let mut regions = HashMap::new();
        for r in &fleet.regions {
            // Built when the fleet was loaded (which refused a fleet whose probes were wrong).
            let Some(http) = r.health_sources().find_map(|h| match &h.settings {
                Settings::Http(http) => Some(http),
                _ => None,
            }) else {
                continue;
            };
            let built = Ok::<_, String>(http.built.clone()).map(|config| {
                let hosts: std::collections::HashSet<&str> = config
                    .probes
                    .iter()
                    .filter_map(|p| p.url.split('/').nth(2))
                    .collect();
                RegionProbes {
                    probes: config
                        .probes
                        .iter()
                        .map(|p| Probe::new(p.clone(), hosts.len() > 1))
                        .collect(),
                    config,
                }
            });
            regions.insert(r.id.clone(), built);
        }
        let base_dir = match &fleet.source {
            FleetSource::File(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
            FleetSource::Demo => PathBuf::new(),
        };
        HttpHealth {
            regions,
            base_dir,
            since: HealthySince::with_file(state_dir, "http-healthy-since.json"),
            latencies: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, rp: &RegionProbes) -> Result<Transport, String> {
        let key = (rp.config.ca_file.clone(), rp.config.insecure);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(key)
            .or_insert_with(|| Transport::build(&rp.config, &self.base_dir))
            .clone()
    }

    /// Median of the region's recent round trips, with this round's added.
    fn latency(&self, region: &str, new: &[f64]) -> Option<f64> {
        let mut all = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
        let samples = all.entry(region.to_string()).or_default();
        for l in new {
            samples.push_back(*l);
            if samples.len() > LATENCY_SAMPLES {
                samples.pop_front();
            }
        }
        let mut sorted: Vec<f64> = samples.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        match sorted.len() {
            0 => None,
            n if n % 2 == 1 => Some(sorted[n / 2]),
            n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
        }
    }
}

#[async_trait]
impl HealthProvider for HttpHealth {
    async fn read_health(&self, region: &Region) -> ProviderResult<Health> {
        let call = "http probes";
        let rp = match self.regions.get(&region.id) {
            Some(Ok(rp)) => rp,
            Some(Err(why)) => return Err(ProviderError::new(Some(&region.id), call, why.clone())),
            None => {
                return Err(ProviderError::new(
                    Some(&region.id),
                    call,
                    "no HTTP probes configured",
                ));
            }
        };
        let client = self.client(rp).map_err(|e| {
            ProviderError::new(Some(&region.id), call, e).with_hint("fix ca_file in the fleet file")
        })?;
        let answers = join_all(rp.probes.iter().map(|p| p.run(&client))).await;
        let ok = answers.iter().filter(|a| a.failure.is_none()).count();
        let n = answers.len();
        let status = match ok {
            _ if ok == n => HealthStatus::Healthy,
            0 => HealthStatus::Down,
            _ => HealthStatus::Degraded,
        };
        let mut reason = format!("{ok}/{n} probes ok");
        for (p, a) in rp.probes.iter().zip(&answers) {
            if let Some(f) = &a.failure {
                reason.push_str(&format!("; {}: {f}", p.label));
            }
        }
        if rp.config.insecure {
            reason.push_str(" (TLS NOT VERIFIED: insecure = true)");
        }
        let latencies: Vec<f64> = answers.iter().filter_map(|a| a.latency_ms).collect();
        let latency_ms = self.latency(&region.id, &latencies);
        let healthy_since =
            self.since
                .observe(&region.id, status == HealthStatus::Healthy, now_ms());
        Ok(Health {
            status,
            reason,
            latency_ms,
            healthy_since,
            unhealthy_since: None,
        })
    }
}
