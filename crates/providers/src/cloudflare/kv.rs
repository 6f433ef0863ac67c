//! The tenant -> region map in a Cloudflare Workers KV namespace, through the v4 REST API:
//! keys listed a thousand at a time (`cursor` paging), values read a hundred at a time
//! (`bulk/get`), one key written (`PUT .../values/{key}`, multipart `value` + `metadata`)
//! or deleted. The API token comes from the environment or a file and is never printed.
//!
//! Workers KV is eventually consistent: a read after a write may return the old value for
//! up to 60 s at other locations. A change is therefore read back until it shows, within
//! `consistency_wait`, saying so in the progress log, never reported as a failure early.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};

use super::api::{Api, CfTarget, Payload};
use crate::routing::{RoutingChange, TenantRouting};
use crate::{ErrorKind, Progress, ProviderError, ProviderResult};
use meridian_model::fleet::settings::{CloudflareKvRouting, KvValue, Settings};
use meridian_model::fleet::{Capability, Fleet};
use meridian_model::state::TenantHomes;

/// Most keys a list page may hold (the API's maximum).
const PAGE: usize = 1000;
/// Most keys one `bulk/get` reads (the API's maximum).
const BULK: usize = 100;
/// Most list pages read before giving up: a million keys.
const MAX_PAGES: usize = 1000;
/// How often a write is read back while it has not shown yet.
const READ_BACK_EVERY: Duration = Duration::from_millis(500);

/// One namespace's tenant map.
pub struct KvRouting {
    api: Api,
    settings: CloudflareKvRouting,
    /// How often a write is read back (shorter in tests).
    read_back_every: Duration,
}

/// What one key holds now, read directly (not through a list).
#[derive(Debug, Clone, PartialEq)]
enum Read {
    Missing,
    Value(String),
}

impl KvRouting {
    pub fn new(fleet: &Fleet, cap: &Capability) -> KvRouting {
        let settings = match &cap.settings {
            Settings::CloudflareKv(s) => s.clone(),
            _ => CloudflareKvRouting::default(),
        };
        KvRouting {
            api: Api::new(CfTarget::of(fleet, cap)),
            settings,
            read_back_every: READ_BACK_EVERY,
        }
    }

    fn base(&self) -> String {
        format!(
            "/accounts/{}/storage/kv/namespaces/{}",
            self.api.target.account_id, self.settings.namespace_id
        )
    }

