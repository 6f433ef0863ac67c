//! The `--values FILE` half of a deploy's read-back: what the files asked for, merged in
//! order as Helm merges them (a later file wins) and flattened to dotted paths, compared
//! with what `helm get values` reads back. A key a `--set` also names is left to the
//! `--set` comparison (it wins over every file). `null` in a file removes a chart default
//! in Helm rather than setting a value, so it is not compared.

use serde_json::Value;

/// The files' values merged in order: objects key by key, anything else replaced.
pub fn merged(files: &[Value]) -> Value {
    let mut out = Value::Object(serde_json::Map::new());
    for f in files {
        merge(&mut out, f);
    }
    out
}

fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// Every leaf (scalar or list) of `v` with its path, in the order of its keys.
pub fn flatten(v: &Value) -> Vec<(Vec<String>, Value)> {
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

fn walk(v: &Value, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                walk(x, path, out);
                path.pop();
            }
        }
        Value::Null => {}
        leaf => out.push((path.clone(), leaf.clone())),
    }
}

/// Numbers as numbers (`1` and `1.0` are the same value to Helm), the rest exactly.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        _ => a == b,
    }
}

/// The first key the files asked for that the release does not hold, skipping keys a
/// `--set` names: `(dotted key, asked, found)`, found `None` when it is not there.
pub fn first_mismatch(
    asked: &Value,
    release: &Value,
    set: &[(String, String)],
) -> Option<(String, String, Option<String>)> {
    flatten(asked).into_iter().find_map(|(path, want)| {
        let key = path.join(".");
        if set
            .iter()
            .any(|(k, _)| *k == key || key.starts_with(&format!("{k}.")))
        {
            return None;
        }
        let found = path.iter().try_fold(release, |v, k| v.get(k));
        match found {
            Some(f) if same(f, &want) => None,
            other => Some((key, show(&want), other.map(show))),
        }
    })
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Read and parse the `--values` files (YAML, as Helm reads them).
pub fn read(files: &[String]) -> Result<Vec<Value>, String> {
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("values file {f} cannot be read: {e}"))?;
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            serde_yaml_ng::from_str::<Value>(&text)
                .map_err(|e| format!("values file {f} is not YAML: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_merge_in_order_and_flatten_to_dotted_paths() {
        let a = json!({"image": {"tag": "1.4", "pull": "Always"}, "replicas": 2});
        let b = json!({"image": {"tag": "1.5"}, "ports": [80, 443], "gone": null});
        let m = merged(&[a, b]);
        let mut flat: Vec<String> = flatten(&m)
            .into_iter()
            .map(|(p, v)| format!("{}={}", p.join("."), show(&v)))
            .collect();
        flat.sort();
        assert_eq!(
            flat,
            vec![
                "image.pull=Always",
                "image.tag=1.5",
                "ports=[80,443]",
                "replicas=2",
            ]
        );
    }

    #[test]
    fn the_first_key_the_release_does_not_hold_is_named() {
        let asked = json!({"image": {"tag": "1.5", "pull": "Always"}, "replicas": 3, "cpu": 1.0});
        let good = json!({"image": {"tag": "1.5", "pull": "Always"}, "replicas": 3, "cpu": 1});
        assert_eq!(first_mismatch(&asked, &good, &[]), None);

        let drift = json!({"image": {"tag": "1.5", "pull": "IfNotPresent"}, "replicas": 2});
        assert_eq!(
            first_mismatch(&asked, &drift, &[]),
            Some((
                "image.pull".to_string(),
                "Always".to_string(),
                Some("IfNotPresent".to_string())
            ))
        );
        let missing = json!({"image": {"tag": "1.5", "pull": "Always"}, "replicas": 3});
        assert_eq!(
            first_mismatch(&asked, &missing, &[]),
            Some(("cpu".to_string(), "1.0".to_string(), None))
        );
    }

    #[test]
    fn a_key_a_set_overrides_is_left_to_the_set() {
        let asked = json!({"image": {"tag": "1.5", "digest": "sha256:old"}});
        let release = json!({"image": {"tag": "1.5", "digest": "sha256:new"}});
        let set = vec![("image.digest".to_string(), "sha256:new".to_string())];
        assert_eq!(first_mismatch(&asked, &release, &set), None);
        let whole = vec![("image".to_string(), "x".to_string())];
        assert_eq!(first_mismatch(&asked, &json!({}), &whole), None);
        assert!(first_mismatch(&asked, &release, &[]).is_some());
    }

    #[test]
    fn values_files_are_read_as_yaml() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("v.yaml");
        std::fs::write(&f, "image:\n  tag: \"1.5\"\nreplicas: 3\n").unwrap();
        let v = read(&[f.display().to_string()]).unwrap();
        assert_eq!(v, vec![json!({"image": {"tag": "1.5"}, "replicas": 3})]);
        let e = read(&["/nonexistent/v.yaml".to_string()]).unwrap_err();
        assert!(e.contains("/nonexistent/v.yaml"), "{e}");
    }
}
