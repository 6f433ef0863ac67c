//! Calls to the Cloudflare v4 API: Bearer token from the environment or a file (read per
//! call so a rotated token is picked up; never printed), `{success, errors, result,
//! result_info}` envelopes, page/per_page paging, and the 1,200-requests-per-5-minutes limit
//! (429 + Retry-After) retried with backoff by `rest`.

use std::path::PathBuf;

use serde_json::Value;

use crate::rest::{self, RestSettings};
use crate::secrets::Secret;
use crate::{Progress, ProviderError, ProviderResult};
use meridian_model::fleet::settings::{CloudflareAccount, HttpClient, Settings};
use meridian_model::fleet::{Capability, Fleet};

/// Most pages read from one list before giving up.
const MAX_PAGES: u64 = 50;

/// A request's body.
pub enum Payload<'a> {
    None,
    Json(&'a Value),
    /// `multipart/form-data` with this boundary (a Workers KV write).
    Form {
        boundary: String,
        body: Vec<u8>,
    },
}

/// A failed call's envelope in words, with what to do about it.
pub fn failure(call: &str, path: &str, status: u16, json: &Value) -> ProviderError {
    let (code, message) = json
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
        .map(|e| {
            (
                e.get("code").and_then(Value::as_u64).unwrap_or(0),
                e.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message")
                    .to_string(),
            )
        })
        .unwrap_or((0, "no error given".into()));
    let kv = path.contains("/storage/kv/");
    let hint = match status {
        400 if code == 6003 || code == 6111 => {
            "the Authorization header was refused: check the token's format"
        }
        401 | 403 if kv => {
            "the API token is invalid or lacks permission (Workers KV Storage Read, and Write to change the map)"
        }
        401 | 403 => {
            "the API token is invalid or lacks permission (Load Balancers Write, Load Balancing: Monitors and Pools Read)"
        }
        404 if kv => "check account_id and namespace_id in [tenant_routing]",
        404 => "check account_id, zone_id and load_balancers in the fleet file",
        _ => "see Cloudflare's error above",
    };
    ProviderError::new(None, call, format!("{status} error {code}: {message}")).with_hint(hint)
}

/// Where the account lives and how to reach it.
#[derive(Debug, Clone)]
pub struct CfTarget {
    pub endpoint: String,
    pub account_id: String,
    pub zone_id: String,
    /// Load balancers by name (hostname) or id, in the order they are changed.
    pub load_balancers: Vec<String>,
    pub token_env: String,
    pub token_file: Option<PathBuf>,
    pub rest: RestSettings,
}

impl CfTarget {
    /// The account a capability's settings name (a health table's gaps were filled from
    /// `[traffic]` when the fleet was loaded); the zone and load balancers are always the
    /// traffic table's.
    pub fn of(fleet: &Fleet, cap: &Capability) -> CfTarget {
        let traffic = match &fleet.traffic.settings {
            Settings::CloudflareTraffic(t) => Some(t),
            _ => None,
        };
        let (account_id, account, http) = match &cap.settings {
            Settings::CloudflareTraffic(t) => (Some(&t.account_id), &t.account, &t.http),
            Settings::CloudflareHealth(h) => (h.account_id.as_ref(), &h.account, &h.http),
            Settings::CloudflareKv(k) => (Some(&k.account_id), &k.account, &k.http),
            // Not a Cloudflare capability: an account that names nothing, refused at the first call.
            _ => (None, &CloudflareAccount::default(), &HttpClient::default()),
        };
        CfTarget {
            endpoint: account
                .endpoint_url
                .as_deref()
                .unwrap_or("https://api.cloudflare.com/client/v4")
                .trim_end_matches('/')
                .to_string(),
            account_id: account_id.cloned().unwrap_or_default(),
            zone_id: traffic.map(|t| t.zone_id.clone()).unwrap_or_default(),
            load_balancers: traffic
                .map(|t| t.load_balancers.clone())
                .unwrap_or_default(),
            token_env: account
                .api_token_env
                .clone()
                .unwrap_or_else(|| "CLOUDFLARE_API_TOKEN".into()),
            token_file: account
                .api_token_file
                .as_ref()
                .map(|f| fleet.source_dir().join(f)),
            rest: RestSettings::of(http),
        }
    }
}

/// A Cloudflare API client for one account and zone.
pub struct Api {
    pub target: CfTarget,
    /// Made on first use: a fleet that names Cloudflare but never reads it pays nothing.
    http: std::sync::OnceLock<Result<reqwest::Client, String>>,
}

impl Api {
    pub fn new(target: CfTarget) -> Api {
        Api {
            target,
            http: std::sync::OnceLock::new(),
        }
    }

    fn http(&self) -> Result<reqwest::Client, String> {
        self.http
            .get_or_init(|| self.target.rest.client(None))
            .clone()
    }

