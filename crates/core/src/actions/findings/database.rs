//! Findings about the databases: the writer gone (promote the best replica within the RPO
//! budget), a fenced former writer still serving or waiting to rejoin, a replica that
//! follows the wrong writer, a replica too far behind, and two writers at once.

use super::stale::{Cause, cause};
use super::{Finding, Judge, Kind, Urgency, traffic_words};
use crate::actions::action::{Action, Request};
use meridian_model::fleet::Role;
use meridian_model::state::replication::link_word;
use meridian_model::state::{HealthStatus, RegionState};
use meridian_model::traffic::Rotation;

pub(super) fn findings(j: &mut Judge) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(writer_down(j));
    for region in &j.fleet.regions {
        let Some(r) = j.state.region(&region.id) else {
            continue;
        };
        out.extend(link(j, r));
        out.extend(lag_over_budget(j, r));
    }
    out
}

/// The region the fleet writes to: the one whose database last said it is the primary, else
/// (nothing read yet) the one the fleet file names.
fn writer<'a>(j: &Judge<'a>) -> Option<&'a RegionState> {
    j.state.primary().or_else(|| {
        let configured = j.fleet.regions.iter().find(|r| r.role == Role::Primary)?;
        j.state.region(&configured.id)
    })
}

/// The writer's database cannot be reached (its region is down, or reading its role fails
/// for a reason that is not credentials): promote the replica with the least lag, if one is
/// within the RPO budget and healthy.
fn writer_down(j: &mut Judge) -> Option<Finding> {
    let w = writer(j)?;
    let id = w.id.as_str();
    let region_down = w.health_status() == HealthStatus::Down;
    let unreachable = w
        .role
        .error
        .as_deref()
        .filter(|e| cause(e) != Cause::Credentials);
    if !region_down && unreachable.is_none() {
        return None;
    }
    // Its role reads fail, and the replicas' lag against it: this finding says why.
    j.covered.push((id.to_string(), "role"));
    j.covered.push((id.to_string(), "lag"));
    for r in &j.fleet.regions {
        j.covered.push((r.id.clone(), "lag"));
    }
    let key = format!("{}/{id}", Kind::WriterDown.name());
    let since = j.since(
        &key,
        w.health
            .value
            .as_ref()
            .and_then(|h| h.unhealthy_since)
            .filter(|_| region_down),
    );
    let budget = j.fleet.policy.rpo_budget.as_secs_f64();
    let phases = j.fleet.phases.len();
    let mut candidates: Vec<(&str, f64, usize)> = Vec::new();
    let mut not: Vec<String> = Vec::new();
    for region in &j.fleet.regions {
        let Some(r) = j.state.region(&region.id).filter(|r| r.id != id) else {
            continue;
        };
        let healthy = r.health_status() == HealthStatus::Healthy;
        match (r.lag.value, &r.lag.error, healthy) {
            (_, _, false) => not.push(format!("{} is {}", r.id, r.health_status().as_str())),
            (Some(l), None, true) if l <= budget => {
                candidates.push((&r.id, l, r.phases_succeeded()))
            }
            (Some(l), None, true) => not.push(format!("{} lag {l:.1}s", r.id)),
            (_, _, true) => not.push(format!("{} lag unknown", r.id)),
        }
    }
    // A region fully stood up first (a new one may lack what the writer needs), then the
    // least lag.
    candidates.sort_by(|a, b| {
        (b.2 >= phases)
            .cmp(&(a.2 >= phases))
            .then(a.1.total_cmp(&b.1))
    });
    let why_db = match (region_down, unreachable) {
        (true, _) => format!("{id} is down"),
        (false, Some(e)) => format!("its database does not answer ({e})"),
        (false, None) => String::new(),
    };
    let (title, request) = match candidates.first() {
        Some((best, lag, done)) => (
            format!(
                "writer {id} unreachable {}: writes fail; {best} is {lag:.1}s behind{}",
                j.age(since),
                match *done < phases {
                    true => format!(" ({done}/{phases} phases done)"),
                    false => String::new(),
                }
            ),
            Ok(Request::new(Action::Promote {
                region: best.to_string(),
            })),
        ),
        None => (
            format!("writer {id} unreachable {}: writes fail", j.age(since)),
            Err(format!(
                "no healthy replica is within the RPO budget of {budget:.0}s ({}); promoting one loses data: `meridian promote REGION --accept-data-loss` if writing again matters more",
                if not.is_empty() {
                    "no replica".into()
                } else {
                    not.join(", ")
                }
            )),
        ),
    };
    let mut regions = vec![id.to_string()];
    regions.extend(candidates.iter().map(|(r, _, _)| r.to_string()));
    Some(j.finding(
        Kind::WriterDown,
        Urgency::Critical,
        id,
        title,
        format!("{id} is the writer and {why_db}"),
        Some(since),
        "every write in every region fails until a replica is promoted or the writer comes back"
            .into(),
        regions,
        request,
    ))
}

