//! What the recorder keeps of a reading: a few facts per region, app and finding, each a
//! short string, so a change is one line and a reading that changed nothing costs nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::actions::findings::Finding;
use meridian_model::fleet::Fleet;
use meridian_model::state::FleetState;

/// Key (`health/eu-west-1`, `app/payments-prd/eu-west-1`, `finding/region-down/x`) to value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Facts(pub BTreeMap<String, String>);

/// Lag against the RPO budget, in bands: a change of band is recorded, not every second's
/// wander (the samples carry the numbers for the charts).
pub fn lag_band(lag: Option<f64>, error: bool, budget: f64) -> &'static str {
    match lag {
        _ if error => "unknown",
        None => "none",
        Some(l) if l > budget => "over",
        Some(l) if l > budget / 2.0 => "near",
        Some(_) => "ok",
    }
}

impl Facts {
    /// The facts of one reading and the findings judged on it.
    pub fn of(fleet: &Fleet, state: &FleetState, findings: &[Finding]) -> Facts {
        let mut facts = Facts::board(fleet, state, findings);
        facts.0.extend(Facts::apps(fleet, state).0);
        facts
    }

    /// The regions' and the findings' facts: a few per region, built on every reading.
    pub fn board(fleet: &Fleet, state: &FleetState, findings: &[Finding]) -> Facts {
        let mut m = BTreeMap::new();
        let budget = fleet.policy.rpo_budget.as_secs_f64();
        for r in &fleet.regions {
            let Some(s) = state.region(&r.id) else {
                continue;
            };
            let id = &r.id;
            m.insert(
                format!("health/{id}"),
                s.health_status().as_str().to_string(),
            );
            if let Some(role) = s.role.value {
                m.insert(format!("role/{id}"), role.as_str().to_string());
            }
            if role_is_writer(s) {
                m.insert(format!("lag/{id}"), "writer".into());
            } else {
                m.insert(
                    format!("lag/{id}"),
                    lag_band(s.lag.value, s.lag.error.is_some(), budget).into(),
                );
            }
            if let Some(w) = s.weight.value {
                let serving = match state.traffic_share(id) {
                    Some(_) if w.drained => "drained".into(),
                    Some(share) => meridian_model::traffic::percent(share),
                    None => state
                        .rotation(id)
                        .map(|r| format!("{r:?}").to_lowercase())
                        .unwrap_or_else(|| "unknown".into()),
                };
                m.insert(format!("serving/{id}"), serving);
                // The provider's own units, so a replay shows the weights as they were.
                m.insert(
                    format!("weight/{id}"),
                    format!("{}{}", w.units, if w.drained { " drained" } else { "" }),
                );
            }
        }
        for f in findings {
            m.insert(
                format!("finding/{}", f.id),
                format!("{} -> {}", f.urgency.name(), f.action_word()),
            );
        }
        Facts(m)
    }

    /// Every app's facts: one per tenant and region, 100,000 on a large fleet, so the
    /// recorder builds them only for a segment's start and compares `AppFact`s between.
    pub fn apps(fleet: &Fleet, state: &FleetState) -> Facts {
        let mut m = BTreeMap::new();
        for (ti, t) in fleet.tenants.iter().enumerate() {
            for (ci, region) in t.regions.iter().enumerate() {
                if let Some(app) = AppFact::at(state, ti, &t.id, ci, region) {
                    m.insert(app_key(&t.id, region), app.text());
                }
            }
        }
        Facts(m)
    }

    /// What changed from `self` to `next`: (key, before, after); a key gone has after None.
    pub fn changes<'a>(
        &'a self,
        next: &'a Facts,
    ) -> Vec<(&'a str, Option<&'a str>, Option<&'a str>)> {
        let mut out = Vec::new();
        for (k, v) in &next.0 {
            let before = self.0.get(k).map(String::as_str);
            if before != Some(v.as_str()) {
                out.push((k.as_str(), before, Some(v.as_str())));
            }
        }
        for (k, v) in &self.0 {
            if !next.0.contains_key(k) {
                out.push((k.as_str(), Some(v.as_str()), None));
            }
        }
        out
    }
}

/// The key of an app's fact.
pub fn app_key(tenant: &str, region: &str) -> String {
    format!("app/{tenant}/{region}")
}

/// What is recorded of one app, kept unformatted so that comparing a reading with the
/// last one allocates nothing (the revision is a shared string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFact {
    sync: &'static str,
    health: &'static str,
    revision: arcstr::ArcStr,
}

impl AppFact {
    /// The app of tenant `ti` (id `tenant`) in its `ci`-th region, if it was read.
    pub fn at(
        state: &FleetState,
        ti: usize,
        tenant: &str,
        ci: usize,
        region: &str,
    ) -> Option<AppFact> {
        let app = state
            .tenant_at(ti, tenant)?
            .app_at(ci, region)?
            .value
            .as_ref()?;
        Some(AppFact {
            sync: app.sync.as_str(),
            health: app.health.as_str(),
            revision: app.revision.clone(),
        })
    }

    /// Equal as recorded: the revision counts by its first seven characters.
    pub fn same(&self, other: &AppFact) -> bool {
        self.sync == other.sync
            && self.health == other.health
            && self
                .revision
                .chars()
                .take(7)
                .eq(other.revision.chars().take(7))
    }

    /// `Synced Healthy 30f86f1`.
    pub fn text(&self) -> String {
        let rev: String = self.revision.chars().take(7).collect();
        format!("{} {} {rev}", self.sync, self.health)
    }
}

fn role_is_writer(s: &meridian_model::state::RegionState) -> bool {
    s.role.value == Some(meridian_model::fleet::Role::Primary)
}
