//! The promote plan of a region with several data stores (`databases = [...]`, or
//! `database` plus `cache`): every store that is not already written in the target moves,
//! in the fleet file's order, each with its own lag gate and RPO; a store already there is
//! left as it is, so running the same promotion again after a stop finishes it, and
//! promoting the old region takes back what moved.

use super::database::{app_writer, drain_old_writer};
use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::plan::*;
use crate::actions::{guards, guards_stores};
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, Millis};

pub(super) fn promote_stores_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
    region: &str,
) -> Plan {
    let Some(target) = fleet.region(region) else {
        return empty_plan(req, region.to_string(), format!("Promote {region}"));
    };
    let stores = target.data_stores();
    let mut moves: Vec<StoreMove> = Vec::new();
    let mut already: Vec<&str> = Vec::new();
    let mut changes = Vec::new();
    let mut lag_checks = Vec::new();
    for (k, st) in stores.iter().enumerate() {
        let writer = state.store_primary(k).map(|w| w.id.clone());
        if writer.as_deref() == Some(region) {
            already.push(st.name);
            continue;
        }
        if let Some(w) = &writer {
            changes.push(Change::new(
                format!("{w} {}", st.name),
                "role",
                "primary",
                "secondary",
            ));
        }
        changes.push(Change::new(
            format!("{region} {}", st.name),
            "role",
            "secondary",
            "primary",
        ));
        let lag = state
            .region(region)
            .and_then(|r| r.store(k))
            .map(|(_, l)| l);
        let rpo = st.rpo.unwrap_or(fleet.policy.rpo_budget);
        lag_checks.push(guards_stores::store_lag(
            st.name,
            lag,
            rpo,
            req.accept_data_loss,
        ));
        moves.push(StoreMove {
            store: st.name.to_string(),
            index: k,
            old_primary: writer,
        });
    }
    let order: Vec<String> = moves
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let provider = stores
                .get(m.index)
                .map(|s| s.database.provider.as_str())
                .unwrap_or("?");
            format!("{}. {} ({provider})", i + 1, m.store)
        })
        .collect();
    let mut plan = empty_plan(
        req,
        region.to_string(),
        format!(
            "Promote {region}'s data stores to primary, in order: {}",
            if order.is_empty() {
                "none left to move".to_string()
            } else {
                order.join(", ")
            }
        ),
    );
    // The writer the application used (the first store that moves): its traffic is what a
    // drain of the old writer moves.
    let old = moves.first().and_then(|m| m.old_primary.clone());
    plan.changes = changes;
    let writer_step = app_writer(fleet, region, old.as_deref());
    if let Some(change) = writer_step.0 {
        plan.changes.push(change);
    }
    let all: Vec<&str> = fleet.region_ids();
    plan.blast_radius = blast_radius(fleet, state, &all);
    plan.checks = vec![
        guards_stores::stores_already_there(region, &already, moves.len()),
        guards::promote_target_health(state, region),
    ];
    plan.checks.extend(lag_checks);
    plan.checks.push(guards::stale_data(state, &[region], now));
    plan.checks.extend(writer_step.1);
    if moves.len() > 1 {
        plan.notes.push(format!(
            "the stores move one after the other ({}); each store's lag is checked again just before it moves; a failure stops there, every store is read back and the record says which moved, with the way back",
            moves.iter().map(|m| m.store.as_str()).collect::<Vec<_>>().join(" then ")
        ));
    }
    let old_serving = old.as_deref().filter(|o| {
        *o != region
            && state
                .region(o)
                .and_then(|r| r.weight.value)
                .is_some_and(|w| w.serving())
    });
    let drain_old = match old_serving {
        Some(o) => drain_old_writer(req, fleet, state, &mut plan, o),
        None => Vec::new(),
    };
    plan.operation = Some(Operation::Promote {
        region: region.to_string(),
        old_primary: old,
        drain_old,
        stores: moves,
    });
    plan
}

#[cfg(test)]
#[path = "stores_tests.rs"]
mod tests;
