//! The executor against the real simulated world, and against traffic providers that
//! fail or lie, to see every outcome reach the audit log.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::*;
use crate::actions::{Action, AuditLog, AuditOutcome, FleetLock, Request, plan};
use crate::engine::poll;
use meridian_model::fleet::Fleet;
use meridian_model::fleet::settings::{SelfManaged, Settings, Writer};
use meridian_model::state::now_ms;
use meridian_providers::sim::SimOptions;
use meridian_providers::{
    Progress, ProviderError, ProviderOptions, ProviderResult, Providers, TrafficProvider,
    WeightsReading,
};

fn setup(dir: &Path) -> (Fleet, Executor) {
    let fleet = meridian_model::fleet::demo();
    let providers = Providers::build(
        &fleet,
        dir,
        &ProviderOptions {
            sim: SimOptions {
                speed: 0.0,
                seed: Some(1),
            },
            ..Default::default()
        },
    )
    .unwrap();
    let executor = Executor::new(
        fleet.clone(),
        providers,
        AuditLog::new(&dir.join("audit.jsonl")),
        FleetLock::new(&dir.join("fleet.lock")),
        false,
    );
    (fleet, executor)
}

async fn plan_now(executor: &Executor, req: &Request) -> Plan {
    let state = poll(&executor.fleet, &executor.providers, None).await;
    plan(req, &executor.fleet, &state, now_ms()).unwrap()
}

fn outcomes(executor: &Executor) -> Vec<AuditOutcome> {
    executor
        .audit
        .read()
        .unwrap()
        .0
        .iter()
        .map(|r| r.outcome)
        .collect()
}

/// Reads through to the simulator but changes nothing (a provider that lies) or fails.
struct Faulty {
    inner: Arc<dyn TrafficProvider>,
    fail: bool,
    audit: PathBuf,
}

#[async_trait]
impl TrafficProvider for Faulty {
    async fn read_weights(&self, fleet: &Fleet) -> ProviderResult<WeightsReading> {
        self.inner.read_weights(fleet).await
    }

    async fn apply_weights(
        &self,
        _fleet: &Fleet,
        _weights: &[(String, meridian_model::traffic::Weight)],
        _progress: &Progress,
    ) -> ProviderResult<()> {
        // The started record must already be on disk when the change is attempted.
        let log = AuditLog::new(&self.audit)
            .read()
            .map_err(|e| ProviderError::new(None, "test", e.to_string()))?;
        let last = log.0.last().map(|r| r.outcome);
        if last != Some(AuditOutcome::Started) {
            return Err(ProviderError::new(
                None,
                "test",
                format!("no started record before the change: {last:?}"),
            ));
        }
        if self.fail {
            Err(ProviderError::new(
                Some("eu-west-1"),
                "route53 ChangeResourceRecordSets",
                "Throttling: Rate exceeded",
            )
            .with_hint("retry later"))
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn a_verified_drain_records_started_then_succeeded() {
    let dir = tempfile::tempdir().unwrap();
    let (_, executor) = setup(dir.path());
    let req = Request::new(Action::Drain {
        region: "eu-west-1".into(),
    });
    let p = plan_now(&executor, &req).await;
    let done = executor.execute(&req, &p, &Progress::silent()).await;
    assert_eq!(done.outcome, AuditOutcome::Succeeded, "{:?}", done.detail);
    assert_eq!(
        outcomes(&executor),
        vec![AuditOutcome::Started, AuditOutcome::Succeeded]
    );
    assert_eq!(done.after.unwrap()["weights"]["eu-west-1"], 0);
    assert!(executor.lock.holder().is_none(), "the lock is released");
}

#[tokio::test]
async fn a_change_that_does_not_read_back_is_unverified() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut executor) = setup(dir.path());
    executor.providers.traffic = Arc::new(Faulty {
        inner: executor.providers.traffic.clone(),
        fail: false,
        audit: dir.path().join("audit.jsonl"),
    });
    let req = Request::new(Action::Drain {
        region: "eu-west-1".into(),
    });
    let p = plan_now(&executor, &req).await;
    let done = executor.execute(&req, &p, &Progress::silent()).await;
    assert_eq!(done.outcome, AuditOutcome::Unverified);
    assert!(
        done.detail
            .unwrap()
            .contains("eu-west-1 reads 30 (expected 0)")
    );
    assert_eq!(
        outcomes(&executor),
        vec![AuditOutcome::Started, AuditOutcome::Unverified]
    );
}

#[tokio::test]
async fn a_failed_change_leaves_the_audit_log_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut executor) = setup(dir.path());
    executor.providers.traffic = Arc::new(Faulty {
        inner: executor.providers.traffic.clone(),
        fail: true,
        audit: dir.path().join("audit.jsonl"),
    });
    let req = Request::new(Action::Drain {
        region: "eu-west-1".into(),
    });
    let p = plan_now(&executor, &req).await;
    let done = executor.execute(&req, &p, &Progress::silent()).await;
    assert_eq!(done.outcome, AuditOutcome::Failed);
    let records = executor.audit.read().unwrap().0;
    let last = records.last().unwrap();
    assert_eq!(last.outcome, AuditOutcome::Failed);
    assert_eq!(
        last.detail.as_deref(),
        Some(
            "eu-west-1: route53 ChangeResourceRecordSets: Throttling: Rate exceeded — retry later"
        )
    );
}

