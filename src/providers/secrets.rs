//! Connection strings for databases. They hold passwords, so they live outside the fleet file
//! (an environment variable, or a TOML file the fleet file names) and are only ever handed to
//! the client library: never formatted into logs, errors, the audit log, the screen or JSON.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::fleet::{Capability, Fleet, FleetSource};
use crate::providers::ProviderError;

/// A secret value. `Debug` and `Display` print a placeholder, so it cannot leak by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself: pass it straight to a client library, never to a formatter.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a connection string comes from, as configured (safe to show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File { path: PathBuf, key: String },
}

impl SecretSource {
    /// From a capability's `dsn_env` / `dsn_file` + `dsn_key` (default key: the region id).
    /// A relative file is relative to the fleet file.
    pub fn from_capability(
        fleet: &Fleet,
        region_id: &str,
        cap: &Capability,
    ) -> Option<SecretSource> {
        let s = &cap.settings;
        if let Some(var) = s.get("dsn_env").and_then(|v| v.as_str()) {
            return Some(SecretSource::Env(var.to_string()));
        }
        let file = s.get("dsn_file").and_then(|v| v.as_str())?;
        let key = s
            .get("dsn_key")
            .and_then(|v| v.as_str())
            .unwrap_or(region_id)
            .to_string();
        let path = match &fleet.source {
            FleetSource::File(f) if Path::new(file).is_relative() => {
                f.parent().unwrap_or(Path::new(".")).join(file)
            }
            _ => PathBuf::from(file),
        };
        Some(SecretSource::File { path, key })
    }

    /// The connection string source of every region whose database or lag is served by
    /// `provider` (the database table wins when both name it).
    pub fn per_region(
        fleet: &Fleet,
        provider: crate::fleet::ProviderKind,
    ) -> std::collections::HashMap<String, SecretSource> {
        let mut servers = std::collections::HashMap::new();
        for r in &fleet.regions {
            let cap = [&r.database, &r.lag]
                .into_iter()
                .find(|c| c.provider == provider);
            if let Some(src) = cap.and_then(|c| SecretSource::from_capability(fleet, &r.id, c)) {
                servers.insert(r.id.clone(), src);
            }
        }
        servers
    }

    /// Where it comes from, for messages.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env(v) => format!("environment variable {v}"),
            SecretSource::File { path, key } => format!("key \"{key}\" of {}", path.display()),
        }
    }

    /// Read the secret now (so a rotated password is picked up on the next refresh).
    pub fn read(&self, region: &str, call: &str) -> Result<Secret, ProviderError> {
        match self {
            SecretSource::Env(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
                _ => Err(ProviderError::new(
                    Some(region),
                    call,
                    format!("environment variable {var} is not set"),
                )
                .with_hint(format!(
                    "export {var} with the connection string (e.g. postgres://user@host:5432/db)"
                ))),
            },
            SecretSource::File { path, key } => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ProviderError::new(
                        Some(region),
                        call,
                        format!("cannot read secrets file {}: {e}", path.display()),
                    )
                    .with_hint("check dsn_file in the fleet file")
                })?;
                // The parse error would quote the file's text, which holds secrets: say only where.
                let table: toml::Table = toml::from_str(&text).map_err(|e| {
                    let at = e
                        .span()
                        .map(|s| format!(" at byte {}", s.start))
                        .unwrap_or_default();
                    ProviderError::new(
                        Some(region),
                        call,
                        format!("secrets file {} is not valid TOML{at}", path.display()),
                    )
                    .with_hint("write one `key = \"connection string\"` per line")
                })?;
                match table.get(key).and_then(|v| v.as_str()) {
                    Some(v) => Ok(Secret(v.to_string())),
                    None => Err(ProviderError::new(
                        Some(region),
                        call,
                        format!(
                            "secrets file {} has no string key \"{key}\"",
                            path.display()
                        ),
                    )
                    .with_hint("add the key, or set dsn_key in the fleet file")),
                }
            }
        }
    }
}

/// `connect_timeout` of every region whose database or lag is served by `provider`.
pub fn connect_timeouts(
    fleet: &Fleet,
    provider: crate::fleet::ProviderKind,
) -> std::collections::HashMap<String, std::time::Duration> {
    fleet
        .regions
        .iter()
        .filter_map(|r| {
            let cap = [&r.database, &r.lag]
                .into_iter()
                .find(|c| c.provider == provider)?;
            let d = cap.settings.get("connect_timeout")?.as_str()?;
            Some((r.id.clone(), humantime::parse_duration(d).ok()?))
        })
        .collect()
}

/// Remove anything that looks like a connection string's password from a client library's
/// error text, in case a library quotes its input.
pub fn scrub(message: &str, secret: &Secret) -> String {
    if secret.0.is_empty() {
        message.to_string()
    } else {
        message.replace(&secret.0, "<connection string>")
    }
}
