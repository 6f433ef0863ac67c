//! The rendered diff of a Helm deploy: the manifest deployed now (`helm get manifest`) against
//! the one the deploy would apply (`helm template` / `helm upgrade --dry-run`), object by
//! object. Objects are matched by kind, namespace and name and compared as data (key order
//! and formatting do not count); each changed object gets a unified diff of its YAML, and
//! every container whose image changed is named, so a plan can say "web: app:1.4.2 ->
//! app:1.5.0" rather than "1 object changed". The whole text is kept as evidence.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

/// Which object: `Deployment web` in namespace `shop` shows as `Deployment/shop/web`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectKey {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{ns}/{}", self.kind, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// A container whose image changes: `(object, container, from, to)`; `from` or `to` is
/// `None` when the container (or its object) is added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChange {
    pub object: ObjectKey,
    pub container: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What a deploy changes in the cluster, object by object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestDiff {
    pub added: Vec<ObjectKey>,
    pub removed: Vec<ObjectKey>,
    /// Each changed object with its unified diff (old YAML -> new YAML).
    pub changed: Vec<(ObjectKey, String)>,
    pub unchanged: usize,
    pub images: Vec<ImageChange>,
}

impl ManifestDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// One line for the plan and the modal: counts, the objects, and the image changes.
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return format!(
                "no change to the rendered objects ({} unchanged)",
                self.unchanged
            );
        }
        let list = |keys: &mut dyn Iterator<Item = &ObjectKey>| {
            let names: Vec<String> = keys.map(ToString::to_string).collect();
            match names.is_empty() {
                true => String::new(),
                false => format!(" ({})", names.join(", ")),
            }
        };
        let mut out = format!(
            "{} added{}, {} changed{}, {} removed{}, {} unchanged",
            self.added.len(),
            list(&mut self.added.iter()),
            self.changed.len(),
            list(&mut self.changed.iter().map(|(k, _)| k)),
            self.removed.len(),
            list(&mut self.removed.iter()),
            self.unchanged
        );
        if !self.images.is_empty() {
            let each: Vec<String> = self
                .images
                .iter()
                .map(|i| {
                    format!(
                        "{} {}: {} -> {}",
                        i.object,
                        i.container,
                        i.from.as_deref().unwrap_or("(none)"),
                        i.to.as_deref().unwrap_or("(none)")
                    )
                })
                .collect();
            let _ = write!(out, "; images: {}", each.join(", "));
        }
        out
    }

    /// The whole diff, for the evidence and `--dry-run`: the summary, then each object.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n", self.summary());
        for k in &self.added {
            let _ = writeln!(out, "\n+ added {k}");
        }
        for k in &self.removed {
            let _ = writeln!(out, "\n- removed {k}");
        }
        for (k, diff) in &self.changed {
            let _ = writeln!(out, "\n~ changed {k}\n{diff}");
        }
        out
    }
}

/// Each object of a multi-document manifest by its key (empty documents and `# Source:`
/// comments are skipped). Two objects with one key are an error: the apply would be
/// ambiguous.
pub fn objects(manifest: &str) -> Result<BTreeMap<ObjectKey, Value>, String> {
    let mut out = BTreeMap::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(manifest).enumerate() {
        let v = Value::deserialize(doc).map_err(|e| format!("document {}: {e}", i + 1))?;
        if v.is_null() {
            continue;
        }
        let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
        let (Some(kind), Some(name)) = (text("/kind"), text("/metadata/name")) else {
            return Err(format!(
                "document {}: not a Kubernetes object (no kind or metadata.name)",
                i + 1
            ));
        };
        let key = ObjectKey {
            kind,
            namespace: text("/metadata/namespace"),
            name,
        };
        if out.contains_key(&key) {
            return Err(format!("{key} is rendered twice"));
        }
        out.insert(key, v);
    }
    Ok(out)
}

/// Compare the deployed manifest with the new one.
pub fn diff(old: &str, new: &str) -> Result<ManifestDiff, String> {
    let old = objects(old).map_err(|e| format!("the deployed manifest: {e}"))?;
    let new = objects(new).map_err(|e| format!("the new manifest: {e}"))?;
    let mut d = ManifestDiff::default();
    for (k, before) in &old {
        match new.get(k) {
            None => d.removed.push(k.clone()),
            Some(after) if after == before => d.unchanged += 1,
            Some(after) => d.changed.push((k.clone(), unified(before, after))),
        }
    }
    d.added = new
        .keys()
        .filter(|k| !old.contains_key(*k))
        .cloned()
        .collect();
    let keys: std::collections::BTreeSet<&ObjectKey> = old.keys().chain(new.keys()).collect();
    for k in keys {
        let before = old.get(k).map(images).unwrap_or_default();
        let after = new.get(k).map(images).unwrap_or_default();
        let names: std::collections::BTreeSet<&String> =
            before.keys().chain(after.keys()).collect();
        for c in names {
            let (from, to) = (before.get(c), after.get(c));
            if from != to {
                d.images.push(ImageChange {
                    object: k.clone(),
                    container: c.clone(),
                    from: from.cloned(),
                    to: to.cloned(),
                });
            }
        }
    }
    Ok(d)
}

/// A unified diff of two objects' YAML (keys sorted, so only real changes show).
fn unified(before: &Value, after: &Value) -> String {
    let a = serde_yaml_ng::to_string(&sorted(before)).unwrap_or_default();
    let b = serde_yaml_ng::to_string(&sorted(after)).unwrap_or_default();
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header("deployed", "new")
        .to_string()
}

