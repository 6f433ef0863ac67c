//! Reading and validating a fleet file. Every problem is reported with file, line, column,
//! key and what would be valid; all problems in a file are reported at once.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use strum::VariantNames;
use toml::Spanned;

use super::error::{ConfigError, ConfigErrors, Locator};
use super::model::*;
use super::raw::*;
use super::settings::Settings;
use super::suggest::hint;

/// Provider families whose polling a `[budget]` table may cap.
pub const BUDGET_FAMILIES: &[&str] = &[
    "route53",
    "cloudwatch",
    "rds",
    "cloudflare",
    "azure",
    "elasticache",
];

/// Longest fleet name: it names a directory, and file names have limits.
pub const MAX_NAME_LEN: usize = 64;

mod approvals;
mod freezes;
mod health;
mod regions;
mod rollout_steps;
mod rollouts;
mod steps;
mod stores;
mod tenants;

/// The demo fleet embedded in the binary.
pub const DEMO_FLEET: &str = include_str!("demo.toml");

/// Why a fleet could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read fleet file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(ConfigErrors),
}

/// Load and validate a fleet file.
pub fn load_file(path: &Path) -> Result<Fleet, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let name = path.display().to_string();
    parse_bytes(&bytes, &name, FleetSource::File(path.to_path_buf())).map_err(LoadError::Invalid)
}

/// Parse and validate a fleet file's bytes: text that is not UTF-8 is an error located at
/// the first bad byte, like any other.
pub fn parse_bytes(bytes: &[u8], file: &str, source: FleetSource) -> Result<Fleet, ConfigErrors> {
    match super::error::utf8_text(bytes) {
        Ok(src) => parse(src, file, source),
        Err((line, column, byte)) => Err(ConfigErrors(vec![ConfigError {
            file: file.to_string(),
            line,
            column,
            key: String::new(),
            message: super::error::not_utf8_message(byte),
        }])),
    }
}

/// The embedded demo fleet. It is checked by the test suite, so failure here is a bug.
pub fn demo() -> Fleet {
    match parse(DEMO_FLEET, "demo.toml", FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("the embedded demo fleet is invalid: {e}"),
    }
}

/// Parse and validate fleet source text; `file` names it in errors.
pub fn parse(src: &str, file: &str, source: FleetSource) -> Result<Fleet, ConfigErrors> {
    let loc = Locator { file, src };
    let raw: RawFleet = toml::from_str(src).map_err(|e| ConfigErrors(vec![loc.from_toml(&e)]))?;
    let mut v = Validator {
        loc,
        errors: Vec::new(),
    };
    let fleet = v.fleet(raw, source);
    if v.errors.is_empty() {
        Ok(fleet)
    } else {
        v.errors.sort_by_key(|e| (e.line, e.column));
        Err(ConfigErrors(v.errors))
    }
}

pub(super) struct Validator<'a> {
    loc: Locator<'a>,
    errors: Vec<ConfigError>,
}

