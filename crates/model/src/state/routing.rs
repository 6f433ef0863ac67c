//! Where tenants live, as the global routing layer says (a KV map of tenant -> home region),
//! and which regions take new tenants at sign-up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The routing map as last read. Shared (`Arc`) in the state: a map of many thousand
/// tenants is read once a minute and cloned with every state snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantHomes {
    /// Tenant id -> the region its requests go to, as written in the map (a region the
    /// fleet may not know).
    pub homes: BTreeMap<String, String>,
    /// Regions open to new tenants, as written in the map; `None` when the map does not
    /// say (no sign-ups key or prefix configured).
    pub signups: Option<Vec<String>>,
    /// Entries that could not be read as a home (`key: why`), shown, never guessed at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

impl TenantHomes {
    /// The region a tenant is homed in, if the map has it.
    pub fn home(&self, tenant: &str) -> Option<&str> {
        self.homes.get(tenant).map(String::as_str)
    }

    /// How many tenants the map homes in a region.
    pub fn homed_in(&self, region: &str) -> usize {
        self.homes.values().filter(|r| *r == region).count()
    }

    /// Per region (as written), how many tenants live there.
    pub fn counts(&self) -> BTreeMap<&str, usize> {
        let mut out: BTreeMap<&str, usize> = BTreeMap::new();
        for r in self.homes.values() {
            *out.entry(r.as_str()).or_default() += 1;
        }
        out
    }

    /// Whether the region takes new tenants; `None` when the map does not say.
    pub fn takes_signups(&self, region: &str) -> Option<bool> {
        self.signups
            .as_ref()
            .map(|open| open.iter().any(|r| r == region))
    }

    /// Tenants homed in a region, in id order.
    pub fn tenants_in<'a>(&'a self, region: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.homes
            .iter()
            .filter(move |(_, r)| *r == region)
            .map(|(t, _)| t.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_signups_come_from_the_map() {
        let mut homes = TenantHomes::default();
        homes.homes.insert("acme".into(), "sgp-1".into());
        homes.homes.insert("globex".into(), "sgp-1".into());
        homes.homes.insert("initech".into(), "fra-1".into());
        assert_eq!(homes.homed_in("sgp-1"), 2);
        assert_eq!(homes.home("initech"), Some("fra-1"));
        assert_eq!(homes.takes_signups("sgp-1"), None, "the map does not say");
        homes.signups = Some(vec!["fra-1".into()]);
        assert_eq!(homes.takes_signups("sgp-1"), Some(false));
        assert_eq!(homes.takes_signups("fra-1"), Some(true));
        assert_eq!(homes.counts().get("sgp-1"), Some(&2));
        assert_eq!(
            homes.tenants_in("sgp-1").collect::<Vec<_>>(),
            ["acme", "globex"]
        );
    }
}
