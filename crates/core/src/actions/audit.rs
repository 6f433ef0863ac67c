//! The audit log: append-only JSON Lines in the state directory. A `started` record is
//! written and flushed to disk before any change is made; refusals and declines are
//! recorded too.

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use meridian_model::host::whoami;
use meridian_model::state::{Millis, now_ms, rfc3339};

/// What happened to an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
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
    /// Stopped part-way (a signal, the dashboard closing, a panic, or the process died and
    /// a later start noticed); the detail says what state the change may be in.
    Interrupted,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        self.into()
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
    /// The process that wrote the record, so a later start can tell a `started` whose
    /// process died from one still running. Absent in records of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The folder holding the evidence of a phase run (outputs, exit codes, `run.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The rollout (and its step) this action was part of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<super::action::RolloutRef>,
    /// The second person's approval this run went ahead on (two-person policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<serde_json::Value>,
    /// How long the fleet took to be healthy again, against the RTO (drain, promote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<serde_json::Value>,
    /// Who acted, as the fleet's backend authenticated them (`kube:ana (on ana@laptop)`),
    /// or the OS user marked `(unverified)`. Absent in records of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Written by a practice run (a simulated copy of the fleet): nothing real changed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub practice: bool,
}

/// A line of the audit log that is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// What is wrong and, when it can be read, whose record it was.
    pub problem: String,
}

impl std::fmt::Display for DamagedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

/// The audit log file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    pub path: PathBuf,
    /// Where the identity written into each record comes from (the fleet's), if known.
    who: Option<std::sync::Arc<Who>>,
    /// Records are marked as a practice run's.
    practice: bool,
}

/// The fleet's identity source and the principals its policy calls shared.
#[derive(Debug)]
struct Who {
    source: super::approvals::Source,
    shared: Vec<String>,
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
            who: None,
            practice: false,
        }
    }

    /// Each record this log writes carries the identity of whoever runs this process on
    /// `fleet` (verified where the fleet can say, else the OS user marked unverified).
    pub fn with_identity(mut self, fleet: &meridian_model::fleet::Fleet) -> AuditLog {
        self.who = Some(std::sync::Arc::new(Who {
            source: super::approvals::Source::of(fleet),
            shared: fleet.policy.identity.shared_principals.clone(),
        }));
        self
    }

    /// Every record this log writes is marked as a practice run's.
    pub fn practice(mut self, practice: bool) -> AuditLog {
        self.practice = practice;
        self
    }

    /// Append one record and flush it to disk. It always starts on a line of its own: after
    /// a torn last line (power lost mid-write) a newline goes first, so the torn line stays
    /// one damaged line and never swallows this record.
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let err = |source| AuditError {
            path: self.path.display().to_string(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(err)?;
        }
        let mut record = record.clone();
        if record.identity.is_none()
            && let Some(w) = &self.who
        {
            record.identity = Some(w.source.resolve_with(&w.shared).text());
        }
        record.practice |= self.practice;
        let mut line = serde_json::to_string(&record).map_err(|e| err(std::io::Error::other(e)))?;
        line.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&self.path)
            .map_err(err)?;
        if ends_mid_line(&file).map_err(err)? {
            line.insert(0, '\n');
        }
        file.write_all(line.as_bytes()).map_err(err)?;
        file.sync_data().map_err(err)?;
        Ok(())
    }

    /// Every record, oldest first, and every line that is not one (reported, never skipped
    /// silently).
    pub fn read(&self) -> Result<(Vec<AuditRecord>, Vec<DamagedLine>), AuditError> {
        self.read_from(0)
    }

    /// The records in roughly the last `bytes` of the log (the recent past, cheaply).
    pub fn read_tail(&self, bytes: u64) -> Result<Vec<AuditRecord>, AuditError> {
        let len = fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        Ok(self.read_from(len.saturating_sub(bytes))?.0)
    }

    fn read_from(&self, offset: u64) -> Result<(Vec<AuditRecord>, Vec<DamagedLine>), AuditError> {
        let err = |source| AuditError {
            path: self.path.display().to_string(),
            source,
        };
        let mut file = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(e) => return Err(err(e)),
        };
        file.seek(SeekFrom::Start(offset)).map_err(err)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(err)?;
        // Starting mid-file, the first line is probably partial: skip it.
        let skip = if offset > 0 {
            bytes
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len(), |i| i + 1)
        } else {
            0
        };
        let text = String::from_utf8_lossy(&bytes[skip..]);
        let mut records = Vec::new();
        let mut damaged = Vec::new();
        let lines: Vec<&str> = text.split('\n').collect();
        for (n, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(line) {
                Ok(r) => records.push(r),
                Err(e) => damaged.push(DamagedLine {
                    line: n + 1,
                    problem: damage(line, &e, n + 1 == lines.len()),
                }),
            }
        }
        Ok((records, damaged))
    }
}

