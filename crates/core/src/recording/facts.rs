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
        for (ti, t) in fleet.tenants.iter().enumerate() {
            let Some(ts) = state.tenant_at(ti, &t.id) else {
                continue;
            };
            for (ci, region) in t.regions.iter().enumerate() {
                let Some(app) = ts.app_at(ci, region).and_then(|o| o.value.as_ref()) else {
                    continue;
                };
                let rev: String = app.revision.chars().take(7).collect();
                m.insert(
                    format!("app/{}/{region}", t.id),
                    format!("{} {} {rev}", app.sync.as_str(), app.health.as_str()),
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

fn role_is_writer(s: &meridian_model::state::RegionState) -> bool {
    s.role.value == Some(meridian_model::fleet::Role::Primary)
}