#[tokio::test]
async fn read_only_is_refused_by_the_executor_even_for_an_unblocked_plan() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut executor) = setup(dir.path());
    let req = Request::new(Action::Drain {
        region: "eu-west-1".into(),
    });
    let p = plan_now(&executor, &req).await;
    assert!(!p.is_blocked());
    executor.read_only = true;
    let done = executor.execute(&req, &p, &Progress::silent()).await;
    assert_eq!(done.outcome, AuditOutcome::Refused);
    assert_eq!(outcomes(&executor), vec![AuditOutcome::Refused]);
}

#[tokio::test]
async fn conditions_are_rechecked_before_executing() {
    let dir = tempfile::tempdir().unwrap();
    let (fleet, executor) = setup(dir.path());
    let req = Request::new(Action::Promote {
        region: "eu-west-1".into(),
    })
    .reason("INC-1");
    let p = plan_now(&executor, &req).await;
    assert!(!p.is_blocked(), "lag is within budget at plan time");
    // Replay pauses while the operator reads the plan.
    let sim = meridian_providers::sim::SimProvider::new(
        &fleet,
        dir.path(),
        SimOptions {
            speed: 0.0,
            seed: Some(1),
        },
    );
    sim.set_fault("eu-west-1", meridian_providers::sim::Fault::Lag)
        .unwrap();
    let done = executor.execute(&req, &p, &Progress::silent()).await;
    assert_eq!(done.outcome, AuditOutcome::Refused);
    assert!(
        done.detail
            .unwrap()
            .contains("conditions changed since the plan was made: replication-lag")
    );
}

#[tokio::test]
async fn a_held_lock_is_reported_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (_, executor) = setup(dir.path());
    let _held = executor.lock.acquire("promote").unwrap();
    let req = Request::new(Action::Drain {
        region: "eu-west-1".into(),
    });
    let p = plan_now(&executor, &req).await;
    let done = executor.execute(&req, &p, &Progress::silent()).await;
    assert_eq!(done.outcome, AuditOutcome::LockHeld);
    assert!(done.detail.unwrap().contains("promote"));
}

/// The simulator's Argo CD, but its first write is refused as a conflict (409). With
/// `meanwhile`, someone else first deploys the oldest revision, which changes the plan.
struct Conflicting {
    inner: Arc<dyn meridian_providers::GitOpsProvider>,
    tripped: std::sync::atomic::AtomicBool,
    meanwhile: bool,
}

