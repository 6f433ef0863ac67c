//! Reading one rollout step's keys into a `TemplateStep`: each kind's required keys, and
//! each value checked against the fleet (regions, tenants, phases, weights, durations).

use std::time::Duration;

use toml::{Spanned, Value};

use super::Validator;
use super::rollouts::{GATE_KINDS, Known, RawStep};
use crate::fleet::rollout::{ArtifactSpec, GateSpec, TemplateStep, placeholders};
use crate::fleet::step::StepCommand;
use crate::fleet::suggest::hint;
use crate::traffic::Ask;

pub(super) struct StepReader<'v, 'a, 's> {
    pub(super) v: &'v mut Validator<'a>,
    pub(super) step: &'s RawStep,
    pub(super) at: &'s Spanned<RawStep>,
    pub(super) key: &'s str,
    pub(super) known: &'s Known<'s>,
}

impl StepReader<'_, '_, '_> {
    pub(super) fn build(&mut self, kind: &str) -> Option<TemplateStep> {
        Some(match kind {
            "weights" => self.weights()?,
            "drain" => TemplateStep::Drain {
                region: self.region(kind)?,
            },
            "promote" => TemplateStep::Promote {
                region: self.region(kind)?,
            },
            "restore" => TemplateStep::Restore {
                regions: self.restore()?,
            },
            "sync" => TemplateStep::Sync {
                tenant: self.tenant(kind)?,
                region: self.region("region")?,
                revision: self.opt_text("revision")?,
            },
            "rollback" => TemplateStep::Rollback {
                tenant: self.tenant(kind)?,
                region: self.region("region")?,
                to: self.opt_text("to")?,
            },
            "phase" => {
                let phase = self.text("phase")?;
                let ids: Vec<&str> = self.known.phases.iter().map(|p| p.id.as_str()).collect();
                if placeholders(&phase).is_empty() && !ids.contains(&phase.as_str()) {
                    self.fail(
                        "phase",
                        format!(
                            "unknown phase \"{phase}\"{}; valid: {}",
                            hint(&phase, ids.iter().copied()),
                            ids.join(", ")
                        ),
                    );
                    return None;
                }
                TemplateStep::Phase {
                    phase,
                    region: self.region("region")?,
                }
            }
            "deploy" => TemplateStep::Deploy {
                tenant: self.tenant(kind)?,
                region: self.region("region")?,
                version: self.opt_text("version")?,
                set: self.set_table()?,
            },
            "signups" => TemplateStep::Signups {
                open: self.signups_open()?,
                region: self.region("region")?,
            },
            _ => TemplateStep::Gate(self.gate()?),
        })
    }

    /// A signups step's `signups = "open"` or `"close"` (phase 6 "Region registration"
    /// opens a region for new tenants; a teardown closes it first).
    fn signups_open(&mut self) -> Option<bool> {
        match self.text("signups")?.as_str() {
            "open" => Some(true),
            "close" => Some(false),
            other => {
                let msg = format!(
                    "`signups` is \"open\" or \"close\" (got \"{other}\"), e.g. {{ signups = \"open\", region = \"{{region}}\" }}"
                );
                self.fail("signups", msg);
                None
            }
        }
    }

    /// A deploy step's `set = { "image.tag" = "1.5.0" }`: string values, as `--set` takes.
    fn set_table(&mut self) -> Option<Vec<(String, String)>> {
        match self.step.get("set").map(|v| v.get_ref()) {
            None => Some(Vec::new()),
            Some(Value::Table(t)) => {
                let mut out = Vec::new();
                for (k, v) in t {
                    match v {
                        Value::String(s) => out.push((k.clone(), s.clone())),
                        Value::Integer(_) | Value::Float(_) | Value::Boolean(_) => {
                            out.push((k.clone(), v.to_string()))
                        }
                        _ => {
                            self.fail(
                                "set",
                                format!("set.\"{k}\" must be a string, number or boolean"),
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Some(_) => {
                self.fail(
                    "set",
                    "`set` must be a table, e.g. set = { \"image.tag\" = \"{tag}\" }".into(),
                );
                None
            }
        }
    }

    fn fail(&mut self, k: &str, msg: String) {
        let key = format!("{}.{k}", self.key);
        match self.step.get(k) {
            Some(v) => self.v.err(v, key, msg),
            None => self.v.err(self.at, key, msg),
        }
    }

    fn text(&mut self, k: &str) -> Option<String> {
        match self.step.get(k).map(|v| v.get_ref()) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(_) => {
                self.fail(k, format!("`{k}` must be a non-empty string"));
                None
            }
            None => {
                self.fail(k, format!("this step needs `{k}`"));
                None
            }
        }
    }

    fn opt_text(&mut self, k: &str) -> Option<Option<String>> {
        match self.step.get(k) {
            None => Some(None),
            Some(_) => self.text(k).map(Some),
        }
    }

    fn region(&mut self, k: &str) -> Option<String> {
        let r = self.text(k)?;
        if !placeholders(&r).is_empty() {
            return Some(r);
        }
        let ids: Vec<&str> = self.known.regions.iter().map(|r| r.id.as_str()).collect();
        if ids.contains(&r.as_str()) {
            Some(r)
        } else {
            let msg = format!(
                "unknown region \"{r}\"{}; valid: {}",
                hint(&r, ids.iter().copied()),
                ids.join(", ")
            );
            self.fail(k, msg);
            None
        }
    }

    fn tenant(&mut self, k: &str) -> Option<String> {
        let t = self.text(k)?;
        if t == "*" || !placeholders(&t).is_empty() {
            return Some(t);
        }
        let ids: Vec<&str> = self.known.tenants.iter().map(|t| t.id.as_str()).collect();
        if ids.contains(&t.as_str()) {
            Some(t)
        } else {
            let msg = format!(
                "unknown tenant \"{t}\"{}; valid: \"*\" (every tenant of the region), {}",
                hint(&t, ids.iter().copied()),
                ids.join(", ")
            );
            self.fail(k, msg);
            None
        }
    }

    fn duration(&mut self, k: &str) -> Option<Duration> {
        let text = self.text(k)?;
        match humantime::parse_duration(&text) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.fail(k, format!("`{k}` must be longer than 0s"));
                None
            }
            Err(e) => {
                self.fail(
                    k,
                    format!(
                        "\"{text}\" is not a duration ({e}); write e.g. \"90s\", \"15m\" or \"2h\""
                    ),
                );
                None
            }
        }
    }

    fn weights(&mut self) -> Option<TemplateStep> {
        let Some(Value::Table(t)) = self.step.get("weights").map(|v| v.get_ref()) else {
            self.fail("weights", "`weights` must be a table of region = weight, e.g. { \"eastus\" = 10, \"westeurope\" = 90 }".into());
            return None;
        };
        let mut weights = Vec::new();
        let mut ok = true;
        for (region, w) in t {
            let ids: Vec<&str> = self.known.regions.iter().map(|r| r.id.as_str()).collect();
            if !ids.contains(&region.as_str()) {
                let msg = format!(
                    "unknown region \"{region}\"{}; valid: {}",
                    hint(region, ids.iter().copied()),
                    ids.join(", ")
                );
                self.fail("weights", msg);
                ok = false;
                continue;
            }
            let text = match w {
                Value::Integer(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::String(s) => s.clone(),
                _ => String::new(),
            };
            match Ask::parse(&text, self.known.rules) {
                Some(a) => weights.push((region.clone(), a)),
                None => {
                    self.fail("weights", format!("the weight of {region} (\"{text}\") is not a weight: write a number in the traffic provider's range or a share such as \"90%\""));
                    ok = false;
                }
            }
        }
        let hold = match self.step.get("for") {
            Some(_) => Some(self.duration("for")?),
            None => None,
        };
        ok.then_some(TemplateStep::Weights { weights, hold })
    }

    fn restore(&mut self) -> Option<Vec<String>> {
        match self.step.get("restore").map(|v| v.get_ref()) {
            Some(Value::String(s)) if s == "all" => Some(Vec::new()),
            Some(Value::String(_)) => self.region("restore").map(|r| vec![r]),
            Some(Value::Array(items)) => {
                let ids: Vec<&str> = self.known.regions.iter().map(|r| r.id.as_str()).collect();
                let mut out = Vec::new();
                for i in items {
                    match i.as_str() {
                        Some(r) if ids.contains(&r) || !placeholders(r).is_empty() => {
                            out.push(r.to_string())
                        }
                        _ => {
                            self.fail(
                                "restore",
                                format!("unknown region {i}; valid: \"all\", {}", ids.join(", ")),
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
            _ => {
                self.fail(
                    "restore",
                    "`restore` is \"all\", a region, or a list of regions".into(),
                );
                None
            }
        }
    }

    fn gate(&mut self) -> Option<GateSpec> {
        let kind = self.text("gate")?;
        let needs: &[&str] = match kind.as_str() {
            "healthy" => &["region", "for"],
            "lag" => &["region", "under"],
            "command" => &["run"],
            "approval" => &[],
            "wait" => &["for"],
            "alarms" => &["for"],
            other => {
                let msg = format!(
                    "unknown gate \"{other}\"{}; valid: {}",
                    hint(other, GATE_KINDS.iter().copied()),
                    GATE_KINDS.join(", ")
                );
                self.fail("gate", msg);
                return None;
            }
        };
        for k in [
            "region", "for", "under", "run", "by", "prefix", "tag", "artifact", "uses",
        ] {
            let by_ok = k == "by" && kind == "approval";
            let alarms_ok = kind == "alarms" && ["region", "prefix", "tag"].contains(&k);
            let artifact_ok = (k == "artifact" && ["command", "approval"].contains(&kind.as_str()))
                || (k == "uses" && kind == "command");
            if self.step.contains_key(k)
                && !needs.contains(&k)
                && !by_ok
                && !alarms_ok
                && !artifact_ok
            {
                self.fail(
                    k,
                    format!(
                        "a {kind} gate has no `{k}`; it takes: {}",
                        match kind.as_str() {
                            "approval" => "by, artifact".to_string(),
                            "command" => "run, artifact, uses".to_string(),
                            "alarms" => "for, prefix, tag, region".to_string(),
                            _ => needs.join(", "),
                        }
                    ),
                );
            }
        }
        Some(match kind.as_str() {
            "healthy" => GateSpec::Healthy {
                region: self.region("region")?,
                hold: self.duration("for")?,
            },
            "lag" => GateSpec::Lag {
                region: self.region("region")?,
                under: self.duration("under")?,
            },
            "command" => {
                GateSpec::Command {
                    run: match self.step.get("run").map(|v| v.get_ref()) {
                        Some(Value::String(s)) if !s.trim().is_empty() => {
                            StepCommand::Shell(s.clone())
                        }
                        Some(Value::Array(a))
                            if a.first()
                                .and_then(|p| p.as_str())
                                .is_some_and(|p| !p.is_empty())
                                && a.iter().all(|x| x.is_str()) =>
                        {
                            StepCommand::Argv(
                                a.iter()
                                    .filter_map(|x| x.as_str().map(String::from))
                                    .collect(),
                            )
                        }
                        _ => {
                            self.fail("run", "`run` is a shell command string or an argv list with a program first".into());
                            return None;
                        }
                    },
                    artifact: self.artifact_spec()?,
                    uses: self.opt_text("uses")?,
                }
            }
            "alarms" => self.alarms_gate()?,
            "approval" => GateSpec::Approval {
                second_person: match self.step.get("by").map(|v| v.get_ref()) {
                    None => false,
                    Some(Value::String(s)) if s == "anyone" => false,
                    Some(Value::String(s)) if s == "second-person" => true,
                    Some(_) => {
                        self.fail("by", "`by` is \"second-person\" (not whoever started the rollout) or \"anyone\"".into());
                        return None;
                    }
                },
                artifact: self.opt_text("artifact")?,
            },
            _ => GateSpec::Wait {
                hold: self.duration("for")?,
            },
        })
    }

    /// A command gate's `artifact = { name = "tfplan", path = "...", text = "..." }`.
    fn artifact_spec(&mut self) -> Option<Option<ArtifactSpec>> {
        let Some(v) = self.step.get("artifact").map(|v| v.get_ref()) else {
            return Some(None);
        };
        let table = v.as_table();
        let field = |k: &str| {
            table
                .and_then(|t| t.get(k))
                .and_then(|x| x.as_str())
                .filter(|x| !x.trim().is_empty())
                .map(String::from)
        };
        let unknown = table.and_then(|t| {
            t.keys()
                .find(|k| !["name", "path", "text"].contains(&k.as_str()))
                .cloned()
        });
        match (field("name"), field("path"), unknown) {
            (Some(name), Some(path), None) => Some(Some(ArtifactSpec {
                name,
                path,
                text: field("text"),
            })),
            (_, _, Some(k)) => {
                self.fail(
                    "artifact",
                    format!("unknown key \"{k}\" in `artifact`; it takes: name, path, text"),
                );
                None
            }
            _ => {
                self.fail(
                    "artifact",
                    "a command gate's `artifact` is a table: { name = \"tfplan\", path = \"FILE the command writes\", text = \"its text form (optional)\" }".into(),
                );
                None
            }
        }
    }

    /// `{ gate = "alarms", prefix = "...", tag = "KEY=value", region = "...", for = "7d" }`.
    fn alarms_gate(&mut self) -> Option<GateSpec> {
        if !self.known.alarms {
            self.fail(
                "gate",
                "an alarms gate reads CloudWatch: the fleet needs an `[alarms]` table (provider = \"cloudwatch\")".into(),
            );
            return None;
        }
        let prefix = self.opt_text("prefix")?;
        let tag = self.opt_text("tag")?;
        if let Some(t) = &tag
            && placeholders(t).is_empty()
            && t.split_once('=').is_none_or(|(k, _)| k.trim().is_empty())
        {
            self.fail(
                "tag",
                format!("`tag` is KEY=value, e.g. \"team=payments\" (got \"{t}\")"),
            );
            return None;
        }
        let region = match self.step.get("region") {
            Some(_) => Some(self.region("region")?),
            None => None,
        };
        let hold = self.duration("for")?;
        // CloudWatch keeps 30 days of alarm history: a longer window cannot be proven.
        if hold > std::time::Duration::from_secs(30 * 86_400) {
            self.fail(
                "for",
                "an alarms gate reads CloudWatch's alarm history, kept for 30 days: `for` is 30d or less".into(),
            );
            return None;
        }
        Some(GateSpec::Alarms {
            prefix,
            tag,
            region,
            hold,
        })
    }
}

#[cfg(test)]
mod deploy_step_tests {
    use std::collections::BTreeMap;

    use crate::fleet::rollout::RolloutStep;
    use crate::fleet::{Action, FleetSource, load::DEMO_FLEET, parse};

    fn with_rollout(steps: &str) -> Result<crate::fleet::Fleet, String> {
        let src = format!(
            "{DEMO_FLEET}\n[[rollouts]]\nid = \"ship\"\nname = \"Ship\"\nparams = [\"digest\"]\nsteps = [\n  {steps}\n]\n"
        );
        parse(&src, "fleet.toml", FleetSource::Demo).map_err(|e| e.to_string())
    }

    #[test]
    fn a_deploy_step_fills_its_set_values_and_version_from_the_parameters() {
        let f = with_rollout(
            "{ deploy = \"search-stg\", region = \"eu-west-1\", version = \"1.5.0\", set = { \"image.digest\" = \"{digest}\", replicas = 3 } },",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let r = f.rollouts.iter().find(|r| r.id == "ship").expect("rollout");
        let params = BTreeMap::from([("digest".to_string(), "sha256:abc".to_string())]);
        let steps = r.resolve(&f, &params).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(steps.len(), 1);
        let RolloutStep::Action(Action::Deploy {
            tenant,
            region,
            version,
            set,
            ..
        }) = &steps[0].0
        else {
            panic!("{:?}", steps[0].0)
        };
        assert_eq!(
            (tenant.as_str(), region.as_str()),
            ("search-stg", "eu-west-1")
        );
        assert_eq!(version.as_deref(), Some("1.5.0"));
        assert_eq!(
            set,
            &vec![
                ("image.digest".to_string(), "sha256:abc".to_string()),
                ("replicas".to_string(), "3".to_string())
            ]
        );
    }

    #[test]
    fn a_deploy_step_with_a_bad_set_or_an_unknown_key_is_refused_at_its_place() {
        let err = with_rollout("{ deploy = \"search-stg\", region = \"eu-west-1\", set = \"x\" },")
            .expect_err("set must be a table");
        assert!(err.contains("`set` must be a table"), "{err}");
        let err =
            with_rollout("{ deploy = \"search-stg\", region = \"eu-west-1\", chart = \"x\" },")
                .expect_err("unknown key");
        assert!(
            err.contains("unknown key \"chart\" in a deploy step"),
            "{err}"
        );
        let err = with_rollout("{ deploy = \"search-stg\" },").expect_err("no region");
        assert!(err.contains("needs `region`"), "{err}");
    }
}

#[cfg(test)]
mod signups_step_tests {
    use std::collections::BTreeMap;

    use crate::fleet::rollout::RolloutStep;
    use crate::fleet::{Action, FleetSource, load::DEMO_FLEET, parse};

    fn with_rollout(steps: &str) -> Result<crate::fleet::Fleet, String> {
        let src = format!(
            "{DEMO_FLEET}\n[[rollouts]]\nid = \"register\"\nparams = [\"region\"]\nsteps = [\n  {steps}\n]\n"
        );
        parse(&src, "fleet.toml", FleetSource::Demo).map_err(|e| e.to_string())
    }

    #[test]
    fn a_signups_step_opens_or_closes_the_region_its_parameter_names() {
        let f = with_rollout(
            "{ signups = \"open\", region = \"{region}\" },\n  { signups = \"close\", region = \"{region}\" },",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let r = f
            .rollouts
            .iter()
            .find(|r| r.id == "register")
            .expect("rollout");
        let params = BTreeMap::from([("region".to_string(), "eu-west-1".to_string())]);
        let steps = r.resolve(&f, &params).unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<_> = steps.into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            got,
            vec![
                RolloutStep::Action(Action::Signups {
                    region: "eu-west-1".into(),
                    open: true
                }),
                RolloutStep::Action(Action::Signups {
                    region: "eu-west-1".into(),
                    open: false
                }),
            ]
        );
    }

    #[test]
    fn a_signups_step_other_than_open_or_close_or_without_a_region_is_refused() {
        let err = with_rollout("{ signups = \"pause\", region = \"eu-west-1\" },")
            .expect_err("open or close");
        assert!(err.contains("`signups` is \"open\" or \"close\""), "{err}");
        let err = with_rollout("{ signups = \"open\" },").expect_err("no region");
        assert!(err.contains("needs `region`"), "{err}");
        let err = with_rollout("{ signups = \"open\", region = \"mars-1\" },")
            .expect_err("unknown region");
        assert!(err.contains("unknown region \"mars-1\""), "{err}");
    }
}
