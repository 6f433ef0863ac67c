//! The fleet file's JSON Schema, for editors (taplo / Even Better TOML) to complete and
//! check fleet files. The shape comes from the raw serde types (`raw.rs`); each capability
//! table is a `oneOf` keyed on `provider`, built from `settings.rs`'s key tables, so a new
//! provider or key appears here without editing this file.

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value, json};
use strum::VariantArray;

use super::model::{CapabilityKind, ProviderKind};
use super::raw::RawFleet;
use super::settings::{self, Kind};

/// Where the schema is published in the repository; `examples/fleet.toml` points here.
pub const SCHEMA_FILE: &str = "docs/fleet.schema.json";

/// A humantime duration: numbers with units, e.g. "90s", "15m", "1h 30m".
const DURATION_PATTERN: &str = r"^\s*[0-9]+\s*[a-zA-Zµ]+(\s*[0-9]+\s*[a-zA-Zµ]+)*\s*$";

/// The whole schema as a JSON document.
pub fn fleet_schema() -> Value {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<RawFleet>();
    let mut doc = schema.to_value();
    drop_null(&mut doc);
    doc
}

/// TOML has no null (an optional key is simply left out), so take the `null` that
/// schemars allows for every `Option` back out, lest editors offer it.
fn drop_null(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(alts)) = map.get_mut("anyOf") {
                alts.retain(|a| a != &json!({"type": "null"}));
                if let [only] = alts.as_slice() {
                    let only = only.clone();
                    map.remove("anyOf");
                    if let Value::Object(inner) = only {
                        map.extend(inner);
                    }
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

/// Pretty JSON text, as `meridian config schema` prints it and the repository keeps it.
pub fn fleet_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&fleet_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// A duration string.
pub fn duration(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": DURATION_PATTERN,
        "examples": ["60s", "15m", "1h 30m"],
    })
}

fn key_schema(kind: Kind) -> Value {
    match kind {
        Kind::Str => json!({"type": "string"}),
        Kind::Duration => json!({"type": "string", "pattern": DURATION_PATTERN}),
        Kind::Int => json!({"type": "integer"}),
        Kind::OneOf(values) => json!({"type": "string", "enum": values}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::List => json!({"type": "array"}),
        Kind::StrTable => json!({"type": "object", "additionalProperties": {"type": "string"}}),
        Kind::StrList => json!({"type": "array", "items": {"type": "string"}, "minItems": 1}),
        Kind::EnvName => json!({"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}),
    }
}

/// `{ provider = "...", <that provider's keys> }` for one capability: one alternative per
/// provider that can serve it. A table without `provider` is the simulator.
fn capability(cap: CapabilityKind) -> Schema {
    let alternatives: Vec<Value> = ProviderKind::VARIANTS
        .iter()
        .filter_map(|&p| settings::keys(p, cap).map(|keys| (p, keys)))
        .map(|(p, keys)| {
            let mut properties = Map::new();
            properties.insert("provider".into(), json!({"const": p.as_str()}));
            for k in &keys {
                properties.insert(k.name.into(), key_schema(k.kind));
            }
            let mut required: Vec<&str> =
                keys.iter().filter(|k| k.required).map(|k| k.name).collect();
            if p != ProviderKind::Sim {
                required.insert(0, "provider");
            }
            let mut alt = json!({
                "title": p.as_str(),
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            });
            let exclusive = settings::exactly_one_of(p);
            if !exclusive.is_empty() {
                let one: Vec<Value> = exclusive.iter().map(|k| json!({"required": [k]})).collect();
                alt["oneOf"] = Value::Array(one);
            }
            alt
        })
        .collect();
    let valid: Vec<&str> = ProviderKind::valid_for(cap)
        .iter()
        .map(|p| p.as_str())
        .collect();
    let name: &'static str = cap.into();
    json_schema!({
        "description": format!("The {name} provider and its keys; providers: {}", valid.join(", ")),
        "oneOf": alternatives,
    })
}

/// The `traffic` capability table (for `#[schemars(schema_with)]`).
/// `[budget]`: polling calls per minute per provider family.
pub fn budget(_: &mut SchemaGenerator) -> Schema {
    let props: Map<String, Value> = super::load::BUDGET_FAMILIES
        .iter()
        .map(|f| {
            (
                f.to_string(),
                json!({"type": "number", "exclusiveMinimum": 0, "maximum": 100000,
                       "description": format!("most {f} calls per minute that polling may spend")}),
            )
        })
        .collect();
    json_schema!({
        "type": "object",
        "description": "Polling budgets per provider family, in calls per minute",
        "properties": props,
        "additionalProperties": false,
    })
}

/// `health`: one capability table, or a list of them (the verdict is the worst).
pub fn health_sources(g: &mut SchemaGenerator) -> Schema {
    let one = health(g).to_value();
    json_schema!({
        "description": "Whether the region is serving: one source, or a list (the worst wins)",
        "oneOf": [one.clone(), {"type": "array", "items": one, "minItems": 1}],
    })
}

/// `[probe_defaults]`: what every HTTP probe gets unless it says otherwise.
pub fn probe_defaults(_: &mut SchemaGenerator) -> Schema {
    let keys = settings::keys(ProviderKind::Http, CapabilityKind::Health).unwrap_or_default();
    let props: Map<String, Value> = keys
        .iter()
        .filter(|k| k.name != "probes")
        .map(|k| (k.name.to_string(), key_schema(k.kind)))
        .collect();
    json_schema!({
        "type": "object",
        "description": "Defaults for every HTTP probe of the fleet",
        "properties": props,
        "additionalProperties": false,
    })
}

pub fn traffic(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::Traffic)
}
/// The `gitops` capability table (for `#[schemars(schema_with)]`).
pub fn gitops(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::Gitops)
}
/// The `runner` capability table (for `#[schemars(schema_with)]`).
pub fn runner(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::Runner)
}
/// The `health` capability table (for `#[schemars(schema_with)]`).
pub fn health(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::Health)
}
/// The `lag` capability table (for `#[schemars(schema_with)]`).
pub fn lag(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::Lag)
}
/// A tenant's `helm` table (for `#[schemars(schema_with)]`).
pub fn helm(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::Helm)
}
/// The `[lock]` table (for `#[schemars(schema_with)]`).
pub fn lock(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::Lock)
}
/// The `database` capability table (for `#[schemars(schema_with)]`).
pub fn database(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::Database)
}

