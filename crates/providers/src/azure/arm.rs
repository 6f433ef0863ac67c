//! Calls to Azure Resource Manager for one Traffic Manager profile: a token from
//! `azure_identity`, deadlines and throttling retries from `rest`, ARM's error bodies
//! (`{error: {code, message}}`) turned into words with a hint.

use std::path::PathBuf;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::auth::{self, ARM_SCOPE, AuthSettings, CredentialKind};
use crate::rest::{self, RestSettings};
use crate::{Progress, ProviderError, ProviderResult};
use meridian_model::fleet::settings::{AzureAccount, HttpClient, Settings};
use meridian_model::fleet::{Capability, Fleet};

/// Where the profile lives and how to reach it.
#[derive(Debug, Clone)]
pub struct ArmTarget {
    pub endpoint: String,
    pub subscription: String,
    pub resource_group: String,
    pub profile: String,
    pub api_version: String,
    pub credential: CredentialKind,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub secret_env: String,
    pub authority_host: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub rest: RestSettings,
}

impl ArmTarget {
    /// The profile a capability's settings name (a health table's gaps were filled from
    /// `[traffic]` when the fleet was loaded, so `health = { provider =
    /// "azure-traffic-manager" }` needs nothing else).
    pub fn of(fleet: &Fleet, cap: &Capability) -> ArmTarget {
        let (subscription, resource_group, profile, account, http) = match &cap.settings {
            Settings::AzureTraffic(t) => (
                Some(&t.subscription_id),
                Some(&t.resource_group),
                Some(&t.profile),
                &t.account,
                &t.http,
            ),
            Settings::AzureHealth(h) => (
                h.subscription_id.as_ref(),
                h.resource_group.as_ref(),
                h.profile.as_ref(),
                &h.account,
                &h.http,
            ),
            // Not an Azure capability: an account that names nothing, refused at the first call.
            _ => (
                None,
                None,
                None,
                &AzureAccount::default(),
                &HttpClient::default(),
            ),
        };
        let text = |s: Option<&String>| s.cloned().unwrap_or_default();
        ArmTarget {
            endpoint: account
                .endpoint_url
                .as_deref()
                .unwrap_or("https://management.azure.com")
                .trim_end_matches('/')
                .to_string(),
            subscription: text(subscription),
            resource_group: text(resource_group),
            profile: text(profile),
            api_version: account
                .api_version
                .clone()
                .unwrap_or_else(|| "2022-04-01".into()),
            credential: CredentialKind::of(account.credential.unwrap_or_default()),
            tenant_id: account.tenant_id.clone(),
            client_id: account.client_id.clone(),
            secret_env: account
                .client_secret_env
                .clone()
                .unwrap_or_else(|| "AZURE_CLIENT_SECRET".into()),
            authority_host: account.authority_host.clone(),
            ca_file: account.ca_file.as_ref().map(|f| fleet.source_dir().join(f)),
            rest: RestSettings::of(http),
        }
    }

    /// The profile's ARM URL, with the api-version.
    pub fn profile_url(&self) -> String {
        format!(
            "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/trafficmanagerprofiles/{}?api-version={}",
            self.endpoint, self.subscription, self.resource_group, self.profile, self.api_version
        )
    }
}

/// A credential made once, or why it could not be.
type MadeCredential = Result<(Arc<dyn TokenCredential>, CredentialKind), String>;

/// An ARM client for one profile; the HTTP client and credential are made on first use.
pub struct Arm {
    pub target: ArmTarget,
    /// Made on first use: a fleet that names Azure but never reads it pays nothing.
    http: std::sync::OnceLock<Result<reqwest::Client, String>>,
    credential: OnceCell<MadeCredential>,
}

impl Arm {
    pub fn new(target: ArmTarget) -> Arm {
        Arm {
            target,
            http: std::sync::OnceLock::new(),
            credential: OnceCell::new(),
        }
    }

    fn http(&self) -> Result<reqwest::Client, String> {
        self.http
            .get_or_init(|| self.target.rest.client(self.target.ca_file.as_deref()))
            .clone()
    }

    fn error(&self, call: &str, message: impl Into<String>) -> ProviderError {
        ProviderError::new(None, format!("azure {call}"), message)
    }

