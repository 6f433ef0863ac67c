//! Preflight: would this rollout template run today? A pure function of the fleet, the
//! observed state and the few shared records beside it (the lock, the freeze, a rollout
//! already running): every step planned by the real planner against the state the steps
//! before it would leave, every guard's verdict, every gate judged as far as it can be
//! now, and every record, endpoint, pool, database, app and release the template touches
//! found and readable, with lag within the RPO budget for a promotion. Whether a backend
//! would accept the write is said per item: checked where the provider can say so without
//! writing (the simulator), "not checked" where it cannot.
//!
//! Reading is done elsewhere (`executor/preflight.rs`, with the providers the engine
//! already has); this module only judges, so each case is a unit test.

mod regions;
mod steps;

use std::collections::BTreeMap;

use serde::Serialize;

use super::rollout::{Rollout, RolloutError};
use meridian_model::fleet::Fleet;
use meridian_model::fleet::rollout::{RunMode, TemplateKind};
use meridian_model::state::{FleetState, Millis};
use meridian_providers::lock::LockHolder;

/// A check's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    /// It would run, but someone should know (a gate that will wait, a lock held now).
    Warn,
    /// The rollout would fail or be refused here.
    Fail,
    /// Cannot be known without doing it (a write with no dry-run, a command gate).
    NotChecked,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::NotChecked => "not checked",
        }
    }
}

/// One check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// What was checked: `step 3: promote eu-west-1`, `eu-west-1 health check`.
    pub check: String,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it, when it did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The region it concerns, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Item {
    pub fn new(check: impl Into<String>, status: Status, detail: impl Into<String>) -> Item {
        Item {
            check: check.into(),
            status,
            detail: detail.into(),
            fix: None,
            region: None,
        }
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Item {
        self.fix = Some(fix.into());
        self
    }

    pub fn region(mut self, region: &str) -> Item {
        self.region = Some(region.to_string());
        self
    }
}

/// A template judged against the fleet as it is now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preflight {
    pub template: String,
    pub name: String,
    pub kind: TemplateKind,
    /// The mode judged (graceful unless `--mode ungraceful`).
    pub mode: RunMode,
    pub params: BTreeMap<String, String>,
    /// The region it makes the writer (its last promotion), if it promotes one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// No check failed.
    pub ready: bool,
    pub items: Vec<Item>,
    /// When the state it was judged on was read.
    pub observed_at: Millis,
}

impl Preflight {
    pub fn failures(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.status == Status::Fail)
    }

    /// `failover to eu-west-1 would fail today: its health check is missing` (the first
    /// failure, in a few words for a header or a finding).
    pub fn headline(&self) -> String {
        let what = match (self.kind, &self.target) {
            (TemplateKind::Failover, Some(t)) => format!("failover to {t}"),
            (TemplateKind::Recovery, Some(t)) => format!("recovery to {t}"),
            (kind, _) => format!("{} {}", kind.as_str(), self.template),
        };
        match self.failures().next() {
            None => format!("{what} is ready"),
            Some(f) => format!("{what} would fail today: {}", f.short()),
        }
    }
}

impl Item {
    /// The gist of what was found: `its health check is missing`, `us-east-1 traffic
    /// record not found or not readable (route53)`.
    pub fn short(&self) -> String {
        let gist = self.detail.split(": ").next().unwrap_or(&self.detail);
        if gist.starts_with("its ") || gist.starts_with(self.region.as_deref().unwrap_or("\u{0}")) {
            gist.to_string()
        } else {
            format!("{} {gist}", self.check)
        }
    }
}

/// What was read besides the fleet's state.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// The fleet lock: who holds it now (None: free), or why it cannot be reached.
    pub lock: Option<Result<Option<LockHolder>, String>>,
    /// Where the lock lives, in words (`lock file ...`, `Lease ns/name`).
    pub lock_where: String,
    /// The rollout in the shared store, if one; Err: it could not be read.
    pub rollout: Option<Result<Rollout, String>>,
    /// Can the simulated world be written (simulated fleets only)?
    pub sim_writable: Option<Result<(), String>>,
}

/// The templates preflight checks when none is named: failovers and recoveries.
pub fn recovery_templates(fleet: &Fleet) -> Vec<String> {
    fleet
        .rollouts
        .iter()
        .filter(|t| t.kind.is_recovery())
        .map(|t| t.id.clone())
        .collect()
}

/// Every failover and recovery template judged: what the dashboard runs in the
/// background. A template that needs parameters cannot be judged without them and is
/// left out (`meridian preflight ID --param ...` judges it).
pub fn evaluate_all(
    fleet: &Fleet,
    state: &FleetState,
    records: &Records,
    now: Millis,
) -> Vec<Preflight> {
    recovery_templates(fleet)
        .iter()
        .filter_map(|id| evaluate(fleet, id, &BTreeMap::new(), state, records, now).ok())
        .collect()
}

