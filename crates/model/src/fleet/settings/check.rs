//! Checking a capability table against its settings struct's schema before it is read, so
//! every problem is said in words that name the key and what it must be (a serde error
//! stops at the first, and quotes values that may be secrets).

use schemars::Schema;
use serde_json::Value;

use super::common::DURATION_PATTERN;
use crate::fleet::model::{CapabilityKind, ProviderKind};

/// The pattern of a key that names an environment variable.
const ENV_NAME_PATTERN: &str = r"^[A-Za-z_][A-Za-z0-9_]*$";

/// `PG_DSN_EU`: what a shell accepts as a variable name.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 255
}

/// The provider cannot serve this capability, and which can.
pub(super) fn wrong_provider(provider: ProviderKind, cap: CapabilityKind) -> (String, String) {
    let valid: Vec<String> = ProviderKind::valid_for(cap)
        .iter()
        .map(|p| format!("\"{}\"", p.as_str()))
        .collect();
    (
        "provider".into(),
        format!(
            "provider \"{}\" cannot serve this capability; valid here: {}",
            provider.as_str(),
            valid.join(", ")
        ),
    )
}

/// A settings struct's keys, in the order the struct declares them.
pub fn valid_keys(schema: &Schema) -> Vec<String> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every problem of a table: unknown keys, missing ones, values of the wrong kind, and the
/// rules one key alone cannot say (a connection string from exactly one place).
pub(super) fn check(
    provider: ProviderKind,
    schema: &Schema,
    table: &toml::Table,
) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let keys = valid_keys(schema);
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, value) in table {
        let Some(spec) = properties.and_then(|p| p.get(name)) else {
            let msg = if keys.is_empty() {
                format!(
                    "unknown key \"{name}\": the {} provider takes no settings",
                    provider.as_str()
                )
            } else {
                format!(
                    "unknown key \"{name}\" for provider \"{}\"; valid keys: {}",
                    provider.as_str(),
                    keys.join(", ")
                )
            };
            problems.push((name.clone(), msg));
            continue;
        };
        if let Some(msg) = kind_of(schema, spec).problem(value) {
            problems.push((name.clone(), msg));
        }
    }
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for k in required.filter(|k| !table.contains_key(*k)) {
        problems.push((
            k.to_string(),
            format!("provider \"{}\" needs \"{k}\"", provider.as_str()),
        ));
    }
    // A connection string comes from exactly one place.
    if keys.iter().any(|k| k == "dsn_env") {
        let given = ["dsn_env", "dsn_file"]
            .iter()
            .filter(|k| table.contains_key(**k))
            .count();
        if given != 1 {
            problems.push(("dsn_env".into(), "give exactly one of \"dsn_env\" (an environment variable holding the connection string) or \"dsn_file\" (a TOML file of connection strings, with \"dsn_key\")".into()));
        }
    }
    // Sign-up regions come from one key or from a prefix, not both.
    if ["signups_key", "signups_prefix"]
        .iter()
        .all(|k| table.contains_key(*k))
    {
        problems.push(("signups_prefix".into(), "give one of \"signups_key\" (one key listing the regions open to sign-ups) or \"signups_prefix\" (one key per open region), not both".into()));
    }
    problems
}

/// What a key's value must be, as its schema says.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Str,
    Duration,
    EnvName,
    Int,
    Bool,
    List,
    StrList,
    StrTable,
    OneOf(Vec<String>),
    Any,
}

