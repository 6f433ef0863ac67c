//! Acting through the providers, then reading back only what shows whether it took effect.
//! Every operation is carried out here, by one match: a new kind of change cannot fall
//! through to a "this is a bug" branch.

use super::recheck::{Checked, Run};
use super::record::{Started, phase_run};
use super::{Executor, to_verify};
use crate::actions::plan::{Operation, Plan};
use crate::actions::planner::plan as make_plan;
use crate::engine::poll_subjects;
use meridian_model::fleet::Region;
use meridian_model::host::whoami;
use meridian_model::state::{FleetState, now_ms};
use meridian_model::traffic::Weight;
use meridian_providers::drains::DrainBook;
use meridian_providers::{
    ChangeNote, ErrorKind, PhaseRun, Progress, ProviderError, ResumeRequest, RollbackRequest,
    SyncRequest,
};

/// How often a write refused as a conflict is re-planned before giving up.
const MAX_REPLANS: u32 = 3;

impl Executor {
    /// Carry out the checked operation. `Ok` may carry what still needs an operator (a
    /// replica not re-pointed, traffic left on an old writer).
    pub(super) async fn act(
        &self,
        run: &Run<'_>,
        checked: &Checked,
        started: &Started,
    ) -> Result<Option<String>, ProviderError> {
        if run.plan.is_noop() {
            run.progress.say("nothing to change");
            return Ok(None);
        }
        if let Some(dir) = &started.evidence {
            run.progress.say(&format!("evidence: {dir}"));
        }
        self.act_replanning(run, checked, started).await
    }

    /// Read back what shows whether the operation took effect (again, while an eventually
    /// consistent backend still shows the old value: see `settle`).
    pub(super) async fn read_back(&self, checked: &Checked, acted: bool) -> FleetState {
        let first = poll_subjects(
            &self.fleet,
            &self.providers,
            &to_verify(&self.fleet, &checked.operation),
            Some(&checked.fresh),
        )
        .await;
        match acted {
            true => self.settle(checked, first).await,
            false => first,
        }
    }

    /// Run the operation. When the backend refuses a write because the object changed
    /// since it was read (409, nothing written), read again and plan again: the same change
    /// with no new block is what was confirmed, so it goes ahead with the new version;
    /// anything else must be confirmed again. Never a blind retry.
    async fn act_replanning(
        &self,
        run: &Run<'_>,
        checked: &Checked,
        started: &Started,
    ) -> Result<Option<String>, ProviderError> {
        let note = ChangeNote {
            user: whoami(),
            reason: run.request.given_reason().map(str::to_string),
        };
        let mut operation = checked.operation.clone();
        let mut replans = 0;
        loop {
            let result = self
                .carry_out(&operation, run.plan, &note, started, run.progress)
                .await;
            let conflict = match result {
                Err(e) if e.kind == ErrorKind::Conflict && replans < MAX_REPLANS => e,
                other => return other,
            };
            replans += 1;
            run.progress
                .say(&format!("{conflict}: re-reading and re-planning"));
            let again = poll_subjects(&self.fleet, &self.providers, &checked.subjects, None).await;
            let replanned = make_plan(run.request, &self.fleet, &again, now_ms());
            let why = match &replanned {
                Ok(p) => match (p.blocking().next(), &p.operation) {
                    (None, Some(op)) if op.same_change(&operation) => {
                        run.progress
                            .say("the same change as confirmed: going ahead");
                        operation = op.clone();
                        continue;
                    }
                    (Some(b), _) => format!("{}: {}", b.guard.name(), b.reason),
                    _ => "it would now do something else".to_string(),
                },
                Err(e) => e.to_string(),
            };
            return Err(ProviderError::new(
                None,
                "re-plan after a conflict",
                format!("the object changed while acting and the plan changed with it ({why}); nothing was written"),
            )
            .with_hint("plan and confirm again"));
        }
    }

