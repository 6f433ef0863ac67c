//! Connection strings for databases. They hold passwords, so they live outside the fleet file
//! (an environment variable, or a TOML file the fleet file names) and are only ever handed to
//! the client library: never formatted into logs, errors, the audit log, the screen or JSON.

use meridian_model::fleet::settings::Settings;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

use crate::ProviderError;
use meridian_model::fleet::{Capability, Fleet, FleetSource};

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
        let Settings::SelfManaged(s) = &cap.settings else {
            return None;
        };
        if let Some(var) = &s.dsn_env {
            return Some(SecretSource::Env(var.clone()));
        }
        let file = s.dsn_file.as_deref()?;
        let key = s.dsn_key.clone().unwrap_or_else(|| region_id.to_string());
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
        provider: meridian_model::fleet::ProviderKind,
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
                let table = parsed(path, region, call)?;
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
    provider: meridian_model::fleet::ProviderKind,
) -> std::collections::HashMap<String, std::time::Duration> {
    fleet
        .regions
        .iter()
        .filter_map(|r| {
            let cap = [&r.database, &r.lag]
                .into_iter()
                .find(|c| c.provider == provider)?;
            let Settings::SelfManaged(s) = &cap.settings else {
                return None;
            };
            Some((r.id.clone(), s.connect_timeout?.get()))
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

/// A secrets file as last parsed, and what it looked like then: modification time, length
/// and inode (a rotation that swaps the file in by rename gets a new inode even within the
/// clock tick of the last write).
struct Parsed {
    stamp: Stamp,
    table: Arc<toml::Table>,
}

type Stamp = (SystemTime, u64, u64);

/// Secrets files by path. A file is looked at on every read, so a rotated password is
/// picked up at the next one, but parsed again only when it changed: on 100 regions the
/// database readings' address and connection-string lookups parsed it 10,000 times a round.
static FILES: LazyLock<Mutex<HashMap<PathBuf, Parsed>>> = LazyLock::new(Default::default);

fn parsed(path: &Path, region: &str, call: &str) -> Result<Arc<toml::Table>, ProviderError> {
    let unreadable = |e: std::io::Error| {
        ProviderError::new(
            Some(region),
            call,
            format!("cannot read secrets file {}: {e}", path.display()),
        )
        .with_hint("check dsn_file in the fleet file")
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    let stamp: Option<Stamp> = {
        use std::os::unix::fs::MetadataExt;
        meta.modified().ok().map(|m| (m, meta.len(), meta.ino()))
    };
    let files = || FILES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = files().get(path)
        && Some(p.stamp) == stamp
    {
        return Ok(p.table.clone());
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
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
    let table = Arc::new(table);
    if let Some(stamp) = stamp {
        let p = Parsed {
            stamp,
            table: table.clone(),
        };
        files().insert(path.to_path_buf(), p);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(src: &SecretSource) -> String {
        src.read("eu-west-1", "test")
            .map(|s| s.expose().to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn a_rotated_secrets_file_is_read_again_and_an_unchanged_one_is_not_reparsed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("secrets.toml");
        let write = |text: &str| std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        write("\"eu-west-1\" = \"postgres://a@h/db\"\n");
        let src = SecretSource::File {
            path: path.clone(),
            key: "eu-west-1".into(),
        };
        assert_eq!(read(&src), "postgres://a@h/db");
        let first = parsed(&path, "eu-west-1", "test").unwrap_or_else(|e| panic!("{e}"));
        let again = parsed(&path, "eu-west-1", "test").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            Arc::ptr_eq(&first, &again),
            "an unchanged file is parsed once"
        );
        // Rotated in place (new length), then swapped in by rename (same length).
        write("\"eu-west-1\" = \"postgres://bb@h/db\"\n");
        assert_eq!(read(&src), "postgres://bb@h/db");
        let next = dir.path().join("next.toml");
        std::fs::write(&next, "\"eu-west-1\" = \"postgres://cc@h/db\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::rename(&next, &path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read(&src), "postgres://cc@h/db");
        write("not toml = = \"postgres://secret@h/db\"");
        let broken = read(&src);
        assert!(
            broken.contains("not valid TOML") && !broken.contains("secret@"),
            "{broken}"
        );
    }
}