#[async_trait]
impl meridian_providers::GitOpsProvider for Conflicting {
    async fn read_apps(
        &self,
        fleet: &Fleet,
        region: &str,
    ) -> ProviderResult<Vec<(String, meridian_model::state::AppState)>> {
        self.inner.read_apps(fleet, region).await
    }
    async fn rollback(
        &self,
        fleet: &Fleet,
        req: &meridian_providers::RollbackRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        if !self.tripped.swap(true, std::sync::atomic::Ordering::SeqCst) {
            if self.meanwhile {
                let apps = self.inner.read_apps(fleet, &req.region).await?;
                let oldest = apps
                    .iter()
                    .find(|(t, _)| *t == req.tenant)
                    .and_then(|(_, a)| a.history.first())
                    .map(|h| h.revision.clone());
                let other = meridian_providers::SyncRequest {
                    tenant: req.tenant.clone(),
                    region: req.region.clone(),
                    revision: oldest,
                    resource_version: None,
                    note: req.note.clone(),
                };
                self.inner.sync(fleet, &other, &Progress::silent()).await?;
            }
            return Err(
                ProviderError::new(Some(&req.region), "argocd roll back", "409 Conflict")
                    .with_kind(meridian_providers::ErrorKind::Conflict),
            );
        }
        self.inner.rollback(fleet, req, progress).await
    }
    async fn sync(
        &self,
        fleet: &Fleet,
        req: &meridian_providers::SyncRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        self.inner.sync(fleet, req, progress).await
    }
    async fn resume_auto_sync(
        &self,
        fleet: &Fleet,
        req: &meridian_providers::ResumeRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        self.inner.resume_auto_sync(fleet, req, progress).await
    }
}

async fn rollback_after_conflict(
    dir: &Path,
    meanwhile: bool,
) -> (Execution, Vec<String>, Executor) {
    let (_, mut executor) = setup(dir);
    executor.providers.gitops = Arc::new(Conflicting {
        inner: executor.providers.gitops.clone(),
        tripped: std::sync::atomic::AtomicBool::new(false),
        meanwhile,
    });
    let req = Request::new(Action::Rollback {
        tenant: "search-stg".into(),
        region: "eu-west-1".into(),
        to: None,
        via: None,
    });
    let p = plan_now(&executor, &req).await;
    let said = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = said.clone();
    let progress = Progress::new(move |m| sink.lock().unwrap().push(m.to_string()));
    let done = executor.execute(&req, &p, &progress).await;
    let lines = said.lock().unwrap().clone();
    (done, lines, executor)
}

#[tokio::test]
async fn a_conflict_is_re_read_and_re_planned_and_the_same_change_goes_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let (done, said, _) = rollback_after_conflict(dir.path(), false).await;
    assert_eq!(
        done.outcome,
        AuditOutcome::Succeeded,
        "{:?} {said:?}",
        done.detail
    );
    assert!(
        said.iter()
            .any(|l| l.contains("re-reading and re-planning")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|l| l.contains("the same change as confirmed")),
        "{said:?}"
    );
}

#[tokio::test]
async fn a_conflict_that_changes_the_plan_is_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let (done, said, executor) = rollback_after_conflict(dir.path(), true).await;
    assert_eq!(done.outcome, AuditOutcome::Failed, "{said:?}");
    let detail = done.detail.unwrap_or_default();
    assert!(
        detail.contains("the plan changed with it") && detail.contains("plan and confirm again"),
        "{detail}"
    );
    assert_eq!(
        outcomes(&executor),
        vec![AuditOutcome::Started, AuditOutcome::Failed]
    );
}

/// A fleet that names the phase pointing the application at the new writer runs it as the
/// promotion's last step, in the promoted region.
#[tokio::test]
async fn promote_runs_the_promote_phase_last() {
    let dir = tempfile::tempdir().unwrap();
    let (mut fleet, mut executor) = setup(dir.path());
    let phase = fleet.phases.last().map(|p| p.id.clone()).unwrap();
    if let Some(eu) = fleet.regions.iter_mut().find(|r| r.id == "eu-west-1") {
        eu.database.settings = Settings::SelfManaged(SelfManaged {
            writer: Writer {
                writer_config: None,
                promote_phase: Some(phase.clone()),
            },
            ..SelfManaged::default()
        });
    }
    executor.fleet = fleet;
    let req = Request::new(Action::Promote {
        region: "eu-west-1".into(),
    })
    .reason("drill");
    let p = plan_now(&executor, &req).await;
    let said = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = said.clone();
    let progress = Progress::new(move |m| sink.lock().unwrap().push(m.to_string()));
    let done = executor.execute(&req, &p, &progress).await;
    assert_eq!(done.outcome, AuditOutcome::Succeeded, "{:?}", done.detail);
    let said = said.lock().unwrap().join("\n");
    let step = format!("last step: phase {phase} in eu-west-1");
    let promoted = said.find("eu-west-1").unwrap_or(usize::MAX);
    assert!(said.find(&step).is_some_and(|i| i > promoted), "{said}");
}
