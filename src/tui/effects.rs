//! Carrying out what `App::update` asks for (`Effect`), one method per effect. Every
//! change goes through the executor (the action library's only door), and every piece of
//! I/O runs in a task that sends what came of it back to the loop as a message: the loop's
//! thread does no store, audit or backend I/O, and nothing here touches the app. Closing
//! the dashboard waits for running actions.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

mod rollout;

use super::app::{Effect, Msg};
use crate::actions::approvals::{self, ApprovalRequest, Approved};
use crate::actions::recovery_open::ClockReading;
use crate::actions::{
    AuditOutcome, Execution, Executor, Plan, Request, Stop, StopHandle, stop_pair,
};
use crate::engine::{Engine, Refresh, Subject, for_action};
use crate::providers::Progress;
use crate::session::note;

/// How long closing the dashboard waits for an action to stop and record its outcome (the
/// executor reads back for at most 5 s).
const FINISH_LIMIT: Duration = Duration::from_secs(8);

/// Actions started from the dashboard, so closing it can stop them and wait for their
/// outcomes to be recorded.
pub(super) struct Running {
    stop: StopHandle,
    watch: Stop,
    tasks: Vec<tokio::task::JoinHandle<Execution>>,
}

impl Default for Running {
    fn default() -> Running {
        let (stop, watch) = stop_pair();
        Running {
            stop,
            watch,
            tasks: Vec::new(),
        }
    }
}

impl Running {
    /// Stop what is still running and wait (bounded) for its records. True if any action
    /// ended interrupted.
    pub(super) async fn finish(self, why: &str) -> bool {
        let unfinished: Vec<_> = self
            .tasks
            .into_iter()
            .filter(|t| !t.is_finished())
            .collect();
        if unfinished.is_empty() {
            return false;
        }
        self.stop.stop(why);
        note(&format!(
            "meridian: stopping the action in progress ({why}) and recording its outcome…"
        ));
        let mut interrupted = false;
        for task in unfinished {
            match tokio::time::timeout(FINISH_LIMIT, task).await {
                Ok(Ok(done)) => {
                    let detail = done.detail.unwrap_or_default();
                    note(&format!("meridian: {}: {detail}", done.outcome.as_str()));
                    interrupted |= done.outcome == AuditOutcome::Interrupted;
                }
                // A panic was reported by the hook and recorded by the executor.
                Ok(Err(_)) => interrupted = true,
                Err(_) => {
                    note(
                        "meridian: the action did not stop in time; `meridian audit` will show it as interrupted",
                    );
                    interrupted = true;
                }
            }
        }
        interrupted
    }
}

/// What carrying out the app's effects needs besides the app: the loop owns one.
pub(super) struct Effects<'a> {
    executor: Arc<Executor>,
    pub(super) engine: Engine,
    /// The subjects the running action touches: refreshed when it finishes.
    touched: Option<Vec<Subject>>,
    /// The regions the running action acts on: read at the fast pace until it finishes.
    pub(super) acting: Vec<String>,
    tx: mpsc::UnboundedSender<Msg>,
    running: &'a mut Running,
}

