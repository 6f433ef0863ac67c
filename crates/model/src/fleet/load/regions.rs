//! Validating the regions: ids, roles (exactly one primary), weights in the traffic
//! provider's units, clusters and each region's capabilities.

use std::collections::HashSet;

use toml::Spanned;

use strum::VariantNames;

use super::{Validator, quoted};
use crate::fleet::model::*;
use crate::fleet::raw::*;
use crate::fleet::settings::Settings;
use crate::fleet::suggest::hint;
use crate::traffic::TrafficRules;

impl Validator<'_> {
    /// A weight in the traffic provider's units: whole numbers, or 0..1 decimals (Cloudflare).
    fn weight(&mut self, w: &Spanned<toml::Value>, key: &str, rules: &TrafficRules) -> u32 {
        let text = match w.get_ref() {
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) if rules.decimals > 0 => format!("{f}"),
            _ => String::new(),
        };
        match rules.parse_units(&text) {
            Some(u) if rules.in_range(u) => u as u32,
            _ => {
                let kind = if rules.decimals > 0 {
                    "numbers"
                } else {
                    "integers"
                };
                // A number is named; anything else is not repeated (it may be a pasted secret).
                let what = match w.get_ref() {
                    toml::Value::Integer(_) | toml::Value::Float(_) => {
                        format!("weight {} is out of range", w.get_ref())
                    }
                    _ => "a weight must be a number".to_string(),
                };
                self.err(
                    w,
                    key,
                    format!(
                        "{what}: {} weights are {kind} {}",
                        rules.provider,
                        rules.range_text()
                    ),
                );
                0
            }
        }
    }

    pub(super) fn regions(
        &mut self,
        raw: &[Spanned<RawRegion>],
        rules: &TrafficRules,
        probe_defaults: &toml::Table,
    ) -> Vec<Region> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut primaries = Vec::new();
        for (i, sr) in raw.iter().enumerate() {
            let r = sr.get_ref();
            let id = r.id.get_ref().clone();
            self.check_id(&r.id, &format!("regions[{i}].id"), "region", &mut seen);
            let role = match r.role.get_ref().parse() {
                Ok(role) => role,
                Err(_) => {
                    let other = r.role.get_ref();
                    let h = hint(other, Role::VARIANTS.iter().copied());
                    let valid = quoted(Role::VARIANTS);
                    self.err(
                        &r.role,
                        format!("regions[{i}].role"),
                        format!("unknown role \"{other}\"{h}; valid: {valid}"),
                    );
                    Role::Secondary
                }
            };
            if role == Role::Primary {
                primaries.push((i, sr));
            }
            let steady_weight = self.weight(
                &r.steady_weight,
                &format!("regions[{i}].steady_weight"),
                rules,
            );
            let sim = r.sim.as_ref().map(|s| RegionSim {
                phases_done: s.phases_done,
                weight: s
                    .weight
                    .as_ref()
                    .map(|w| self.weight(w, &format!("regions[{i}].sim.weight"), rules)),
                latency_ms: s.latency_ms,
                lag_seconds: s.lag_seconds,
                fail_once: s.fail_once.clone(),
                signups: s.signups,
            });
            let (mut health, mut more_health) =
                self.health(r.health.as_ref(), &format!("regions[{i}].health"));
            // HTTP probes are built once, here, over the fleet's defaults.
            for h in std::iter::once(&mut health).chain(more_health.iter_mut()) {
                let Settings::Http(http) = &mut h.settings else {
                    continue;
                };
                match crate::fleet::probes::http_config(probe_defaults, http, &r.endpoints) {
                    Ok(built) => http.built = built,
                    Err(problems) => {
                        for (k, msg) in problems {
                            let at = r.health.as_ref().map(|h| h.span()).unwrap_or(sr.span());
                            self.err(&Spanned::new(at, ()), format!("regions[{i}].{k}"), msg);
                        }
                    }
                }
            }
            let stores = self.data_stores(r, i);
            out.push(Region {
                name: r.name.clone().unwrap_or_else(|| id.clone()),
                cloud_region: r.cloud_region.clone().unwrap_or_else(|| id.clone()),
                set_identifier: r.set_identifier.clone().unwrap_or_else(|| id.clone()),
                id,
                role,
                steady_weight,
                endpoints: r.endpoints.clone(),
                health,
                more_health,
                lag: stores.lag,
                database: stores.database,
                cluster: self.cluster(r.cluster.as_ref(), i),
                sim: sim.unwrap_or_default(),
                stores: stores.stores,
            });
        }
        self.check_region_set(raw, &out, &primaries, rules);
        self.check_store_names(raw, &out);
        out
    }

    /// Store k is the same store in every region (promoted together, shown in one column):
    /// the names must agree where regions have it.
    fn check_store_names(&mut self, raw: &[Spanned<RawRegion>], regions: &[Region]) {
        let Some(longest) = regions.iter().max_by_key(|r| r.stores.len()) else {
            return;
        };
        for (i, r) in regions.iter().enumerate() {
            for (k, s) in r.stores.iter().enumerate() {
                let Some(want) = longest.stores.get(k) else {
                    continue;
                };
                if want.name != s.name {
                    let msg = format!(
                        "data store {} of {} is \"{}\" but of {} \"{}\": list the stores in the same order, with the same names, in every region",
                        k + 1,
                        r.id,
                        s.name,
                        longest.id,
                        want.name
                    );
                    self.err(&raw[i], format!("regions[{i}].databases"), msg);
                }
            }
        }
    }

    fn check_region_set(
        &mut self,
        raw: &[Spanned<RawRegion>],
        regions: &[Region],
        primaries: &[(usize, &Spanned<RawRegion>)],
        rules: &TrafficRules,
    ) {
        let Some(first) = raw.first() else {
            self.errors.push(self.loc.at(
                0..0,
                "regions",
                "the fleet has no regions: add at least one [[regions]] table",
            ));
            return;
        };
        match primaries {
            [] => self.err(
                first,
                "regions",
                "no region has role = \"primary\": exactly one region must be the database primary",
            ),
            [_] => {}
            [(_, a), rest @ ..] => {
                for (i, r) in rest {
                    let msg = format!(
                        "two primaries: \"{}\" and \"{}\"; exactly one region may be primary",
                        a.get_ref().id.get_ref(),
                        r.get_ref().id.get_ref()
                    );
                    self.err(&r.get_ref().role, format!("regions[{i}].role"), msg);
                }
            }
        }
        if regions.iter().all(|r| r.steady_weight == 0) {
            self.err(
                first,
                "regions.steady_weight",
                format!(
                    "every steady weight is 0 ({}): {}",
                    rules.provider, rules.all_drained_reason
                ),
            );
        }
    }
}
