//! The data stores of regions that have several (`databases = [...]`, `cache`): each
//! store's role and lag per region, in `status` (a table under the regions) and in
//! `status --json` (`regions[].stores`). A fleet whose stores have writers in different
//! regions is split; `status --check` says so.

use serde_json::{Value, json};

use crate::fleet::{Fleet, Region, Role};
use crate::state::{FleetState, Observed};

/// One store's cell: `primary`, `secondary 0.4s`, `secondary ?`; `~` when the last read
/// failed (the value shown is the last good one).
fn cell(role: &Observed<Role>, lag: &Observed<f64>) -> String {
    let mark = if role.error.is_some() || lag.error.is_some() {
        "~"
    } else {
        ""
    };
    match role.value {
        Some(Role::Primary) => format!("{mark}primary"),
        Some(Role::Secondary) => match lag.value {
            Some(l) => format!("{mark}secondary {l:.1}s"),
            None => format!("{mark}secondary ?"),
        },
        None => "?".to_string(),
    }
}

/// `regions[].stores` of `status --json`: every store of a region with several, in order.
pub fn json(r: &Region, state: &FleetState) -> Option<Value> {
    if r.stores.len() < 2 {
        return None;
    }
    let s = state.region(&r.id)?;
    let stores: Vec<Value> = r
        .data_stores()
        .iter()
        .enumerate()
        .filter_map(|(k, st)| {
            let (role, lag) = s.store(k)?;
            Some(json!({
                "name": st.name,
                "provider": st.database.provider.as_str(),
                "role": role.value.map(|x| x.as_str()),
                "lag_seconds": lag.value,
                "errors": {"role": role.error, "lag": lag.error},
            }))
        })
        .collect();
    Some(json!(stores))
}

/// The table of data stores, or nothing when no region has several.
pub fn table(fleet: &Fleet, state: &FleetState) -> String {
    let Some(widest) = fleet.regions.iter().max_by_key(|r| r.stores.len()) else {
        return String::new();
    };
    if widest.stores.len() < 2 {
        return String::new();
    }
    let heads: Vec<String> = widest
        .stores
        .iter()
        .map(|st| format!("{} ({})", st.name, st.database.provider.as_str()))
        .collect();
    let w = heads
        .iter()
        .map(|h| h.chars().count())
        .max()
        .unwrap_or(0)
        .max(16)
        + 2;
    let mut out = format!("\n{:<16} ", "DATA STORES");
    for h in &heads {
        out.push_str(&format!("{h:<w$}"));
    }
    out = out.trim_end().to_string();
    out.push('\n');
    for r in &fleet.regions {
        let Some(s) = state.region(&r.id) else {
            continue;
        };
        let mut line = format!("{:<16} ", r.id);
        for k in 0..heads.len() {
            let text = match (r.stores.get(k), s.store(k)) {
                (Some(_), Some((role, lag))) => cell(role, lag),
                _ => "-".to_string(),
            };
            line.push_str(&format!("{text:<w$}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for (k, writer) in state.split_writers() {
        let name = widest.stores.get(k).map(|s| s.name.as_str()).unwrap_or("?");
        let db = state.primary().map(|r| r.id.as_str()).unwrap_or("?");
        out.push_str(&format!(
            "SPLIT: {} writes to {db} but {name} to {writer}: finish the failover or go back\n",
            widest.database_name()
        ));
    }
    out
}
