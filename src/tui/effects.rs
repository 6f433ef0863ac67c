//! Carrying out what `App::update` asks for (`Effect`): actions run in tasks, store and
//! audit writes off the loop's thread, refreshes through the engine. The loop owns one
//! `Effects` and hands it every effect; closing the dashboard waits for running actions.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::app::{App, Effect, Msg};
use crate::actions::recovery::Recovery;
use crate::actions::{AuditOutcome, Execution, Executor, Stop, StopHandle, stop_pair};
use crate::engine::{Engine, Refresh, Subject, for_action};
use crate::providers::Progress;
use crate::session::note;
use crate::state::now_ms;

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
            tx,
            running,
        }
    }

    pub(super) fn perform_all(&mut self, effects: Vec<Effect>, app: &mut App) {
        for effect in effects {
            self.perform(effect, app);
        }
    }

    fn perform(&mut self, effect: Effect, app: &mut App) {
        let Effects {
            executor,
            engine,
            touched,
            tx,
            running,
        } = self;
        match effect {
            Effect::StopRecovery(readings) => {
                let store = executor.shared_store();
                let executor = Arc::clone(executor);
                // Store and audit writes block: not on a worker of the dashboard's runtime.
                tokio::task::spawn_blocking(move || {
                    for r in &readings {
                        match crate::actions::recovery_open::stop(
                            &*store,
                            &executor.audit,
                            &executor.fleet,
                            r,
                        ) {
                            Ok(true) => log::info!("recovery clock stopped: {}", r.text()),
                            Ok(false) => {}
                            Err(e) => log::warn!("recovery clock {}: {e}", r.clock.id),
                        }
                    }
                });
            }
            Effect::ApprovePlan(req) => {
                let store = executor.shared_store();
                let executor = Arc::clone(executor);
                let tx = tx.clone();
                tokio::task::spawn_blocking(move || {
                    use crate::actions::approvals::{self, Approved};
                    let me = approvals::identity(&executor.fleet);
                    let said = match approvals::approve_audited(
                        &*store,
                        &executor.audit,
                        &executor.fleet,
                        &req,
                        &me,
                        None,
                        crate::state::now_ms(),
                    ) {
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
            Effect::CommandGate(index, run) => {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let verdict = crate::actions::rollout::command_gate(&run).await;
                    let _ = tx.send(Msg::CommandGate(index, verdict));
                });
            }
            Effect::ApproveRollout => {
                let store = super::rollout_io::store(executor);
                super::rollout_io::approve(&store);
                app.update(Msg::Rollout(super::rollout_io::load(&store)));
            }
            Effect::RolloutGate(index, verdict) => {
                let store = super::rollout_io::store(executor);
                super::rollout_io::gate(&store, index, &verdict);
                app.update(Msg::Rollout(super::rollout_io::load(&store)));
            }
            Effect::Execute(request, plan) => {
                *touched = Some(for_action(&executor.fleet, &request.action));
                let executor = Arc::clone(executor);
                let tx = tx.clone();
                let label = plan.button_label();
                let rollouts = super::rollout_io::store(&executor);
                super::rollout_io::started(&rollouts, &request);
                let stop = running.watch.clone();
                running.tasks.retain(|t| !t.is_finished());
                running.tasks.push(tokio::spawn(async move {
                    let progress_tx = tx.clone();
                    // Progress::say also logs each line, which puts it in the log pane.
                    let progress = Progress::new(move |m| {
                        let _ = progress_tx.send(Msg::Progress(m.to_string()));
                    });
                    let done = executor
                        .execute_until(&request, &plan, None, &progress, stop)
                        .await;
                    // A drain's or promote's recovery clock is part of its result on screen.
                    let recovery = done
                        .after
                        .as_ref()
                        .and_then(|a| a.get("recovery").cloned())
                        .and_then(|v| serde_json::from_value::<Recovery>(v).ok())
                        .map(|r| r.text());
                    let _ = tx.send(Msg::Finished {
                        label,
                        outcome: done.outcome,
                        detail: done.detail.clone(),
                        recovery,
                    });
                    super::rollout_io::finished(&rollouts, &request, &done);
                    done
                }));
            }
            Effect::Decline(plan) => {
                let executor = Arc::clone(executor);
                tokio::task::spawn_blocking(move || {
                    executor.record_declined(&plan);
                });
            }
            Effect::DescribePlan(plan) => {
                let executor = Arc::clone(executor);
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut notes = crate::actions::describe::describe(
                        &executor.providers,
                        &executor.fleet,
                        &plan,
                    )
                    .await;
                    let store = executor.shared_store();
                    let who = crate::host::whoami();
                    notes.extend(crate::actions::approvals::note(
                        &*store,
                        &executor.fleet,
                        &plan,
                        &who,
                        now_ms(),
                    ));
                    if let Some(operation) = plan.operation.clone() {
                        let _ = tx.send(Msg::PlanNotes(Box::new(operation), notes));
                    }
                });
            }
            Effect::LoadEvidence {
                region,
                phase,
                dir,
                key,
            } => {
                let tx = tx.clone();
                tokio::task::spawn_blocking(move || {
                    let tail = super::evidence::load_tail(&region, &phase, &dir, key);
                    let _ = tx.send(Msg::Evidence(Box::new(tail)));
                });
            }
            Effect::CancelPhase { region, phase } => {
                let region_id = region.clone();
                let executor = Arc::clone(executor);
                let tx = tx.clone();
                tokio::spawn(async move {
                    let progress_tx = tx.clone();
                    let progress = Progress::new(move |m| {
                        let _ = progress_tx.send(Msg::Progress(m.to_string()));
                    });
                    let said = executor
                        .providers
                        .runner
                        .cancel(&executor.fleet, &region, &phase, &progress)
                        .await;
                    match said {
                        Ok(m) => log::info!("{m}"),
                        Err(e) => log::warn!("{e}"),
                    }
                });
                engine.refresh(Refresh::Only(vec![Subject::Phases(region_id)]));
            }
            Effect::Refresh => engine.refresh(match touched.take() {
                Some(subjects) => Refresh::Only(subjects),
                None => Refresh::All,
            }),
            Effect::Log(level, text) => log::log!(level, "{text}"),
            Effect::Quit => app.quit = true,
        }
    }
}
