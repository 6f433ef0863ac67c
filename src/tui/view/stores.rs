//! Each data store's role on the board, for regions with several (`databases = [...]`,
//! `cache`): the ROLE cell shows every store's role when they disagree (a failover that
//! stopped part-way: `pri/sec`, in the fleet's order), and the detail pane lists each store
//! with its role, lag against its own RPO, and the age of the reading.

use ratatui::text::Line;

use super::detail::{kv, note};
use super::util::age_text;
use crate::fleet::Region;
use crate::state::RegionState;
use crate::tui::app::App;
use crate::tui::theme::Role;

/// The ROLE cell of a region whose stores do not all have the database's role.
pub fn split_role(r: &Region, s: &RegionState) -> Option<String> {
    if r.stores.len() < 2 {
        return None;
    }
    let roles: Vec<Option<crate::fleet::Role>> = (0..r.stores.len())
        .map(|k| s.store(k).and_then(|(role, _)| role.value))
        .collect();
    if roles.iter().all(|x| *x == roles[0]) {
        return None;
    }
    let short: Vec<&str> = roles
        .iter()
        .map(|x| x.map_or("?", |x| &x.as_str()[..3]))
        .collect();
    Some(short.join("/"))
}

/// The board's reason for a split region.
pub fn split_reason(r: &Region, s: &RegionState) -> Option<String> {
    split_role(r, s)?;
    let each: Vec<String> = r
        .data_stores()
        .iter()
        .enumerate()
        .map(|(k, st)| {
            let role = s
                .store(k)
                .and_then(|(role, _)| role.value)
                .map_or("unknown", |x| x.as_str());
            format!("{} {role}", st.name)
        })
        .collect();
    Some(format!(
        "data stores split ({}): finish the failover or go back",
        each.join(", ")
    ))
}

/// One line per store (and its reading's age) in the region's detail pane.
pub fn detail_lines(app: &App, r: &Region, s: &RegionState) -> Vec<Line<'static>> {
    if r.stores.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (k, st) in r.data_stores().iter().enumerate() {
        let Some((role, lag)) = s.store(k) else {
            continue;
        };
        let rpo = st.rpo.unwrap_or(app.fleet.policy.rpo_budget).as_secs();
        let word = role.value.map_or("unknown", |x| x.as_str());
        let (text, look) = match (role.value, lag.value) {
            (Some(crate::fleet::Role::Primary), _) => (format!("{word}: the writer"), Role::Text),
            (_, Some(l)) => (
                format!("{word}, {l:.1}s behind (RPO {rpo}s)"),
                if l >= rpo as f64 {
                    Role::Danger
                } else {
                    Role::Text
                },
            ),
            (_, None) => (format!("{word}, lag unknown (RPO {rpo}s)"), Role::Warn),
        };
        out.push(kv(
            app,
            st.name,
            format!("{text} [{}]", st.database.provider.as_str()),
            look,
        ));
        out.push(note(app, age_text(role, app.now)));
    }
    if let Some(why) = split_reason(r, s) {
        out.push(kv(app, "SPLIT", why, Role::Danger));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{DataStore, Role as DbRole};
    use crate::state::{Observed, StoreState};

    fn region_with_cache() -> Region {
        let mut r = crate::fleet::demo().regions[0].clone();
        r.stores = ["database", "cache"]
            .iter()
            .map(|n| DataStore {
                name: (*n).into(),
                database: r.database.clone(),
                lag: r.lag.clone(),
                rpo: None,
            })
            .collect();
        r
    }

    #[test]
    fn the_role_cell_shows_each_store_only_when_they_disagree() {
        let r = region_with_cache();
        let mut s = RegionState {
            id: r.id.clone(),
            role: Observed::ok(DbRole::Primary, 0),
            stores: vec![StoreState {
                name: "cache".into(),
                role: Observed::ok(DbRole::Primary, 0),
                lag: Observed::empty(0),
            }],
            ..RegionState::default()
        };
        assert_eq!(split_role(&r, &s), None);
        s.stores[0].role = Observed::ok(DbRole::Secondary, 0);
        assert_eq!(split_role(&r, &s).as_deref(), Some("pri/sec"));
        assert_eq!(
            split_reason(&r, &s).as_deref(),
            Some(
                "data stores split (database primary, cache secondary): finish the failover or go back"
            )
        );
    }
}