    fn token(&self, call: &str) -> ProviderResult<Secret> {
        let t = &self.target;
        let read = match &t.token_file {
            Some(f) => std::fs::read_to_string(f)
                .map(|s| s.trim().to_string())
                .map_err(|e| format!("cannot read api_token_file {}: {}", f.display(), e.kind())),
            None => std::env::var(&t.token_env)
                .map_err(|_| format!("the environment variable {} is not set", t.token_env)),
        };
        match read {
            Ok(tok) if !tok.is_empty() => Ok(Secret::new(tok)),
            Ok(_) => Err(ProviderError::new(None, call, "the API token is empty")
                .with_hint("put a Cloudflare API token there")),
            Err(e) => Err(ProviderError::new(None, call, e).with_hint(
                "create an API token with what the fleet uses (Load Balancers Write and Load Balancing: Monitors and Pools Read; Workers KV Storage Read and Write for [tenant_routing]) and export it",
            )),
        }
    }

    /// One call; `body` makes it a PATCH. Returns the envelope's `result` (and `result_info`).
    pub async fn call(
        &self,
        path: &str,
        body: Option<&Value>,
        progress: &Progress,
    ) -> ProviderResult<(Value, Option<Value>)> {
        let (method, payload) = match body {
            Some(b) => (reqwest::Method::PATCH, Payload::Json(b)),
            None => (reqwest::Method::GET, Payload::None),
        };
        self.envelope(method, path, payload, progress).await
    }

    /// One call of any method, its answer read as Cloudflare's `{success, errors, result,
    /// result_info}` envelope.
    pub async fn envelope(
        &self,
        method: reqwest::Method,
        path: &str,
        payload: Payload<'_>,
        progress: &Progress,
    ) -> ProviderResult<(Value, Option<Value>)> {
        let (call, reply) = self.send(method, path, payload, progress).await?;
        let json: Value = serde_json::from_str(&reply.body).map_err(|_| {
            ProviderError::new(
                None,
                &call,
                format!("HTTP {}: the answer is not JSON", reply.status),
            )
            .with_hint("check endpoint_url: it should end in /client/v4")
        })?;
        let ok = json
            .get("success")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if ok && (200..300).contains(&reply.status) {
            let result = json.get("result").cloned().unwrap_or(Value::Null);
            return Ok((result, json.get("result_info").cloned()));
        }
        Err(failure(&call, path, reply.status, &json))
    }

    /// One call, its answer as it came (a Workers KV value is the raw bytes, not an
    /// envelope), with the call's name for errors.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        payload: Payload<'_>,
        progress: &Progress,
    ) -> ProviderResult<(String, rest::Reply)> {
        let shown = path.split('?').next().unwrap_or(path);
        let call = format!("cloudflare {method} {shown}");
        let token = self.token(&call)?;
        let http = self
            .http()
            .map_err(|e| ProviderError::new(None, &call, e))?;
        let url = format!("{}{path}", self.target.endpoint);
        let reply = rest::send(
            &self.target.rest,
            &call,
            progress,
            |r| r.status == 429,
            || {
                let req = http.request(method.clone(), &url);
                let req = match &payload {
                    Payload::None => req,
                    Payload::Json(b) => req.json(b),
                    Payload::Form { boundary, body } => req
                        .header(
                            reqwest::header::CONTENT_TYPE,
                            format!("multipart/form-data; boundary={boundary}"),
                        )
                        .body(body.clone()),
                };
                req.bearer_auth(token.expose()).send()
            },
        )
        .await
        .map_err(|e| {
            let (msg, hint) = e.words("Cloudflare");
            let hint = match e {
                rest::SendError::Throttled { .. } => {
                    format!("{hint} (Cloudflare allows 1,200 API requests per 5 minutes)")
                }
                _ => hint,
            };
            ProviderError::new(None, &call, msg)
                .with_hint(hint)
                .with_kind(e.kind())
        })?;
        Ok((call, reply))
    }

    /// Every item of a paged list.
    pub async fn list(&self, path: &str, progress: &Progress) -> ProviderResult<Vec<Value>> {
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let (result, info) = self
                .call(&format!("{path}?page={page}&per_page=50"), None, progress)
                .await?;
            let items = result.as_array().cloned().unwrap_or_default();
            let empty = items.is_empty();
            out.extend(items);
            let pages = info
                .as_ref()
                .and_then(|i| i.get("total_pages"))
                .and_then(Value::as_u64)
                .unwrap_or(1);
            if page >= pages || empty {
                return Ok(out);
            }
        }
        Err(ProviderError::new(
            None,
            format!("cloudflare GET {path}"),
            format!("more than {MAX_PAGES} pages"),
        )
        .with_hint("the list is larger than meridian reads; name fewer objects"))
    }
}
