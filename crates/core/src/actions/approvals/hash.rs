//! The plan hash a second person approves: sha256 of the canonical JSON of what the plan
//! would do. Guard reasons and notes are left out (they mention ages that change every
//! second); what changes, from what, to what, and the bypasses asked for are in.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::actions::Plan;

/// How many hex digits of the hash people read and type.
pub const SHORT_LEN: usize = 12;

/// The decision-relevant parts of a plan, as canonical JSON (keys sorted, no spaces).
pub fn canonical(plan: &Plan) -> String {
    let mut operation = serde_json::to_value(&plan.operation).unwrap_or(Value::Null);
    // The object version a write carries changes with every unrelated update.
    strip_key(&mut operation, "resource_version");
    let parts = serde_json::json!({
        "action": plan.action,
        "target": plan.target,
        "changes": plan.changes,
        "operation": operation,
        "overrides": plan.checks.iter().filter(|c| c.overridden).map(|c| c.guard.name()).collect::<Vec<_>>(),
        "accept_data_loss": plan.accept_data_loss,
    });
    let mut out = String::new();
    write_sorted(&parts, &mut out);
    out
}

/// The full sha256 hex of a plan.
pub fn plan_hash(plan: &Plan) -> String {
    let digest = Sha256::digest(canonical(plan).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The short form shown to people.
pub fn short(hash: &str) -> &str {
    hash.get(..SHORT_LEN).unwrap_or(hash)
}

fn strip_key(v: &mut Value, key: &str) {
    match v {
        Value::Object(m) => {
            m.remove(key);
            m.values_mut().for_each(|v| strip_key(v, key));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| strip_key(v, key)),
        _ => {}
    }
}

/// JSON with object keys in sorted order, whatever map type serde_json was built with.
fn write_sorted(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let sorted: std::collections::BTreeMap<&String, &Value> = m.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_sorted(v, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}
