//! The fleet file's JSON Schema, for editors (taplo / Even Better TOML) to complete and
//! check fleet files. The shape comes from the raw serde types (`raw.rs`); each capability
//! table is a `oneOf` keyed on `provider`, one alternative per provider, each the schema of
//! that provider's settings struct (`settings`): a new provider or key appears here without
//! editing this file.

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value, json};
use strum::VariantArray;

use super::model::{CapabilityKind, ProviderKind};
use super::raw::RawFleet;
use super::settings::{DURATION_PATTERN, ProbeDefaults, Settings};

/// Where the schema is published in the repository; `examples/fleet.toml` points here.
pub const SCHEMA_FILE: &str = "docs/fleet.schema.json";

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

/// `{ provider = "...", <that provider's keys> }` for one capability: one alternative per
/// provider that can serve it, its settings struct's schema with `provider` pinned. A table
/// without `provider` is the simulator.
fn capability(cap: CapabilityKind) -> Schema {
    let alternatives: Vec<Value> = ProviderKind::VARIANTS
        .iter()
        .filter_map(|&p| Settings::form(p, cap).map(|f| (p, f.schema.to_value())))
        .map(|(p, mut alt)| {
            let Value::Object(map) = &mut alt else {
                return alt;
            };
            // Definitions are hoisted to the document's root by the caller's generator;
            // a struct's own are inlined here, where its keys are.
            let definitions = map.remove("definitions");
            map.remove("$schema");
            map.insert("title".into(), json!(p.as_str()));
            if p == ProviderKind::Sim {
                // Its settings are only a pace; say what the provider is.
                map.insert(
                    "description".into(),
                    json!("The simulated world (the demo fleet's provider): read at `poll`, within `timeout`."),
                );
            }
            map.insert("type".into(), json!("object"));
            map.insert("additionalProperties".into(), json!(false));
            let mut properties = Map::new();
            properties.insert("provider".into(), json!({"const": p.as_str()}));
            if let Some(Value::Object(own)) = map.remove("properties") {
                properties.extend(own);
            }
            map.insert("properties".into(), Value::Object(properties));
            let mut required: Vec<Value> = map
                .remove("required")
                .and_then(|r| r.as_array().cloned())
                .unwrap_or_default();
            if p != ProviderKind::Sim {
                required.insert(0, json!("provider"));
            }
            map.insert("required".into(), Value::Array(required));
            if map.contains_key("properties")
                && let Some(Value::Object(defs)) = definitions
            {
                inline_refs(&mut alt, &defs);
            }
            if matches!(p, ProviderKind::Postgres | ProviderKind::Redis) {
                // A connection string comes from exactly one place.
                alt["oneOf"] = json!([{"required": ["dsn_env"]}, {"required": ["dsn_file"]}]);
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

/// Replace `$ref`s to `defs` by the definitions themselves (settings structs are small).
fn inline_refs(v: &mut Value, defs: &Map<String, Value>) {
    match v {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit('/').next())
                && let Some(def) = defs.get(name)
            {
                let mut def = def.clone();
                inline_refs(&mut def, defs);
                map.remove("$ref");
                if let Value::Object(d) = def {
                    for (k, val) in d {
                        map.entry(k).or_insert(val);
                    }
                }
            }
            map.values_mut().for_each(|x| inline_refs(x, defs));
        }
        Value::Array(items) => items.iter_mut().for_each(|x| inline_refs(x, defs)),
        _ => {}
    }
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
pub fn probe_defaults(g: &mut SchemaGenerator) -> Schema {
    let mut schema = g.subschema_for::<ProbeDefaults>();
    if let Some(map) = schema.as_object_mut() {
        map.insert(
            "description".into(),
            json!("Defaults for every HTTP probe of the fleet"),
        );
    }
    schema
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
/// The `[tenant_routing]` table (for `#[schemars(schema_with)]`).
pub fn tenant_routing(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::TenantRouting)
}
/// The `[alarms]` table (for `#[schemars(schema_with)]`).
pub fn alarms(_: &mut SchemaGenerator) -> Schema {
    capability(CapabilityKind::Alarms)
}

/// One data store of `databases = [...]` or `cache`: a database table, with its own `name`,
/// `lag` table and `rpo`.
pub fn store(_: &mut SchemaGenerator) -> Schema {
    let mut one = capability(CapabilityKind::Database).to_value();
    let lag = capability(CapabilityKind::Lag).to_value();
    if let Some(Value::Array(alts)) = one.get_mut("oneOf") {
        for alt in alts {
            if let Some(Value::Object(props)) = alt.get_mut("properties") {
                props.insert(
                    "name".into(),
                    json!({"type": "string", "description": "the store's name in plans and on the board (default \"database\", or \"cache\" for `cache`)"}),
                );
                props.insert("lag".into(), lag.clone());
                props.insert(
                    "rpo".into(),
                    json!({"type": "string", "pattern": DURATION_PATTERN, "description": "the most lag promoting this store may lose (default: policy.rpo_budget)"}),
                );
            }
        }
    }
    one["description"] =
        json!("A data store promoted with the region: a database table plus name, lag and rpo");
    Schema::try_from(one).unwrap_or_default()
}

/// `databases = [...]`: data stores promoted together, in order.
pub fn stores(g: &mut SchemaGenerator) -> Schema {
    let one = store(g).to_value();
    json_schema!({
        "description": "Data stores promoted together, in this order (instead of `database`)",
        "type": "array",
        "items": one,
        "minItems": 1,
    })
}

/// A rollout's `steps`: each an inline table keyed by its kind (`weights`, `sync`, ...,
/// or `gate`), checked further by the loader (regions, parameters, durations).
pub fn rollout_steps(_: &mut SchemaGenerator) -> Schema {
    let dur = json!({"type": "string", "pattern": DURATION_PATTERN});
    let text = json!({"type": "string"});
    let regions = json!({"oneOf": [text, {"type": "array", "items": text}]});
    let weight = json!({"oneOf": [{"type": "number", "minimum": 0}, text]});
    // Every step may have a timeout and, in a template with both modes, a mode.
    let common = json!({"timeout": dur, "mode": {"enum": ["graceful", "ungraceful"]}});
    let one = |kind: &str, mut props: Value, required: &[&str]| {
        if let (Some(p), Some(c)) = (props.as_object_mut(), common.as_object()) {
            p.extend(c.clone());
        }
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
            "deploy",
            json!({"deploy": text, "region": text, "version": text,
                "set": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}}),
            &["deploy", "region"],
        ),
        one(
            "gate",
            json!({
                "gate": {"enum": ["healthy", "lag", "command", "approval", "wait", "alarms"]},
                "region": text,
                "for": dur,
                "under": dur,
                "run": {"oneOf": [text, {"type": "array", "items": text, "minItems": 1}]},
                "by": {"enum": ["second-person", "anyone"]},
                "prefix": text,
                "tag": text,
                // A command gate's artifact is a table; an approval gate's names one.
                "artifact": {"oneOf": [text, {
                    "type": "object",
                    "properties": {"name": text, "path": text, "text": text},
                    "required": ["name", "path"],
                    "additionalProperties": false,
                }]},
                "uses": text,
            }),
            &["gate"],
        ),
        one(
            "signups",
            json!({"signups": {"enum": ["open", "close"]}, "region": text}),
            &["signups", "region"],
        ),
    ];
    json_schema!({
        "type": "array",
        "minItems": 1,
        "items": {"oneOf": steps},
    })
}
