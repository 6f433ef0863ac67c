//! A `command` gate: run the template's command, met when it exits 0. The CLI's `rollout
//! next` and the dashboard both run it through here, off any event loop, with a deadline.

use std::time::Duration;

use super::GateVerdict;
use meridian_model::fleet::StepCommand;

/// Most a gate's command may take; past it, the gate is still waiting (killed, not failed).
pub const COMMAND_GATE_TIMEOUT: Duration = Duration::from_secs(300);

/// Run a command gate's command: met when it exits 0.
pub async fn command_gate(run: &StepCommand) -> GateVerdict {
    command_gate_output(run).await.0
}

/// [`command_gate`], with what the command wrote (stdout, then stderr) for evidence.
pub async fn command_gate_output(run: &StepCommand) -> (GateVerdict, String) {
    let argv = run.argv();
    let Some((program, args)) = argv.split_first() else {
        return (
            GateVerdict::Failed {
                reason: "the gate's command is empty".into(),
            },
            String::new(),
        );
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .kill_on_drop(true)
        .output();
    let waiting = |why: String| GateVerdict::Waiting {
        waiting_for: format!("`{}` to exit 0 ({why})", run.display()),
        remaining_secs: None,
    };
    let out = match tokio::time::timeout(COMMAND_GATE_TIMEOUT, child).await {
        Err(_) => {
            return (
                waiting(format!("it ran over {}s", COMMAND_GATE_TIMEOUT.as_secs())),
                String::new(),
            );
        }
        Ok(Err(e)) => return (waiting(format!("it could not start: {e}")), String::new()),
        Ok(Ok(out)) => out,
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let verdict = match out {
        out if out.status.success() => GateVerdict::Met {
            reason: format!("`{}` exited 0", run.display()),
        },
        out => {
            let last = String::from_utf8_lossy(&out.stderr)
                .lines()
                .chain(String::from_utf8_lossy(&out.stdout).lines())
                .last()
                .unwrap_or("")
                .to_string();
            waiting(format!(
                "it exited {}: {last}",
                out.status.code().unwrap_or(-1)
            ))
        }
    };
    (verdict, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn met_on_exit_0_and_still_waiting_otherwise_with_the_last_line() {
        let ok = StepCommand::Argv(vec!["true".into()]);
        assert!(matches!(command_gate(&ok).await, GateVerdict::Met { .. }));
        let no = StepCommand::Shell("echo not yet >&2; exit 3".into());
        match command_gate(&no).await {
            GateVerdict::Waiting { waiting_for, .. } => {
                assert!(
                    waiting_for.contains("it exited 3: not yet"),
                    "{waiting_for}"
                )
            }
            other => panic!("{other:?}"),
        }
        let missing = StepCommand::Argv(vec!["/nonexistent/gate".into()]);
        match command_gate(&missing).await {
            GateVerdict::Waiting { waiting_for, .. } => {
                assert!(waiting_for.contains("could not start"), "{waiting_for}")
            }
            other => panic!("{other:?}"),
        }
    }
}