/// A replication link that is not a lag: a fenced former writer (drain it while it serves,
/// else rejoin it), a replica following the wrong writer (rejoin), a superseded writer that
/// still takes writes (nothing safe: fence it by hand first).
fn link(j: &mut Judge, r: &RegionState) -> Option<Finding> {
    let word = link_word(&r.lag)?;
    let id = r.id.as_str();
    let error = r.lag.error.as_deref().unwrap_or_default().to_string();
    let serving = j.state.rotation(id) == Some(Rotation::Serving);
    let drain = || {
        Ok(Request::new(Action::Drain {
            region: id.to_string(),
        }))
    };
    let rejoin = || {
        Ok(Request::new(Action::Rejoin {
            region: id.to_string(),
        }))
    };
    let (kind, urgency, title, why, request) = match word {
        "fenced" if serving => (
            Kind::FencedServing,
            Urgency::Critical,
            format!(
                "{id} is a fenced former writer still serving {}",
                traffic_words(j.state, id)
            ),
            format!("its database takes no writes: every write sent to {id} fails"),
            drain(),
        ),
        "fenced" => (
            Kind::FencedWriter,
            Urgency::Medium,
            format!("{id} is a fenced former writer, replicating from nothing"),
            format!("{id} cannot serve again, nor be promoted, until it is a replica again"),
            rejoin(),
        ),
        "split" => (
            Kind::SplitBrain,
            Urgency::Critical,
            format!("{id} still takes writes although another writer replaced it"),
            "writes accepted there are lost to the fleet (split brain)".to_string(),
            Err(format!(
                "meridian never rewrites a writer that still takes writes: fence it first ({})",
                error.split(" — ").nth(1).unwrap_or("make it read-only"),
            )),
        ),
        _ => (
            Kind::ReplicationBroken,
            Urgency::High,
            format!("{id} replication broken: it receives none of the writer's data"),
            format!(
                "{id} serves data that grows older every second, and cannot be promoted safely"
            ),
            rejoin(),
        ),
    };
    let key = format!("{}/{id}", kind.name());
    let since = j.since(&key, None);
    let mut title = title;
    title.push_str(&format!(" ({})", j.age(since)));
    Some(j.finding(
        kind,
        urgency,
        id,
        title,
        error,
        Some(since),
        why,
        vec![id.to_string()],
        request,
    ))
}

/// A replica further behind than the RPO budget: its readers see old data (drain it while it
/// serves), and it is no promotion candidate.
fn lag_over_budget(j: &mut Judge, r: &RegionState) -> Option<Finding> {
    let budget = j.fleet.policy.rpo_budget.as_secs_f64();
    let lag = r.lag.value.filter(|_| r.lag.error.is_none())?;
    if r.role.value == Some(Role::Primary) || lag <= budget {
        return None;
    }
    let id = r.id.as_str();
    let key = format!("{}/{id}", Kind::LagOverBudget.name());
    let since = j.since(&key, None);
    let serving = j.state.rotation(id) == Some(Rotation::Serving);
    let request = match serving {
        true => Ok(Request::new(Action::Drain {
            region: id.to_string(),
        })),
        false => Err(format!(
            "{id} takes no traffic; wait for it to catch up (`meridian wait lag {id} --under {budget:.0}s`)"
        )),
    };
    let title = match serving {
        true => format!(
            "{id} {lag:.0}s behind the writer (RPO {budget:.0}s) for {}, still {}",
            j.age(since),
            traffic_words(j.state, id)
        ),
        false => format!(
            "{id} {lag:.0}s behind the writer (RPO {budget:.0}s) for {}",
            j.age(since)
        ),
    };
    Some(j.finding(
        Kind::LagOverBudget,
        Urgency::High,
        id,
        title,
        format!("{id}'s replica is {lag:.1}s behind, over the RPO budget of {budget:.0}s"),
        Some(since),
        format!(
            "{id}'s users read data {lag:.0}s old, and promoting it would lose more than the RPO allows"
        ),
        vec![id.to_string()],
        request,
    ))
}
