//! After a process died mid-action (kill -9, power loss), its `started` record has no
//! outcome. The next start finds such records whose process is gone and appends an honest
//! `interrupted` record for each: which process, that it died, what state the change may
//! be in.

use std::collections::HashMap;
use std::fs::OpenOptions;

use super::interrupt::may_be;
use crate::actions::audit::{AuditError, AuditLog, AuditOutcome, AuditRecord};
use meridian_model::host::hostname;
use meridian_providers::lock::FleetLock;

/// How far back to look: orphans are recent (every start settles them), and reading only
/// the end keeps `status` quick on a long log.
const TAIL_BYTES: u64 = 1 << 20;

/// Append an `interrupted` record for every action whose process died before recording an
/// outcome. Returns the records written.
pub fn settle_orphans(log: &AuditLog, lock: &FleetLock) -> Result<Vec<AuditRecord>, AuditError> {
    if first_pass(log, lock)?.is_empty() {
        return Ok(Vec::new());
    }
    // Two starts settling at once must not both write: decide again under a file lock.
    let err = |source| AuditError {
        path: log.path.display().to_string(),
        source,
    };
    let guard = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(log.path.with_extension("jsonl.settle"))
        .map_err(err)?;
    guard.lock().map_err(err)?;
    let mut written = Vec::new();
    for started in first_pass(log, lock)? {
        let r = interrupted(&started);
        log.append(&r)?;
        written.push(r);
    }
    drop(guard);
    Ok(written)
}

/// `started` records with no outcome whose process is gone. A process that is dead writes
/// nothing more. A live one with the pid is still running the action only if it holds the
/// lock; that is checked after reading the log, and the log is read again after it: an
/// action holds the lock from before its `started` record until after its outcome, so one
/// that finished in between shows its outcome in the second reading.
fn first_pass(log: &AuditLog, lock: &FleetLock) -> Result<Vec<AuditRecord>, AuditError> {
    let records = log.read_tail(TAIL_BYTES)?;
    let open = unfinished(&records);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let holder = lock.holder();
    let here = hostname();
    let candidates: Vec<&AuditRecord> = open
        .into_iter()
        .filter(|r| {
            let Some(pid) = pid_of(r) else { return false };
            let host = r.user.rsplit_once('@').map(|(_, h)| h).unwrap_or("");
            // Another host's process cannot be checked from here. With the lock in a Lease
            // the lock file says nothing about who acts: a live process may be mid-action.
            host == here
                && !holder
                    .as_ref()
                    .is_some_and(|h| h.pid == pid && h.host == here)
                && !(lock.remote.is_some() && meridian_model::host::process_alive(pid))
        })
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let again = log.read_tail(TAIL_BYTES)?;
    let still_open = unfinished(&again);
    let mut orphans: Vec<AuditRecord> = candidates
        .into_iter()
        .filter(|r| still_open.iter().any(|o| o.id == r.id))
        .cloned()
        .collect();
    orphans.sort_by_key(|r| r.time_ms);
    Ok(orphans)
}

/// `started` records with no later record of the same id.
fn unfinished(records: &[AuditRecord]) -> Vec<&AuditRecord> {
    let mut open: HashMap<&str, &AuditRecord> = HashMap::new();
    for r in records {
        match r.outcome {
            AuditOutcome::Started => {
                open.insert(&r.id, r);
            }
            _ => {
                open.remove(r.id.as_str());
            }
        }
    }
    open.into_values().collect()
}

/// The writer's pid: recorded, or (older records) the suffix of the id.
fn pid_of(r: &AuditRecord) -> Option<u32> {
    r.pid
        .or_else(|| r.id.rsplit_once('-').and_then(|(_, p)| p.parse().ok()))
}

/// The honest ending of an orphaned `started` record.
fn interrupted(started: &AuditRecord) -> AuditRecord {
    let who = match pid_of(started) {
        Some(pid) => format!("process {pid} ({})", started.user),
        None => started.user.clone(),
    };
    let mut r = crate::actions::audit::event(
        &started.id,
        &started.fleet,
        &started.action,
        &started.target,
        AuditOutcome::Interrupted,
        Some(format!(
            "{who} died mid-action without recording an outcome (killed, or the machine \
             lost power); noticed at the next start; {}",
            may_be(&started.action)
        )),
    );
    r.reason = started.reason.clone();
    r.overrides = started.overrides.clone();
    r.plan = started.plan.clone();
    r.before = started.before.clone();
    r
}
