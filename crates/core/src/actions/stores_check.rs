//! What `status --check` says about data stores (`databases = [...]`, `cache`): a store
//! whose writer is not in the database's region (a failover that stopped part-way: the
//! application writes to two regions), a store that could not be read, and a secondary
//! store over its RPO.

use meridian_model::fleet::{Fleet, Role};
use meridian_model::state::FleetState;

/// One line per problem.
pub fn store_problems(fleet: &Fleet, state: &FleetState) -> Vec<String> {
    let mut out = Vec::new();
    let db = state.primary().map(|r| r.id.clone());
    for (k, writer) in state.split_writers() {
        let name = fleet
            .regions
            .iter()
            .find_map(|r| r.stores.get(k))
            .map(|s| s.name.clone())
            .unwrap_or_else(|| format!("store {}", k + 1));
        let db = db.as_deref().unwrap_or("?");
        out.push(format!(
            "data stores split: the database's writer is {db} but {name}'s is {writer}: the application writes to two regions; finish the failover (`meridian promote {db}` moves {name} there) or go back (`meridian promote {writer}`)"
        ));
    }
    for r in &fleet.regions {
        let Some(s) = state.region(&r.id) else {
            continue;
        };
        for (k, st) in r.data_stores().iter().enumerate().skip(1) {
            let Some((role, lag)) = s.store(k) else {
                continue;
            };
            if let Some(e) = &role.error {
                out.push(format!("{} {} role is stale: {e}", r.id, st.name));
            }
            if role.value == Some(Role::Secondary) {
                let rpo = st.rpo.unwrap_or(fleet.policy.rpo_budget).as_secs_f64();
                match (lag.value, &lag.error) {
                    (_, Some(e)) => out.push(format!("{} {} lag is stale: {e}", r.id, st.name)),
                    (Some(l), None) if l > rpo => out.push(format!(
                        "{} {} lag {l:.1}s is over its RPO of {rpo:.0}s",
                        r.id, st.name
                    )),
                    _ => {}
                }
            }
        }
    }
    out
}
