//! Tokens for Azure Resource Manager through `azure_identity`: a service principal from the
//! environment (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` or the variable
//! named by `client_secret_env`), the Azure CLI's
//! login, or a managed identity. `authority_host` points the token requests elsewhere (a
//! sovereign cloud, or the local stand-in in tests); the secret is never printed.

use meridian_model::fleet::settings::AzureCredential;
use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
};

/// The scope of every ARM token.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// Which credential to use, from the `credential` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// Environment if `AZURE_CLIENT_SECRET` is set, else the Azure CLI if `az` is on the
    /// PATH, else a managed identity.
    Auto,
    Environment,
    Cli,
    ManagedIdentity,
}

impl CredentialKind {
    /// The credential the fleet file asks for.
    pub fn of(asked: AzureCredential) -> CredentialKind {
        match asked {
            AzureCredential::Auto => CredentialKind::Auto,
            AzureCredential::Environment => CredentialKind::Environment,
            AzureCredential::Cli => CredentialKind::Cli,
            AzureCredential::ManagedIdentity => CredentialKind::ManagedIdentity,
        }
    }

    /// Auto, decided now.
    fn resolved(self, secret_env: &str) -> CredentialKind {
        if self != CredentialKind::Auto {
            return self;
        }
        if std::env::var_os(secret_env).is_some() {
            CredentialKind::Environment
        } else if on_path("az") {
            CredentialKind::Cli
        } else {
            CredentialKind::ManagedIdentity
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Auto => "auto",
            CredentialKind::Environment => "environment",
            CredentialKind::Cli => "cli",
            CredentialKind::ManagedIdentity => "managed-identity",
        }
    }
}

fn on_path(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
}

/// What the credential needs besides the environment.
pub struct AuthSettings {
    pub kind: CredentialKind,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    /// The environment variable holding the client secret (default `AZURE_CLIENT_SECRET`).
    pub secret_env: String,
    pub authority_host: Option<String>,
    /// The HTTP client token requests go through (it trusts `ca_file` too).
    pub http: reqwest::Client,
}

/// Build the credential; the error is in words, with what to set.
pub fn credential(s: &AuthSettings) -> Result<(Arc<dyn TokenCredential>, CredentialKind), String> {
    let mut options = ClientOptions {
        transport: Some(Transport::new(Arc::new(s.http.clone()))),
        ..Default::default()
    };
    if let Some(host) = &s.authority_host {
        let mut custom = CustomConfiguration::default();
        custom.authority_host = host.clone();
        options.cloud = Some(Arc::new(CloudConfiguration::from(custom)));
    }
    let kind = s.kind.resolved(&s.secret_env);
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let cred: Arc<dyn TokenCredential> = match kind {
        CredentialKind::Environment | CredentialKind::Auto => {
            let tenant = s.tenant_id.clone().or_else(|| env("AZURE_TENANT_ID"));
            let client = s.client_id.clone().or_else(|| env("AZURE_CLIENT_ID"));
            let (Some(tenant), Some(client), Some(secret)) = (tenant, client, env(&s.secret_env))
            else {
                return Err(format!(
                    "credential \"environment\" needs AZURE_TENANT_ID (or tenant_id), AZURE_CLIENT_ID (or client_id) and {}",
                    s.secret_env
                ));
            };
            ClientSecretCredential::new(
                &tenant,
                client,
                Secret::new(secret),
                Some(ClientSecretCredentialOptions {
                    client_options: options,
                }),
            )
            .map_err(|e| first_line(&e.to_string()))?
        }
        CredentialKind::Cli => {
            AzureCliCredential::new(None).map_err(|e| first_line(&e.to_string()))?
        }
        CredentialKind::ManagedIdentity => {
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: s.client_id.clone().map(UserAssignedId::ClientId),
                client_options: options,
            }))
            .map_err(|e| first_line(&e.to_string()))?
        }
    };
    Ok((cred, kind))
}

/// azure_identity errors end with a troubleshooting link and nested causes: keep the gist.
pub fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no details")
        .to_string()
}

/// What to do when getting a token failed, by credential.
pub fn hint(kind: CredentialKind, secret_env: &str) -> String {
    match kind {
        CredentialKind::Environment | CredentialKind::Auto => {
            format!("check AZURE_TENANT_ID, AZURE_CLIENT_ID and {secret_env} (and authority_host)")
        }
        CredentialKind::Cli => "run `az login` (and `az account set` for the subscription)".into(),
        CredentialKind::ManagedIdentity => {
            "this machine has no managed identity: set credential = \"cli\" or \"environment\""
                .into()
        }
    }
}
