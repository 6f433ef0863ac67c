//! A capability table's provider-specific keys (`{ provider = "...", <keys> }`), typed: one
//! `Deserialize + JsonSchema` struct per provider, parsed once when the fleet file is
//! loaded. A typo, a missing key or a value of the wrong kind fails the load with the
//! table's location; providers read fields, never strings by key. The published schema
//! (`docs/fleet.schema.json`) is generated from the same structs.

mod aws;
mod azure;
mod check;
mod cloudflare;
mod common;
mod database;
mod elasticache;
mod inherit;
mod kube;
mod local;
mod routing;

pub use aws::{Aurora, CloudWatchLag, HealthCheckSource, LagMetric, Route53Health, Route53Traffic};
pub use azure::{AzureAccount, AzureCredential, AzureHealth, AzureTraffic};
pub use check::{is_env_name, valid_keys};
pub use cloudflare::{CloudflareAccount, CloudflareHealth, CloudflareTraffic};
pub use common::{AwsTarget, DURATION_PATTERN, Dur, HttpClient, Ignore, Pace};
pub use database::{SelfManaged, Writer};
pub use elasticache::ElasticacheGlobal;
pub use kube::{ArgoCd, Helm, KubeLock};
pub use local::{HttpHealth, ProbeDefaults, ProbeItem, ProbeTable, ShellRunner};
pub use routing::{CloudWatchAlarms, CloudflareKvRouting, KvValue};

use schemars::{JsonSchema, Schema};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::{CapabilityKind, ProviderKind};

/// A capability's provider-specific settings, as the fleet file gave them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Settings {
    /// The simulator (and any capability left unset).
    Sim(Pace),
    Route53Traffic(Route53Traffic),
    Route53Health(Route53Health),
    CloudWatch(CloudWatchLag),
    /// PostgreSQL or Redis (the provider says which).
    SelfManaged(SelfManaged),
    Aurora(Aurora),
    AzureTraffic(AzureTraffic),
    AzureHealth(AzureHealth),
    CloudflareTraffic(CloudflareTraffic),
    CloudflareHealth(CloudflareHealth),
    Http(HttpHealth),
    Shell(ShellRunner),
    Argocd(ArgoCd),
    Helm(Helm),
    KubeLock(KubeLock),
    /// The lock file: no settings.
    File,
    /// A Workers KV namespace holding the tenant -> region map.
    CloudflareKv(CloudflareKvRouting),
    /// CloudWatch alarms.
    Alarms(CloudWatchAlarms),
    ElasticacheGlobal(ElasticacheGlobal),
}

impl Default for Settings {
    fn default() -> Self {
        Settings::Sim(Pace::default())
    }
}

/// The settings struct of a provider serving a capability: its schema, and how a table is
/// read into it.
pub struct Form {
    pub schema: Schema,
    read: Box<dyn Fn(toml::Table) -> Result<Settings, String>>,
}

fn form<T: JsonSchema + DeserializeOwned + 'static>(wrap: fn(T) -> Settings) -> Option<Form> {
    Some(Form {
        schema: schemars::generate::SchemaSettings::draft07()
            .into_generator()
            .into_root_schema_for::<T>(),
        read: Box::new(move |table| {
            toml::Value::Table(table)
                .try_into::<T>()
                .map_err(|e| e.to_string())
                .map(wrap)
        }),
    })
}

impl Settings {
    /// The form of a provider's settings for a capability.
    pub fn form(provider: ProviderKind, cap: CapabilityKind) -> Option<Form> {
        use CapabilityKind as C;
        use ProviderKind as P;
        if !ProviderKind::valid_for(cap).contains(&provider) {
            return None;
        }
        match (provider, cap) {
            (P::Sim, _) => form(Settings::Sim),
            (P::Route53, C::Traffic) => form(Settings::Route53Traffic),
            (P::Route53, _) => form(Settings::Route53Health),
            (P::Cloudwatch, C::Alarms) => form(Settings::Alarms),
            (P::Cloudwatch, _) => form(Settings::CloudWatch),
            (P::Postgres | P::Redis, _) => form(Settings::SelfManaged),
            (P::Aurora, _) => form(Settings::Aurora),
            (P::AzureTrafficManager, C::Traffic) => form(Settings::AzureTraffic),
            (P::AzureTrafficManager, _) => form(Settings::AzureHealth),
            (P::Cloudflare, C::Traffic) => form(Settings::CloudflareTraffic),
            (P::Cloudflare, _) => form(Settings::CloudflareHealth),
            (P::Http, _) => form(Settings::Http),
            (P::Shell, _) => form(Settings::Shell),
            (P::Argocd, _) => form(Settings::Argocd),
            (P::Helm, _) => form(Settings::Helm),
            (P::Kube, _) => form(Settings::KubeLock),
            (P::File, _) => Some(Form {
                schema: schemars::json_schema!({"type": "object", "properties": {}}),
                read: Box::new(|_| Ok(Settings::File)),
            }),
            (P::CloudflareKv, _) => form(Settings::CloudflareKv),
            (P::ElasticacheGlobal, _) => form(Settings::ElasticacheGlobal),
        }
    }

