//! A rollout's command gates that write or apply an artifact, and approving an artifact,
//! through the one door: refused in read-only mode, the artifact kept as evidence with its
//! sha256, and every write, approval, apply and refusal in the audit log. Both front ends
//! run a command gate through [`Executor::command_gate`], so an apply step cannot skip the
//! check from either.

use super::{Execution, Executor};
use crate::actions::approvals::artifact::{self, ArtifactRecord, Produced};
use crate::actions::approvals::{self, Approved, Refusal, short};
use crate::actions::audit::AuditOutcome;
use crate::actions::rollout::{
    GateVerdict, Rollout, command_gate_output, in_practice, practice_verdict, rollout_now,
};
use meridian_model::fleet::rollout::GateSpec;

impl Executor {
    /// Run the command gate at step `index` of `r`: with `uses`, only after checking the
    /// artifact is byte for byte the approved one (the approval is spent when the command
    /// exits 0); with `artifact`, the file it wrote is kept as evidence and a second
    /// person is asked to approve its hash. Err: refused, nothing was run (audited).
    pub async fn command_gate(
        &self,
        r: &Rollout,
        index: usize,
        gate: &GateSpec,
    ) -> Result<GateVerdict, String> {
        let GateSpec::Command {
            run,
            artifact,
            uses,
        } = gate
        else {
            return Err(format!("step {} is not a command gate", index + 1));
        };
        if (artifact.is_some() || uses.is_some()) && self.read_only {
            return Err(
                "read-only mode: a gate that writes or applies an artifact is run by whoever moves the rollout"
                    .into(),
            );
        }
        let store = self.shared_store();
        let me = approvals::identity(&self.fleet);
        // A command gate runs a real process (a Terraform plan or apply): only the driver
        // runs it, and not while the rollout is paused. Checked before running, not when
        // recording the verdict, or a partner's Enter would run it and then be refused.
        if let Some(p) = &r.paused {
            return Err(format!(
                "rollout {} is paused by {} ({}): no step runs until it resumes",
                r.id, p.by, p.reason
            ));
        }
        r.may_drive(&me).map_err(|e| e.to_string())?;
        let applying = match uses {
            Some(name) => match artifact::check_apply(&*store, &r.id, name, &me, rollout_now()) {
                Ok((rec, a)) => Some((rec, a)),
                Err(refusal) => {
                    let e = self.artifact_event(
                        "artifact-apply",
                        &format!("{name} (rollout {} step {})", r.id, index + 1),
                        AuditOutcome::Refused,
                        refusal.to_string(),
                    );
                    return Err(e.detail.unwrap_or_else(|| refusal.to_string()));
                }
            },
            None => None,
        };
        // A practice runs no command: the gate passes as not run (an exception of the
        // rollout's outcome), and an artifact-writing gate writes a practice artifact so
        // the second person's approval can still be rehearsed.
        let practice = in_practice(&self.fleet, r.practice);
        let (verdict, output) = match practice.then(|| practice_verdict(gate)).flatten() {
            Some(v) => (v, format!("PRACTICE: `{}` was not run\n", run.display())),
            None => command_gate_output(run).await,
        };
        let GateVerdict::Met { reason } = verdict else {
            if let Some((rec, _)) = &applying {
                keep_output(rec, "apply-failed.log", &output);
            }
            return Ok(verdict);
        };
        let mut reason = reason;
        if let Some((rec, a)) = applying {
            // The apply's output is evidence beside the plan it applied.
            keep_output(&rec, "apply.log", &output);
            if let Err(e) = artifact::spend(&*store, &rec.sha256) {
                log::warn!("the approval of artifact {} was not spent: {e}", rec.name);
            }
            let said = format!(
                "{} artifact {} sha256 {} approved by {} (written by {})",
                if practice {
                    "PRACTICE: not applied"
                } else {
                    "applied"
                },
                rec.name,
                rec.sha256,
                a.approver,
                rec.produced_by
            );
            self.artifact_event(
                "artifact-apply",
                &self.artifact_target(&rec),
                AuditOutcome::Succeeded,
                said.clone(),
            );
            reason = format!("{reason}; {said}");
        }
        if let Some(spec) = artifact {
            let command = run.display();
            let practice_spec;
            let spec = match practice {
                true => match super::practice_gates::practice_artifact(
                    &self.state_dir(),
                    r,
                    index,
                    spec,
                    &command,
                ) {
                    Ok(s) => {
                        practice_spec = s;
                        &practice_spec
                    }
                    Err(why) => return Ok(GateVerdict::Failed { reason: why }),
                },
                false => spec,
            };
            let produced = Produced {
                rollout: &r.id,
                phase: None,
                step: index,
                command: &command,
                by: &me,
                now: rollout_now(),
            };
            let kept = artifact::keep(
                &*store,
                &self.fleet,
                &self.state_dir().join("evidence"),
                spec,
                &produced,
                super::rollout::rollout_production(&self.fleet, r),
            );
            match kept {
                Ok(rec) => {
                    keep_output(&rec, "plan.log", &output);
                    let said = artifact::kept_said(&rec);
                    self.artifact_event(
                        "artifact",
                        &self.artifact_target(&rec),
                        AuditOutcome::Succeeded,
                        said.clone(),
                    );
                    reason = format!("{reason}; {said}");
                }
                Err(why) => {
                    self.artifact_event(
                        "artifact",
                        &format!("{} (rollout {} step {})", spec.name, r.id, index + 1),
                        AuditOutcome::Failed,
                        why.clone(),
                    );
                    return Ok(GateVerdict::Failed { reason: why });
                }
            }
        }
        Ok(GateVerdict::Met { reason })
    }

    /// The approval gate of an artifact: met once a second person approved the hash of
    /// the artifact the rollout wrote last under `name`, and not expired.
    pub fn artifact_gate(&self, r: &Rollout, name: &str) -> GateVerdict {
        let store = self.shared_store();
        match artifact::approved(&*store, &r.id, name, rollout_now()) {
            Ok((rec, a)) => GateVerdict::Met {
                reason: format!(
                    "artifact {name} {} approved by {} (written by {})",
                    short(&rec.sha256),
                    a.approver,
                    rec.produced_by
                ),
            },
            Err(why) => GateVerdict::Waiting {
                waiting_for: why.to_string(),
                remaining_secs: None,
            },
        }
    }

    /// A second person approves an artifact's hash (given in full or its first 6 or more
    /// hex digits). Read-only refused; audited either way, as a plan's approval is.
    pub fn approve_artifact(
        &self,
        given: &str,
        reason: Option<String>,
    ) -> Result<Approved, Refusal> {
        let req = artifact::find_artifact(&*self.shared_store(), given)?;
        Ok(self.approve_plan(&req, reason))
    }

    fn artifact_target(&self, rec: &ArtifactRecord) -> String {
        rec.target()
    }

    fn artifact_event(
        &self,
        action: &str,
        target: &str,
        outcome: AuditOutcome,
        detail: String,
    ) -> Execution {
        self.record_event(action, target, None, outcome, detail)
    }
}

/// Write a command's output into the artifact's evidence folder; a failure is logged, not
/// fatal (the audit log has the outcome).
fn keep_output(rec: &ArtifactRecord, file: &str, output: &str) {
    let path = std::path::Path::new(&rec.evidence).join(file);
    if let Err(e) = std::fs::write(&path, output) {
        log::warn!("{} could not be written: {e}", path.display());
    }
}
