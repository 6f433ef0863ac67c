//! The simulated routing layer: each tenant's home region and the regions that take new
//! tenants, kept in the world file so a CLI in another terminal sees a change at once.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::SimProvider;
use super::world::World;
use crate::routing::{RoutingChange, TenantRouting};
use crate::{Progress, ProviderError, ProviderResult};
use meridian_model::fleet::Fleet;
use meridian_model::state::TenantHomes;

/// How long a simulated routing write takes, in simulated seconds.
const WRITE_SECS: f64 = 1.0;

/// The map as the simulated routing layer holds it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimRouting {
    pub homes: BTreeMap<String, String>,
    pub signups: Vec<String>,
}

impl SimRouting {
    /// The map a fresh world starts with: each tenant in its `sim.home` (else its first
    /// region), every region open unless `sim.signups = false`.
    pub fn from_fleet(fleet: &Fleet) -> SimRouting {
        SimRouting {
            homes: fleet
                .tenants
                .iter()
                .filter_map(|t| {
                    let home = t
                        .sim
                        .home
                        .clone()
                        .or_else(|| t.regions.first().map(|r| r.to_string()))?;
                    Some((t.id.clone(), home))
                })
                .collect(),
            signups: fleet
                .regions
                .iter()
                .filter(|r| r.sim.signups != Some(false))
                .map(|r| r.id.clone())
                .collect(),
        }
    }

    fn homes(&self) -> TenantHomes {
        TenantHomes {
            homes: self.homes.clone(),
            signups: Some(self.signups.clone()),
            unreadable: Vec::new(),
        }
    }
}

/// The world's map, made from the fleet the first time it is needed.
fn map<'w>(world: &'w mut World, fleet: &Fleet) -> &'w mut SimRouting {
    world
        .routing
        .get_or_insert_with(|| SimRouting::from_fleet(fleet))
}

#[async_trait]
impl TenantRouting for SimProvider {
    async fn read_routing(&self, fleet: &Fleet) -> ProviderResult<TenantHomes> {
        self.read("read routing", |w| match &w.routing {
            Some(r) => r.homes(),
            None => SimRouting::from_fleet(fleet).homes(),
        })
    }

    async fn apply(
        &self,
        fleet: &Fleet,
        change: &RoutingChange,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let call = "sim routing write";
        match change {
            RoutingChange::Home { tenant, to } => {
                progress.say(&format!("routing layer: {tenant} -> {to}"))
            }
            RoutingChange::Signups { region, open } => progress.say(&format!(
                "routing layer: sign-ups {} in {region}",
                if *open { "open" } else { "closed" }
            )),
        }
        self.take(WRITE_SECS).await;
        self.change(call, |w| {
            if let RoutingChange::Home { to, .. } | RoutingChange::Signups { region: to, .. } =
                change
                && w.region(to)
                    .is_some_and(|r| r.health == meridian_model::state::HealthStatus::Down)
            {
                return Err(Self::down_error(to, call));
            }
            let m = map(w, fleet);
            match change {
                RoutingChange::Home { tenant, to } => {
                    m.homes.insert(tenant.clone(), to.clone());
                }
                RoutingChange::Signups { region, open } => {
                    m.signups.retain(|r| r != region);
                    if *open {
                        m.signups.push(region.clone());
                    }
                }
            }
            Ok::<(), ProviderError>(())
        })?
    }

    fn describe(&self, change: &RoutingChange) -> Vec<String> {
        vec![match change {
            RoutingChange::Home { tenant, to } => {
                format!("simulated routing map: {tenant} -> {to}")
            }
            RoutingChange::Signups { region, open } => format!(
                "simulated routing map: {region} {} the sign-up regions",
                if *open { "added to" } else { "removed from" }
            ),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_map_homes_every_tenant_and_keeps_the_new_region_closed() {
        let fleet = meridian_model::fleet::demo();
        let m = SimRouting::from_fleet(&fleet);
        for t in &fleet.tenants {
            assert!(m.homes.contains_key(&t.id), "{} has a home", t.id);
        }
        assert!(!m.signups.contains(&"ap-south-1".to_string()));
        assert!(m.signups.contains(&"us-east-1".to_string()));
    }
}
