//! The providers that run on this machine: the shell phase runner and HTTP probes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Dur;

/// `[runner] provider = "shell"`: phase steps as local processes, with evidence.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ShellRunner {
    /// Where steps run (relative to the fleet file; default its folder).
    pub workdir: Option<String>,
    /// Extra environment for every step.
    pub env: Option<BTreeMap<String, String>>,
    /// `{env}` in steps (default: the region's tenants' environment).
    pub environment: Option<String>,
    /// The most one step may take (default 10m).
    pub timeout: Option<Dur>,
    /// How long a cancelled step has between SIGTERM and SIGKILL (default 10s).
    pub grace: Option<Dur>,
    /// How often phases are read.
    pub poll: Option<Dur>,
}

/// One HTTP probe: a URL, or a table with its own expectations.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ProbeItem {
    Url(String),
    Table(ProbeTable),
}

/// A probe's own expectations (over the region's and `[probe_defaults]`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeTable {
    pub url: Option<String>,
    pub expect_status: Option<u16>,
    /// A regular expression the body must match.
    pub expect_body: Option<String>,
    pub timeout: Option<Dur>,
    pub headers: Option<BTreeMap<String, String>>,
    /// Sent as the `Host` header (probing a load balancer by address).
    pub host: Option<String>,
}

/// `health = { provider = "http" }`: probes of the region's endpoints.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct HttpHealth {
    /// The probes (default: one per region `endpoints`); each is checked where it is
    /// built, with the fleet's `[probe_defaults]` (`fleet::probes`).
    #[schemars(with = "Option<Vec<ProbeItem>>")]
    pub probes: Option<Vec<toml::Value>>,
    pub timeout: Option<Dur>,
    pub poll: Option<Dur>,
    pub expect_status: Option<u16>,
    /// A regular expression the body must match.
    pub expect_body: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    pub host: Option<String>,
    /// A PEM file of extra CA certificates (relative to the fleet file).
    pub ca_file: Option<String>,
    /// Skip certificate checks (the reason on screen says so).
    pub insecure: Option<bool>,
    /// The region's probes as built when the fleet was loaded: these keys over the
    /// fleet's `[probe_defaults]`, one per URL.
    #[serde(skip)]
    #[schemars(skip)]
    pub built: crate::fleet::probes::HttpHealthConfig,
}

/// `[probe_defaults]`: what every HTTP probe of the fleet gets unless it says otherwise
/// (checked and applied by `fleet::probes`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeDefaults {
    pub timeout: Option<Dur>,
    pub expect_status: Option<u16>,
    /// A regular expression the body must match.
    pub expect_body: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    /// A PEM file of extra CA certificates (relative to the fleet file).
    pub ca_file: Option<String>,
    /// Skip certificate checks (the reason on screen says so).
    pub insecure: Option<bool>,
}
