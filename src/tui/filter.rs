//! The `/` filter: a regex over what each row says in words (region id, role, health,
//! tenant id, environment, sync and health states), applied to every pane at once.

use std::collections::HashMap;

use regex::{Regex, RegexBuilder};

use crate::fleet::Fleet;
use crate::state::{FleetState, TenantState};

/// The filter being typed or in effect.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub text: String,
    pub regex: Option<Regex>,
    /// Why the text is not a valid regex (the previous one stays in effect).
    pub error: Option<String>,
    pub editing: bool,
}

impl Filter {
    pub fn start(&mut self) {
        self.editing = true;
    }

    pub fn push(&mut self, c: char) {
        self.text.push(c);
        self.compile();
    }

    pub fn pop(&mut self) {
        self.text.pop();
        self.compile();
    }

    pub fn clear(&mut self) {
        *self = Filter::default();
    }

    pub fn is_active(&self) -> bool {
        self.regex.is_some()
    }

    fn compile(&mut self) {
        if self.text.is_empty() {
            self.regex = None;
            self.error = None;
            return;
        }
        // Case-insensitive: at 03:00 nobody remembers whether it is OutOfSync or outofsync.
        match RegexBuilder::new(&self.text)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
        {
            Ok(r) => {
                self.regex = Some(r);
                self.error = None;
            }
            Err(e) => {
                let msg = e.to_string();
                self.error = Some(
                    msg.lines()
                        .last()
                        .unwrap_or("invalid regex")
                        .trim()
                        .to_string(),
                );
            }
        }
    }

    fn hit(&self, text: &str) -> bool {
        self.regex.as_ref().is_none_or(|r| r.is_match(text))
    }

    /// The rows the filter leaves: (region indices, tenant indices) into the fleet. A region
    /// shows when its own words match or any tenant cell in it does; a tenant when its id,
    /// environment or any of its cells match. One pass over the cells, so filtering a big
    /// fleet costs one regex match per cell.
    pub fn apply(&self, fleet: &Fleet, state: &FleetState) -> (Vec<usize>, Vec<usize>) {
        if self.regex.is_none() {
            return (
                (0..fleet.regions.len()).collect(),
                (0..fleet.tenants.len()).collect(),
            );
        }
        let region_index: HashMap<&str, usize> = fleet
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let tenant_state: HashMap<&str, &TenantState> =
            state.tenants.iter().map(|t| (t.id.as_str(), t)).collect();
        let mut region_hit: Vec<bool> = fleet
            .regions
            .iter()
            .map(|r| {
                let s = state.region(&r.id);
                let role = s.and_then(|s| s.role.value).unwrap_or(r.role).as_str();
                let health = s.map(|s| s.health_status().as_str()).unwrap_or("unknown");
                self.hit(&format!("{} {} {role} {health}", r.id, r.name))
            })
            .collect();
        // A keystroke re-filters 100,000 cells on a big fleet: split the tenants over the
        // cores (one regex match per cell either way).
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let per = fleet.tenants.len().div_ceil(threads).max(256);
        let all = fleet.tenants.len();
        let parts: Vec<(Vec<usize>, Vec<bool>)> = match all <= per {
            true => vec![self.tenants_hit(fleet, &tenant_state, &region_index, 0..all)],
            false => std::thread::scope(|scope| {
                let (tenant_state, region_index) = (&tenant_state, &region_index);
                let handles: Vec<_> = (0..all)
                    .step_by(per)
                    .map(|start| {
                        let range = start..(start + per).min(all);
                        scope.spawn(move || {
                            self.tenants_hit(fleet, tenant_state, region_index, range)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            }),
        };
        let mut tenants = Vec::new();
        for (hits, regions_hit) in parts {
            tenants.extend(hits);
            for (ri, hit) in regions_hit.into_iter().enumerate() {
                if hit && let Some(r) = region_hit.get_mut(ri) {
                    *r = true;
                }
            }
        }
        let regions = region_hit
            .iter()
            .enumerate()
            .filter(|(_, h)| **h)
            .map(|(i, _)| i)
            .collect();
        (regions, tenants)
    }

    /// The tenants in `range` that match (in order), and the regions their matching cells
    /// are in.
    fn tenants_hit(
        &self,
        fleet: &Fleet,
        tenant_state: &HashMap<&str, &TenantState>,
        region_index: &HashMap<&str, usize>,
        range: std::ops::Range<usize>,
    ) -> (Vec<usize>, Vec<bool>) {
        let mut tenants = Vec::new();
        let mut region_hit = vec![false; fleet.regions.len()];
        let mut words = String::with_capacity(128);
        // A clone per thread has its own match cache; sharing one made threads queue for it.
        let regex = self.regex.clone();
        let hit = |text: &str| regex.as_ref().is_none_or(|r| r.is_match(text));
        for ti in range {
            let Some(t) = fleet.tenants.get(ti) else {
                continue;
            };
            let ts = tenant_state.get(t.id.as_str());
            let mut any = false;
            for (pos, region) in t.regions.iter().enumerate() {
                // Apps are stored in the tenant's region order; look up only if they are not.
                let app = ts.and_then(|ts| match ts.apps.get(pos) {
                    Some((r, a)) if **r == **region => Some(a),
                    _ => ts.app(region),
                });
                let app = app.and_then(|a| a.value.as_ref());
                let (sync, health) = app
                    .map(|a| (a.sync.as_str(), a.health.as_str()))
                    .unwrap_or(("Unknown", "Unknown"));
                words.clear();
                for part in [t.id.as_str(), &t.environment, region, sync, health] {
                    words.push_str(part);
                    words.push(' ');
                }
                words.pop();
                if hit(&words) {
                    any = true;
                    if let Some(&ri) = region_index.get(region.as_str()) {
                        region_hit[ri] = true;
                    }
                }
            }
            if any {
                tenants.push(ti);
            }
        }
        (tenants, region_hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Split over threads, the filter leaves exactly the rows one pass leaves, in order.
    #[test]
    fn the_split_filter_leaves_what_one_pass_leaves() {
        let (fleet, state) =
            crate::tui::fixture::synthetic(5, 1_100).unwrap_or_else(|e| panic!("{e}"));
        let region_index: HashMap<&str, usize> = fleet
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let tenant_state: HashMap<&str, &TenantState> =
            state.tenants.iter().map(|t| (t.id.as_str(), t)).collect();
        for text in [
            "outofsync",
            "region-003 .*progressing",
            "tenant-10[0-9]{2} stg",
        ] {
            let mut f = Filter::default();
            text.chars().for_each(|c| f.push(c));
            let (regions, tenants) = f.apply(&fleet, &state);
            let (want, hit) =
                f.tenants_hit(&fleet, &tenant_state, &region_index, 0..fleet.tenants.len());
            assert_eq!(tenants, want, "{text}");
            assert!(
                !tenants.is_empty() && tenants.len() < fleet.tenants.len(),
                "{text}"
            );
            let want_regions: Vec<usize> = (0..fleet.regions.len()).filter(|&i| hit[i]).collect();
            assert_eq!(regions, want_regions, "{text}");
        }
    }
}
