//! Practice runs: a rollout rehearsed against a simulated copy of the live fleet. The copy
//! keeps the fleet's regions, tenants, phases, policy and rollout templates (so the plans,
//! guards, gates and approvals are the same) and replaces every provider with the
//! simulator, seeded from what was observed when the practice started: each region's
//! role, weight, lag, phases done and whether it was down. It lives in a state directory
//! of its own, so nothing in it can reach a real backend or the real world file.

use serde::{Deserialize, Serialize};

use meridian_model::fleet::{Capability, Fleet, FleetSource, IdentitySource, ProviderKind, Role};
use meridian_model::state::{FleetState, HealthStatus, Millis};

/// What the practice copy was seeded from, kept beside it so every later command of the
/// practice rebuilds the same copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seed {
    /// The live fleet's name.
    pub fleet: String,
    /// When the live fleet was read.
    pub observed_at: Millis,
    pub regions: Vec<SeedRegion>,
}

/// One region as observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRegion {
    pub id: String,
    /// Its database's role as read (the configured one when unread).
    pub role: Role,
    /// Its weight in traffic units (None: unread; the steady weight is used).
    pub weight: Option<u32>,
    /// Seconds behind the writer (None: unread or the writer).
    pub lag: Option<f64>,
    pub phases_done: usize,
    /// Observed down: the copy starts with the region failing its probes.
    pub down: bool,
}

/// What a practice starts from: the live fleet as `state` observed it.
pub fn seed(fleet: &Fleet, state: &FleetState) -> Seed {
    Seed {
        fleet: fleet.name.clone(),
        observed_at: state.observed_at,
        regions: fleet
            .regions
            .iter()
            .map(|r| {
                let s = state.region(&r.id);
                SeedRegion {
                    id: r.id.clone(),
                    role: s.and_then(|s| s.role.value).unwrap_or(r.role),
                    weight: s.and_then(|s| s.weight.value).map(|w| w.effective()),
                    lag: s.and_then(|s| s.lag.value),
                    phases_done: s
                        .map(|s| s.phases_succeeded())
                        .unwrap_or_else(|| r.sim.phases_done.unwrap_or(fleet.phases.len())),
                    down: s.is_some_and(|s| s.health_status() == HealthStatus::Down),
                }
            })
            .collect(),
    }
}

/// The simulated copy of `fleet` seeded from `seed`. Every capability is the simulator's;
/// Helm tables and clusters are dropped (a deploy step has nothing real to reach and is
/// refused by its plan); the fleet lock and shared store are files in the practice's own
/// state directory.
pub fn fleet(fleet: &Fleet, seed: &Seed) -> Fleet {
    let sim = Capability::default();
    let mut f = fleet.clone();
    f.description = Some(format!(
        "{MARK} a simulated copy of fleet {}, seeded from its state as observed; nothing real changes",
        fleet.name
    ));
    f.source = FleetSource::Demo;
    f.traffic = sim.clone();
    f.gitops = sim.clone();
    f.runner = sim.clone();
    f.lock = Capability {
        provider: ProviderKind::File,
        settings: meridian_model::fleet::settings::Settings::File,
    };
    f.tenant_routing = fleet.tenant_routing.as_ref().map(|_| sim.clone());
    f.alarms = None;
    for r in &mut f.regions {
        r.health = sim.clone();
        r.more_health.clear();
        r.lag = sim.clone();
        r.database = sim.clone();
        r.cluster = None;
        for s in &mut r.stores {
            s.database = sim.clone();
            s.lag = sim.clone();
        }
        if let Some(o) = seed.regions.iter().find(|o| o.id == r.id) {
            r.role = o.role;
            r.sim.weight = o.weight.or(r.sim.weight);
            r.sim.lag_seconds = o.lag.or(r.sim.lag_seconds);
            r.sim.phases_done = Some(o.phases_done);
            // A step that fails once is a drill of the demo, not of this fleet.
            r.sim.fail_once.clear();
        }
    }
    for t in &mut f.tenants {
        t.helm = None;
    }
    // People are told apart by the OS user: no identity backend is asked (SelfSubjectReview
    // or GetCallerIdentity would reach the real cluster or account), so a production
    // template's two-person steps can be rehearsed; the real run enforces
    // `require_verified_identity`.
    f.policy.identity.source = IdentitySource::Os;
    f.policy.identity.require_verified = false;
    f
}

