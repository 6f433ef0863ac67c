//! A region's further data stores, read with its database: each store's role and lag
//! from its own providers (built from `Fleet::store_view`), all at once and each within
//! the reading's deadline.

use std::time::Duration;

use super::read::bounded;
use meridian_model::fleet::{Region, Role};
use meridian_providers::{ProviderResult, Providers};

/// Role and lag of each further store of `region`, in the fleet's order.
pub async fn read_stores(
    providers: &Providers,
    region: &Region,
    deadline: Duration,
) -> Vec<(ProviderResult<Role>, ProviderResult<Option<f64>>)> {
    let Some(stores) = providers.stores.get(&region.id) else {
        return Vec::new();
    };
    let reads = stores
        .iter()
        .zip(region.further_stores())
        .map(|(p, st)| async move {
            // The region as the store's providers know it: that store's tables.
            let r = Region {
                database: st.database.clone(),
                lag: st.lag.clone(),
                stores: Vec::new(),
                ..region.clone()
            };
            let name = &st.name;
            let at = Some(region.id.as_str());
            futures::join!(
                bounded(
                    deadline,
                    at,
                    format!("{} read role of {name}", st.database.provider.as_str()),
                    p.database.read_role(&r),
                ),
                bounded(
                    deadline,
                    at,
                    format!("{} read lag of {name}", st.lag.provider.as_str()),
                    p.lag.read_lag(&r),
                ),
            )
        });
    futures::future::join_all(reads).await
}
