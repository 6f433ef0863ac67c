//! Azure Traffic Manager as the fleet's traffic and health: one weighted profile, one
//! endpoint per region matched by name (the region's `set_identifier`, default its id).
//!
//! Rules (see `traffic::rules::AZURE`): weights are 1..=1000 and never 0, so a drained region's
//! endpoint is disabled (`endpointStatus: Disabled`) and keeps its weight; every endpoint
//! disabled makes the profile Inactive (refused by the `all-weights-zero` guard). A change
//! is one PATCH of the profile carrying every endpoint: atomic.

pub mod arm;
pub mod auth;
pub mod profile;

use std::path::Path;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::Mutex;

use self::arm::{Arm, ArmTarget};
use self::profile::Profile;
use super::aws::healthy_since::HealthySince;
use super::{
    HealthProvider, Progress, ProviderError, ProviderResult, TrafficProvider, WeightsReading,
};
use meridian_model::fleet::{Capability, Fleet, Region};
use meridian_model::state::{Health, HealthStatus, Route, now_ms};
use meridian_model::traffic::Weight;

/// How long one read of the profile serves every region's health and the weights.
const SHARED_READ: Duration = Duration::from_secs(2);

/// One Traffic Manager profile.
pub struct TrafficManager {
    arm: Arm,
    /// The last read, so one refresh reads the profile once for every region.
    last: Mutex<Option<(Instant, Value)>>,
    since: HealthySince,
}

impl TrafficManager {
    /// For a capability's table (its keys over `[traffic]`'s).
    pub fn new(fleet: &Fleet, cap: &Capability, state_dir: Option<&Path>) -> TrafficManager {
        TrafficManager {
            arm: Arm::new(ArmTarget::of(fleet, cap)),
            last: Mutex::new(None),
            since: HealthySince::with_file(state_dir, "azure-healthy-since.json"),
        }
    }

    /// The profile, read now or at most `SHARED_READ` ago.
    async fn read(&self, progress: &Progress, fresh: bool) -> ProviderResult<(Value, Profile)> {
        let mut last = self.last.lock().await;
        let json = match last.as_ref() {
            Some((at, v)) if !fresh && at.elapsed() < SHARED_READ => v.clone(),
            _ => {
                let v = self.arm.profile(None, progress).await?;
                *last = Some((Instant::now(), v.clone()));
                v
            }
        };
        let p = profile::parse(&json).map_err(|e| self.error("GET", e))?;
        if profile::steering(&p.routing).is_none() {
            return Err(self
                .error(
                    "GET",
                    format!(
                        "profile {} uses \"{}\" routing, which meridian does not know",
                        self.arm.target.profile, p.routing
                    ),
                )
                .with_hint("meridian knows Weighted, Priority, Performance, Geographic, MultiValue and Subnet routing"));
        }
        Ok((json, p))
    }

    fn error(&self, verb: &str, msg: impl Into<String>) -> ProviderError {
        ProviderError::new(
            None,
            format!(
                "azure {verb} trafficManagerProfiles/{}",
                self.arm.target.profile
            ),
            msg,
        )
    }

    fn weights(fleet: &Fleet, p: &Profile) -> WeightsReading {
        let steering = profile::steering(&p.routing).unwrap_or_default();
        let mut reading = WeightsReading::default();
        for e in &p.endpoints {
            let w = e.weight_under(steering);
            match fleet
                .regions
                .iter()
                .find(|r| r.set_identifier.eq_ignore_ascii_case(&e.name))
            {
                Some(r) => {
                    reading.by_region.insert(r.id.clone(), w);
                    if !steering.weighted() {
                        reading.routes.insert(r.id.clone(), route(p, e, steering));
                    }
                }
                None => reading.unmanaged.push((
                    e.name.clone(),
                    if steering.weighted() {
                        w.effective()
                    } else {
                        u32::from(w.serving())
                    },
                )),
            }
        }
        reading
    }

    /// Endpoint names for the regions, with their new weights.
    fn by_endpoint(fleet: &Fleet, weights: &[(String, Weight)]) -> Vec<(String, Weight)> {
        weights
            .iter()
            .map(|(r, w)| {
                let name = fleet
                    .region(r)
                    .map(|r| r.set_identifier.clone())
                    .unwrap_or_else(|| r.clone());
                (name, *w)
            })
            .collect()
    }

    fn describe(&self, p: &Profile, changes: &[(String, Weight)], body: &Value) -> Vec<String> {
        let mut out = vec![format!(
            "Azure Traffic Manager: one PATCH of profile {} with every endpoint (atomic: all change together or none)",
            self.arm.target.profile
        )];
        for (name, w) in changes {
            let was = p.endpoint(name);
            let status = |enabled: bool| if enabled { "Enabled" } else { "Disabled" };
            if !w.has_share() {
                out.push(format!(
                    "  {name} ({} routing): endpointStatus {} -> {} (its {} kept)",
                    p.routing,
                    was.map(|e| status(e.enabled)).unwrap_or("?"),
                    status(!w.drained),
                    if w.steering == meridian_model::traffic::Steering::Priority {
                        format!("priority {}", w.units)
                    } else {
                        "settings".to_string()
                    }
                ));
                continue;
            }
            out.push(format!(
                "  {name}: weight {} -> {}, {} -> {}",
                was.and_then(|e| e.weight)
                    .map(|w| w.to_string())
                    .unwrap_or("?".into()),
                w.units,
                was.map(|e| status(e.enabled)).unwrap_or("?"),
                status(!w.drained),
            ));
        }
        out.push(format!("  body: {body}"));
        out
    }
}

