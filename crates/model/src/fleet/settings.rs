//! The provider-specific keys of a capability table (`{ provider = "...", <keys> }`): which
//! keys each provider takes, of what type, and which are required. Checked at load time so a
//! typo fails with a location instead of a backend error at 03:00.

use super::model::{CapabilityKind, ProviderKind};

/// The type a setting must have.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Str,
    /// A humantime duration such as "90s" or "5m".
    Duration,
    Int,
    Bool,
    /// A table of string values (environment variables, HTTP headers).
    StrTable,
    /// A list (its items are checked by the provider's own parser).
    List,
    OneOf(&'static [&'static str]),
    /// The name of an environment variable (never its value: that may be a secret).
    EnvName,
    /// A non-empty array of strings.
    StrList,
}

/// One allowed key.
#[derive(Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn opt(name: &'static str, kind: Kind) -> Key {
    Key {
        name,
        kind,
        required: false,
    }
}
const fn req(name: &'static str, kind: Kind) -> Key {
    Key {
        name,
        kind,
        required: true,
    }
}

/// Where the AWS SDK sends requests and whose credentials it uses.
const AWS: [Key; 3] = [
    opt("profile", Kind::Str),
    opt("endpoint_url", Kind::Str),
    opt("aws_region", Kind::Str),
];

/// Connection strings are secrets: they come from an environment variable or a file, never
/// from the fleet file itself (which gets committed and shared).
const SECRET: [Key; 3] = [
    opt("dsn_env", Kind::EnvName),
    opt("dsn_file", Kind::Str),
    opt("dsn_key", Kind::Str),
];

/// Keys of which a provider needs exactly one (where its connection string comes from).
pub fn exactly_one_of(provider: ProviderKind) -> &'static [&'static str] {
    match provider {
        ProviderKind::Postgres | ProviderKind::Redis => &["dsn_env", "dsn_file"],
        _ => &[],
    }
}

/// Deadlines and retries of the HTTP providers (Azure, Cloudflare).
const HTTP: [Key; 3] = [
    opt("timeout", Kind::Duration),
    opt("connect_timeout", Kind::Duration),
    opt("max_attempts", Kind::Int),
];

/// Which Azure account, and how meridian gets a token for it.
const AZURE: [Key; 9] = [
    opt("endpoint_url", Kind::Str),
    opt("authority_host", Kind::Str),
    opt(
        "credential",
        Kind::OneOf(&["auto", "environment", "cli", "managed-identity"]),
    ),
    opt("tenant_id", Kind::Str),
    opt("client_id", Kind::Str),
    opt("client_secret_env", Kind::EnvName),
    opt("ca_file", Kind::Str),
    opt("api_version", Kind::Str),
    opt("subscription_id", Kind::Str),
];

/// Which Cloudflare account, and where its API token comes from (never the fleet file).
const CLOUDFLARE: [Key; 4] = [
    opt("endpoint_url", Kind::Str),
    opt("api_token_env", Kind::EnvName),
    opt("api_token_file", Kind::Str),
    opt("account_id", Kind::Str),
];

/// Where the application finds its writer, for a region's `database`: promotion does not
/// finish until the application writes to the new primary. `writer_config` names the
/// setting (e.g. `DATABASE_URL of storefront`, `Helm values database.replicaOf`), which
/// the promote plan lists as a change; `promote_phase` names a phase that makes it, run
/// in the promoted region as the promotion's last step.
const WRITER: [Key; 2] = [
    opt("writer_config", Kind::Str),
    opt("promote_phase", Kind::Str),
];

/// The keys a provider takes for a capability; `None` when the pair is not valid at all.
pub fn keys(provider: ProviderKind, cap: CapabilityKind) -> Option<Vec<Key>> {
    let mut keys = provider_keys(provider, cap)?;
    if cap == CapabilityKind::Database {
        keys.extend(WRITER);
    }
    // Records (sets, endpoints, pools) that are not regions and should not be listed.
    if cap == CapabilityKind::Traffic && provider != ProviderKind::Sim {
        keys.push(opt("ignore", Kind::StrList));
    }
    Some(keys)
}