impl Kind {
    fn problem(&self, value: &toml::Value) -> Option<String> {
        use toml::Value as V;
        match (self, value) {
            // The value is never quoted back: a connection string pasted here holds a
            // password.
            (Kind::EnvName, V::String(s)) if is_env_name(s) => None,
            (Kind::EnvName, _) => Some(
                "must be the name of an environment variable (letters, digits and '_', not \
                 starting with a digit), e.g. \"MERIDIAN_PG_EU\"; put the connection string \
                 itself in that variable, not here (the value is not shown: it may be a secret)"
                    .into(),
            ),
            (Kind::Any, _)
            | (Kind::Str, V::String(_))
            | (Kind::Int, V::Integer(_))
            | (Kind::Bool, V::Boolean(_))
            | (Kind::List, V::Array(_)) => None,
            (Kind::StrTable, V::Table(t)) => t
                .iter()
                .find(|(_, v)| !v.is_str())
                .map(|(k, _)| format!("\"{k}\" must be a string")),
            (Kind::StrTable, _) => Some("must be a table of NAME = \"value\"".into()),
            (Kind::Bool, _) => Some("must be true or false".into()),
            (Kind::List, _) => Some("must be a list".into()),
            (Kind::Duration, V::String(s)) => humantime::parse_duration(s)
                .err()
                .map(|e| format!("{e}; write a duration such as \"90s\" or \"5m\"")),
            (Kind::OneOf(valid), V::String(s)) if valid.contains(s) => None,
            (Kind::OneOf(valid), _) => Some(format!(
                "must be one of: {}",
                valid
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            (Kind::StrList, V::Array(a)) if !a.is_empty() && a.iter().all(|v| v.is_str()) => None,
            (Kind::StrList, _) => {
                Some("must be a non-empty array of strings, e.g. [\"app.example.com\"]".into())
            }
            (Kind::Str | Kind::Duration, _) => Some("must be a string".into()),
            (Kind::Int, _) => Some("must be an integer".into()),
        }
    }
}

/// The kind of a property's schema: `Option<T>` is T or null, a `$ref` is looked up.
fn kind_of(root: &Schema, spec: &Value) -> Kind {
    let spec = resolve(root, spec);
    if let Some(values) = enum_values(root, spec) {
        return Kind::OneOf(values);
    }
    // `Option<T>` in draft 7: `anyOf: [T, null]` or `type: [t, "null"]`.
    if let Some(alts) = spec.get("anyOf").and_then(Value::as_array)
        && let Some(inner) = alts
            .iter()
            .find(|a| a.get("type") != Some(&Value::from("null")))
    {
        return kind_of(root, inner);
    }
    let ty = match spec.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ => return Kind::Any,
    };
    let pattern = spec.get("pattern").and_then(Value::as_str);
    match ty {
        "string" if pattern == Some(DURATION_PATTERN) => Kind::Duration,
        "string" if pattern == Some(ENV_NAME_PATTERN) => Kind::EnvName,
        "string" => Kind::Str,
        "integer" => Kind::Int,
        "boolean" => Kind::Bool,
        "array" => {
            let items = spec.get("items").map(|i| resolve(root, i));
            let strings = items.and_then(|i| i.get("type")) == Some(&Value::from("string"));
            match (strings, spec.get("minItems")) {
                (true, Some(_)) => Kind::StrList,
                _ => Kind::List,
            }
        }
        "object" => Kind::StrTable,
        _ => Kind::Any,
    }
}

/// The allowed words of an enum's schema (`enum: [...]`, or `oneOf` of constants).
fn enum_values(root: &Schema, spec: &Value) -> Option<Vec<String>> {
    if let Some(values) = spec.get("enum").and_then(Value::as_array) {
        return Some(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        );
    }
    let alts = spec.get("oneOf")?.as_array()?;
    let mut words = Vec::new();
    for a in alts {
        let a = resolve(root, a);
        if let Some(word) = a.get("const").and_then(Value::as_str) {
            words.push(word.to_string());
        } else {
            let values = a.get("enum").and_then(Value::as_array)?;
            words.extend(values.iter().filter_map(Value::as_str).map(String::from));
        }
    }
    Some(words)
}

/// A `$ref` into the root's definitions, followed.
fn resolve<'a>(root: &'a Schema, spec: &'a Value) -> &'a Value {
    let Some(r) = spec.get("$ref").and_then(Value::as_str) else {
        return spec;
    };
    let name = r.rsplit('/').next().unwrap_or_default();
    root.get("definitions")
        .and_then(|d| d.get(name))
        .or_else(|| root.get("$defs").and_then(|d| d.get(name)))
        .unwrap_or(spec)
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn table(src: &str) -> toml::Table {
        toml::from_str(src).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn keys_keep_their_declared_order_and_kinds_come_from_the_structs() {
        let form = Settings::form(ProviderKind::Route53, CapabilityKind::Traffic).unwrap();
        let schema = form.schema;
        let keys = valid_keys(&schema);
        assert_eq!(keys[..2], ["hosted_zone_id", "record_name"], "{keys:?}");
        assert!(
            keys.contains(&"endpoint_url".to_string()),
            "flattened: {keys:?}"
        );
        let problems = check(
            ProviderKind::Route53,
            &schema,
            &table("record_name = 5\nchange_timeout = \"soon\"\nzone = \"x\""),
        );
        let said: Vec<String> = problems.iter().map(|(k, m)| format!("{k}: {m}")).collect();
        let said = said.join("\n");
        assert!(said.contains("record_name: must be a string"), "{said}");
        assert!(said.contains("change_timeout: expected number"), "{said}");
        assert!(said.contains("zone: unknown key \"zone\" for provider \"route53\"; valid keys: hosted_zone_id, record_name"), "{said}");
        assert!(
            said.contains("hosted_zone_id: provider \"route53\" needs \"hosted_zone_id\""),
            "{said}"
        );
    }

    #[test]
    fn enums_say_their_words_and_a_connection_string_comes_from_one_place() {
        let form = Settings::form(ProviderKind::Cloudwatch, CapabilityKind::Lag).unwrap();
        let problems = check(
            ProviderKind::Cloudwatch,
            &form.schema,
            &table("metric = \"aurora\"\nidentifier = \"x\""),
        );
        assert_eq!(
            problems,
            [(
                "metric".to_string(),
                "must be one of: \"aurora-global\", \"rds-replica\", \"elasticache-global\""
                    .to_string()
            )]
        );
        let form = Settings::form(ProviderKind::Postgres, CapabilityKind::Database).unwrap();
        let problems = check(
            ProviderKind::Postgres,
            &form.schema,
            &table("dsn_env = \"postgres://u:secret@h/db\""),
        );
        let said = format!("{problems:?}");
        assert!(
            said.contains("must be the name of an environment variable"),
            "{said}"
        );
        assert!(
            !said.contains("secret@"),
            "a connection string is never quoted: {said}"
        );
        let both = check(
            ProviderKind::Postgres,
            &form.schema,
            &table("dsn_env = \"A\"\ndsn_file = \"f\""),
        );
        assert!(
            format!("{both:?}").contains("give exactly one of"),
            "{both:?}"
        );
    }
}
