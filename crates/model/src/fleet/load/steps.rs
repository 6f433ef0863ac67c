//! Validating phases and their steps (commands, checks, timeouts).

use std::collections::HashSet;

use toml::Spanned;

use super::Validator;
use crate::fleet::model::*;
use crate::fleet::raw::*;
use crate::fleet::rollout::ArtifactSpec;

impl Validator<'_> {
    pub(super) fn phases(&mut self, raw: &[Spanned<RawPhase>], shell: bool) -> Vec<Phase> {
        let mut seen = HashSet::new();
        // Artifacts declared by the steps so far: a step may only use an earlier one's.
        let mut written: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for (i, sp) in raw.iter().enumerate() {
            let p = sp.get_ref();
            let id = p.id.get_ref().clone();
            self.check_id(&p.id, &format!("phases[{i}].id"), "phase", &mut seen);
            if p.steps.is_empty() {
                self.err(
                    sp,
                    format!("phases[{i}].steps"),
                    "a phase needs at least one step",
                );
            }
            let steps: Vec<Step> = p
                .steps
                .iter()
                .enumerate()
                .map(|(j, s)| self.step(s, &format!("phases[{i}].steps[{j}]"), shell))
                .collect();
            for (j, (step, s)) in steps.iter().zip(&p.steps).enumerate() {
                if let Some(a) = &step.artifact
                    && (a.name.trim().is_empty() || a.path.trim().is_empty())
                {
                    self.err(
                        s,
                        format!("phases[{i}].steps[{j}].artifact"),
                        "an artifact needs a name and the path the step writes: { name = \"tfplan\", path = \"tfplan\", text = \"tfplan.txt\" }",
                    );
                }
                if let Some(u) = &step.uses
                    && !written.contains(u)
                {
                    self.err(
                        s,
                        format!("phases[{i}].steps[{j}].uses"),
                        format!("no earlier phase step declares artifact \"{u}\": declare it on the step that writes it (`artifact = {{ name = \"{u}\", path = \"...\" }}`)"),
                    );
                }
                if let Some(a) = &step.artifact {
                    written.insert(a.name.clone());
                }
            }
            out.push(Phase {
                name: p.name.clone().unwrap_or_else(|| id.clone()),
                id,
                steps,
            });
        }
        out
    }

    fn step(&mut self, raw: &Spanned<RawStep>, key: &str, shell: bool) -> Step {
        let command = |c: &RawCommand| match c {
            RawCommand::Shell(s) => StepCommand::Shell(s.clone()),
            RawCommand::Argv(a) => StepCommand::Argv(a.clone()),
        };
        let step = match raw.get_ref() {
            RawStep::Name(name) => Step::named(name.clone()),
            RawStep::Full(t) => {
                let timeout = t
                    .timeout
                    .as_ref()
                    .and_then(|d| match humantime::parse_duration(d) {
                        Ok(d) if !d.is_zero() => Some(d),
                        _ => {
                            self.err(
                                raw,
                                format!("{key}.timeout"),
                                format!("\"{d}\" is not a duration; write e.g. \"10m\" or \"90s\""),
                            );
                            None
                        }
                    });
                for (what, c) in [("run", &t.run), ("check", &t.check)] {
                    if let Some(RawCommand::Argv(a)) = c
                        && a.first().is_none_or(|p| p.is_empty())
                    {
                        self.err(
                            raw,
                            format!("{key}.{what}"),
                            "an argv list needs a program first",
                        );
                    }
                }
                Step {
                    name: t.name.clone(),
                    run: t.run.as_ref().map(command),
                    check: t.check.as_ref().map(command),
                    timeout,
                    workdir: t.workdir.clone(),
                    env: t.env.clone().unwrap_or_default(),
                    artifact: t.artifact.as_ref().map(|a| ArtifactSpec {
                        name: a.name.clone(),
                        path: a.path.clone(),
                        text: a.text.clone(),
                    }),
                    uses: t.uses.clone(),
                }
            }
        };
        if shell && step.run.is_none() {
            self.err(
                raw,
                format!("{key}.run"),
                format!("step \"{}\" has no `run`: the shell runner needs a command for every step (e.g. {{ name = \"{}\", run = \"...\" }})", step.name, step.name),
            );
        }
        step
    }
}