fn provider_keys(provider: ProviderKind, cap: CapabilityKind) -> Option<Vec<Key>> {
    use CapabilityKind as C;
    use ProviderKind as P;
    if !ProviderKind::valid_for(cap).contains(&provider) {
        return None;
    }
    // Every provider takes a polling interval and a deadline for one reading.
    let schedule = [opt("poll", Kind::Duration), opt("timeout", Kind::Duration)];
    let mut keys = match (provider, cap) {
        (P::Sim, _) => return Some(schedule.into_iter().collect()),
        (P::Route53, C::Traffic) => vec![
            req("hosted_zone_id", Kind::Str),
            req("record_name", Kind::Str),
            opt("record_type", Kind::Str),
            opt("change_timeout", Kind::Duration),
            opt("max_attempts", Kind::Int),
        ],
        (P::Route53, _) => vec![
            req("health_check_id", Kind::Str),
            opt("source", Kind::OneOf(&["metric", "status"])),
        ],
        (P::Cloudwatch, _) => vec![
            req(
                "metric",
                Kind::OneOf(&["aurora-global", "rds-replica", "elasticache-global"]),
            ),
            req("identifier", Kind::Str),
            opt("period", Kind::Duration),
        ],
        (P::Postgres | P::Redis, _) => {
            let mut keys: Vec<Key> = SECRET.into_iter().collect();
            keys.extend(schedule);
            keys.push(opt("connect_timeout", Kind::Duration));
            return Some(keys);
        }
        (P::Http, _) => {
            return Some(vec![
                opt("probes", Kind::List),
                opt("timeout", Kind::Duration),
                opt("poll", Kind::Duration),
                opt("expect_status", Kind::Int),
                opt("expect_body", Kind::Str),
                opt("headers", Kind::StrTable),
                opt("host", Kind::Str),
                opt("ca_file", Kind::Str),
                opt("insecure", Kind::Bool),
            ]);
        }
        (P::Shell, _) => {
            return Some(vec![
                opt("workdir", Kind::Str),
                opt("env", Kind::StrTable),
                opt("environment", Kind::Str),
                opt("timeout", Kind::Duration),
                opt("grace", Kind::Duration),
                opt("poll", Kind::Duration),
            ]);
        }
        (P::Aurora, _) => vec![
            req("global_cluster_id", Kind::Str),
            req("cluster_arn", Kind::Str),
            opt("promote_timeout", Kind::Duration),
        ],
        // Health and traffic share one profile: health takes what it omits from [traffic].
        (P::AzureTrafficManager, C::Traffic) => {
            let mut k = vec![
                req("subscription_id", Kind::Str),
                req("resource_group", Kind::Str),
                req("profile", Kind::Str),
            ];
            k.extend(AZURE.into_iter().filter(|k| k.name != "subscription_id"));
            k.extend(HTTP);
            return Some(k);
        }
        (P::AzureTrafficManager, _) => {
            let mut k = vec![opt("resource_group", Kind::Str), opt("profile", Kind::Str)];
            k.extend(AZURE);
            k.extend(HTTP);
            return Some(k);
        }
        (P::Cloudflare, C::Traffic) => {
            let mut k = vec![
                req("account_id", Kind::Str),
                req("zone_id", Kind::Str),
                req("load_balancers", Kind::StrList),
            ];
            k.extend(CLOUDFLARE.into_iter().filter(|k| k.name != "account_id"));
            k.extend(HTTP);
            return Some(k);
        }
        (P::Cloudflare, _) => {
            let mut k = CLOUDFLARE.to_vec();
            k.extend(HTTP);
            return Some(k);
        }
        (P::Argocd, _) => {
            let mut keys = vec![
                opt("namespace", Kind::Str),
                opt("hub_context", Kind::Str),
                opt("kubeconfig", Kind::Str),
                opt("sync_timeout", Kind::Duration),
            ];
            keys.extend(schedule);
            return Some(keys);
        }
        (P::Helm, _) => {
            let mut keys = vec![
                opt("release", Kind::Str),
                opt("namespace", Kind::Str),
                opt("binary", Kind::Str),
                opt("rollback_timeout", Kind::Duration),
            ];
            keys.extend(schedule);
            return Some(keys);
        }
        (P::Kube, _) => {
            return Some(vec![
                opt("context", Kind::Str),
                opt("kubeconfig", Kind::Str),
                opt("namespace", Kind::Str),
                opt("lease_duration", Kind::Duration),
            ]);
        }
        (P::File, _) => return Some(Vec::new()),
    };
    keys.extend(AWS);
    keys.extend(schedule);
    keys.push(opt("connect_timeout", Kind::Duration));
    Some(keys)
}

