//! The audit log: append-only JSON Lines in the state directory. A `started` record is
//! written and flushed to disk before any change is made; refusals and declines are
//! recorded too.

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::state::{Millis, now_ms, rfc3339};

/// What happened to an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditOutcome {
    /// Written before the change; a `started` with no later record means it never finished.
    Started,
    Succeeded,
    /// Done, but reading back did not show the expected state.
    Unverified,
    Failed,
    /// Stopped by a guard or read-only mode.
    Refused,
    /// The operator said no.
    Declined,
    /// Someone else holds the fleet lock.
    LockHeld,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Started => "started",
            AuditOutcome::Succeeded => "succeeded",
            AuditOutcome::Unverified => "unverified",
            AuditOutcome::Failed => "failed",
            AuditOutcome::Refused => "refused",
            AuditOutcome::Declined => "declined",
            AuditOutcome::LockHeld => "lock-held",
        }
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Shared by the `started` record and its outcome.
    pub id: String,
    pub time: String,
    pub time_ms: Millis,
    /// `user@host`
    pub user: String,
    pub fleet: String,
    pub action: String,
    pub target: String,
    pub reason: Option<String>,
    pub overrides: Vec<String>,
    pub outcome: AuditOutcome,
    /// Why it failed or was refused.
    pub detail: Option<String>,
    /// The plan as shown to the operator.
    pub plan: serde_json::Value,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// The folder holding the evidence of a phase run (outputs, exit codes, `run.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// The audit log file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    pub path: PathBuf,
}

/// The audit log could not be written; the action must not go ahead.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the audit log {path}: {source}")]
pub struct AuditError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

impl AuditLog {
    pub fn new(path: &Path) -> AuditLog {
        AuditLog {
            path: path.to_path_buf(),
        }
    }

    /// Append one record and flush it to disk.
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let err = |source| AuditError {
            path: self.path.display().to_string(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(err)?;
        }
        let mut line = serde_json::to_string(record).map_err(|e| err(std::io::Error::other(e)))?;
        line.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(err)?;
        file.write_all(line.as_bytes()).map_err(err)?;
        file.sync_data().map_err(err)?;
        Ok(())
    }

    /// Every record, oldest first. Lines that do not parse are reported, not skipped silently.
    pub fn read(&self) -> Result<(Vec<AuditRecord>, Vec<String>), AuditError> {
        let err = |source| AuditError {
            path: self.path.display().to_string(),
            source,
        };
        let file = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(e) => return Err(err(e)),
        };
        let mut records = Vec::new();
        let mut problems = Vec::new();
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(err)?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(&line) {
                Ok(r) => records.push(r),
                Err(e) => problems.push(format!("{}:{}: {e}", self.path.display(), n + 1)),
            }
        }
        Ok((records, problems))
    }
}

/// `user@host` of whoever runs this process.
pub fn whoami() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(login_name)
        .unwrap_or_else(|| "unknown".into());
    format!("{user}@{}", hostname())
}

/// The login name of the process's user, from the password database.
fn login_name() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; we copy the name out
    // immediately and never hold the pointer.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr((*pw).pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// This machine's host name.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr() as *mut libc::c_char, buf.len()) };
    if rc != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// A record id unique enough for one fleet's log.
pub fn new_id() -> String {
    format!("{}-{}", now_ms(), std::process::id())
}

/// A fresh record for `now`.
pub fn record(
    id: &str,
    fleet: &str,
    plan: &super::Plan,
    outcome: AuditOutcome,
    detail: Option<String>,
) -> AuditRecord {
    let now = now_ms();
    AuditRecord {
        id: id.to_string(),
        time: rfc3339(now),
        time_ms: now,
        user: whoami(),
        fleet: fleet.to_string(),
        action: plan.name.to_string(),
        target: plan.target.clone(),
        reason: plan.reason.clone(),
        overrides: plan
            .checks
            .iter()
            .filter(|c| c.overridden)
            .map(|c| c.guard.name().to_string())
            .collect(),
        outcome,
        detail,
        plan: serde_json::to_value(plan).unwrap_or(serde_json::Value::Null),
        before: None,
        after: None,
        evidence: None,
    }
}