impl Validator<'_> {
    pub(super) fn err<T>(
        &mut self,
        at: &Spanned<T>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) {
        let e = self.loc.at(at.span(), key, msg);
        self.errors.push(e);
    }

    fn fleet(&mut self, raw: RawFleet, source: FleetSource) -> Fleet {
        // The name becomes a directory under the state dir: keep it a plain, short file name.
        let name = raw.fleet.name.get_ref();
        if name.is_empty()
            || name.starts_with('.')
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            let shown: String = name.chars().take(MAX_NAME_LEN).collect();
            self.err(
                &raw.fleet.name,
                "fleet.name",
                format!(
                    "\"{shown}\" is not a valid fleet name: use 1..={MAX_NAME_LEN} letters, digits, '-', '_' and '.', not starting with '.'"
                ),
            );
        } else if name.len() > MAX_NAME_LEN {
            self.err(
                &raw.fleet.name,
                "fleet.name",
                format!(
                    "the fleet name is {} characters long: at most {MAX_NAME_LEN} are allowed (it names a directory)",
                    name.len()
                ),
            );
        }
        let policy = self.policy(&raw.policy);
        let traffic = self.capability(raw.traffic.as_ref(), "traffic", CapabilityKind::Traffic);
        let gitops = self.capability(raw.gitops.as_ref(), "gitops", CapabilityKind::Gitops);
        let runner = self.capability(raw.runner.as_ref(), "runner", CapabilityKind::Runner);
        let lock = self.capability(raw.lock.as_ref(), "lock", CapabilityKind::Lock);
        let tenant_routing = raw.tenant_routing.as_ref().map(|r| {
            let mut cap = self.capability(Some(r), "tenant_routing", CapabilityKind::TenantRouting);
            cap.settings.inherit_from_traffic(&traffic.settings);
            cap
        });
        let alarms = raw.alarms.as_ref().map(|r| {
            let mut cap = self.capability(Some(r), "alarms", CapabilityKind::Alarms);
            cap.settings.inherit_from_traffic(&traffic.settings);
            cap
        });
        let rules = traffic.provider.traffic_rules();
        let probe_defaults = self.probe_defaults(raw.probe_defaults.as_ref());
        let mut regions = self.regions(&raw.regions, rules, &probe_defaults);
        // What a region's tables leave out, its traffic table says (once, here).
        for r in regions.iter_mut() {
            let caps = std::iter::once(&mut r.health)
                .chain(r.more_health.iter_mut())
                .chain([&mut r.lag, &mut r.database])
                .chain(
                    r.stores
                        .iter_mut()
                        .flat_map(|s| [&mut s.lag, &mut s.database]),
                );
            for cap in caps {
                cap.settings.inherit_from_traffic(&traffic.settings);
            }
        }
        let region_ids: Vec<String> = regions.iter().map(|r| r.id.clone()).collect();
        let tenants = self.tenants(&raw.tenants, &region_ids);
        self.check_clusters(&raw, &gitops, &lock, &regions, &tenants);
        let phases = self.phases(&raw.phases, runner.provider == ProviderKind::Shell);
        let budgets = self.budgets(raw.budget.as_ref());
        let known = rollouts::Known {
            regions: &regions,
            tenants: &tenants,
            phases: &phases,
            rules,
            alarms: alarms.is_some(),
        };
        let rollouts = self.rollouts(&raw.rollouts, &known);
        Fleet {
            name: raw.fleet.name.get_ref().clone(),
            description: raw.fleet.description,
            source,
            policy,
            traffic,
            gitops,
            runner,
            lock,
            tenant_routing,
            alarms,
            regions,
            tenants,
            phases,
            rollouts,
            sim: SimSettings {
                seed: raw.fleet.seed.unwrap_or(42),
            },
            budgets,
            probe_defaults,
        }
    }

    /// `[budget]`: provider family = calls per minute that polling may spend.
    fn budgets(&mut self, raw: Option<&Spanned<toml::Table>>) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let Some(raw) = raw else { return out };
        for (family, value) in raw.get_ref() {
            if !BUDGET_FAMILIES.contains(&family.as_str()) {
                let msg = format!(
                    "unknown provider family \"{family}\"{}; valid: {}",
                    hint(family, BUDGET_FAMILIES.iter().copied()),
                    BUDGET_FAMILIES.join(", ")
                );
                self.err(raw, format!("budget.{family}"), msg);
                continue;
            }
            let n = match value {
                toml::Value::Integer(i) => Some(*i as f64),
                toml::Value::Float(f) => Some(*f),
                _ => None,
            };
            match n {
                Some(n) if n.is_finite() && n > 0.0 && n <= 100_000.0 => {
                    out.insert(family.clone(), n);
                }
                _ => self.err(
                    raw,
                    format!("budget.{family}"),
                    "must be a number of calls per minute, above 0 and at most 100000",
                ),
            }
        }
        out
    }

    fn duration(
        &mut self,
        raw: &Option<Spanned<String>>,
        key: &str,
        default: Duration,
    ) -> Duration {
        let Some(s) = raw else { return default };
        match humantime::parse_duration(s.get_ref()) {
            Ok(d) => d,
            Err(e) => {
                self.err(
                    s,
                    key,
                    format!("{e}; write a duration such as \"60s\", \"15m\" or \"1h 30m\""),
                );
                default
            }
        }
    }

    fn policy(&mut self, raw: &RawPolicy) -> Policy {
        let d = Policy::default();
        let rpo_budget = self.duration(&raw.rpo_budget, "policy.rpo_budget", d.rpo_budget);
        let health_gate = self.duration(&raw.health_gate, "policy.health_gate", d.health_gate);
        let c = &raw.confirm;
        let dc = d.confirm.clone();
        let confirm = ConfirmPolicy {
            drain: self.strength(&c.drain, "drain", dc.drain),
            restore: self.strength(&c.restore, "restore", dc.restore),
            set_weights: self.strength(&c.set_weights, "set-weights", dc.set_weights),
            promote: self.strength(&c.promote, "promote", dc.promote),
            run_phase: self.strength(&c.run_phase, "run-phase", dc.run_phase),
            rollback: self.strength(&c.rollback, "rollback", dc.rollback),
        };
        Policy {
            rpo_budget,
            health_gate,
            production_environments: raw
                .production_environments
                .clone()
                .unwrap_or(d.production_environments),
            confirm,
            approvals: self.approval_policy(raw),
            rto: self.rto(&raw.rto),
            identity: self.identity_policy(raw),
            freezes: self.freezes(raw),
        }
    }

    fn strength(
        &mut self,
        raw: &Option<Spanned<String>>,
        action: &str,
        default: ConfirmStrength,
    ) -> ConfirmStrength {
        let Some(s) = raw else { return default };
        match s.get_ref().parse() {
            Ok(strength) => strength,
            Err(_) => {
                let key = format!("policy.confirm.{action}");
                let valid = quoted(ConfirmStrength::VARIANTS);
                self.err(
                    s,
                    key,
                    format!("unknown confirmation \"{}\" (valid: {valid})", s.get_ref()),
                );
                default
            }
        }
    }

    fn capability(
        &mut self,
        raw: Option<&Spanned<RawCapability>>,
        key: &str,
        kind: CapabilityKind,
    ) -> Capability {
        let Some(raw) = raw else {
            return default_capability(kind);
        };
        self.capability_at(raw.span(), raw.get_ref(), key, kind)
    }

    /// A capability table whose errors point at `span` (or at its provider's value).
    fn capability_at(
        &mut self,
        span: std::ops::Range<usize>,
        raw: &RawCapability,
        key: &str,
        kind: CapabilityKind,
    ) -> Capability {
        let at = Spanned::new(span, ());
        let raw_span = &at;
        let mut cap = default_capability(kind);
        if let Some(p) = &raw.provider {
            let valid: Vec<&str> = ProviderKind::valid_for(kind)
                .iter()
                .map(|p| p.as_str())
                .collect();
            match ProviderKind::parse(p.get_ref()) {
                Some(k) => cap.provider = k,
                None => self.err(
                    p,
                    format!("{key}.provider"),
                    format!(
                        "unknown provider \"{}\"{}",
                        p.get_ref(),
                        hint(p.get_ref(), valid.iter().copied())
                    ),
                ),
            }
        }
        // Provider-specific keys, read into the provider's settings struct: unknown, missing
        // or mistyped ones are reported here (not when the provider itself is unknown: that
        // one error says it all).
        let unknown_provider = raw
            .provider
            .as_ref()
            .is_some_and(|p| ProviderKind::parse(p.get_ref()).is_none());
        if unknown_provider {
            return cap;
        }
        match Settings::parse(cap.provider, kind, &raw.settings) {
            Ok(settings) => cap.settings = settings,
            Err(problems) => {
                for (k, msg) in problems {
                    match (&raw.provider, k.as_str()) {
                        (Some(p), "provider") => self.err(p, format!("{key}.provider"), msg),
                        (_, "") => self.err(raw_span, key.to_string(), msg),
                        _ => self.err(raw_span, format!("{key}.{k}"), msg),
                    }
                }
            }
        }
        cap
    }
}

impl Validator<'_> {
    /// An id must be safe to type and unique among its kind.
    fn check_id(
        &mut self,
        id: &Spanned<String>,
        key: &str,
        kind: &str,
        seen: &mut HashSet<String>,
    ) {
        let text = id.get_ref();
        if !valid_id(text) {
            self.err(
                id,
                key,
                format!("\"{text}\" is not a valid id: use lower-case letters, digits and '-'"),
            );
        }
        if !seen.insert(text.clone()) {
            self.err(id, key, format!("duplicate {kind} id \"{text}\""));
        }
    }
}

/// What a capability table means when it is left out (or names no provider): the
/// simulator, except a tenant's Helm release and the fleet lock's file.
fn default_capability(kind: CapabilityKind) -> Capability {
    match kind {
        CapabilityKind::Helm => Capability {
            provider: ProviderKind::Helm,
            settings: Settings::Helm(Default::default()),
        },
        CapabilityKind::Lock => Capability {
            provider: ProviderKind::File,
            settings: Settings::File,
        },
        _ => Capability::default(),
    }
}

/// Ids appear in commands and file names, so keep them to a safe alphabet.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// `"a", "b"`: valid values as error messages list them.
pub(super) fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