/// Does the file's last byte leave a line unfinished?
fn ends_mid_line(file: &fs::File) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] != b'\n')
}

/// What is wrong with a line that is not a record, naming whose record it was when the
/// start of it can be read.
fn damage(line: &str, e: &serde_json::Error, last: bool) -> String {
    let field = |name: &str| {
        let key = format!("\"{name}\":\"");
        let start = line.find(&key)? + key.len();
        let len = line[start..].find('"')?;
        Some(line[start..start + len].to_string())
    };
    let whose = match (field("action"), field("target"), field("time")) {
        (Some(a), Some(t), Some(at)) => format!(": the {a} {t} record of {at}"),
        (Some(a), _, Some(at)) => format!(": a {a} record of {at}"),
        _ => String::new(),
    };
    if e.is_eof() {
        let place = if last { "the last line" } else { "a line" };
        format!("{place} is torn (cut off mid-write, e.g. by a power loss){whose}")
    } else {
        format!("not an audit record ({e}){whose}")
    }
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
    let mut r = event(id, fleet, plan.name, &plan.target, outcome, detail);
    r.reason = plan.reason.clone();
    r.overrides = plan
        .checks
        .iter()
        .filter(|c| c.overridden)
        .map(|c| c.guard.name().to_string())
        .collect();
    r.plan = serde_json::to_value(plan).unwrap_or(serde_json::Value::Null);
    r.rollout = plan.rollout.clone();
    r
}

/// A record of something that is not a planned action (taking over a stale lock).
pub fn event(
    id: &str,
    fleet: &str,
    action: &str,
    target: &str,
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
        action: action.to_string(),
        target: target.to_string(),
        reason: None,
        overrides: Vec::new(),
        outcome,
        detail,
        plan: serde_json::Value::Null,
        before: None,
        after: None,
        pid: Some(std::process::id()),
        evidence: None,
        rollout: None,
        approval: None,
        recovery: None,
        identity: None,
        practice: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str) -> AuditRecord {
        event(
            id,
            "demo",
            "drain",
            "eu-west-1",
            AuditOutcome::Started,
            None,
        )
    }

    #[test]
    fn a_torn_last_line_is_reported_and_never_swallows_the_next_record() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(&dir.path().join("audit.jsonl"));
        log.append(&rec("1")).unwrap();
        let whole = serde_json::to_string(&rec("2")).unwrap();
        // Power lost part-way through the second record, at every possible byte.
        for cut in [1, 10, whole.len() / 2, whole.len() - 1] {
            let mut text = std::fs::read_to_string(&log.path).unwrap();
            text.truncate(text.find('\n').unwrap() + 1);
            text.push_str(&whole[..cut]);
            std::fs::write(&log.path, &text).unwrap();
            let (records, damaged) = log.read().unwrap();
            assert_eq!(records.len(), 1);
            assert_eq!(damaged.len(), 1, "cut {cut}");
            assert_eq!(damaged[0].line, 2);
            assert!(damaged[0].problem.contains("torn"), "{}", damaged[0]);
            log.append(&rec("3")).unwrap();
            let (records, damaged) = log.read().unwrap();
            let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(ids, ["1", "3"], "cut {cut}");
            assert_eq!(damaged.len(), 1);
        }
        let (_, damaged) = log.read().unwrap();
        assert!(
            damaged[0].problem.contains("the drain eu-west-1 record of"),
            "{}",
            damaged[0]
        );
    }

    #[test]
    fn the_tail_skips_a_partial_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(&dir.path().join("audit.jsonl"));
        for i in 0..20 {
            log.append(&rec(&i.to_string())).unwrap();
        }
        let one = serde_json::to_string(&rec("x")).unwrap().len() as u64;
        let tail = log.read_tail(one * 3 + one / 2).unwrap();
        let ids: Vec<&str> = tail.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["17", "18", "19"]);
    }
}
