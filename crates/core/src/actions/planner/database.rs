//! The promote plan (which region's database becomes the writer) and the rejoin plan (a
//! fenced or orphaned database becomes a replica of the writer).

use super::{blast_radius, empty_plan};
use crate::actions::action::Request;
use crate::actions::plan::*;
use crate::actions::{guards, guards_replication};
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, HealthStatus, Millis};
use meridian_model::traffic::Weight;

pub(super) fn promote_plan(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
    region: &str,
) -> Plan {
    // A region with several data stores moves them all, in order, in one plan.
    if fleet.region(region).is_some_and(|r| r.stores.len() > 1) {
        return super::stores::promote_stores_plan(req, fleet, state, now, region);
    }
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
        old_primary: old.filter(|o| o != region),
        drain_old,
        stores: Vec::new(),
    });
    plan
}

/// The old writer still carries traffic: after the promotion its database takes no writes.
/// Drain it as the plan's last step when asked (`--drain-old`) or, by default, when its
/// database cannot be reached (a failover); otherwise warn, and the plan (and so the audit
/// record) keeps how much traffic is left on it. Returns the weights the drain sets.
pub(super) fn drain_old_writer(
    req: &Request,
    fleet: &Fleet,
    state: &FleetState,
    plan: &mut Plan,
    old: &str,
) -> Vec<(String, Weight)> {
    let rules = fleet.traffic.provider.traffic_rules();
    let counted = state.traffic_share(old);
    let share = counted.unwrap_or(0.0);
    let old_state = state.region(old);
    let unreachable = old_state
        .is_some_and(|r| r.role.error.is_some() || r.health_status() == HealthStatus::Down);
    let before = state.weights();
    let after: Vec<(String, Weight)> = before
        .iter()
        .map(|(r, w)| match r == old {
            true => (r.clone(), rules.drain(*w)),
            false => (r.clone(), *w),
        })
        .collect();
    let unmanaged: u32 = state.unmanaged_weights.iter().map(|(_, w)| *w).sum();
    // A drain that the traffic guards would refuse cannot be part of the promotion.
    let refusals: Vec<Check> = [
        guards::all_weights_zero(&after, unmanaged, rules),
        guards::last_healthy_region(state, &before, &after),
    ]
    .into_iter()
    .filter(|c| c.verdict == Verdict::Block)
    .collect();
    let cannot_drain = (!refusals.is_empty()).then(|| {
        let why: Vec<&str> = refusals.iter().map(|c| c.reason.as_str()).collect();
        why.join("; ")
    });
    let wanted = req.drain_old.unwrap_or(unreachable);
    let drain = wanted && cannot_drain.is_none();
    let pct = crate::actions::plan::share_text(counted);
    let mut weights = Vec::new();
    if drain {
        let (changes, _) = super::traffic::weight_changes(state, rules, &before, &after, true);
        plan.changes.extend(changes);
        let why = match (req.drain_old, unreachable) {
            (Some(true), _) => "--drain-old",
            _ => "its database cannot be reached",
        };
        plan.checks.push(Check::pass(
            Guard::FencedServing,
            format!("{old} is drained once {} is the writer ({why}): its {pct} moves to the other regions", plan.target),
        ));
        weights = after
            .into_iter()
            .filter(|(r, w)| before.iter().any(|(b, bw)| b == r && bw != w))
            .collect();
    } else if req.drain_old == Some(true) {
        // Asked for and impossible: the operator must decide again, knowing why.
        plan.checks.extend(refusals.into_iter().map(|mut c| {
            c.reason = format!("--drain-old {old}: {}", c.reason);
            c
        }));
    } else {
        let how = match &cannot_drain {
            Some(why) => format!(
                "it cannot be drained in this plan ({why}); move its traffic with `meridian weights` once the promotion is done"
            ),
            None => {
                format!(
                    "drain it in this plan (--drain-old; the modal's \"also drain\" box) or after with `meridian drain {old}`"
                )
            }
        };
        plan.checks.push(Check::warn(
            Guard::FencedServing,
            format!("{old} will take no writes once {} is the writer, yet it still carries {pct}: {how}", plan.target),
        ));
    }
    plan.old_writer = Some(OldWriter {
        region: old.to_string(),
        share,
        unreachable,
        drain,
        cannot_drain,
        no_share: counted.is_none(),
    });
    weights
}

/// Where the application finds its writer (the target's `database.writer_config`), as a
/// change the plan lists, and a block when its `promote_phase` is not a phase.
pub(super) fn app_writer(
    fleet: &Fleet,
    region: &str,
    old: Option<&str>,
) -> (Option<Change>, Option<Check>) {
    let Some(writer) = fleet
        .region(region)
        .and_then(|r| r.database.settings.writer())
    else {
        return (None, None);
    };
    let phase = writer.promote_phase.as_deref();
    let unknown = phase.filter(|p| fleet.phase_index(p).is_none()).map(|p| {
        Check::block(
            Guard::PhaseOrder,
            format!("promote_phase \"{p}\" of {region} is not a phase of this fleet"),
        )
    });
    let change = writer.writer_config.as_deref().map(|what| {
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
        .and_then(|r| meridian_model::state::replication::link_word(&r.lag))
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
        writer,
    });
    plan
}

#[cfg(test)]
mod tests {
    use crate::actions::testkit::{NOW, fleet, set_health, set_weight, state};
    use crate::actions::{Action, Guard, Operation, Request, Verdict, plan};
    use meridian_model::state::HealthStatus;
    use meridian_model::traffic::Weight;

