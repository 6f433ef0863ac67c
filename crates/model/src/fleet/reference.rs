//! The fleet file reference (`docs/fleet-reference.md`), written from the fleet file's
//! JSON Schema, so the reference, the schema and the loader cannot disagree: every table,
//! its keys, their kinds, whether they are required and what they mean (the doc comments
//! of the structs the loader parses into). `meridian config reference` prints it.

use serde_json::{Map, Value};

use super::schema::fleet_schema;
use super::settings::DURATION_PATTERN;

/// Where the reference is published in the repository.
pub const REFERENCE_FILE: &str = "docs/fleet-reference.md";

/// The reference as Markdown.
pub fn fleet_reference() -> String {
    let schema = fleet_schema();
    let mut out = Writer {
        defs: schema
            .get("definitions")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        text: String::new(),
        queue: Vec::new(),
    };
    out.text.push_str(
        "# Fleet file reference\n\n\
         Written from the fleet file's schema by `meridian config reference` (a test fails \
         when this file is out of date): do not edit it by hand. The schema itself is \
         [`fleet.schema.json`](fleet.schema.json); what the sections are for, with examples, \
         is in [fleet.md](fleet.md).\n\n\
         A *duration* is a number and a unit (`90s`, `15m`, `1h 30m`). A capability table is \
         `{ provider = \"...\", <that provider's keys> }`; without `provider` it is the \
         simulator.\n",
    );
    out.queue.push(Section {
        title: "Top level".into(),
        schema: schema.clone(),
    });
    let mut written: Vec<String> = Vec::new();
    while !out.queue.is_empty() {
        let next = out.queue.remove(0);
        // A key that takes one table or a list of them (`health`) queues it twice.
        if !written.contains(&next.title) {
            out.section(&next);
            written.push(next.title);
        }
    }
    out.text
}

/// A table still to be written, under its heading.
struct Section {
    title: String,
    schema: Value,
}

struct Writer {
    defs: Map<String, Value>,
    text: String,
    queue: Vec<Section>,
}

impl Writer {
    /// A `$ref` (or an `allOf` of one, as schemars writes a described reference) followed.
    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        let r = v.get("$ref").or_else(|| {
            v.get("allOf")
                .and_then(Value::as_array)
                .filter(|a| a.len() == 1)
                .and_then(|a| a[0].get("$ref"))
        });
        r.and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .and_then(|name| self.defs.get(name))
            .unwrap_or(v)
    }

    /// One section: its description, then its keys as a table, or its alternatives.
    fn section(&mut self, s: &Section) {
        let schema = self.resolve(&s.schema).clone();
        if !self.text.ends_with("\n\n") {
            self.text.push('\n');
        }
        self.text.push_str(&format!("## {}\n\n", s.title));
        if let Some(d) = describe(&s.schema).or_else(|| describe(&schema)) {
            self.text.push_str(&format!("{d}\n\n"));
        }
        if let Some(alts) = titled_alternatives(&schema) {
            for alt in alts {
                let title = alt.get("title").and_then(Value::as_str).unwrap_or("?");
                let head = match provider_of(alt) {
                    Some(p) => format!("provider = \"{p}\""),
                    None => format!("`{title}`"),
                };
                self.text.push_str(&format!("### {head}\n\n"));
                if let Some(d) = describe(alt) {
                    self.text.push_str(&format!("{d}\n\n"));
                }
                self.keys(&s.title, alt);
            }
        } else {
            self.keys(&s.title, &schema);
        }
    }

    /// A table of an object's keys.
    fn keys(&mut self, at: &str, schema: &Value) {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            self.text.push_str("No keys.\n\n");
            return;
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let rows: Vec<(String, String, bool, String)> = props
            .iter()
            .filter(|(k, _)| k.as_str() != "provider")
            .map(|(k, v)| {
                let path = child_path(at, k, v, self.resolve(v));
                let kind = self.kind(v, &path);
                let desc = describe(v)
                    .or_else(|| describe(self.resolve(v)))
                    .unwrap_or_default();
                (k.clone(), kind, required.contains(&k.as_str()), desc)
            })
            .collect();
        if rows.is_empty() {
            self.text.push_str("No keys but `provider`.\n\n");
            return;
        }
        self.text
            .push_str("| key | kind | required | meaning |\n|---|---|---|---|\n");
        for (k, kind, req, desc) in rows {
            let req = if req { "yes" } else { "" };
            self.text.push_str(&format!(
                "| `{k}` | {} | {req} | {} |\n",
                cell(&kind),
                cell(&desc)
            ));
        }
        self.text.push('\n');
    }

    /// What kind of value a key takes, in words; tables get a section of their own.
    fn kind(&mut self, v: &Value, path: &str) -> String {
        let r = self.resolve(v).clone();
        if let Some(c) = r.get("const") {
            return format!("`{c}`");
        }
        if let Some(words) = words(&r) {
            return words.join(", ");
        }
        if titled_alternatives(&r).is_some() {
            self.queue.push(Section {
                title: path.to_string(),
                schema: r.clone(),
            });
            return see(path);
        }
        if let Some(alts) = r.get("oneOf").and_then(Value::as_array) {
            let kinds: Vec<String> = alts.iter().map(|a| self.kind(a, path)).collect();
            return dedup(kinds).join(", or ");
        }
        match r.get("type").and_then(Value::as_str) {
            Some("string")
                if r.get("pattern").and_then(Value::as_str) == Some(DURATION_PATTERN) =>
            {
                "duration".into()
            }
            Some("string") => "string".into(),
            Some("integer") => "integer".into(),
            Some("number") => "number".into(),
            Some("boolean") => "true or false".into(),
            Some("array") => match r.get("items") {
                Some(items) => format!("list of {}", plural(&self.kind(items, path))),
                None => "list".into(),
            },
            Some("object") if r.get("properties").is_some() => {
                self.queue.push(Section {
                    title: path.to_string(),
                    schema: r.clone(),
                });
                see(path)
            }
            Some("object") => match r.get("additionalProperties") {
                Some(v) if v.is_object() => {
                    format!("table of name = {}", self.kind(v, path))
                }
                _ => "table".into(),
            },
            _ => "any".into(),
        }
    }
}

