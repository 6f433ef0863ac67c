//! The dashboard's rollout effects: starting and steering a rollout, and deciding its
//! gates (approval, command, alarms, artifact), each through the executor's rollout door
//! in a task, the answer sent back to the loop.

use std::sync::Arc;

use super::Effects;
use crate::actions::rollout::GateVerdict;
use crate::fleet::StepCommand;
use crate::fleet::rollout::GateSpec;
use crate::tui::app::Msg;

impl Effects<'_> {
    /// Decide a rollout's alarms gate from the alarms' history (the library reads it, with
    /// its deadline); the verdict comes back like a command gate's.
    pub(super) fn alarms_gate(&self, index: usize, gate: crate::fleet::rollout::GateSpec) {
        let executor = Arc::clone(&self.executor);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let reader = executor.alarm_reader();
            let verdict = crate::actions::rollout::decide_alarms_gate(
                executor.fleet(),
                reader.as_deref(),
                &gate,
            )
            .await;
            if let Some(v) = verdict {
                let _ = tx.send(Msg::CommandGate(index, v));
            }
        });
    }

    /// Approve the approval gate the rollout waits at, as this person; the rollout as
    /// stored afterwards comes back to the pane.
    pub(super) fn approve_rollout(&self) {
        self.rollout_change(|executor| {
            executor
                .rollout_approve()
                .map(|(r, said)| format!("rollout {}: {said}", r.id))
        });
    }

    /// Record a gate's verdict on the rollout (only while it still waits there).
    pub(super) fn rollout_gate(&self, index: usize, verdict: GateVerdict) {
        self.rollout_change(move |executor| {
            executor.rollout_gate(None, index, &verdict).map(|r| {
                format!(
                    "rollout {}: step {} {}",
                    r.id,
                    index + 1,
                    verdict.describe()
                )
            })
        });
    }

    /// A change to the rollout through the executor, off the loop's thread; what it said is
    /// logged and the rollout as stored now is sent back.
    fn rollout_change(
        &self,
        change: impl FnOnce(
            &crate::actions::Executor,
        ) -> Result<String, crate::actions::rollout::RolloutError>
        + Send
        + 'static,
    ) {
        let executor = Arc::clone(&self.executor);
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let said = change(&executor).map_err(|e| e.to_string());
            match &said {
                Ok(said) => log::info!("{said}"),
                Err(e) => log::warn!("rollout: {e}"),
            }
            let _ = tx.send(Msg::Rollout(crate::tui::records::load_rollout(
                &executor.rollouts(),
            )));
            let _ = tx.send(Msg::RolloutSaid(said));
        });
    }

    /// Start a rollout as this person: the executor refuses while another is unfinished,
    /// in read-only mode and during a change freeze, and audits the start.
    pub(super) fn start_rollout(&self, options: crate::actions::executor::StartOptions) {
        self.rollout_change(move |executor| {
            executor.rollout_start_with(&options).map(|r| {
                format!(
                    "rollout {} started by {} ({} steps): {}",
                    r.id,
                    r.started_by,
                    r.steps.len(),
                    r.reason
                )
            })
        });
    }

    /// A pair's control of the rollout, through the executor's door (who may, audited).
    pub(super) fn control_rollout(&self, control: crate::tui::overlay::RolloutControl) {
        use crate::actions::rollout::Skipped;
        use crate::tui::overlay::RolloutControl as C;
        self.rollout_change(move |executor| {
            let (r, said) = match control {
                C::Pause(reason) => executor.rollout_pause(&reason)?,
                C::Resume(reason) => executor
                    .rollout_resume(&reason)
                    .map(|(r, said)| (r, said.join("; ")))?,
                C::Retry => executor.rollout_retry()?,
                C::Skip(comment) => {
                    let (r, skipped) = executor.rollout_skip(&comment)?;
                    let (Skipped::Done(s) | Skipped::Waiting(s)) = skipped;
                    (r, s)
                }
                C::Take(reason) => executor.rollout_take(&reason)?,
                C::Ungraceful(reason) => {
                    let (r, left_out) = executor.rollout_ungraceful(&reason)?;
                    let said = match left_out.is_empty() {
                        true => "ungraceful now; no step left needed the old region".to_string(),
                        false => format!("ungraceful now; {}", left_out.join("; ")),
                    };
                    (r, said)
                }
            };
            Ok(format!("rollout {}: {said}", r.id))
        });
    }

    /// Run a rollout's command gate with its deadline; its verdict comes back.
    pub(super) fn command_gate(&self, index: usize, run: StepCommand) {
        let executor = Arc::clone(&self.executor);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let verdict = match stored_gate(&executor, index).await {
                // Through the executor: an artifact gate keeps or checks its artifact.
                Ok((r, gate @ GateSpec::Command { .. })) => executor
                    .command_gate(&r, index, &gate)
                    .await
                    .unwrap_or_else(|why| GateVerdict::Waiting {
                        waiting_for: format!("refused: {why}"),
                        remaining_secs: None,
                    }),
                // Never run outside the executor (a practice runs no command at all).
                Ok(_) => GateVerdict::Waiting {
                    waiting_for: format!(
                        "step {} is no longer the command gate `{}`",
                        index + 1,
                        run.display()
                    ),
                    remaining_secs: None,
                },
                Err(why) => GateVerdict::Waiting {
                    waiting_for: why,
                    remaining_secs: None,
                },
            };
            let _ = tx.send(Msg::CommandGate(index, verdict));
        });
    }

    /// Is the artifact the rollout waits on approved? Its verdict comes back as
    /// `Msg::CommandGate`, as a command gate's does.
    pub(super) fn artifact_gate(&self, index: usize) {
        let executor = Arc::clone(&self.executor);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let verdict = match stored_gate(&executor, index).await {
                Ok((
                    r,
                    GateSpec::Approval {
                        artifact: Some(name),
                        ..
                    },
                )) => {
                    let e = Arc::clone(&executor);
                    tokio::task::spawn_blocking(move || e.artifact_gate(&r, &name))
                        .await
                        .unwrap_or_else(|e| GateVerdict::Waiting {
                            waiting_for: format!("the approval could not be read: {e}"),
                            remaining_secs: None,
                        })
                }
                Ok(_) => GateVerdict::Waiting {
                    waiting_for: format!("step {} is no longer an artifact's approval", index + 1),
                    remaining_secs: None,
                },
                Err(why) => GateVerdict::Waiting {
                    waiting_for: why,
                    remaining_secs: None,
                },
            };
            let _ = tx.send(Msg::CommandGate(index, verdict));
        });
    }
}

/// The rollout as stored now and the gate at `index` (read off the loop's thread).
async fn stored_gate(
    executor: &Arc<crate::actions::Executor>,
    index: usize,
) -> Result<(crate::actions::rollout::Rollout, GateSpec), String> {
    let e = Arc::clone(executor);
    let r = tokio::task::spawn_blocking(move || e.rollouts().current())
        .await
        .map_err(|e| format!("the rollout could not be read: {e}"))?
        .map_err(|e| format!("the rollout could not be read: {e}"))?;
    match r.steps.get(index).map(|s| s.step.clone()) {
        Some(crate::fleet::rollout::RolloutStep::Gate(g)) => Ok((r, g)),
        _ => Err(format!(
            "step {} of rollout {} is not a gate",
            index + 1,
            r.id
        )),
    }
}