    /// Read a capability table's keys (all but `provider`): every problem as (key,
    /// message), so each can be reported at its place.
    pub fn parse(
        provider: ProviderKind,
        cap: CapabilityKind,
        table: &toml::Table,
    ) -> Result<Settings, Vec<(String, String)>> {
        let Some(form) = Settings::form(provider, cap) else {
            return Err(vec![check::wrong_provider(provider, cap)]);
        };
        let problems = check::check(provider, &form.schema, table);
        if !problems.is_empty() {
            return Err(problems);
        }
        (form.read)(table.clone()).map_err(|e| vec![(String::new(), e)])
    }

    /// How often the capability is read and how long one reading may take, where its
    /// provider takes them.
    pub fn pace(&self) -> Pace {
        match self {
            Settings::Sim(p) => p.clone(),
            Settings::Route53Traffic(s) => s.pace.clone(),
            Settings::Route53Health(s) => s.pace.clone(),
            Settings::CloudWatch(s) => s.pace.clone(),
            Settings::SelfManaged(s) => s.pace.clone(),
            Settings::Aurora(s) => s.pace.clone(),
            Settings::Argocd(s) => s.pace.clone(),
            Settings::Helm(s) => s.pace.clone(),
            Settings::Http(s) => Pace {
                poll: s.poll,
                timeout: s.timeout,
            },
            Settings::Shell(s) => Pace {
                poll: s.poll,
                timeout: s.timeout,
            },
            Settings::AzureTraffic(s) => Pace {
                poll: None,
                timeout: s.http.timeout,
            },
            Settings::AzureHealth(s) => Pace {
                poll: None,
                timeout: s.http.timeout,
            },
            Settings::CloudflareTraffic(s) => Pace {
                poll: None,
                timeout: s.http.timeout,
            },
            Settings::CloudflareHealth(s) => Pace {
                poll: None,
                timeout: s.http.timeout,
            },
            Settings::KubeLock(_) | Settings::File => Pace::default(),
            // A reading is many calls (every page of keys, then their values): its
            // deadline is the engine's, not one call's `timeout`.
            Settings::CloudflareKv(s) => Pace {
                poll: s.poll,
                timeout: None,
            },
            Settings::Alarms(s) => s.pace.clone(),
            Settings::ElasticacheGlobal(s) => s.pace.clone(),
        }
    }

    /// Where the AWS SDK sends this capability's calls, for the AWS providers.
    pub fn aws(&self) -> Option<&AwsTarget> {
        match self {
            Settings::Route53Traffic(s) => Some(&s.aws),
            Settings::Route53Health(s) => Some(&s.aws),
            Settings::CloudWatch(s) => Some(&s.aws),
            Settings::Aurora(s) => Some(&s.aws),
            Settings::Alarms(s) => Some(&s.aws),
            Settings::ElasticacheGlobal(s) => Some(&s.aws),
            _ => None,
        }
    }

    /// Where the application finds its writer, for a `database`.
    pub fn writer(&self) -> Option<&Writer> {
        match self {
            Settings::SelfManaged(s) => Some(&s.writer),
            Settings::Aurora(s) => Some(&s.writer),
            Settings::ElasticacheGlobal(s) => Some(&s.writer),
            _ => None,
        }
    }

    /// The records a traffic provider should not list.
    pub fn ignored(&self) -> Option<&Ignore> {
        match self {
            Settings::Route53Traffic(s) => Some(&s.ignore),
            Settings::AzureTraffic(s) => Some(&s.ignore),
            Settings::CloudflareTraffic(s) => Some(&s.ignore),
            _ => None,
        }
    }
}