/// The value with every mapping's keys in order (the chart's key order is not a change).
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k.as_str()])))
                    .collect(),
            )
        }
        Value::Array(list) => Value::Array(list.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Every container's image in an object, by container name (`init:NAME` for init
/// containers), wherever its pod template sits (Deployment, StatefulSet, Job, CronJob, Pod).
fn images(v: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(v, &mut out);
    out
}

fn walk(v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (key, prefix) in [("containers", ""), ("initContainers", "init:")] {
                if let Some(Value::Array(list)) = m.get(key) {
                    for c in list {
                        if let (Some(name), Some(image)) = (
                            c.get("name").and_then(Value::as_str),
                            c.get("image").and_then(Value::as_str),
                        ) {
                            out.insert(format!("{prefix}{name}"), image.to_string());
                        }
                    }
                }
            }
            for (k, x) in m {
                if k != "containers" && k != "initContainers" {
                    walk(x, out);
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|x| walk(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r#"---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
  - port: 80
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  template:
    spec:
      initContainers:
      - name: migrate
        image: registry.example/shop-migrate:1.4.2
      containers:
      - name: web
        image: registry.example/shop:1.4.2
      - name: sidecar
        image: envoy:1.30
---
# Source: shop/templates/legacy.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: legacy
  namespace: shop
data:
  a: "1"
"#;

    const NEW: &str = r#"---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  namespace: shop
  name: web
spec:
  template:
    spec:
      containers:
      - image: registry.example/shop@sha256:abc123
        name: web
      - image: envoy:1.30
        name: sidecar
      initContainers:
      - name: migrate
        image: registry.example/shop-migrate:1.5.0
  replicas: 3
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
---
# Source: shop/templates/pdb.yaml
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  minAvailable: 1
"#;

    fn key(kind: &str, name: &str) -> ObjectKey {
        ObjectKey {
            kind: kind.into(),
            namespace: Some("shop".into()),
            name: name.into(),
        }
    }

    #[test]
    fn objects_are_matched_by_kind_namespace_and_name_and_compared_as_data() {
        let d = diff(OLD, NEW).unwrap();
        assert_eq!(d.added, vec![key("PodDisruptionBudget", "web")]);
        assert_eq!(d.removed, vec![key("ConfigMap", "legacy")]);
        let changed: Vec<&ObjectKey> = d.changed.iter().map(|(k, _)| k).collect();
        assert_eq!(changed, vec![&key("Deployment", "web")]);
        // The Service is written differently (flow style) but is the same object.
        assert_eq!(d.unchanged, 1);
        let (_, text) = &d.changed[0];
        // Only what changed: not the reordered keys, not the unchanged sidecar.
        let changed: Vec<&str> = text
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
            })
            .collect();
        assert_eq!(
            changed,
            vec![
                "-  replicas: 2",
                "+  replicas: 3",
                "-      - image: registry.example/shop:1.4.2",
                "+      - image: registry.example/shop@sha256:abc123",
                "-      - image: registry.example/shop-migrate:1.4.2",
                "+      - image: registry.example/shop-migrate:1.5.0",
            ],
            "{text}"
        );
    }

    #[test]
    fn changed_images_are_named_per_container_including_init_containers() {
        let d = diff(OLD, NEW).unwrap();
        let dep = key("Deployment", "web");
        assert_eq!(
            d.images,
            vec![
                ImageChange {
                    object: dep.clone(),
                    container: "init:migrate".into(),
                    from: Some("registry.example/shop-migrate:1.4.2".into()),
                    to: Some("registry.example/shop-migrate:1.5.0".into()),
                },
                ImageChange {
                    object: dep,
                    container: "web".into(),
                    from: Some("registry.example/shop:1.4.2".into()),
                    to: Some("registry.example/shop@sha256:abc123".into()),
                },
            ]
        );
        let s = d.summary();
        assert!(
            s.starts_with("1 added (PodDisruptionBudget/shop/web), 1 changed (Deployment/shop/web), 1 removed (ConfigMap/shop/legacy), 1 unchanged; images: "),
            "{s}"
        );
        assert!(
            s.contains("Deployment/shop/web web: registry.example/shop:1.4.2 -> registry.example/shop@sha256:abc123"),
            "{s}"
        );
        let whole = d.text();
        assert!(
            whole.contains("+ added PodDisruptionBudget/shop/web"),
            "{whole}"
        );
        assert!(whole.contains("- removed ConfigMap/shop/legacy"), "{whole}");
        assert!(
            whole.contains("~ changed Deployment/shop/web\n--- deployed\n+++ new"),
            "{whole}"
        );
    }

    #[test]
    fn the_same_manifest_is_no_change_and_a_first_install_adds_everything() {
        let same = diff(OLD, OLD).unwrap();
        assert!(same.is_empty());
        assert_eq!(
            same.summary(),
            "no change to the rendered objects (3 unchanged)"
        );
        let first = diff("", NEW).unwrap();
        assert_eq!(first.added.len(), 3);
        assert_eq!(first.images.len(), 3, "{:?}", first.images);
        assert!(first.images.iter().all(|i| i.from.is_none()));
    }

    #[test]
    fn a_manifest_that_is_not_objects_or_renders_one_twice_is_refused() {
        let e = diff("kind: Service\n", NEW).unwrap_err();
        assert!(
            e.starts_with("the deployed manifest: document 1: not a Kubernetes object"),
            "{e}"
        );
        let twice = format!(
            "{NEW}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\n"
        );
        let e = diff(OLD, &twice).unwrap_err();
        assert_eq!(e, "the new manifest: Service/shop/web is rendered twice");
        let e = diff(OLD, "a: [").unwrap_err();
        assert!(e.starts_with("the new manifest: document 1:"), "{e}");
    }
}