impl<'a> Effects<'a> {
    pub(super) fn new(
        executor: Arc<Executor>,
        engine: Engine,
        tx: mpsc::UnboundedSender<Msg>,
        running: &'a mut Running,
    ) -> Effects<'a> {
        Effects {
            executor,
            engine,
            touched: None,
            acting: Vec::new(),
            tx,
            running,
        }
    }

    pub(super) fn perform_all(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            self.perform(effect);
        }
    }

    fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::Execute(request, plan) => self.execute(*request, *plan),
            Effect::Decline(plan) => self.decline(*plan),
            Effect::DescribePlan(plan) => self.describe(*plan),
            Effect::LoadEvidence {
                region,
                phase,
                dir,
                key,
            } => self.load_evidence(region, phase, dir, key),
            Effect::CancelPhase { region, phase } => self.cancel_phase(region, phase),
            Effect::Refresh => self.refresh(),
            Effect::ApproveRollout => self.approve_rollout(),
            Effect::RolloutGate(index, verdict) => self.rollout_gate(index, verdict),
            Effect::CommandGate(index, run) => self.command_gate(index, run),
            Effect::ApprovePlan(req) => self.approve_plan(*req),
            Effect::StopRecovery(readings) => self.stop_recovery(readings),
            Effect::Log(level, text) => log::log!(level, "{text}"),
            // The app has set its own `quit`; the loop ends at its next turn.
            Effect::Quit => {}
            Effect::StartRollout(options) => self.start_rollout(*options),
            Effect::ControlRollout(control) => self.control_rollout(control),
            Effect::AlarmsGate(index, gate) => self.alarms_gate(index, gate),
            Effect::Preflight(state) => self.preflight(*state),
            Effect::ArtifactGate(index) => self.artifact_gate(index),
            Effect::RenderDeploy(request) => self.render_deploy(*request),
        }
    }

    /// Progress lines of a task, as messages to the loop (and the log pane).
    fn progress(&self) -> Progress {
        let tx = self.tx.clone();
        Progress::new(move |m| {
            let _ = tx.send(Msg::Progress(m.to_string()));
        })
    }

    /// Run a confirmed plan through the executor, in a task the dashboard waits for when
    /// it closes. A rollout step is booked and recorded on the rollout by the executor.
    fn execute(&mut self, request: Request, plan: Plan) {
        self.touched = Some(for_action(self.executor.fleet(), &request.action));
        self.acting = match &request.action {
            crate::actions::Action::Restore { regions } if regions.is_empty() => {
                let fleet = self.executor.fleet();
                fleet.regions.iter().map(|r| r.id.clone()).collect()
            }
            a => crate::fleet::rollout::RolloutStep::Action(a.clone()).regions(),
        };
        let executor = Arc::clone(&self.executor);
        let tx = self.tx.clone();
        let label = plan.button_label();
        let stop = self.running.watch.clone();
        let progress = self.progress();
        self.running.tasks.retain(|t| !t.is_finished());
        self.running.tasks.push(tokio::spawn(async move {
            let done = executor
                .execute_until(&request, &plan, None, &progress, stop)
                .await;
            let _ = tx.send(Msg::Finished {
                label,
                outcome: done.outcome,
                detail: done.detail.clone(),
                // A drain's or promote's recovery clock is part of its result on screen.
                recovery: done.recovery.as_ref().map(|r| r.text()),
            });
            done
        }));
    }

    /// The operator declined a plan: recorded off the loop's thread.
    fn decline(&self, plan: Plan) {
        let executor = Arc::clone(&self.executor);
        tokio::task::spawn_blocking(move || {
            executor.record_declined(&plan);
        });
    }

    /// Ask the backends how they would carry out a plan; the answer comes back to its modal.
    fn describe(&self, plan: Plan) {
        let executor = Arc::clone(&self.executor);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let notes = executor.describe(&plan).await;
            if let Some(operation) = plan.operation.clone() {
                let _ = tx.send(Msg::PlanNotes(Box::new(operation), notes));
            }
        });
    }

    fn load_evidence(&self, region: String, phase: String, dir: String, key: String) {
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let tail = super::evidence::load_tail(&region, &phase, &dir, key);
            let _ = tx.send(Msg::Evidence(Box::new(tail)));
        });
    }

    /// Stop a running phase through the executor (refused in read-only mode, audited).
    fn cancel_phase(&mut self, region: String, phase: String) {
        let executor = Arc::clone(&self.executor);
        let progress = self.progress();
        let subject = Subject::Phases(region.clone());
        tokio::spawn(async move {
            let done = executor
                .cancel_phase(&region, &phase, None, &progress)
                .await;
            let said = done.detail.unwrap_or_default();
            match done.outcome {
                AuditOutcome::Succeeded => log::info!("{said}"),
                _ => log::warn!("{said}"),
            }
        });
        self.engine.refresh(Refresh::Only(vec![subject]));
    }

    fn refresh(&mut self) {
        self.acting.clear();
        self.engine.refresh(match self.touched.take() {
            Some(subjects) => Refresh::Only(subjects),
            None => Refresh::All,
        });
    }

    /// Render a deploy's diff off the loop; the plan opens when it is back.
    fn render_deploy(&self, mut request: Request) {
        let executor = Arc::clone(&self.executor);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let rendered = match executor.render_deploy(&request).await {
                Ok(d) => {
                    request.deploy_diff = Some(Box::new(d));
                    Ok(())
                }
                Err(why) => Err(why),
            };
            let _ = tx.send(Msg::DeployRendered(Box::new(request), rendered));
        });
    }

    /// Approve someone else's plan, as this person (audited by the executor).
    fn approve_plan(&self, req: ApprovalRequest) {
        let executor = Arc::clone(&self.executor);
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let said = match executor.approve_plan(&req, None) {
                Approved::Yes(a) => Ok(format!(
                    "approved {} {} ({}) for {}: they can run it now",
                    a.action,
                    a.target,
                    approvals::short(&a.hash),
                    a.requester
                )),
                Approved::Refused(why) => Err(why),
            };
            match &said {
                Ok(t) => log::info!("{t}"),
                Err(e) => log::warn!("not approved: {e}"),
            }
            let _ = tx.send(Msg::Approved(said));
        });
    }

    /// Stop the recovery clocks that found the fleet recovered (each audited once).
    fn stop_recovery(&self, readings: Vec<ClockReading>) {
        let executor = Arc::clone(&self.executor);
        tokio::task::spawn_blocking(move || {
            let (stopped, problems) = executor.stop_recovery(&readings);
            for s in stopped {
                log::info!("recovery clock stopped: {s}");
            }
            for p in problems {
                log::warn!("{p}");
            }
        });
    }

    /// Preflight of the failover and recovery templates, off the loop's thread: the lock
    /// probed and the rollout read by the library, the judging on a blocking thread (it
    /// plans every step); the reports come back to the loop.
    fn preflight(&self, state: crate::state::FleetState) {
        let executor = Arc::clone(&self.executor);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let records = executor.preflight_records().await;
            let judged = tokio::task::spawn_blocking(move || {
                crate::actions::preflight::evaluate_all(
                    executor.fleet(),
                    &state,
                    &records,
                    crate::state::now_ms(),
                )
            })
            .await;
            match judged {
                Ok(reports) => {
                    for p in reports.iter().filter(|p| !p.ready) {
                        log::warn!("preflight: {}", p.headline());
                    }
                    let _ = tx.send(Msg::Preflight(reports));
                }
                Err(e) => log::warn!("preflight could not finish: {e}"),
            }
        });
    }
}
