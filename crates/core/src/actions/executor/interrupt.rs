//! Actions that stop part-way. A front end asks an action to stop (a signal, the dashboard
//! closing) through `Stop`; the executor then reads the state back and records
//! `interrupted`. If the action is dropped without asking (a panic, the runtime shutting
//! down), `InFlight` records it on the way out, so no `started` record is left without an
//! outcome by a process that is still alive to write one.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use super::recheck::Run;
use super::{Execution, Executor, snapshot, to_verify, verify};
use crate::actions::audit::{AuditLog, AuditOutcome, event, new_id, record};
use crate::actions::plan::Plan;
use crate::engine::poll_subjects;
use meridian_providers::lock::{LockError, LockGuard};

/// Asks a running action to stop; clones share one request.
#[derive(Debug, Clone)]
pub struct StopHandle(std::sync::Arc<watch::Sender<Option<String>>>);

/// The receiving side: an executor watches it while it changes things.
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<Option<String>>);

/// A linked handle and stop.
pub fn stop_pair() -> (StopHandle, Stop) {
    let (tx, rx) = watch::channel(None);
    (StopHandle(std::sync::Arc::new(tx)), Stop(rx))
}

impl StopHandle {
    /// Ask every action watching this to stop, saying why (e.g. "SIGTERM").
    pub fn stop(&self, why: impl Into<String>) {
        let why = why.into();
        self.0.send_if_modified(|cur| {
            let first = cur.is_none();
            if first {
                *cur = Some(why);
            }
            first
        });
    }
}

impl Stop {
    /// A stop that never comes (for callers with nothing to stop them).
    pub fn never() -> Stop {
        stop_pair().1
    }

    /// This stop, or one when `timeout` has passed (a rollout step's `timeout`), saying
    /// what the action was doing then: the progress returned remembers its last line.
    pub fn or_after(
        self,
        timeout: Duration,
        progress: meridian_providers::Progress,
    ) -> (Stop, meridian_providers::Progress) {
        let last = std::sync::Arc::new(Mutex::new(String::new()));
        let seen = last.clone();
        let forward = progress.clone();
        let remembering = meridian_providers::Progress::new(move |line: &str| {
            if let Ok(mut l) = seen.lock() {
                *l = line.to_string();
            }
            forward.relay(line);
        });
        let (handle, stop) = stop_pair();
        let mut outer = self;
        tokio::spawn(async move {
            let why = tokio::select! {
                why = outer.requested() => why,
                _ = tokio::time::sleep(timeout) => {
                    let doing = last.lock().map(|l| l.clone()).unwrap_or_default();
                    format!(
                        "the step's timeout of {} passed{}",
                        meridian_model::fleet::rollout::span(timeout),
                        if doing.is_empty() { String::new() } else { format!(" while it was waiting for: {doing}") }
                    )
                }
            };
            handle.stop(why);
        });
        (stop, remembering)
    }