/// Is this fleet a practice copy (made by `fleet` above)?
pub fn is_copy(fleet: &Fleet) -> bool {
    fleet
        .description
        .as_deref()
        .is_some_and(|d| d.starts_with(MARK))
}

/// How a practice copy's description starts.
pub const MARK: &str = "PRACTICE:";

/// Regions the copy starts down (their probes fail, as observed).
pub fn down(seed: &Seed) -> impl Iterator<Item = &str> {
    seed.regions
        .iter()
        .filter(|r| r.down)
        .map(|r| r.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testkit::{NOW, state};
    use meridian_model::state::{Health, Observed};
    use meridian_model::traffic::Weight;

    #[test]
    fn the_copy_is_simulated_throughout_and_seeded_from_what_was_observed() {
        let live = crate::actions::testkit::fleet();
        let mut s = state(&live);
        // Mid-incident: us-east-1 drained and down, eu-west-1 already the writer.
        let use1 = s.region_mut("us-east-1").expect("region");
        use1.weight = Observed::ok(Weight::units(0), NOW);
        use1.role = Observed::ok(Role::Secondary, NOW);
        use1.health = Observed::ok(
            Health {
                status: HealthStatus::Down,
                reason: "0/3 probes ok".into(),
                latency_ms: None,
                healthy_since: None,
                unhealthy_since: Some(NOW - 60_000),
            },
            NOW,
        );
        let euw1 = s.region_mut("eu-west-1").expect("region");
        euw1.role = Observed::ok(Role::Primary, NOW);
        euw1.lag = Observed::ok(0.0, NOW);
        let seed = seed(&live, &s);
        let copy = fleet(&live, &seed);

        assert!(
            copy.providers()
                .iter()
                .all(|p| matches!(p, ProviderKind::Sim | ProviderKind::File)),
            "{:?}",
            copy.providers()
        );
        assert!(is_copy(&copy) && !is_copy(&live));
        // No identity backend is asked in a practice.
        let mut strict = live.clone();
        strict.policy.identity.source = IdentitySource::Kube;
        strict.policy.identity.require_verified = true;
        let strict_copy = fleet(&strict, &seed);
        assert_eq!(
            crate::actions::approvals::Source::of(&strict_copy),
            crate::actions::approvals::Source::Os(None)
        );
        assert!(!strict_copy.policy.identity.require_verified);
        let r = |id: &str| copy.region(id).expect("region");
        assert_eq!(r("us-east-1").role, Role::Secondary);
        assert_eq!(r("us-east-1").sim.weight, Some(0));
        assert_eq!(r("eu-west-1").role, Role::Primary);
        assert_eq!(r("ap-southeast-1").sim.lag_seconds, Some(2.0));
        assert_eq!(r("ap-south-1").sim.phases_done, Some(4));
        assert!(r("ap-south-1").sim.fail_once.is_empty());
        assert_eq!(down(&seed).collect::<Vec<_>>(), vec!["us-east-1"]);
        // The same templates, tenants and policy: the same plans and gates.
        assert_eq!(copy.rollouts.len(), live.rollouts.len());
        assert_eq!(copy.tenants.len(), live.tenants.len());
        assert_eq!(copy.policy.rpo_budget, live.policy.rpo_budget);
        // The seed round-trips through its file.
        let text = serde_json::to_string(&seed).expect("json");
        assert_eq!(serde_json::from_str::<Seed>(&text).expect("parse"), seed);
    }
}
