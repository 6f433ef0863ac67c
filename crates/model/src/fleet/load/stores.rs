//! A region's data stores: one `database` (with `lag`), `database` plus `cache`, or
//! `databases = [...]`. Each store is a database table with an optional `name`, its own
//! `lag` table and `rpo`; they are promoted together, in order.

use std::collections::HashSet;

use toml::Spanned;

use super::Validator;
use crate::fleet::model::*;
use crate::fleet::raw::{RawCapability, RawRegion};
use crate::fleet::settings::Settings;

/// What a region's data-store keys come to.
pub(super) struct Stores {
    pub database: Capability,
    pub lag: Capability,
    pub stores: Vec<DataStore>,
}

impl Validator<'_> {
    pub(super) fn data_stores(&mut self, r: &RawRegion, i: usize) -> Stores {
        let key = format!("regions[{i}]");
        let database = self.capability(
            r.database.as_ref(),
            &format!("{key}.database"),
            CapabilityKind::Database,
        );
        let lag = self.capability(r.lag.as_ref(), &format!("{key}.lag"), CapabilityKind::Lag);
        if let Some(list) = &r.databases {
            if let Some(d) = &r.database {
                self.err(
                    d,
                    format!("{key}.database"),
                    "both `database` and `databases`: list every data store in `databases`",
                );
            }
            if let Some(c) = &r.cache {
                self.err(
                    c,
                    format!("{key}.cache"),
                    "both `cache` and `databases`: list every data store in `databases`",
                );
            }
            let items: Vec<&toml::Value> = match list.get_ref() {
                toml::Value::Array(a) if !a.is_empty() => a.iter().collect(),
                _ => {
                    self.err(
                        list,
                        format!("{key}.databases"),
                        "a list of database tables, e.g. [{ provider = \"aurora\", ... }, { provider = \"elasticache-global\", name = \"cache\", ... }]",
                    );
                    return Stores {
                        database,
                        lag,
                        stores: Vec::new(),
                    };
                }
            };
            let mut stores = Vec::new();
            for (n, item) in items.into_iter().enumerate() {
                let k = format!("{key}.databases[{n}]");
                // The region's own `lag` is the first store's, unless it names its own.
                let region_lag = (n == 0 && r.lag.is_some()).then(|| lag.clone());
                if let Some(s) = self.store(list, item, &k, DEFAULT_STORE, region_lag) {
                    stores.push(s);
                }
            }
            self.unique_store_names(list, &key, &stores);
            let Some(first) = stores.first() else {
                return Stores {
                    database,
                    lag,
                    stores,
                };
            };
            return Stores {
                database: first.database.clone(),
                lag: first.lag.clone(),
                stores,
            };
        }
        let Some(cache) = &r.cache else {
            return Stores {
                database,
                lag,
                stores: Vec::new(),
            };
        };
        if r.database.is_none() {
            self.err(
                cache,
                format!("{key}.cache"),
                "`cache` is promoted after the region's `database`: give the region a `database` too (or list both in `databases`)",
            );
        }
        let mut stores = vec![DataStore {
            name: DEFAULT_STORE.to_string(),
            database: database.clone(),
            lag: lag.clone(),
            rpo: None,
        }];
        if let Some(s) = self.store(
            cache,
            cache.get_ref(),
            &format!("{key}.cache"),
            "cache",
            None,
        ) {
            stores.push(s);
        }
        self.unique_store_names(cache, &key, &stores);
        Stores {
            database,
            lag,
            stores,
        }
    }

    fn unique_store_names<T>(&mut self, at: &Spanned<T>, key: &str, stores: &[DataStore]) {
        let mut seen = HashSet::new();
        for s in stores {
            if !seen.insert(s.name.as_str()) {
                self.err(
                    at,
                    format!("{key}.databases"),
                    format!(
                        "two data stores named \"{}\": give each its own `name`",
                        s.name
                    ),
                );
            }
        }
    }

    /// One store table: its database keys, and `name`, `lag`, `rpo`.
    fn store(
        &mut self,
        at: &Spanned<toml::Value>,
        item: &toml::Value,
        key: &str,
        default_name: &str,
        region_lag: Option<Capability>,
    ) -> Option<DataStore> {
        let Some(table) = item.as_table() else {
            self.err(
                at,
                key,
                "a data store is a table such as { provider = \"aurora\", ... }",
            );
            return None;
        };
        let mut settings = table.clone();
        let name = match settings.remove("name") {
            None => default_name.to_string(),
            Some(toml::Value::String(n))
                if !n.is_empty()
                    && n.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || "-_".contains(c)
                    }) =>
            {
                n
            }
            Some(_) => {
                self.err(
                    at,
                    format!("{key}.name"),
                    "a store's name is lower-case letters, digits, '-' and '_', e.g. \"cache\"",
                );
                default_name.to_string()
            }
        };
        let rpo = match settings.remove("rpo") {
            None => None,
            Some(toml::Value::String(t)) => match humantime::parse_duration(&t) {
                Ok(d) if !d.is_zero() => Some(d),
                _ => {
                    self.err(
                        at,
                        format!("{key}.rpo"),
                        format!("\"{t}\" is not a duration above 0: write e.g. \"30s\" or \"1m\""),
                    );
                    None
                }
            },
            Some(_) => {
                self.err(at, format!("{key}.rpo"), "a duration such as \"30s\"");
                None
            }
        };
        let own_lag = settings.remove("lag");
        let provider = match settings.remove("provider") {
            Some(toml::Value::String(p)) => Some(Spanned::new(at.span(), p)),
            Some(_) => {
                self.err(at, format!("{key}.provider"), "must be a string");
                None
            }
            None => None,
        };
        let raw = RawCapability { provider, settings };
        let database = self.capability_at(at.span(), &raw, key, CapabilityKind::Database);
        let lag = match (own_lag, region_lag) {
            (Some(toml::Value::Table(t)), region) => {
                if region.is_some() {
                    self.err(
                        at,
                        format!("{key}.lag"),
                        "the first store has both its own `lag` and the region's: keep one",
                    );
                }
                let mut t = t.clone();
                let provider = match t.remove("provider") {
                    Some(toml::Value::String(p)) => Some(Spanned::new(at.span(), p)),
                    _ => None,
                };
                let raw = RawCapability {
                    provider,
                    settings: t,
                };
                self.capability_at(at.span(), &raw, &format!("{key}.lag"), CapabilityKind::Lag)
            }
            (Some(_), _) => {
                self.err(
                    at,
                    format!("{key}.lag"),
                    "a lag table such as { provider = \"cloudwatch\", metric = \"elasticache-global\", identifier = \"...\" }",
                );
                Capability::default()
            }
            (None, Some(region)) => region,
            (None, None) => self.default_store_lag(at, key, &database)?,
        };
        Some(DataStore {
            name,
            database,
            lag,
            rpo,
        })
    }

    /// A store without a `lag` table: PostgreSQL and Redis measure their own; the simulator
    /// simulates it; a managed store's lag lives elsewhere (CloudWatch) and must be named.
    fn default_store_lag(
        &mut self,
        at: &Spanned<toml::Value>,
        key: &str,
        database: &Capability,
    ) -> Option<Capability> {
        match (&database.provider, &database.settings) {
            (ProviderKind::Postgres | ProviderKind::Redis, Settings::SelfManaged(s)) => {
                Some(Capability {
                    provider: database.provider,
                    settings: Settings::SelfManaged(s.clone()),
                })
            }
            (ProviderKind::Sim, _) => Some(Capability::default()),
            (p, _) => {
                let example = match p {
                    ProviderKind::ElasticacheGlobal => {
                        "{ provider = \"cloudwatch\", metric = \"elasticache-global\", identifier = \"<this region's replication group>\" }"
                    }
                    _ => {
                        "{ provider = \"cloudwatch\", metric = \"aurora-global\", identifier = \"<this region's cluster>\" }"
                    }
                };
                self.err(
                    at,
                    format!("{key}.lag"),
                    format!(
                        "a {} store needs its lag: add lag = {example} (its lag gate refuses a promotion it cannot measure)",
                        p.as_str()
                    ),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::{FleetSource, ProviderKind, parse};

    fn fleet(region_a: &str, region_b: &str) -> String {
        format!(
            "[fleet]\nname = \"t\"\n[[regions]]\nid = \"a\"\nrole = \"primary\"\nsteady_weight = 50\n{region_a}\n[[regions]]\nid = \"b\"\nrole = \"secondary\"\nsteady_weight = 50\n{region_b}\n"
        )
    }

    fn errors(text: &str) -> String {
        match parse(text, "f.toml", FleetSource::Demo) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    const LIST: &str = r#"databases = [
  { provider = "sim" },
  { provider = "sim", name = "cache", rpo = "10s" },
]"#;

    #[test]
    fn databases_are_the_stores_in_order_and_the_first_is_the_region_database() {
        let f = parse(&fleet(LIST, LIST), "f.toml", FleetSource::Demo).expect("valid");
        let a = f.region("a").expect("a");
        let names: Vec<&str> = a.data_stores().iter().map(|s| s.name).collect();
        assert_eq!(names, vec!["database", "cache"]);
        assert_eq!(a.stores[1].rpo, Some(std::time::Duration::from_secs(10)));
        assert_eq!(a.database.provider, ProviderKind::Sim);
        assert_eq!(f.store_count(), 2);
        let view = f.store_view(1);
        assert!(view.regions.iter().all(|r| r.stores.is_empty()));
    }

    #[test]
    fn database_plus_cache_is_two_stores_and_a_managed_cache_needs_its_lag() {
        let two = "database = { provider = \"sim\" }\ncache = { provider = \"sim\" }";
        let f = parse(&fleet(two, two), "f.toml", FleetSource::Demo).expect("valid");
        let names: Vec<&str> = f.regions[0].data_stores().iter().map(|s| s.name).collect();
        assert_eq!(names, vec!["database", "cache"]);

        let managed = "database = { provider = \"sim\" }\ncache = { provider = \"elasticache-global\", global_replication_group_id = \"g\", replication_group_id = \"r\" }";
        let e = errors(&fleet(managed, two));
        assert!(e.contains("regions[0].cache.lag"), "{e}");
        assert!(e.contains("elasticache-global"), "{e}");
    }

    #[test]
    fn mixed_forms_duplicate_names_and_different_orders_are_refused() {
        let both = format!("database = {{ provider = \"sim\" }}\n{LIST}");
        assert!(
            errors(&fleet(&both, LIST)).contains("both `database` and `databases`"),
            "{}",
            errors(&fleet(&both, LIST))
        );
        let twice = "databases = [{ provider = \"sim\", name = \"x\" }, { provider = \"sim\", name = \"x\" }]";
        assert!(errors(&fleet(twice, LIST)).contains("two data stores named \"x\""));
        let swapped = r#"databases = [{ provider = "sim", name = "cache" }, { provider = "sim", name = "database" }]"#;
        let e = errors(&fleet(LIST, swapped));
        assert!(e.contains("in the same order, with the same names"), "{e}");
        let bad_rpo = r#"databases = [{ provider = "sim" }, { provider = "sim", name = "cache", rpo = "soon" }]"#;
        assert!(errors(&fleet(bad_rpo, LIST)).contains("is not a duration"));
    }
}