/// Problems with one capability table, as (key, message) pairs.
pub fn check(
    provider: ProviderKind,
    cap: CapabilityKind,
    settings: &toml::Table,
) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let Some(keys) = keys(provider, cap) else {
        let valid: Vec<String> = ProviderKind::valid_for(cap)
            .iter()
            .map(|p| format!("\"{}\"", p.as_str()))
            .collect();
        problems.push((
            "provider".into(),
            format!(
                "provider \"{}\" cannot serve this capability; valid here: {}",
                provider.as_str(),
                valid.join(", ")
            ),
        ));
        return problems;
    };
    for (name, value) in settings {
        let Some(key) = keys.iter().find(|k| k.name == name) else {
            let valid: Vec<&str> = keys.iter().map(|k| k.name).collect();
            let msg = if valid.is_empty() {
                format!(
                    "unknown key \"{name}\": the {} provider takes no settings",
                    provider.as_str()
                )
            } else {
                format!(
                    "unknown key \"{name}\" for provider \"{}\"; valid keys: {}",
                    provider.as_str(),
                    valid.join(", ")
                )
            };
            problems.push((name.clone(), msg));
            continue;
        };
        if let Some(msg) = type_problem(key.kind, value) {
            problems.push((name.clone(), msg));
        }
    }
    for k in keys
        .iter()
        .filter(|k| k.required && !settings.contains_key(k.name))
    {
        problems.push((
            k.name.to_string(),
            format!("provider \"{}\" needs \"{}\"", provider.as_str(), k.name),
        ));
    }
    let exclusive = exactly_one_of(provider);
    if let [first, ..] = exclusive {
        let given = exclusive
            .iter()
            .filter(|k| settings.contains_key(**k))
            .count();
        if given != 1 {
            problems.push(((*first).into(), "give exactly one of \"dsn_env\" (an environment variable holding the connection string) or \"dsn_file\" (a TOML file of connection strings, with \"dsn_key\")".into()));
        }
    }
    problems
}

/// `PG_DSN_EU`: what a shell accepts as a variable name.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 255
}

fn type_problem(kind: Kind, value: &toml::Value) -> Option<String> {
    match (kind, value) {
        // The value is never quoted back: a connection string pasted here holds a password.
        (Kind::EnvName, toml::Value::String(s)) if is_env_name(s) => None,
        (Kind::EnvName, _) => Some(
            "must be the name of an environment variable (letters, digits and '_', not starting \
             with a digit), e.g. \"MERIDIAN_PG_EU\"; put the connection string itself in that \
             variable, not here (the value is not shown: it may be a secret)"
                .into(),
        ),
        (Kind::Str, toml::Value::String(_))
        | (Kind::Int, toml::Value::Integer(_))
        | (Kind::Bool, toml::Value::Boolean(_))
        | (Kind::List, toml::Value::Array(_)) => None,
        (Kind::StrTable, toml::Value::Table(t)) => t
            .iter()
            .find(|(_, v)| !v.is_str())
            .map(|(k, _)| format!("\"{k}\" must be a string")),
        (Kind::StrTable, _) => Some("must be a table of NAME = \"value\"".into()),
        (Kind::Bool, _) => Some("must be true or false".into()),
        (Kind::List, _) => Some("must be a list".into()),
        (Kind::Duration, toml::Value::String(s)) => humantime::parse_duration(s)
            .err()
            .map(|e| format!("{e}; write a duration such as \"90s\" or \"5m\"")),
        (Kind::OneOf(valid), toml::Value::String(s)) if valid.contains(&s.as_str()) => None,
        (Kind::OneOf(valid), _) => Some(format!(
            "must be one of: {}",
            valid
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (Kind::StrList, toml::Value::Array(a)) if !a.is_empty() && a.iter().all(|v| v.is_str()) => {
            None
        }
        (Kind::StrList, _) => {
            Some("must be a non-empty array of strings, e.g. [\"app.example.com\"]".into())
        }
        (Kind::Str | Kind::Duration, _) => Some("must be a string".into()),
        (Kind::Int, _) => Some("must be an integer".into()),
    }
}