    /// One operation, through its provider.
    async fn carry_out(
        &self,
        op: &Operation,
        plan: &Plan,
        note: &ChangeNote,
        started: &Started,
        progress: &Progress,
    ) -> Result<Option<String>, ProviderError> {
        let fleet = &self.fleet;
        let done = |r: Result<(), ProviderError>| r.map(|()| None);
        match op {
            Operation::SetWeights { weights } => self.move_traffic(weights, progress).await,
            Operation::Promote {
                region,
                drain_old,
                stores,
                ..
            } if !stores.is_empty() => {
                let moved = self.promote_stores(region, stores, plan, progress).await?;
                self.after_promotion(region, moved, drain_old, plan, note, progress)
                    .await
            }
            Operation::Promote {
                region, drain_old, ..
            } => self.promote(region, drain_old, plan, note, progress).await,
            Operation::Rejoin { region, .. } => {
                let r = self.region(region, "rejoin")?;
                let db = self.database(region, "rejoin")?;
                done(db.rejoin(fleet, r, progress).await)
            }
            Operation::Rollback {
                tenant,
                region,
                history_id,
                revision,
                pause_auto_sync,
                resource_version,
            } => {
                let req = RollbackRequest {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    history_id: *history_id,
                    revision: revision.clone(),
                    pause_auto_sync: *pause_auto_sync,
                    resource_version: resource_version.clone(),
                    note: note.clone(),
                };
                done(self.providers.gitops.rollback(fleet, &req, progress).await)
            }
            Operation::Sync {
                tenant,
                region,
                revision,
                resource_version,
                ..
            } => {
                let req = SyncRequest {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    revision: revision.clone(),
                    resource_version: resource_version.clone(),
                    note: note.clone(),
                };
                done(self.providers.gitops.sync(fleet, &req, progress).await)
            }
            Operation::ResumeAutoSync {
                tenant,
                region,
                automated,
                resource_version,
                ..
            } => {
                let req = ResumeRequest {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    automated: automated.clone(),
                    resource_version: resource_version.clone(),
                    note: note.clone(),
                };
                done(
                    self.providers
                        .gitops
                        .resume_auto_sync(fleet, &req, progress)
                        .await,
                )
            }
            Operation::HelmRollback {
                tenant,
                region,
                revision,
                ..
            } => done(
                self.providers
                    .releases
                    .rollback_release(fleet, tenant, region, *revision, progress)
                    .await,
            ),
            Operation::RunPhase {
                region,
                phase,
                from,
                ..
            } => {
                // Named after the `started` record, as its evidence folder was.
                let mut run = phase_run(region, phase, *from, &started.id, plan);
                run.artifacts = self.phase_artifacts();
                done(self.providers.runner.run_phase(fleet, &run, progress).await)
            }
            Operation::SetSignups { .. } | Operation::MoveTenant { .. } => {
                let routing = self.providers.routing.as_ref().ok_or_else(|| {
                    ProviderError::new(None, "tenant routing", "the fleet has no [tenant_routing]")
                })?;
                match crate::actions::describe::routing_change(op) {
                    Some(change) => done(routing.apply(fleet, &change, progress).await),
                    None => Ok(None),
                }
            }
            Operation::HelmDeploy {
                tenant,
                region,
                chart,
                version,
                set,
                values,
                ..
            } => {
                let req = meridian_providers::DeployRequest {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    chart: chart.clone(),
                    version: version.clone(),
                    set: set.clone(),
                    values: values.clone(),
                };
                done(
                    self.providers
                        .releases
                        .deploy_release(fleet, &req, progress)
                        .await,
                )
            }
        }
    }

    /// Promote a region's database, then run its `promote_phase` and drain the old writer
    /// when the plan says to. The promotion stands whatever happens to those: a failure of
    /// either is said, not undone.
    async fn promote(
        &self,
        region: &str,
        drain_old: &[(String, meridian_model::traffic::Weight)],
        plan: &Plan,
        note: &ChangeNote,
        progress: &Progress,
    ) -> Result<Option<String>, ProviderError> {
        let fleet = &self.fleet;
        let r = self.region(region, "promote")?;
        let db = self.database(region, "promote")?;
        let options = meridian_providers::PromoteOptions {
            accept_data_loss: plan.accept_data_loss,
        };
        let report = db.promote(fleet, r, options, progress).await?;
        self.after_promotion(
            region,
            report.summary().into_iter().collect(),
            drain_old,
            plan,
            note,
            progress,
        )
        .await
    }

