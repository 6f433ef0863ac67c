//! Validating health sources: one table or a list, and `[probe_defaults]`.

use toml::Spanned;

use super::Validator;
use crate::fleet::model::*;
use crate::fleet::raw::RawCapability;

impl Validator<'_> {
    /// `[probe_defaults]`: only probe keys, checked like a probe.
    pub(super) fn probe_defaults(&mut self, raw: Option<&Spanned<toml::Table>>) -> toml::Table {
        let Some(raw) = raw else {
            return toml::Table::new();
        };
        let t = raw.get_ref();
        for k in t.keys() {
            if !crate::fleet::probes::DEFAULT_KEYS.contains(&k.as_str()) {
                let valid = crate::fleet::probes::DEFAULT_KEYS.join(", ");
                self.err(
                    raw,
                    format!("probe_defaults.{k}"),
                    format!("unknown key \"{k}\"; valid keys: {valid}"),
                );
            }
        }
        let probe = toml::Value::String("http://probe.invalid/".into());
        let settings = crate::fleet::settings::HttpHealth {
            probes: Some(vec![probe]),
            ..Default::default()
        };
        if let Err(problems) = crate::fleet::probes::http_config(t, &settings, &[]) {
            for (k, msg) in problems {
                self.err(raw, k, msg);
            }
        }
        t.clone()
    }

    /// `health`: one capability table or a list of them.
    pub(super) fn health(
        &mut self,
        raw: Option<&Spanned<toml::Value>>,
        key: &str,
    ) -> (Capability, Vec<Capability>) {
        let Some(raw) = raw else {
            return (Capability::default(), Vec::new());
        };
        let tables: Vec<(String, &toml::Value)> = match raw.get_ref() {
            toml::Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{key}[{i}]"), v))
                .collect(),
            one => vec![(key.to_string(), one)],
        };
        let mut caps = Vec::new();
        for (k, v) in tables {
            let Some(t) = v.as_table() else {
                self.err(
                    raw,
                    k,
                    "a health source is a table such as { provider = \"http\" }",
                );
                continue;
            };
            let mut settings = t.clone();
            let provider = match settings.remove("provider") {
                Some(toml::Value::String(p)) => Some(Spanned::new(raw.span(), p)),
                Some(_) => {
                    self.err(raw, format!("{k}.provider"), "must be a string");
                    None
                }
                None => None,
            };
            let cap = RawCapability { provider, settings };
            caps.push(self.capability_at(raw.span(), &cap, &k, CapabilityKind::Health));
        }
        if caps.is_empty() {
            if matches!(raw.get_ref(), toml::Value::Array(a) if a.is_empty()) {
                self.err(raw, key, "an empty list: give at least one health source");
            }
            return (Capability::default(), Vec::new());
        }
        let first = caps.remove(0);
        (first, caps)
    }
}
