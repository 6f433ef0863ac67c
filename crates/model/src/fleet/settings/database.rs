//! The self-managed databases' settings (PostgreSQL, Redis), and where the application
//! finds its writer (any `database`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Dur, Pace};

/// Where the application finds its writer, for a region's `database`: promotion does not
/// finish until the application writes to the new primary.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Writer {
    /// The setting that names the writer (e.g. "DATABASE_URL of storefront"); the promote
    /// plan lists it as a change.
    pub writer_config: Option<String>,
    /// A phase that changes it, run in the promoted region as the promotion's last step.
    pub promote_phase: Option<String>,
}

/// `provider = "postgres"` or `"redis"`: a server of the replication set. Connection
/// strings are secrets: they come from an environment variable or a file, never from the
/// fleet file itself (which gets committed and shared).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct SelfManaged {
    /// The environment variable that holds the connection string.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub dsn_env: Option<String>,
    /// A TOML file of `"region" = "connection string"` (relative to the fleet file).
    pub dsn_file: Option<String>,
    /// The key in `dsn_file` (default: the region's id).
    pub dsn_key: Option<String>,
    #[serde(flatten)]
    pub pace: Pace,
    /// The most connecting may take.
    pub connect_timeout: Option<Dur>,
    #[serde(flatten)]
    pub writer: Writer,
}
