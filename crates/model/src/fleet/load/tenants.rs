//! Validating the tenants: ids, environments, the regions they run in, and where their
//! applications and Helm releases are.

use std::collections::{HashMap, HashSet};

use arcstr::ArcStr;
use toml::Spanned;

use super::Validator;
use crate::fleet::model::*;
use crate::fleet::raw::*;
use crate::fleet::suggest::hint;

impl Validator<'_> {
    pub(super) fn tenants(
        &mut self,
        raw: &[Spanned<RawTenant>],
        region_ids: &[String],
    ) -> Vec<Tenant> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        // Maps, not lists: 1,000 tenants in 100 regions are 100,000 cells to check. Each
        // region's id is one shared string, which every tenant's list points to.
        let known: HashMap<&str, ArcStr> = region_ids
            .iter()
            .map(|r| (r.as_str(), ArcStr::from(r.as_str())))
            .collect();
        for (i, st) in raw.iter().enumerate() {
            let t = st.get_ref();
            let id = t.id.get_ref().clone();
            self.check_id(&t.id, &format!("tenants[{i}].id"), "tenant", &mut seen);
            if t.environment.get_ref().trim().is_empty() {
                self.err(
                    &t.environment,
                    format!("tenants[{i}].environment"),
                    "must not be empty (e.g. \"prd\", \"stg\")",
                );
            }
            if t.regions.get_ref().is_empty() {
                self.err(
                    &t.regions,
                    format!("tenants[{i}].regions"),
                    "a tenant must run in at least one region",
                );
            }
            let mut regions = Vec::new();
            let mut listed = HashSet::new();
            for r in t.regions.get_ref() {
                let name = r.get_ref();
                let Some(shared) = known.get(name.as_str()) else {
                    let h = hint(name, region_ids.iter().map(|s| s.as_str()));
                    self.err(
                        r,
                        format!("tenants[{i}].regions"),
                        format!("unknown region \"{name}\"{h}"),
                    );
                    continue;
                };
                if !listed.insert(name.as_str()) {
                    self.err(
                        r,
                        format!("tenants[{i}].regions"),
                        format!("region \"{name}\" is listed twice"),
                    );
                } else {
                    regions.push(shared.clone());
                }
            }
            if let Some(home) = t.sim.as_ref().and_then(|s| s.home.as_ref())
                && !known.contains_key(home.as_str())
            {
                let h = hint(home, region_ids.iter().map(|s| s.as_str()));
                self.err(
                    &t.id,
                    format!("tenants[{i}].sim.home"),
                    format!("unknown region \"{home}\"{h}"),
                );
            }
            out.push(Tenant {
                argo_app: t
                    .argo_app
                    .clone()
                    .unwrap_or_else(|| format!("{id}-{{region}}")),
                helm_release: t.helm_release.clone().unwrap_or_else(|| id.clone()),
                applicationset: t.applicationset.as_ref().map(|a| a.get_ref().clone()),
                helm: t.helm.as_ref().map(|h| {
                    self.capability(Some(h), &format!("tenants[{i}].helm"), CapabilityKind::Helm)
                }),
                environment: t.environment.get_ref().clone(),
                id,
                regions: regions.into(),
                sim: t
                    .sim
                    .as_ref()
                    .map(|s| TenantSim {
                        auto_sync: s.auto_sync,
                        history: s.history,
                        home: s.home.clone(),
                    })
                    .unwrap_or_default(),
            });
        }
        out
    }
}