/// How a key's section is headed: `[traffic]`, `[[regions]]`, `regions.cluster`.
fn child_path(at: &str, key: &str, v: &Value, resolved: &Value) -> String {
    let array = v.get("type").and_then(Value::as_str) == Some("array")
        || resolved.get("type").and_then(Value::as_str) == Some("array");
    match at {
        "Top level" if array => format!("[[{key}]]"),
        "Top level" => format!("[{key}]"),
        _ => {
            let parent = at.trim_start_matches('[').trim_end_matches(']');
            format!("{parent}.{key}")
        }
    }
}

/// A schema's description, on one line.
fn describe(v: &Value) -> Option<String> {
    let d = v.get("description").and_then(Value::as_str)?;
    Some(d.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The alternatives of a `oneOf` whose every alternative is a titled table (a capability's
/// providers, a rollout's step kinds).
fn titled_alternatives(v: &Value) -> Option<Vec<&Value>> {
    let alts = v.get("oneOf")?.as_array()?;
    let titled: Vec<&Value> = alts
        .iter()
        .filter(|a| a.get("title").is_some() && a.get("properties").is_some())
        .collect();
    (!titled.is_empty() && titled.len() == alts.len()).then_some(titled)
}

fn provider_of(alt: &Value) -> Option<&str> {
    alt.get("properties")?
        .get("provider")?
        .get("const")?
        .as_str()
}

/// The words an enum allows, quoted.
fn words(v: &Value) -> Option<Vec<String>> {
    if let Some(e) = v.get("enum").and_then(Value::as_array) {
        return Some(e.iter().map(|w| format!("`{w}`")).collect());
    }
    let alts = v.get("oneOf")?.as_array()?;
    let mut out = Vec::new();
    for a in alts {
        if let Some(c) = a.get("const") {
            out.push(format!("`{c}`"));
        } else {
            out.extend(a.get("enum")?.as_array()?.iter().map(|w| format!("`{w}`")));
        }
    }
    Some(out)
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    v.retain(|k| {
        let new = !seen.contains(k);
        seen.push(k.clone());
        new
    });
    v
}

/// A table described in a section of its own.
fn see(path: &str) -> String {
    format!("table, see [`{path}`](#{})", anchor(path))
}

fn plural(kind: &str) -> String {
    if let Some(rest) = kind.strip_prefix("table,") {
        return format!("tables,{rest}");
    }
    match kind {
        "string" => "strings".into(),
        "duration" => "durations".into(),
        "number" => "numbers".into(),
        "integer" => "integers".into(),
        other => other.to_string(),
    }
}

/// A GitHub-style heading anchor.
fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Text for a table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_and_table_has_a_section_and_durations_are_named() {
        let text = fleet_reference();
        for heading in [
            "## [traffic]",
            "## [[regions]]",
            "## regions.health",
            "## regions.cluster",
            "## [[tenants]]",
            "## rollouts.steps",
            "### provider = \"route53\"",
            "### provider = \"postgres\"",
        ] {
            assert!(text.contains(heading), "no {heading} in\n{text}");
        }
        assert!(
            text.contains("| `hosted_zone_id` | string | yes |"),
            "{text}"
        );
        assert!(text.contains("| `change_timeout` | duration |"), "{text}");
        assert!(
            !text.contains("| any |"),
            "a key whose kind could not be named:\n{text}"
        );
    }
}
