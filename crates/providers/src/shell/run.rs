//! One run of a phase: claim it in the state file, then each step in turn (check, run,
//! record), stopping at the first failure, timeout or cancel.

use std::path::PathBuf;
use std::time::Duration;

use super::ShellRunner;
use super::evidence::{RunRecord, StepRecord, step_file};
use super::output::{Screen, Sink};
use super::process::{self, End, Spec};
use super::store::PhaseRecord;
use crate::step_artifacts::{ArtifactCheck, StepAt};
use crate::{PhaseRun, Progress, ProviderError, ProviderResult};
use meridian_model::fleet::rollout::ArtifactSpec;
use meridian_model::fleet::{Fleet, Step, StepCommand, StepVars};
use meridian_model::state::{PhaseOwner, PhaseStatus, now_ms, rfc3339};

/// How often a running step looks for a cancel request from another process.
const CANCEL_POLL: Duration = Duration::from_millis(200);

pub(super) struct Run<'a> {
    runner: &'a ShellRunner,
    run: PhaseRun,
    steps: Vec<Step>,
    vars: StepVars,
    dir: PathBuf,
    record: RunRecord,
}

impl<'a> Run<'a> {
    /// Claim the phase (refused while another live process runs it) and open its evidence.
    /// Processes left behind by a run whose meridian died are stopped first: that step is
    /// about to run again, and two copies must never run at once.
    pub async fn start(
        runner: &'a ShellRunner,
        fleet: &Fleet,
        run: &PhaseRun,
        progress: &Progress,
    ) -> ProviderResult<Run<'a>> {
        let err = |m: String| ProviderError::new(Some(&run.region), "run phase", m);
        let def = fleet
            .phases
            .iter()
            .find(|p| p.id == run.phase)
            .ok_or_else(|| err(format!("unknown phase {}", run.phase)))?;
        let region = fleet
            .region(&run.region)
            .ok_or_else(|| err(format!("unknown region {}", run.region)))?;
        if run.from >= def.steps.len() {
            return Err(err(format!(
                "phase {} has no step {}",
                run.phase,
                run.from + 1
            )));
        }
        let leftover = runner
            .store
            .read()
            .ok()
            .and_then(|all| all.get(&run.region)?.get(&run.phase).cloned())
            .filter(|r| super::phase_state(&run.phase, r).state == PhaseStatus::Interrupted)
            .and_then(|r| r.pgid)
            .filter(|g| process::group_alive(*g));
        if let Some(g) = leftover {
            progress.say(&format!(
                "{} {}: stopping processes left by the interrupted run (process group {g})",
                run.region, run.phase
            ));
            process::stop_group(g, runner.settings.grace, None).await;
        }
        let vars = StepVars::new(fleet, region);
        let dir = runner
            .evidence
            .run_dir(&run.region, &run.phase, &run.run_id);
        let me = PhaseOwner::me();
        let now = now_ms();
        let first = def.steps[run.from].name.clone();
        runner
            .store
            .update_phase(&run.region, &run.phase, |r| {
                let current = super::phase_state(&run.phase, r);
                if current.state == PhaseStatus::Running {
                    let by = r.owner.as_ref().map(|o| o.to_string()).unwrap_or_default();
                    return Err(format!("{} is already running ({by})", run.phase));
                }
                if let Some(g) = r.pgid.filter(|g| process::group_alive(*g)) {
                    return Err(format!("processes of the interrupted step would not stop (process group {g}); stop them with `meridian phase cancel {} {}`", run.region, run.phase));
                }
                *r = PhaseRecord {
                    state: PhaseStatus::Running,
                    step_index: Some(run.from),
                    step_name: Some(first),
                    started_at: Some(now),
                    owner: Some(me.clone()),
                    evidence: Some(dir.display().to_string()),
                    ..PhaseRecord::default()
                };
                Ok(())
            })
            .map_err(|e| err(e.to_string()))?
            .map_err(err)?;
        let record = RunRecord {
            run_id: run.run_id.clone(),
            fleet: fleet.name.clone(),
            region: run.region.clone(),
            phase: run.phase.clone(),
            phase_name: def.name.clone(),
            user: run.user.clone(),
            reason: run.reason.clone(),
            owner: Some(me),
            started: rfc3339(now),
            started_ms: now,
            finished: None,
            outcome: "running".into(),
            from_step: run.from + 1,
            error: None,
            steps: def
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| StepRecord {
                    index: i + 1,
                    name: s.name.clone(),
                    command: s
                        .run
                        .as_ref()
                        .map(|c| c.substituted(&vars).display())
                        .unwrap_or_default(),
                    check: s.check.as_ref().map(|c| c.substituted(&vars).display()),
                    status: if i < run.from {
                        "done-earlier"
                    } else {
                        "pending"
                    }
                    .into(),
                    ..StepRecord::default()
                })
                .collect(),
        };
        let this = Run {
            runner,
            run: run.clone(),
            steps: def.steps.clone(),
            vars,
            dir,
            record,
        };
        this.save()?;
        if run.from > 0 {
            progress.say(&format!(
                "{} {}: resuming at step {} ({})",
                run.region,
                run.phase,
                run.from + 1,
                def.steps[run.from].name
            ));
        }
        Ok(this)
    }

    fn save(&self) -> ProviderResult<()> {
        self.runner.evidence.save(&self.dir, &self.record).map_err(|e| {
            ProviderError::new(Some(&self.run.region), "save evidence", format!("{}: {e}", self.dir.display()))
                .with_hint("the run stops: evidence is required; check the state directory's disk and permissions")
        })
    }

    fn store(&self, f: impl FnOnce(&mut PhaseRecord)) {
        if let Err(e) = self
            .runner
            .store
            .update_phase(&self.run.region, &self.run.phase, f)
        {
            log::warn!("{}: {e}", self.run.region);
        }
    }

    /// Run every step from `from`; the first that does not succeed stops the phase.
    pub async fn steps(mut self, progress: &Progress) -> ProviderResult<()> {
        let n = self.steps.len();
        for i in self.run.from..n {
            let step = self.steps[i].clone();
            self.store(|r| {
                r.step_index = Some(i);
                r.step_name = Some(step.name.clone());
                r.pgid = None;
            });
            if let Some(by) = self.cancel_requested() {
                return self.finish(
                    i,
                    "cancelled",
                    Some(format!(
                        "cancelled by {by} before step {} ({})",
                        i + 1,
                        step.name
                    )),
                );
            }
            let at = rfc3339(now_ms());
            self.record.steps[i].status = "running".into();
            self.record.steps[i].started = Some(at);
            self.save()?;
            let label = format!("{} {} {}/{n}", self.run.region, self.run.phase, i + 1);
            if let Some(check) = &step.check {
                let file = format!("{}.check.log", step_file(i + 1, &step.name));
                self.record.steps[i].check_output = Some(file.clone());
                progress.say(&format!(
                    "{label} {}: checking whether it is already done",
                    step.name
                ));
                let end = self
                    .command(
                        &step,
                        &check.substituted(&self.vars),
                        &file,
                        &label,
                        progress,
                    )
                    .await?;
                if end == End::Exited(0) {
                    progress.say(&format!(
                        "{label} {}: already done (check exited 0); skipped",
                        step.name
                    ));
                    self.record.steps[i].status = "skipped".into();
                    self.record.steps[i].finished = Some(rfc3339(now_ms()));
                    self.save()?;
                    continue;
                }
                if matches!(end, End::Cancelled | End::TimedOut) {
                    return self.failed(i, &step, &end, "check");
                }
            }
            let Some(cmd) = &step.run else {
                return self.finish(
                    i,
                    "failed",
                    Some(format!(
                        "step {} ({}) has no command to run",
                        i + 1,
                        step.name
                    )),
                );
            };
            let cmd = cmd.substituted(&self.vars);
            if let Some(name) = &step.uses {
                let display = cmd.display();
                match self.artifact_check(i, &step, &display, |c, at| c.before_apply(at, name)) {
                    Ok(said) => progress.say(&format!("{label} {}: {said}", step.name)),
                    Err(why) => {
                        self.record.steps[i].status = "refused".into();
                        return self.finish(
                            i,
                            "refused",
                            Some(format!("step {} ({}) was not run: {why}", i + 1, step.name)),
                        );
                    }
                }
            }
            let file = format!("{}.log", step_file(i + 1, &step.name));
            self.record.steps[i].output = Some(file.clone());
            progress.say(&format!("{label} {}: {}", step.name, cmd.display()));
            let end = self.command(&step, &cmd, &file, &label, progress).await?;
            self.record.steps[i].finished = Some(rfc3339(now_ms()));
            match end {
                End::Exited(0) => {
                    self.record.steps[i].status = "succeeded".into();
                    self.record.steps[i].exit_code = Some(0);
                    if let Err(why) = self.artifact_after(i, &step, &cmd, &file, progress) {
                        self.record.steps[i].status = "failed".into();
                        return self.finish(
                            i,
                            "failed",
                            Some(format!("step {} ({}): {why}", i + 1, step.name)),
                        );
                    }
                    progress.say(&format!("{label} {}: done", step.name));
                    self.save()?;
                }
                other => return self.failed(i, &step, &other, "step"),
            }
        }
        self.store(|r| {
            r.state = PhaseStatus::Succeeded;
            r.step_index = None;
            r.step_name = None;
            r.finished_at = Some(now_ms());
            r.pgid = None;
            r.error = None;
        });
        self.record.outcome = "succeeded".into();
        self.record.finished = Some(rfc3339(now_ms()));
        self.save()
    }

    /// Ask the run's artifact check about step `i`; a run without one refuses.
    fn artifact_check(
        &self,
        i: usize,
        step: &Step,
        command: &str,
        ask: impl FnOnce(&dyn ArtifactCheck, &StepAt) -> Result<String, String>,
    ) -> Result<String, String> {
        let Some(check) = self.run.artifacts.0.clone() else {
            return Err(
                "this run has no artifact approval check (a step that writes or applies an artifact runs through `meridian phase run`)".into(),
            );
        };
        let at = StepAt {
            region: &self.run.region,
            phase: &self.run.phase,
            index: i,
            step: &step.name,
            command,
        };
        ask(&*check, &at)
    }

    /// After step `i` exited 0: spend the approval of the artifact it applied, keep the
    /// one it wrote (paths against its workdir) and ask for that one's approval.
    fn artifact_after(
        &self,
        i: usize,
        step: &Step,
        cmd: &StepCommand,
        file: &str,
        progress: &Progress,
    ) -> Result<(), String> {
        let output = self.dir.join(file);
        let display = cmd.display();
        let label = format!("{} {} {}", self.run.region, self.run.phase, i + 1);
        if let Some(name) = &step.uses {
            let said =
                self.artifact_check(i, step, &display, |c, at| c.applied(at, name, &output))?;
            progress.say(&format!("{label} {}: {said}", step.name));
        }
        if let Some(spec) = &step.artifact {
            let workdir = self.spec(step, Vec::new()).workdir.unwrap_or_default();
            let resolve = |p: &str| workdir.join(self.vars.substitute(p)).display().to_string();
            let spec = ArtifactSpec {
                name: spec.name.clone(),
                path: resolve(&spec.path),
                text: spec.text.as_deref().map(resolve),
            };
            let said =
                self.artifact_check(i, step, &display, |c, at| c.written(at, &spec, &output))?;
            progress.say(&format!("{label} {}: {said}", step.name));
        }
        Ok(())
    }

    /// Run one command of step `step`, output to `file` in the run folder.
    async fn command(
        &mut self,
        step: &Step,
        command: &StepCommand,
        file: &str,
        label: &str,
        progress: &Progress,
    ) -> ProviderResult<End> {
        let path = self.dir.join(file);
        let out = std::fs::File::create(&path).map_err(|e| {
            ProviderError::new(
                Some(&self.run.region),
                "save evidence",
                format!("{}: {e}", path.display()),
            )
        })?;
        let screen = Screen::new(
            progress.clone(),
            format!("{label} │"),
            path.display().to_string(),
        );
        let mut sink = Sink::new(out, screen);
        let spec = self.spec(step, command.argv());
        let _ = sink.note(&format!("$ {}", command.display()));
        let (region, phase) = (self.run.region.clone(), self.run.phase.clone());
        let store = &self.runner.store;
        let end = process::run(
            &spec,
            &mut sink,
            |pgid| {
                if let Err(e) = store.update_phase(&region, &phase, |r| r.pgid = Some(pgid)) {
                    log::warn!("{region}: {e}");
                }
            },
            self.wait_for_cancel(),
        )
        .await;
        // A signal while a cancel was asked for is the cancel (it came from another process).
        let end = match end {
            End::Signalled(_) if self.cancel_requested().is_some() => End::Cancelled,
            e => e,
        };
        let _ = sink.note(&describe(&end));
        let bytes = sink.finish().ok();
        if let Some(s) = self
            .record
            .steps
            .iter_mut()
            .find(|s| s.output.as_deref() == Some(file))
        {
            s.output_bytes = bytes;
        }
        self.store(|r| r.pgid = None);
        Ok(end)
    }

    fn spec(&self, step: &Step, argv: Vec<String>) -> Spec {
        let s = &self.runner.settings;
        let mut env: Vec<(String, String)> = s
            .env
            .iter()
            .map(|(k, v)| (k.clone(), self.vars.substitute(v)))
            .collect();
        env.extend(
            step.env
                .iter()
                .map(|(k, v)| (k.clone(), self.vars.substitute(v))),
        );
        env.extend(self.vars.exported());
        env.push(("MERIDIAN_PHASE".into(), self.run.phase.clone()));
        env.push(("MERIDIAN_STEP".into(), step.name.clone()));
        env.push(("MERIDIAN_EVIDENCE".into(), self.dir.display().to_string()));
        Spec {
            argv,
            workdir: Some(match &step.workdir {
                Some(w) => s.workdir.join(self.vars.substitute(w)),
                None => s.workdir.clone(),
            }),
            env,
            timeout: step.timeout.unwrap_or(s.timeout),
            grace: s.grace,
        }
    }

    fn cancel_requested(&self) -> Option<String> {
        let all = self.runner.store.read().ok()?;
        all.get(&self.run.region)?
            .get(&self.run.phase)?
            .cancel
            .clone()
    }

    async fn wait_for_cancel(&self) {
        loop {
            tokio::time::sleep(CANCEL_POLL).await;
            if self.cancel_requested().is_some() {
                return;
            }
        }
    }

    fn failed(&mut self, i: usize, step: &Step, end: &End, what: &str) -> ProviderResult<()> {
        let timeout = self.spec(step, Vec::new()).timeout;
        let by = self.cancel_requested().unwrap_or_else(|| "someone".into());
        let s = &mut self.record.steps[i];
        let (status, why) = match end {
            End::Exited(code) => {
                s.exit_code = Some(*code);
                ("failed", format!("exited with code {code}"))
            }
            End::Signalled(sig) => {
                s.signal = Some(*sig);
                ("failed", format!("was killed by signal {sig}"))
            }
            End::TimedOut => (
                "timed-out",
                format!("timed out after {}", humantime::format_duration(timeout)),
            ),
            End::Cancelled => ("cancelled", format!("was cancelled by {by}")),
            End::NotStarted(m) => ("failed", format!("could not start: {m}")),
        };
        s.status = status.into();
        let noun = if what == "check" {
            "the check of step"
        } else {
            "step"
        };
        let error = format!("{noun} {} ({}) {why}", i + 1, step.name);
        let outcome = if status == "cancelled" {
            "cancelled"
        } else {
            "failed"
        };
        self.finish(i, outcome, Some(error))
    }

    /// Record the end of a run that did not succeed, and return its error.
    fn finish(&mut self, i: usize, outcome: &str, error: Option<String>) -> ProviderResult<()> {
        let error = error.unwrap_or_else(|| outcome.to_string());
        let out_file = self.record.steps[i]
            .output
            .clone()
            .map(|f| self.dir.join(f).display().to_string());
        self.store(|r| {
            r.state = PhaseStatus::Failed;
            r.step_index = Some(i);
            r.finished_at = Some(now_ms());
            r.error = Some(error.clone());
            r.pgid = None;
            r.cancel = None;
        });
        self.record.outcome = outcome.into();
        self.record.error = Some(error.clone());
        self.record.finished = Some(rfc3339(now_ms()));
        self.save()?;
        let mut e = ProviderError::new(
            Some(&self.run.region),
            format!("phase {}", self.run.phase),
            error,
        );
        e = e.with_hint(match out_file {
            Some(f) => format!("output: {f}; run the phase again to resume at this step"),
            None => "run the phase again to resume at this step".into(),
        });
        Err(e)
    }
}

fn describe(end: &End) -> String {
    match end {
        End::Exited(c) => format!("exit code {c}"),
        End::Signalled(s) => format!("killed by signal {s}"),
        End::TimedOut => "timed out: stopped (SIGTERM, then SIGKILL after the grace period)".into(),
        End::Cancelled => {
            "cancelled: stopped (SIGTERM, then SIGKILL after the grace period)".into()
        }
        End::NotStarted(m) => format!("not started: {m}"),
    }
}