    /// What follows a promotion that is done: the `promote_phase`, then the old writer's
    /// traffic (drained when the plan says so, else named). `notes`: what the promotion
    /// itself left to say.
    async fn after_promotion(
        &self,
        region: &str,
        notes: Vec<String>,
        drain_old: &[(String, meridian_model::traffic::Weight)],
        plan: &Plan,
        note: &ChangeNote,
        progress: &Progress,
    ) -> Result<Option<String>, ProviderError> {
        let r = self.region(region, "promote")?;
        let app = self.promote_phase(r, note, progress).await;
        let mut notes: Vec<String> = notes.into_iter().chain(app).collect();
        // Declined or impossible: the record says what traffic was left on it.
        if let Some(old) = plan.old_writer.as_ref().filter(|o| !o.drain) {
            notes.push(format!(
                "{} (the old writer, which takes no writes now) still carries {}: `meridian drain {}` moves it",
                old.region,
                old.share_text(),
                old.region
            ));
        }
        if !drain_old.is_empty() {
            progress.say("last step: drain the old writer, which takes no writes now");
            if let Err(e) = self.move_traffic(drain_old, progress).await {
                let done = match notes.is_empty() {
                    true => String::new(),
                    false => format!(" ({})", notes.join("; ")),
                };
                return Err(ProviderError::new(
                    Some(region),
                    "drain the old writer",
                    format!(
                        "{region} is the writer now{done}, but draining the old writer failed: {e}"
                    ),
                )
                .with_hint("drain it with `meridian drain REGION`"));
            }
        }
        Ok((!notes.is_empty()).then(|| notes.join("; ")))
    }

    /// The phase that points the application at the new writer (`promote_phase`), run in
    /// the promoted region as the promotion's last step. The promotion is done either way;
    /// a failure is said, with what to do, not undone.
    async fn promote_phase(
        &self,
        region: &Region,
        note: &ChangeNote,
        progress: &Progress,
    ) -> Option<String> {
        let phase = region
            .database
            .settings
            .writer()?
            .promote_phase
            .as_deref()?;
        progress.say(&format!(
            "last step: phase {phase} in {} points the application at the new writer",
            region.id
        ));
        let run = PhaseRun {
            region: region.id.clone(),
            phase: phase.to_string(),
            from: 0,
            run_id: crate::actions::audit::new_id(),
            user: note.user.clone(),
            reason: note.reason.clone(),
            artifacts: self.phase_artifacts(),
        };
        match self
            .providers
            .runner
            .run_phase(&self.fleet, &run, progress)
            .await
        {
            Ok(()) => None,
            Err(e) => Some(format!(
                "the application may still write to the old primary: phase {phase} failed ({e}); run `meridian phase run {} {phase}` or change it by hand",
                region.id
            )),
        }
    }

    /// Change traffic through the provider, with the drain book: what draining a region
    /// that is not weighted changed is read from and written to the shared store, so
    /// whoever restores it puts back exactly that. A note when the book could not be
    /// written (the change itself is made).
    async fn move_traffic(
        &self,
        weights: &[(String, Weight)],
        progress: &Progress,
    ) -> Result<Option<String>, ProviderError> {
        let store = self.shared_store();
        let mut book = DrainBook::load(&*store).map_err(|e| {
            ProviderError::new(None, "read the drain book", e.to_string())
                .with_hint("nothing was changed; fix the shared store and try again")
        })?;
        let before = book.clone();
        let result = self
            .providers
            .traffic
            .apply_traffic(&self.fleet, weights, &mut book, progress)
            .await;
        let changed: Vec<String> = weights
            .iter()
            .map(|(r, _)| r.clone())
            .filter(|r| before.regions.get(r) != book.regions.get(r))
            .collect();
        if changed.is_empty() {
            return result.map(|()| None);
        }
        match book.save(&*store, &changed) {
            Ok(()) => result.map(|()| None),
            Err(e) => {
                let what: Vec<String> = changed
                    .iter()
                    .filter_map(|r| book.regions.get(r).map(|d| format!("{r}: {}", d.how)))
                    .collect();
                let note = format!(
                    "what restoring needs could not be written to the shared store ({e}); write it down: {}",
                    what.join("; ")
                );
                progress.say(&note);
                result.map(|()| Some(note))
            }
        }
    }

    fn region(&self, region: &str, call: &str) -> Result<&Region, ProviderError> {
        self.fleet
            .region(region)
            .ok_or_else(|| ProviderError::new(Some(region), call, "unknown region"))
    }

    fn database(
        &self,
        region: &str,
        call: &str,
    ) -> Result<&std::sync::Arc<dyn meridian_providers::DatabaseControl>, ProviderError> {
        self.providers
            .database
            .get(region)
            .ok_or_else(|| ProviderError::new(Some(region), call, "no database provider"))
    }
}
