//! A phase step's artifact, checked by the same code as a rollout's command gate
//! (`approvals::artifact`): a step declaring `artifact` has the file it wrote kept as
//! evidence with its sha256 and a second person asked to approve that hash; a later step
//! `uses = NAME` runs only on the approved, unchanged, unexpired bytes, and its approval is
//! spent once it exits 0. Every write, apply and refusal is in the audit log. The phase
//! runner (a provider) calls this through [`ArtifactCheck`], which each run carries.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::Executor;
use crate::actions::approvals::artifact::{self, ArtifactRecord, Produced, phase_scope};
use crate::actions::approvals::{self, Approval, short};
use crate::actions::audit::{AuditLog, AuditOutcome, event, new_id};
use crate::actions::rollout::rollout_now;
use meridian_model::fleet::Fleet;
use meridian_model::fleet::rollout::ArtifactSpec;
use meridian_providers::step_artifacts::{ArtifactCheck, Artifacts, StepAt};
use meridian_providers::store::SharedStore;

/// The check one phase run carries.
struct PhaseArtifacts {
    store: Arc<dyn SharedStore>,
    fleet: Fleet,
    audit: AuditLog,
    me: String,
    evidence: PathBuf,
    /// The artifact a step is applying, between its check and its exit.
    applying: Mutex<Option<(ArtifactRecord, Approval)>>,
}

impl Executor {
    /// The artifact check for a phase run in this fleet.
    pub(super) fn phase_artifacts(&self) -> Artifacts {
        Artifacts(Some(Arc::new(PhaseArtifacts {
            store: self.shared_store(),
            fleet: self.fleet.clone(),
            audit: self.audit.clone(),
            me: approvals::identity(&self.fleet),
            evidence: self.state_dir().join("evidence"),
            applying: Mutex::new(None),
        })))
    }
}

impl PhaseArtifacts {
    fn audit(&self, action: &str, target: &str, outcome: AuditOutcome, detail: &str) {
        let rec = event(
            &new_id(),
            &self.fleet.name,
            action,
            target,
            outcome,
            Some(detail.to_string()),
        );
        if let Err(e) = self.audit.append(&rec) {
            log::warn!("{action} {target} was not audited: {e}");
        }
    }

    fn production(&self, region: &str) -> bool {
        self.fleet
            .tenants_in(region)
            .any(|t| self.fleet.is_production(&t.environment))
    }
}

fn unnamed(at: &StepAt, name: &str) -> String {
    format!(
        "{name} (phase {} step {} in {})",
        at.phase,
        at.index + 1,
        at.region
    )
}

/// Keep a step's output beside the artifact; a failure is logged (the audit has the outcome).
fn keep(rec: &ArtifactRecord, file: &str, output: &Path) {
    let to = Path::new(&rec.evidence).join(file);
    if let Err(e) = std::fs::copy(output, &to) {
        log::warn!(
            "{} could not be kept as {}: {e}",
            output.display(),
            to.display()
        );
    }
}

impl ArtifactCheck for PhaseArtifacts {
    fn before_apply(&self, at: &StepAt, name: &str) -> Result<String, String> {
        let scope = phase_scope(at.region);
        match artifact::check_apply(&*self.store, &scope, name, &self.me, rollout_now()) {
            Ok((rec, a)) => {
                let said = format!(
                    "artifact {name} {} is unchanged and approved by {} (written by {}); applying it",
                    short(&rec.sha256),
                    a.approver,
                    rec.produced_by
                );
                if let Ok(mut slot) = self.applying.lock() {
                    *slot = Some((rec, a));
                }
                Ok(said)
            }
            Err(refusal) => {
                let why = refusal.to_string();
                self.audit(
                    "artifact-apply",
                    &unnamed(at, name),
                    AuditOutcome::Refused,
                    &why,
                );
                Err(why)
            }
        }
    }

    fn applied(&self, at: &StepAt, name: &str, output: &Path) -> Result<String, String> {
        let taken = self.applying.lock().ok().and_then(|mut s| s.take());
        let Some((rec, a)) = taken else {
            return Err(format!(
                "the approval of artifact {name} it applied was not checked first"
            ));
        };
        keep(&rec, "apply.log", output);
        if let Err(e) = artifact::spend(&*self.store, &rec.sha256) {
            log::warn!("the approval of artifact {} was not spent: {e}", rec.name);
        }
        let said = format!(
            "applied artifact {} sha256 {} approved by {} (written by {}) in phase {} step {}",
            rec.name,
            rec.sha256,
            a.approver,
            rec.produced_by,
            at.phase,
            at.index + 1
        );
        self.audit(
            "artifact-apply",
            &rec.target(),
            AuditOutcome::Succeeded,
            &said,
        );
        Ok(said)
    }

    fn written(&self, at: &StepAt, spec: &ArtifactSpec, output: &Path) -> Result<String, String> {
        let scope = phase_scope(at.region);
        let produced = Produced {
            rollout: &scope,
            phase: Some(at.phase),
            step: at.index,
            command: at.command,
            by: &self.me,
            now: rollout_now(),
        };
        let kept = artifact::keep(
            &*self.store,
            &self.fleet,
            &self.evidence,
            spec,
            &produced,
            self.production(at.region),
        );
        match kept {
            Ok(rec) => {
                keep(&rec, "plan.log", output);
                let said = artifact::kept_said(&rec);
                self.audit("artifact", &rec.target(), AuditOutcome::Succeeded, &said);
                Ok(said)
            }
            Err(why) => {
                self.audit(
                    "artifact",
                    &unnamed(at, &spec.name),
                    AuditOutcome::Failed,
                    &why,
                );
                Err(why)
            }
        }
    }
}