/// Judge template `id` with `params` against `state`. Err: the template or its
/// parameters are wrong (a usage error, said as `rollout start` says it).
pub fn evaluate(
    fleet: &Fleet,
    id: &str,
    params: &BTreeMap<String, String>,
    state: &FleetState,
    records: &Records,
    now: Millis,
) -> Result<Preflight, String> {
    evaluate_in_mode(fleet, id, params, RunMode::Graceful, state, records, now)
}

/// [`evaluate`] for a run in `mode`: ungraceful leaves out the steps that need the old
/// region (each named), as `rollout start --mode ungraceful` does. Err also when the
/// template declares no ungraceful mode.
pub fn evaluate_in_mode(
    fleet: &Fleet,
    id: &str,
    params: &BTreeMap<String, String>,
    mode: RunMode,
    state: &FleetState,
    records: &Records,
    now: Millis,
) -> Result<Preflight, String> {
    let usage = |e: RolloutError| match e {
        RolloutError::Usage(e) | RolloutError::Refused(e) | RolloutError::Store(e) => e,
    };
    let mut rollout =
        Rollout::start(fleet, id, params.clone(), "preflight", "preflight", now).map_err(usage)?;
    if mode == RunMode::Ungraceful {
        rollout
            .go_ungraceful("preflight", "preflight of the ungraceful run", now)
            .map_err(usage)?;
    }
    let mut items = Vec::new();
    items.extend(shared_records(fleet, state, records, now));
    let touched = steps::plan_steps(fleet, &rollout, state, now, &mut items);
    items.extend(regions::check(fleet, state, &touched, records, now));
    let target = rollout.steps.iter().rev().find_map(|s| match &s.step {
        meridian_model::fleet::rollout::RolloutStep::Action(
            meridian_model::fleet::Action::Promote { region },
        ) => Some(region.clone()),
        _ => None,
    });
    Ok(Preflight {
        target,
        template: rollout.template.clone(),
        name: rollout.name.clone(),
        kind: rollout.kind,
        mode,
        params: params.clone(),
        ready: !items.iter().any(|i| i.status == Status::Fail),
        items,
        observed_at: state.observed_at,
    })
}

/// The lock, the freeze and another rollout: what would refuse `rollout start` itself.
fn shared_records(fleet: &Fleet, state: &FleetState, records: &Records, now: Millis) -> Vec<Item> {
    let mut out = Vec::new();
    let lock = match &records.lock {
        None => Item::new(
            "fleet lock",
            Status::NotChecked,
            "the lock was not read",
        ),
        Some(Ok(None)) => Item::new(
            "fleet lock",
            Status::Pass,
            format!("reachable and free ({})", records.lock_where),
        ),
        Some(Ok(Some(h))) => Item::new(
            "fleet lock",
            Status::Warn,
            format!("reachable; held now by {h} ({})", records.lock_where),
        )
        .fix("a step waits for (or is refused by) the holder's action: `meridian status` shows what it is doing"),
        Some(Err(e)) => Item::new(
            "fleet lock",
            Status::Fail,
            format!("cannot be reached: {e}"),
        )
        .fix("no step can run without the lock: check the [lock] table (its cluster and Lease) or the state directory's permissions"),
    };
    out.push(lock);
    let freeze = match meridian_model::state::freeze::active(fleet, state.freeze.value.as_ref(), now)
    {
        Some(f) => Item::new(
            "change freeze",
            Status::Fail,
            format!("a change freeze is in force: {}", f.describe()),
        )
        .fix("the rollout and every step would be refused: wait for it to end, `meridian unfreeze --reason TEXT`, or start with --override freeze --reason TEXT"),
        None => match &state.freeze.error {
            Some(e) => Item::new(
                "change freeze",
                Status::Warn,
                format!("whether a freeze is set could not be read: {e}"),
            ),
            None => Item::new("change freeze", Status::Pass, "none in force"),
        },
    };
    out.push(freeze);
    match &records.rollout {
        Some(Ok(r)) if !r.status.finished() => out.push(
            Item::new(
                "other rollouts",
                Status::Fail,
                format!(
                    "rollout {} is {} (started by {}): one rollout at a time per fleet",
                    r.id,
                    r.status.as_str(),
                    r.started_by
                ),
            )
            .fix("finish it, or `meridian rollout abort`, before starting this one"),
        ),
        Some(Err(e)) => out.push(
            Item::new(
                "other rollouts",
                Status::Fail,
                format!("the rollout record cannot be read: {e}"),
            )
            .fix("`meridian rollout status` says more; the shared store must be readable to start one"),
        ),
        _ => out.push(Item::new("other rollouts", Status::Pass, "none running")),
    }
    out
}

#[cfg(test)]
mod tests;
