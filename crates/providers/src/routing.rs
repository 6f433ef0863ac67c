//! Tenant routing: where the global routing layer sends each tenant (its home region), and
//! which regions it gives new tenants at sign-up. Cloudflare Workers KV (`cloudflare::kv`)
//! and the simulator serve it.

use async_trait::async_trait;

use crate::{Progress, ProviderResult};
use meridian_model::fleet::Fleet;
use meridian_model::state::TenantHomes;

/// A change to the routing map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingChange {
    /// Open a region to new tenants, or close it.
    Signups { region: String, open: bool },
    /// Point a tenant's entry at another region.
    Home { tenant: String, to: String },
}

#[async_trait]
pub trait TenantRouting: Send + Sync {
    /// The whole map: every tenant's home and the regions open to sign-ups.
    async fn read_routing(&self, fleet: &Fleet) -> ProviderResult<TenantHomes>;

    /// Make the change, then read it back until it shows (a map that is eventually
    /// consistent may answer with the old value for a while: that is waited for, within the
    /// provider's consistency window, never reported as a failure).
    async fn apply(
        &self,
        fleet: &Fleet,
        change: &RoutingChange,
        progress: &Progress,
    ) -> ProviderResult<()>;

    /// The change in the backend's own words (the keys and values written), for the plan.
    fn describe(&self, _change: &RoutingChange) -> Vec<String> {
        Vec::new()
    }
}