    fn promote(
        f: &meridian_model::fleet::Fleet,
        s: &meridian_model::state::FleetState,
        drain_old: Option<bool>,
    ) -> crate::actions::Plan {
        let mut req = Request::new(Action::Promote {
            region: "eu-west-1".into(),
        })
        .reason("drill");
        req.drain_old = drain_old;
        plan(&req, f, s, NOW).expect("plan")
    }

    fn drained(p: &crate::actions::Plan) -> Vec<(String, Weight)> {
        match &p.operation {
            Some(Operation::Promote { drain_old, .. }) => drain_old.clone(),
            other => panic!("not a promotion: {other:?}"),
        }
    }

    #[test]
    fn a_switchover_warns_of_the_traffic_left_on_the_old_writer_and_drains_it_when_asked() {
        let f = fleet();
        let s = state(&f);
        let kept = promote(&f, &s, None);
        let old = kept
            .old_writer
            .as_ref()
            .expect("the old writer serves traffic");
        assert_eq!(
            (old.region.as_str(), old.drain, old.unreachable),
            ("us-east-1", false, false)
        );
        assert!(old.share > 0.0);
        let warn = kept
            .checks
            .iter()
            .find(|c| c.guard == Guard::FencedServing)
            .expect("a fenced-serving check");
        assert_eq!(warn.verdict, Verdict::Warn, "{}", warn.reason);
        assert!(warn.reason.contains("--drain-old"), "{}", warn.reason);
        assert!(drained(&kept).is_empty());
        assert!(!kept.is_blocked(), "{:#?}", kept.checks);
        // The audit record is the plan: it keeps the traffic left on the old writer.
        let doc = serde_json::to_value(&kept).expect("plan json");
        assert_eq!(doc["old_writer"]["drain"], false);
        assert_eq!(doc["old_writer"]["region"], "us-east-1");

        let asked = promote(&f, &s, Some(true));
        assert_eq!(
            drained(&asked),
            vec![("us-east-1".to_string(), Weight::units(0))]
        );
        assert!(
            asked.changes.iter().any(|c| c.subject == "us-east-1"
                && c.field == "weight"
                && c.after.starts_with("0 ")),
            "{:#?}",
            asked.changes
        );
        assert!(asked.warnings().all(|c| c.guard != Guard::FencedServing));
        assert!(!asked.is_blocked(), "{:#?}", asked.checks);
        assert!(
            asked.cli_equivalent.contains(" --drain-old"),
            "{}",
            asked.cli_equivalent
        );
    }

    #[test]
    fn a_failover_from_an_unreachable_writer_drains_it_by_default() {
        let f = fleet();
        let mut s = state(&f);
        if let Some(r) = s.region_mut("us-east-1") {
            r.role.error = Some("us-east-1: postgres role: connection refused".into());
        }
        let p = promote(&f, &s, None);
        assert!(
            p.old_writer
                .as_ref()
                .is_some_and(|o| o.unreachable && o.drain)
        );
        assert_eq!(drained(&p).len(), 1);
        // The operator may still keep it serving, knowingly.
        let kept = promote(&f, &s, Some(false));
        assert!(drained(&kept).is_empty());
        assert!(kept.warnings().any(|c| c.guard == Guard::FencedServing));

        let mut down = state(&f);
        set_health(&mut down, "us-east-1", HealthStatus::Down);
        assert!(promote(&f, &down, None).old_writer.is_some_and(|o| o.drain));
    }

    #[test]
    fn an_old_writer_that_is_the_only_one_serving_cannot_be_drained_with_the_promotion() {
        let f = fleet();
        let mut s = state(&f);
        for r in f.regions.iter().filter(|r| r.id != "us-east-1") {
            set_weight(&mut s, &r.id, 0);
        }
        let p = promote(&f, &s, None);
        let old = p.old_writer.as_ref().expect("old writer");
        assert!(!old.drain && old.cannot_drain.is_some(), "{old:?}");
        assert!(
            !p.is_blocked(),
            "the promotion itself may go ahead: {:#?}",
            p.checks
        );
        let asked = promote(&f, &s, Some(true));
        assert!(
            asked.is_blocked(),
            "asked for and impossible: {:#?}",
            asked.checks
        );
        assert!(
            asked
                .blocking()
                .any(|c| c.reason.starts_with("--drain-old us-east-1"))
        );
        // No traffic on the old writer: nothing to say.
        let mut idle = state(&f);
        set_weight(&mut idle, "us-east-1", 0);
        assert!(promote(&f, &idle, None).old_writer.is_none());
    }

    fn promote_eu(f: &meridian_model::fleet::Fleet) -> crate::actions::Plan {
        let req = Request::new(Action::Promote {
            region: "eu-west-1".into(),
        })
        .reason("drill");
        plan(&req, f, &state(f), NOW).expect("plan")
    }

    #[test]
    fn the_plan_names_where_the_application_finds_its_writer() {
        use meridian_model::fleet::settings::{SelfManaged, Settings, Writer};
        let mut f = fleet();
        let phase = f.phases[0].id.clone();
        let eu = f
            .regions
            .iter_mut()
            .find(|r| r.id == "eu-west-1")
            .expect("eu");
        // Where the writer is set is a database provider's setting (here PostgreSQL's).
        let with_writer = |writer_config: &str, promote_phase: Option<&str>| {
            Settings::SelfManaged(SelfManaged {
                writer: Writer {
                    writer_config: Some(writer_config.into()),
                    promote_phase: promote_phase.map(str::to_string),
                },
                ..SelfManaged::default()
            })
        };
        let url = "DATABASE_URL of storefront";
        eu.database.settings = with_writer(url, None);
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
        eu.database.settings = with_writer(url, Some(&phase));
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
        eu.database.settings = with_writer(url, Some("no-such-phase"));
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