    /// Every key under `prefix`, following the cursor until the list is complete.
    async fn keys(&self, prefix: &str, progress: &Progress) -> ProviderResult<Vec<String>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut path = format!("{}/keys?limit={PAGE}", self.base());
            if !prefix.is_empty() {
                path.push_str(&format!("&prefix={}", encode(prefix)));
            }
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={}", encode(c)));
            }
            let (result, info) = self
                .api
                .envelope(Method::GET, &path, Payload::None, progress)
                .await?;
            out.extend(
                result
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|k| k.get("name").and_then(Value::as_str))
                    .map(str::to_string),
            );
            // An empty cursor (or none) means the list is complete.
            cursor = info
                .as_ref()
                .and_then(|i| i.get("cursor"))
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            if cursor.is_none() {
                return Ok(out);
            }
        }
        Err(ProviderError::new(
            None,
            "cloudflare GET keys",
            format!("more than {} keys under \"{prefix}\"", MAX_PAGES * PAGE),
        )
        .with_hint("set tenant_prefix so the map's keys can be told from the rest"))
    }

    /// The values of `keys`, a hundred per call; a key deleted meanwhile is left out.
    async fn values(
        &self,
        keys: &[String],
        progress: &Progress,
    ) -> ProviderResult<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for chunk in keys.chunks(BULK) {
            let body = json!({ "keys": chunk, "type": "text" });
            let (result, _) = self
                .api
                .envelope(
                    Method::POST,
                    &format!("{}/bulk/get", self.base()),
                    Payload::Json(&body),
                    progress,
                )
                .await?;
            let values = result.get("values").and_then(Value::as_object);
            for (k, v) in values.into_iter().flatten() {
                match v {
                    Value::String(s) => {
                        out.insert(k.clone(), s.clone());
                    }
                    Value::Null => {}
                    other => {
                        out.insert(k.clone(), other.to_string());
                    }
                }
            }
        }
        Ok(out)
    }

    /// One key's value, read on its own (what a change is read back with).
    async fn get(&self, key: &str, progress: &Progress) -> ProviderResult<Read> {
        let path = format!("{}/values/{}", self.base(), encode(key));
        let (call, reply) = self
            .api
            .send(Method::GET, &path, Payload::None, progress)
            .await?;
        match reply.status {
            200 => Ok(Read::Value(reply.body)),
            404 => Ok(Read::Missing),
            status => {
                let json: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
                Err(super::api::failure(&call, &path, status, &json))
            }
        }
    }

    /// Write one key (multipart `value` and `metadata`, as the API takes it).
    async fn put(&self, key: &str, value: &str, progress: &Progress) -> ProviderResult<()> {
        let path = format!("{}/values/{}", self.base(), encode(key));
        let boundary = format!("meridian-{:x}", meridian_model::state::now_ms());
        let mut body = Vec::new();
        for (name, text) in [("value", value), ("metadata", "{}")] {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{text}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.api
            .envelope(
                Method::PUT,
                &path,
                Payload::Form { boundary, body },
                progress,
            )
            .await
            .map(|_| ())
    }

    async fn delete(&self, key: &str, progress: &Progress) -> ProviderResult<()> {
        let path = format!("{}/values/{}", self.base(), encode(key));
        self.api
            .envelope(Method::DELETE, &path, Payload::None, progress)
            .await
            .map(|_| ())
    }

    /// The region a tenant's value names, or why it names none.
    fn region_of(&self, value: &str) -> Result<String, String> {
        match self.settings.value.unwrap_or_default() {
            KvValue::Region => {
                let r = value.trim();
                match r.is_empty() {
                    true => Err("the value is empty".into()),
                    false => Ok(r.to_string()),
                }
            }
            KvValue::Json => {
                let field = self.settings.region_field();
                let doc: Value = serde_json::from_str(value)
                    .map_err(|_| "the value is not JSON (value = \"json\")".to_string())?;
                doc.get(field)
                    .and_then(Value::as_str)
                    .filter(|r| !r.trim().is_empty())
                    .map(|r| r.trim().to_string())
                    .ok_or_else(|| format!("the JSON value has no \"{field}\" string"))
            }
        }
    }

    /// The value that homes a tenant in `to`, keeping a JSON document's other fields.
    fn value_for(&self, current: &Read, to: &str) -> ProviderResult<String> {
        match self.settings.value.unwrap_or_default() {
            KvValue::Region => Ok(to.to_string()),
            KvValue::Json => {
                let field = self.settings.region_field();
                let mut doc = match current {
                    Read::Value(v) => serde_json::from_str::<Value>(v).map_err(|_| {
                        ProviderError::new(
                            None,
                            "cloudflare KV write",
                            "the tenant's value is not JSON: meridian will not overwrite what it cannot read",
                        )
                        .with_hint("fix the value by hand, or set value = \"region\" if the map holds plain region ids")
                    })?,
                    Read::Missing => json!({}),
                };
                match doc.as_object_mut() {
                    Some(m) => {
                        m.insert(field.to_string(), json!(to));
                    }
                    None => {
                        return Err(ProviderError::new(
                            None,
                            "cloudflare KV write",
                            "the tenant's value is JSON but not an object",
                        ));
                    }
                }
                Ok(doc.to_string())
            }
        }
    }

    /// The regions a sign-ups value lists: a JSON array, or ids separated by commas.
    fn listed(value: &str) -> (Vec<String>, bool) {
        if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(value) {
            let regions = items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            return (regions, true);
        }
        let regions = value
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect();
        (regions, false)
    }

    /// Read `key` again until `done` says it shows the change, within the consistency
    /// window; the first stale read is said once.
    async fn read_back(
        &self,
        key: &str,
        done: impl Fn(&Read) -> bool,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let start = Instant::now();
        let window = self.settings.consistency_wait();
        let mut said = false;
        loop {
            let now = self.get(key, progress).await?;
            if done(&now) {
                if said {
                    progress.say(&format!(
                        "cloudflare KV: {key} reads back as written after {:.1}s",
                        start.elapsed().as_secs_f64()
                    ));
                }
                return Ok(());
            }
            if start.elapsed() >= window {
                return Err(ProviderError::new(
                    None,
                    "cloudflare KV read back",
                    format!(
                        "{key} was written, but reading it back still shows the old value after {}s",
                        window.as_secs()
                    ),
                )
                .with_kind(ErrorKind::Timeout)
                .with_hint("Workers KV takes up to 60 s to show a write everywhere; check it with `meridian status` in a minute, or raise consistency_wait in [tenant_routing]"));
            }
            if !said {
                progress.say(&format!(
                    "cloudflare KV: {key} still reads the old value (Workers KV is eventually consistent, up to 60 s); waiting for it"
                ));
                said = true;
            }
            tokio::time::sleep(self.read_back_every).await;
        }
    }
}

