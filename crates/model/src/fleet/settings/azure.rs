//! Azure Traffic Manager's settings: which profile, and how meridian gets a token for it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{HttpClient, Ignore};

/// How meridian gets an Azure token: `auto` (the default) tries the environment, then the
/// Azure CLI, then a managed identity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AzureCredential {
    #[default]
    Auto,
    Environment,
    Cli,
    ManagedIdentity,
}

/// Which Azure account, and how meridian gets a token for it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AzureAccount {
    /// Another Resource Manager endpoint (a local stand-in, a sovereign cloud).
    pub endpoint_url: Option<String>,
    pub authority_host: Option<String>,
    pub credential: Option<AzureCredential>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    /// The environment variable that holds a client secret.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub client_secret_env: Option<String>,
    /// A PEM file of extra CA certificates (relative to the fleet file).
    pub ca_file: Option<String>,
    /// The Traffic Manager API version (default "2022-04-01").
    pub api_version: Option<String>,
}

/// `[traffic] provider = "azure-traffic-manager"`: one endpoint per region.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AzureTraffic {
    pub subscription_id: String,
    pub resource_group: String,
    pub profile: String,
    #[serde(flatten)]
    pub account: AzureAccount,
    #[serde(flatten)]
    pub http: HttpClient,
    #[serde(flatten)]
    pub ignore: Ignore,
}

/// `health = { provider = "azure-traffic-manager" }`: an endpoint's monitor status; what it
/// leaves out is taken from `[traffic]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AzureHealth {
    pub resource_group: Option<String>,
    pub profile: Option<String>,
    pub subscription_id: Option<String>,
    #[serde(flatten)]
    pub account: AzureAccount,
    #[serde(flatten)]
    pub http: HttpClient,
}

impl AzureAccount {
    /// Fill what this account leaves out from `from`.
    pub fn inherit(&mut self, from: &AzureAccount) {
        let fill = |mine: &mut Option<String>, theirs: &Option<String>| {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        };
        fill(&mut self.endpoint_url, &from.endpoint_url);
        fill(&mut self.authority_host, &from.authority_host);
        fill(&mut self.tenant_id, &from.tenant_id);
        fill(&mut self.client_id, &from.client_id);
        fill(&mut self.client_secret_env, &from.client_secret_env);
        fill(&mut self.ca_file, &from.ca_file);
        fill(&mut self.api_version, &from.api_version);
        self.credential = self.credential.or(from.credential);
    }
}
