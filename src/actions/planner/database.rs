//! The promote plan (which region's database becomes the writer) and the rejoin plan (a
//! fenced or orphaned database becomes a replica of the writer).

use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::plan::*;
use crate::actions::{guards, guards_replication};
use crate::fleet::Fleet;
use crate::state::{FleetState, Millis};

pub(super) fn promote_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
    region: &str,
) -> Plan {
    let old = state.primary().map(|r| r.id.clone());
    let mut plan = empty_plan(
        req,
        region.to_string(),
        format!("Promote {region}'s database to primary"),
    );
    if let Some(old) = &old
        && old != region
    {
        // How the old primary stops taking writes depends on the database provider, which
        // adds its own note (`providers::plan_notes`).
        plan.changes
            .push(Change::new(old.clone(), "role", "primary", "secondary"));
    }
    if old.as_deref() != Some(region) {
        plan.changes
            .push(Change::new(region, "role", "secondary", "primary"));
    }
    let writer_step = app_writer(fleet, region, old.as_deref());
    if let Some(change) = writer_step.0 {
        plan.changes.push(change);
    }
    // Every tenant writes to the primary, so every tenant is affected.
    let all: Vec<&str> = fleet.region_ids();
    plan.blast_radius = blast_radius(fleet, state, &all);
    plan.checks = vec![
        guards::already_primary(state, region),
        guards::promote_target_health(state, region),
        guards::replication_lag(state, region, &fleet.policy, req.accept_data_loss),
        guards::stale_data(state, &[region], now),
    ];
    plan.checks.extend(writer_step.1);
    plan.operation = Some(Operation::Promote {
        region: region.to_string(),
    });
    plan
}

/// Where the application finds its writer (the target's `database.writer_config`), as a
/// change the plan lists, and a block when its `promote_phase` is not a phase.
fn app_writer(fleet: &Fleet, region: &str, old: Option<&str>) -> (Option<Change>, Option<Check>) {
    let Some(settings) = fleet.region(region).map(|r| &r.database.settings) else {
        return (None, None);
    };
    let get = |k: &str| settings.get(k).and_then(|v| v.as_str());
    let phase = get("promote_phase");
    let unknown = phase.filter(|p| fleet.phase_index(p).is_none()).map(|p| {
        Check::block(
            Guard::PhaseOrder,
            format!("promote_phase \"{p}\" of {region} is not a phase of this fleet"),
        )
    });
    let change = get("writer_config").map(|what| {
        let after = match phase {
            Some(p) => format!("{region} (phase {p} changes it, as the last step)"),
            None => format!("{region}: change it by hand, meridian does not (no promote_phase)"),
        };
        Change::new(
            format!("application writer ({what})"),
            "points at",
            old.unwrap_or("?"),
            after,
        )
    });
    (change, unknown)
}

pub(super) fn rejoin_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
    region: &str,
) -> Plan {
    let writer = state
        .primary()
        .map(|r| r.id.clone())
        .unwrap_or_else(|| "?".into());
    let mut plan = empty_plan(
        req,
        region.to_string(),
        format!("Rejoin {region}'s database as a replica of {writer}"),
    );
    let before = state
        .region(region)
        .and_then(|r| crate::state::replication::link_word(&r.lag))
        .unwrap_or("unknown");
    plan.changes
        .push(Change::new(region, "replicates from", before, &writer));
    // A replica serves reads only: the tenants reading from this region are affected.
    plan.blast_radius = blast_radius(fleet, state, &[region]);
    plan.checks = vec![
        guards_replication::rejoin_target(state, region),
        guards::stale_data(state, &[region], now),
    ];
    plan.operation = Some(Operation::Rejoin {
        region: region.to_string(),
    });
    plan
}

#[cfg(test)]
mod tests {
    use crate::actions::testkit::{NOW, fleet, state};
    use crate::actions::{Action, Request, plan};

    fn promote_eu(f: &crate::fleet::Fleet) -> crate::actions::Plan {
        let req = Request::new(Action::Promote {
            region: "eu-west-1".into(),
        })
        .reason("drill");
        plan(&req, f, &state(f), NOW).expect("plan")
    }

    #[test]
    fn the_plan_names_where_the_application_finds_its_writer() {
        let mut f = fleet();
        let phase = f.phases[0].id.clone();
        let eu = f
            .regions
            .iter_mut()
            .find(|r| r.id == "eu-west-1")
            .expect("eu");
        let set = |k: &str, v: &str| (k.to_string(), toml::Value::String(v.into()));
        eu.database
            .settings
            .extend([set("writer_config", "DATABASE_URL of storefront")]);
        let p = promote_eu(&f);
        let app = p
            .changes
            .iter()
            .find(|c| c.subject == "application writer (DATABASE_URL of storefront)")
            .expect("listed as a change");
        assert_eq!(app.before, "us-east-1");
        assert!(app.after.contains("change it by hand"), "{}", app.after);

        let eu = f
            .regions
            .iter_mut()
            .find(|r| r.id == "eu-west-1")
            .expect("eu");
        eu.database.settings.extend([set("promote_phase", &phase)]);
        let p = promote_eu(&f);
        assert!(!p.is_blocked(), "{:#?}", p.checks);
        assert!(
            p.changes
                .iter()
                .any(|c| c.after.contains(&format!("phase {phase} changes it")))
        );

        let eu = f
            .regions
            .iter_mut()
            .find(|r| r.id == "eu-west-1")
            .expect("eu");
        eu.database
            .settings
            .extend([set("promote_phase", "no-such-phase")]);
        let blocked = promote_eu(&f);
        assert!(
            blocked.blocking().any(|c| c
                .reason
                .contains("\"no-such-phase\" of eu-west-1 is not a phase")),
            "{:#?}",
            blocked.checks
        );
    }
}