    /// Wait until a stop is asked for; returns why. Never returns for `Stop::never()`.
    pub async fn requested(&mut self) -> String {
        loop {
            if let Some(why) = self.0.borrow_and_update().clone() {
                return why;
            }
            if self.0.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The `started` record of the action running now, if it has been written.
#[derive(Debug, Clone)]
pub struct Started {
    pub id: String,
    pub before: Value,
}

/// One action between its `started` record and its outcome. Dropped while still open (a
/// panic unwinding, a runtime shutting down), it records `interrupted` itself.
pub struct InFlight<'a> {
    audit: &'a AuditLog,
    fleet: &'a str,
    plan: &'a Plan,
    state: Mutex<(Option<Started>, bool)>,
}

impl<'a> InFlight<'a> {
    pub fn new(audit: &'a AuditLog, fleet: &'a str, plan: &'a Plan) -> InFlight<'a> {
        InFlight {
            audit,
            fleet,
            plan,
            state: Mutex::new((None, false)),
        }
    }

    /// The `started` record has been written.
    pub fn started(&self, id: &str, before: &Value) {
        if let Ok(mut s) = self.state.lock() {
            s.0 = Some(Started {
                id: id.to_string(),
                before: before.clone(),
            });
        }
    }

    /// The outcome has been written (or the action never started): nothing left to record.
    pub fn close(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.1 = true;
        }
    }

    /// The open `started` record, if there is one.
    pub fn open(&self) -> Option<Started> {
        let s = self.state.lock().ok()?;
        if s.1 { None } else { s.0.clone() }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let Some(started) = self.open() else { return };
        let how = if std::thread::panicking() {
            "a panic (a bug in meridian) stopped it part-way"
        } else {
            "meridian was stopped part-way (the dashboard closed or the program shut down)"
        };
        let detail = format!("{how}; {}", may_be(self.plan.name));
        let mut r = record(
            &started.id,
            self.fleet,
            self.plan,
            AuditOutcome::Interrupted,
            Some(detail),
        );
        r.before = Some(started.before);
        // Nothing more can be done if this fails: the `started` record stays, and the next
        // start settles it.
        let _ = self.audit.append(&r);
    }
}

/// What state a change may be in after the action named `action` stopped part-way, and
/// how to find out.
pub fn may_be(action: &str) -> &'static str {
    match action {
        "drain" | "restore" | "set-weights" => {
            "the weight change may or may not have been applied (the backend applies it whole \
             or not at all, and may still be applying it); `meridian status` shows the weights now"
        }
        "promote" => {
            "the promotion may be part-way: check which region is primary with `meridian status` \
             before acting again"
        }
        "rejoin" => {
            "the region may be stopped, rewound or starting as a replica: check it with \
             `meridian status` and its server log before acting again"
        }
        "rollback" => {
            "the app may be at either revision, and auto-sync may have been left paused; \
             `meridian status` shows the revision now"
        }
        "run-phase" => "the phase may have stopped between steps; `meridian status` shows it now",
        _ => "it may have changed part of the fleet; `meridian status` shows the fleet now",
    }
}

/// How long an interrupted action waits to read the state back before saying it could not.
const READ_BACK_LIMIT: Duration = Duration::from_secs(5);

impl Executor {
    /// The action was asked to stop: record `interrupted` with what reading back shows.
    pub(super) async fn interrupted(&self, run: &Run<'_>, why: &str) -> Execution {
        let (plan, journal, progress) = (run.plan, run.journal, run.progress);
        // What was confirmed; the re-check under the lock plans the same change.
        let Some(operation) = plan.operation.as_ref() else {
            return self.finish_without_running(
                plan,
                AuditOutcome::Interrupted,
                Some(format!("stopped by {why} before anything was changed")),
            );
        };
        let Some(started) = journal.open() else {
            return self.finish_without_running(
                plan,
                AuditOutcome::Interrupted,
                Some(format!("stopped by {why} before anything was changed")),
            );
        };
        progress.say(&format!("stopping ({why}): reading the state back"));
        let subjects = to_verify(&self.fleet, operation);
        let read = tokio::time::timeout(
            READ_BACK_LIMIT,
            poll_subjects(&self.fleet, &self.providers, &subjects, None),
        );
        let (after, found) = match read.await {
            Ok(state) => {
                let found = match verify(operation, &state) {
                    Ok(()) => "reading back shows the change in place".to_string(),
                    Err(e) => format!(
                        "reading back: {e}; it may still be applied by the backend: `meridian status` shows it"
                    ),
                };
                (Some(snapshot(operation, &state)), found)
            }
            Err(_) => (
                None,
                format!(
                    "the state could not be read back within {} s; {}",
                    READ_BACK_LIMIT.as_secs(),
                    may_be(plan.name)
                ),
            ),
        };
        let detail = format!("stopped by {why} part-way; {found}");
        let mut r = record(
            &started.id,
            &self.fleet.name,
            plan,
            AuditOutcome::Interrupted,
            Some(detail.clone()),
        );
        r.before = Some(started.before.clone());
        r.after = after.clone();
        let detail = match self.audit.append(&r) {
            Ok(()) => detail,
            Err(e) => format!("{detail}; and {e}"),
        };
        journal.close();
        progress.say(&format!("interrupted: {detail}"));
        Execution {
            audit_id: started.id,
            outcome: AuditOutcome::Interrupted,
            detail: Some(detail),
            before: Some(started.before),
            after,
            recovery: None,
        }
    }

    /// Take the fleet lock for `what` (an action, or `demo reset`): a stale lock taken over
    /// is audited, and the actions of processes that died are settled (nobody else can be
    /// mid-action now).
    pub fn take_lock(&self, what: &str) -> Result<LockGuard, LockError> {
        let guard = self.lock.acquire(what)?;
        self.after_acquiring(guard.took_over.as_ref());
        Ok(guard)
    }

    /// `take_lock` from whichever backend keeps the lock (the file, or a Lease).
    pub async fn take_held(&self, what: &str) -> Result<meridian_providers::lock::Held, LockError> {
        let held = self.lock.take(what).await?;
        self.after_acquiring(held.took_over().as_ref());
        Ok(held)
    }

    fn after_acquiring(&self, took_over: Option<&meridian_providers::lock::Takeover>) {
        if let Some(t) = took_over {
            let mut r = event(
                &new_id(),
                &self.fleet.name,
                "lock-takeover",
                &self.fleet.name,
                AuditOutcome::Succeeded,
                Some(format!("took over a stale fleet lock: {}", t.why)),
            );
            r.before = t.holder.as_ref().and_then(|h| serde_json::to_value(h).ok());
            if let Err(e) = self.audit.append(&r) {
                log::warn!("{e}");
            }
        }
        if let Err(e) = super::orphans::settle_orphans(&self.audit, &self.lock) {
            log::warn!("{e}");
        }
    }
}

/// Tests of the terminal and the audit log force a panic mid-action with
/// `MERIDIAN_TEST_PANIC=action` (debug builds only).
#[cfg(debug_assertions)]
pub fn forced_panic(place: &str) {
    if std::env::var("MERIDIAN_TEST_PANIC").is_ok_and(|v| v == place) {
        panic!("MERIDIAN_TEST_PANIC={place}: a panic forced by a test");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_reaches_every_clone_once_and_never_never_comes() {
        let (handle, stop) = stop_pair();
        let (mut a, mut b) = (stop.clone(), stop);
        handle.stop("SIGTERM");
        handle.stop("SIGINT");
        assert_eq!(a.requested().await, "SIGTERM");
        assert_eq!(b.requested().await, "SIGTERM");
        let mut never = Stop::never();
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(20), never.requested()).await;
        assert!(waited.is_err());
    }
}