#[async_trait]
impl TenantRouting for KvRouting {
    async fn read_routing(&self, _fleet: &Fleet) -> ProviderResult<TenantHomes> {
        let quiet = Progress::silent();
        let s = &self.settings;
        let prefix = s.tenant_prefix.as_deref().unwrap_or("");
        let is_signup_key = |k: &str| {
            s.signups_key.as_deref() == Some(k)
                || s.signups_prefix
                    .as_deref()
                    .is_some_and(|p| !p.is_empty() && k.starts_with(p))
        };
        let keys: Vec<String> = self
            .keys(prefix, &quiet)
            .await?
            .into_iter()
            .filter(|k| !is_signup_key(k))
            .collect();
        let values = self.values(&keys, &quiet).await?;
        let mut homes = TenantHomes::default();
        for (key, value) in &values {
            let tenant = key.strip_prefix(prefix).unwrap_or(key).to_string();
            match self.region_of(value) {
                Ok(region) => {
                    homes.homes.insert(tenant, region);
                }
                Err(why) => homes.unreadable.push(format!("{key}: {why}")),
            }
        }
        homes.signups = match (&s.signups_key, &s.signups_prefix) {
            (Some(key), _) => Some(match self.get(key, &quiet).await? {
                Read::Value(v) => Self::listed(&v).0,
                Read::Missing => Vec::new(),
            }),
            (None, Some(p)) => Some(
                self.keys(p, &quiet)
                    .await?
                    .iter()
                    .filter_map(|k| k.strip_prefix(p.as_str()))
                    .map(str::to_string)
                    .collect(),
            ),
            (None, None) => None,
        };
        Ok(homes)
    }

    async fn apply(
        &self,
        _fleet: &Fleet,
        change: &RoutingChange,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let s = &self.settings;
        match change {
            RoutingChange::Home { tenant, to } => {
                let key = s.tenant_key(tenant);
                let current = self.get(&key, progress).await?;
                let value = self.value_for(&current, to)?;
                progress.say(&format!("cloudflare KV: PUT {key} = {value}"));
                self.put(&key, &value, progress).await?;
                self.read_back(
                    &key,
                    |r| matches!(r, Read::Value(v) if self.region_of(v).as_deref() == Ok(to.as_str())),
                    progress,
                )
                .await
            }
            RoutingChange::Signups { region, open } => match (&s.signups_key, &s.signups_prefix) {
                (Some(key), _) => {
                    let (mut regions, json) = match self.get(key, progress).await? {
                        Read::Value(v) => Self::listed(&v),
                        Read::Missing => (Vec::new(), true),
                    };
                    regions.retain(|r| r != region);
                    if *open {
                        regions.push(region.clone());
                    }
                    let value = match json {
                        true => json!(regions).to_string(),
                        false => regions.join(","),
                    };
                    progress.say(&format!("cloudflare KV: PUT {key} = {value}"));
                    self.put(key, &value, progress).await?;
                    let want = regions.clone();
                    self.read_back(
                        key,
                        |r| matches!(r, Read::Value(v) if Self::listed(v).0 == want),
                        progress,
                    )
                    .await
                }
                (None, Some(prefix)) => {
                    let key = format!("{prefix}{region}");
                    if *open {
                        progress.say(&format!("cloudflare KV: PUT {key}"));
                        let opened = json!({"open": true, "at": meridian_model::state::rfc3339(meridian_model::state::now_ms())});
                        self.put(&key, &opened.to_string(), progress).await?;
                        self.read_back(&key, |r| matches!(r, Read::Value(_)), progress)
                            .await
                    } else {
                        progress.say(&format!("cloudflare KV: DELETE {key}"));
                        self.delete(&key, progress).await?;
                        self.read_back(&key, |r| *r == Read::Missing, progress)
                            .await
                    }
                }
                (None, None) => Err(ProviderError::new(
                    Some(region),
                    "cloudflare KV sign-ups",
                    "[tenant_routing] names neither signups_key nor signups_prefix",
                )
                .with_hint("say where the regions open to sign-ups are kept")),
            },
        }
    }

