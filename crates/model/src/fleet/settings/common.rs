//! Settings groups several providers share, and the duration type every one of them uses.

use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A humantime duration: numbers with units, e.g. "90s", "15m", "1h 30m".
pub const DURATION_PATTERN: &str = r"^\s*[0-9]+\s*[a-zA-Zµ]+(\s*[0-9]+\s*[a-zA-Zµ]+)*\s*$";

/// A duration as the fleet file writes it (`"90s"`, `"5m"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl Dur {
    pub fn get(self) -> Duration {
        self.0
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map(Dur).map_err(|e| {
            serde::de::Error::custom(format!("{e}; write a duration such as \"90s\" or \"5m\""))
        })
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

impl JsonSchema for Dur {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "examples": ["60s", "15m", "1h 30m"],
        })
    }
}

/// How often a capability is read, and how long one reading may take (every provider but
/// the HTTP APIs, whose `timeout` bounds a whole call with its retries).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Pace {
    /// How often to read (default: the provider's own pace).
    pub poll: Option<Dur>,
    /// The most one reading may take (default 5s).
    pub timeout: Option<Dur>,
}

/// Where the AWS SDK sends requests and whose credentials it uses.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AwsTarget {
    /// A named profile of the shared AWS config.
    pub profile: Option<String>,
    /// Another endpoint (a local stand-in such as moto, or a VPC endpoint).
    pub endpoint_url: Option<String>,
    /// The AWS region to call (default: the region's `cloud_region`).
    pub aws_region: Option<String>,
    /// The most connecting may take.
    pub connect_timeout: Option<Dur>,
}

/// Deadlines and retries of the HTTP APIs (Azure, Cloudflare).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct HttpClient {
    /// The most one call may take, its retries included.
    pub timeout: Option<Dur>,
    /// The most connecting may take.
    pub connect_timeout: Option<Dur>,
    /// How often a failing call is tried in all.
    pub max_attempts: Option<u32>,
}

/// Records (sets, endpoints, pools) the traffic provider holds that are not regions and
/// should not be listed; their weight still counts in the shares.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Ignore {
    #[schemars(length(min = 1))]
    pub ignore: Option<Vec<String>>,
}

impl Ignore {
    pub fn ignores(&self, record: &str) -> bool {
        self.ignore.iter().flatten().any(|r| r == record)
    }
}

impl AwsTarget {
    /// Fill what this target leaves out from `from` (a region's health check or metric
    /// takes the account and endpoint of Route 53's `[traffic]`). The AWS region is taken
    /// only for a global service's calls: a metric or cluster lives in its own region.
    pub fn inherit(&mut self, from: &AwsTarget, region_too: bool) {
        let fill = |mine: &mut Option<String>, theirs: &Option<String>| {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        };
        fill(&mut self.profile, &from.profile);
        fill(&mut self.endpoint_url, &from.endpoint_url);
        if region_too {
            fill(&mut self.aws_region, &from.aws_region);
        }
        self.connect_timeout = self.connect_timeout.or(from.connect_timeout);
    }
}

impl HttpClient {
    /// Fill what this leaves out from `from`.
    pub fn inherit(&mut self, from: &HttpClient) {
        self.timeout = self.timeout.or(from.timeout);
        self.connect_timeout = self.connect_timeout.or(from.connect_timeout);
        self.max_attempts = self.max_attempts.or(from.max_attempts);
    }
}
