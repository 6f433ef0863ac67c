//! Cloudflare Load Balancing's settings: which account and zone, and where its API token
//! comes from (never the fleet file).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{HttpClient, Ignore};

/// Which Cloudflare account, and where its API token comes from.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct CloudflareAccount {
    /// Another API endpoint (a local stand-in).
    pub endpoint_url: Option<String>,
    /// The environment variable that holds the API token (default CLOUDFLARE_API_TOKEN).
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub api_token_env: Option<String>,
    /// A file that holds the API token (relative to the fleet file).
    pub api_token_file: Option<String>,
}

/// `[traffic] provider = "cloudflare"`: one pool per region in some load balancers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct CloudflareTraffic {
    pub account_id: String,
    pub zone_id: String,
    /// The load balancers whose pools are the regions.
    #[schemars(length(min = 1))]
    pub load_balancers: Vec<String>,
    #[serde(flatten)]
    pub account: CloudflareAccount,
    #[serde(flatten)]
    pub http: HttpClient,
    #[serde(flatten)]
    pub ignore: Ignore,
}

/// `health = { provider = "cloudflare" }`: a pool's health; what it leaves out is taken
/// from `[traffic]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct CloudflareHealth {
    #[serde(flatten)]
    pub account: CloudflareAccount,
    pub account_id: Option<String>,
    #[serde(flatten)]
    pub http: HttpClient,
}

impl CloudflareAccount {
    /// Fill what this account leaves out from `from`.
    pub fn inherit(&mut self, from: &CloudflareAccount) {
        let fill = |mine: &mut Option<String>, theirs: &Option<String>| {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        };
        fill(&mut self.endpoint_url, &from.endpoint_url);
        fill(&mut self.api_token_env, &from.api_token_env);
        fill(&mut self.api_token_file, &from.api_token_file);
    }
}