/// A rollout's `steps`: each an inline table keyed by its kind (`weights`, `sync`, ...,
/// or `gate`), checked further by the loader (regions, parameters, durations).
pub fn rollout_steps(_: &mut SchemaGenerator) -> Schema {
    let dur = json!({"type": "string", "pattern": DURATION_PATTERN});
    let text = json!({"type": "string"});
    let regions = json!({"oneOf": [text, {"type": "array", "items": text}]});
    let weight = json!({"oneOf": [{"type": "number", "minimum": 0}, text]});
    let one = |kind: &str, props: Value, required: &[&str]| {
        json!({
            "title": kind,
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": false,
        })
    };
    let steps = vec![
        one(
            "weights",
            json!({"weights": {"type": "object", "additionalProperties": weight}, "for": dur}),
            &["weights"],
        ),
        one("drain", json!({"drain": text}), &["drain"]),
        one("restore", json!({"restore": regions}), &["restore"]),
        one(
            "sync",
            json!({"sync": text, "region": text, "revision": text}),
            &["sync", "region"],
        ),
        one(
            "rollback",
            json!({"rollback": text, "region": text, "to": text}),
            &["rollback", "region"],
        ),
        one(
            "phase",
            json!({"phase": text, "region": text}),
            &["phase", "region"],
        ),
        one("promote", json!({"promote": text}), &["promote"]),
        one(
            "gate",
            json!({
                "gate": {"enum": ["healthy", "lag", "command", "approval", "wait"]},
                "region": text,
                "for": dur,
                "under": dur,
                "run": {"oneOf": [text, {"type": "array", "items": text, "minItems": 1}]},
                "by": {"enum": ["second-person", "anyone"]},
            }),
            &["gate"],
        ),
    ];
    json_schema!({
        "type": "array",
        "minItems": 1,
        "items": {"oneOf": steps},
    })
}