#[async_trait]
impl TrafficProvider for TrafficManager {
    async fn read_weights(&self, fleet: &Fleet) -> ProviderResult<WeightsReading> {
        let (_, p) = self.read(&Progress::silent(), true).await?;
        Ok(Self::weights(fleet, &p))
    }

    async fn describe_change(&self, fleet: &Fleet, weights: &[(String, Weight)]) -> Vec<String> {
        let changes = Self::by_endpoint(fleet, weights);
        let described = async {
            let (json, p) = self.read(&Progress::silent(), true).await?;
            let body = profile::patch_body(&json, &changes).map_err(|e| self.error("PATCH", e))?;
            Ok::<_, ProviderError>(self.describe(&p, &changes, &body))
        };
        described
            .await
            .unwrap_or_else(|e| vec![format!("the Traffic Manager change cannot be shown: {e}")])
    }

    async fn apply_weights(
        &self,
        fleet: &Fleet,
        weights: &[(String, Weight)],
        progress: &Progress,
    ) -> ProviderResult<()> {
        let changes = Self::by_endpoint(fleet, weights);
        let (json, p) = self.read(progress, true).await?;
        let body = profile::patch_body(&json, &changes).map_err(|e| self.error("PATCH", e))?;
        // The guards refuse this already; never send it even if a plan slipped through.
        let enabled = body
            .pointer("/properties/endpoints")
            .and_then(Value::as_array)
            .is_some_and(|eps| {
                eps.iter().any(|e| {
                    e.pointer("/properties/endpointStatus") != Some(&Value::from("Disabled"))
                })
            });
        if !enabled {
            return Err(self
                .error(
                    "PATCH",
                    "this would disable every endpoint and make the profile Inactive",
                )
                .with_hint("keep at least one region serving"));
        }
        for line in self.describe(&p, &changes, &body) {
            progress.say(&line);
        }
        self.arm.profile(Some(&body), progress).await?;
        progress.say("azure: profile updated; reading it back");
        // Read back: only what ARM now holds proves the change; a concurrent change shows here.
        let (_, after) = self.read(progress, true).await?;
        let wrong =
            meridian_model::traffic::differences(weights, &Self::weights(fleet, &after).by_region);
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(self
                .error("GET", format!("read back differs: {}", wrong.join(", ")))
                .with_hint(
                    "someone else changed the profile at the same time; check `meridian status`",
                ))
        }
    }
}

#[async_trait]
impl HealthProvider for TrafficManager {
    async fn read_health(&self, region: &Region) -> ProviderResult<Health> {
        let (_, p) = self.read(&Progress::silent(), false).await?;
        let e = p.endpoint(&region.set_identifier).ok_or_else(|| {
            ProviderError::new(
                Some(&region.id),
                format!(
                    "azure GET trafficManagerProfiles/{}",
                    self.arm.target.profile
                ),
                format!("no endpoint named \"{}\"", region.set_identifier),
            )
            .with_hint(
                "name the endpoint after the region, or set set_identifier in the fleet file",
            )
        })?;
        let (status, reason) = match e.monitor.as_str() {
            "Online" => (
                HealthStatus::Healthy,
                "Traffic Manager probes: Online".to_string(),
            ),
            "Degraded" => (
                HealthStatus::Down,
                "Traffic Manager probes: Degraded (failing its health checks)".to_string(),
            ),
            "Stopped" => (
                HealthStatus::Down,
                "Traffic Manager: the target is Stopped".to_string(),
            ),
            "Disabled" => (
                HealthStatus::Unknown,
                "endpoint disabled: Traffic Manager does not probe it".to_string(),
            ),
            "CheckingEndpoint" => (
                HealthStatus::Unknown,
                "Traffic Manager is still checking the endpoint".to_string(),
            ),
            other => (
                HealthStatus::Unknown,
                format!(
                    "Traffic Manager monitor status: {}",
                    if other.is_empty() { "none" } else { other }
                ),
            ),
        };
        let healthy_since =
            self.since
                .observe(&region.id, status == HealthStatus::Healthy, now_ms());
        Ok(Health {
            status,
            reason,
            latency_ms: None,
            healthy_since,
            unhealthy_since: None,
        })
    }
}

/// What decides an endpoint's traffic beyond its weight: its priority, or the geographic
/// codes it alone serves (Traffic Manager maps each code to one endpoint, and a code whose
/// endpoint is disabled gets no answer unless a broader code is mapped elsewhere).
fn route(p: &Profile, e: &profile::Endpoint, steering: meridian_model::traffic::Steering) -> Route {
    let mut out = Route {
        via: format!(
            "endpoint {} of profile ({} routing{})",
            e.name,
            p.routing,
            e.priority
                .filter(|_| steering == meridian_model::traffic::Steering::Priority)
                .map(|n| format!(", priority {n}"))
                .unwrap_or_default()
        ),
        ..Route::default()
    };
    if steering == meridian_model::traffic::Steering::Geographic && !e.geo_mapping.is_empty() {
        out.only_for = e.geo_mapping.clone();
        out.instead = Some(
            "no endpoint: Traffic Manager answers them with nothing unless a broader code (a region or WORLD) is mapped to another endpoint".into(),
        );
    }
    out
}