    async fn token(&self, call: &str) -> ProviderResult<String> {
        let http = self.http().map_err(|e| {
            self.error(call, e)
                .with_hint("fix ca_file in the fleet file")
        })?;
        let t = &self.target;
        let made = self
            .credential
            .get_or_init(|| async {
                auth::credential(&AuthSettings {
                    kind: t.credential,
                    tenant_id: t.tenant_id.clone(),
                    client_id: t.client_id.clone(),
                    secret_env: t.secret_env.clone(),
                    authority_host: t.authority_host.clone(),
                    http,
                })
            })
            .await;
        let (cred, kind) = made.clone().map_err(|e| {
            self.error(call, format!("no credential: {e}"))
                .with_hint(auth::hint(t.credential, &t.secret_env))
        })?;
        let got = tokio::time::timeout(t.rest.timeout, cred.get_token(&[ARM_SCOPE], None)).await;
        match got {
            Ok(Ok(token)) => Ok(token.token.secret().to_string()),
            Ok(Err(e)) => Err(self
                .error(
                    call,
                    format!(
                        "getting a token ({}) failed: {}",
                        kind.as_str(),
                        auth::first_line(&e.to_string())
                    ),
                )
                .with_hint(auth::hint(kind, &t.secret_env))),
            Err(_) => Err(self
                .error(
                    call,
                    format!("getting a token took over {}s", t.rest.timeout.as_secs()),
                )
                .with_hint("the token endpoint (authority_host) is not answering")),
        }
    }

    /// GET the profile (or PATCH it with `body`), returning ARM's JSON answer.
    pub async fn profile(
        &self,
        body: Option<&Value>,
        progress: &Progress,
    ) -> ProviderResult<Value> {
        let verb = if body.is_some() { "PATCH" } else { "GET" };
        let call = format!("{verb} trafficManagerProfiles/{}", self.target.profile);
        let token = self.token(&call).await?;
        let http = self.http().map_err(|e| self.error(&call, e))?;
        let url = self.target.profile_url();
        let reply = rest::send(
            &self.target.rest,
            &format!("azure {call}"),
            progress,
            |r| r.status == 429,
            || {
                let req = match body {
                    Some(b) => http.patch(&url).json(b),
                    None => http.get(&url),
                };
                req.bearer_auth(&token).send()
            },
        )
        .await
        .map_err(|e| {
            let (msg, hint) = e.words("Azure Resource Manager");
            self.error(&call, msg).with_hint(hint).with_kind(e.kind())
        })?;
        let json: Option<Value> = serde_json::from_str(&reply.body).ok();
        if (200..300).contains(&reply.status) {
            return json.ok_or_else(|| self.error(&call, "the answer is not JSON"));
        }
        let code = json
            .as_ref()
            .and_then(|j| j.pointer("/error/code"))
            .and_then(Value::as_str)
            .unwrap_or("error");
        let message = json
            .as_ref()
            .and_then(|j| j.pointer("/error/message"))
            .and_then(Value::as_str)
            .unwrap_or("no message");
        Err(self
            .error(&call, format!("{} {code}: {message}", reply.status))
            .with_hint(hint_for(code)))
    }
}

/// What to do about an ARM error code.
fn hint_for(code: &str) -> &'static str {
    match code {
        "AuthenticationFailed" | "InvalidAuthenticationToken" | "ExpiredAuthenticationToken" => {
            "Azure refused the token: check the credential and authority_host"
        }
        "AuthorizationFailed" => {
            "the identity may not change this profile: grant it Traffic Manager Contributor"
        }
        "ResourceNotFound" | "ResourceGroupNotFound" | "SubscriptionNotFound" | "NotFound" => {
            "check subscription_id, resource_group and profile in the fleet file"
        }
        "MissingApiVersionParameter"
        | "NoRegisteredProviderFound"
        | "InvalidApiVersionParameter" => "check api_version in the fleet file (2022-04-01 works)",
        "SubscriptionRequestsThrottled" | "TooManyRequests" => {
            "Azure is throttling this subscription: wait a minute and try again"
        }
        "BadRequest" => "Azure refused the change as asked: see its message",
        _ => "see the Azure error code above",
    }
}