    fn describe(&self, change: &RoutingChange) -> Vec<String> {
        let s = &self.settings;
        let ns = &s.namespace_id;
        let mut out = match change {
            RoutingChange::Home { tenant, to } => vec![format!(
                "Cloudflare Workers KV namespace {ns}: PUT {} -> {}",
                s.tenant_key(tenant),
                match s.value.unwrap_or_default() {
                    KvValue::Region => format!("\"{to}\""),
                    KvValue::Json => format!(
                        "the JSON document with \"{}\": \"{to}\" (its other fields kept)",
                        s.region_field()
                    ),
                }
            )],
            RoutingChange::Signups { region, open } => match (&s.signups_key, &s.signups_prefix) {
                (Some(key), _) => vec![format!(
                    "Cloudflare Workers KV namespace {ns}: PUT {key} with {region} {}",
                    if *open { "added" } else { "removed" }
                )],
                (None, Some(p)) => vec![format!(
                    "Cloudflare Workers KV namespace {ns}: {} {p}{region}",
                    if *open { "PUT" } else { "DELETE" }
                )],
                (None, None) => vec!["[tenant_routing] names no sign-ups key or prefix".into()],
            },
        };
        out.push(format!(
            "read back until it shows (Workers KV is eventually consistent: up to {}s)",
            s.consistency_wait().as_secs()
        ));
        out
    }
}

/// A key or query value in a URL path: everything but unreserved characters escaped.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(value: Option<KvValue>) -> KvRouting {
        let cap = Capability {
            provider: meridian_model::fleet::ProviderKind::CloudflareKv,
            settings: Settings::CloudflareKv(CloudflareKvRouting {
                account_id: "a".into(),
                namespace_id: "n".into(),
                value,
                ..Default::default()
            }),
        };
        KvRouting::new(&meridian_model::fleet::demo(), &cap)
    }

    #[test]
    fn keys_are_escaped_in_paths() {
        assert_eq!(encode("tenant:acme/1"), "tenant%3Aacme%2F1");
        assert_eq!(encode("plain-key_1.x~"), "plain-key_1.x~");
    }

    #[test]
    fn a_value_is_a_region_or_a_document_with_one() {
        let plain = kv(None);
        assert_eq!(plain.region_of(" sgp-1\n"), Ok("sgp-1".into()));
        assert!(plain.region_of("  ").is_err());
        let doc = kv(Some(KvValue::Json));
        assert_eq!(
            doc.region_of(r#"{"region":"fra-1","plan":"pro"}"#),
            Ok("fra-1".into())
        );
        assert!(doc.region_of("fra-1").is_err());
        assert!(doc.region_of(r#"{"plan":"pro"}"#).is_err());
        // Moving keeps the document's other fields.
        let moved = doc
            .value_for(
                &Read::Value(r#"{"region":"fra-1","plan":"pro"}"#.into()),
                "sgp-1",
            )
            .unwrap_or_default();
        let v: Value = serde_json::from_str(&moved).unwrap_or(Value::Null);
        assert_eq!(v, json!({"region": "sgp-1", "plan": "pro"}));
        assert!(doc.value_for(&Read::Value("not json".into()), "x").is_err());
    }

    #[test]
    fn a_signups_value_is_a_json_list_or_commas() {
        assert_eq!(
            KvRouting::listed(r#"["sgp-1","fra-1"]"#),
            (vec!["sgp-1".to_string(), "fra-1".to_string()], true)
        );
        assert_eq!(
            KvRouting::listed("sgp-1, fra-1"),
            (vec!["sgp-1".to_string(), "fra-1".to_string()], false)
        );
    }
}
