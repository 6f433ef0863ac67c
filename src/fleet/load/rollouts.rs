//! Validating `[[rollouts]]` templates: step kinds, regions, tenants, phases, parameters
//! and durations, each error at the value that is wrong.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use toml::{Spanned, Value};

use super::Validator;
use crate::fleet::model::{Phase, Region, Tenant};
use crate::fleet::raw::RawRollout;
use crate::fleet::rollout::{GateSpec, RolloutTemplate, TemplateStep, placeholders};
use crate::fleet::step::StepCommand;
use crate::fleet::suggest::hint;
use crate::traffic::{Ask, TrafficRules};

/// The keys that name a step's kind; exactly one per step.
pub const STEP_KINDS: &[&str] = &[
    "weights", "drain", "restore", "sync", "rollback", "phase", "promote", "gate",
];

/// The kinds of gate.
pub const GATE_KINDS: &[&str] = &["healthy", "lag", "command", "approval", "wait"];

type RawStep = BTreeMap<String, Spanned<Value>>;

/// What the steps may refer to.
pub(super) struct Known<'a> {
    pub regions: &'a [Region],
    pub tenants: &'a [Tenant],
    pub phases: &'a [Phase],
    pub rules: &'a TrafficRules,
}

impl Validator<'_> {
    pub(super) fn rollouts(
        &mut self,
        raw: &[Spanned<RawRollout>],
        known: &Known,
    ) -> Vec<RolloutTemplate> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, sp) in raw.iter().enumerate() {
            let r = sp.get_ref();
            self.check_id(&r.id, &format!("rollouts[{i}].id"), "rollout", &mut seen);
            let params: Vec<String> = r.params.iter().map(|p| p.get_ref().clone()).collect();
            if r.steps.get_ref().is_empty() {
                self.err(
                    &r.steps,
                    format!("rollouts[{i}].steps"),
                    "a rollout needs at least one step",
                );
            }
            let mut steps = Vec::new();
            for (j, step) in r.steps.get_ref().iter().enumerate() {
                let key = format!("rollouts[{i}].steps[{j}]");
                if let Some(s) = self.rollout_step(step, &key, &params, known) {
                    steps.push(s);
                }
            }
            out.push(RolloutTemplate {
                id: r.id.get_ref().clone(),
                name: r.name.clone().unwrap_or_else(|| r.id.get_ref().clone()),
                params,
                steps,
            });
        }
        out
    }

    fn rollout_step(
        &mut self,
        sp: &Spanned<RawStep>,
        key: &str,
        params: &[String],
        known: &Known,
    ) -> Option<TemplateStep> {
        let step = sp.get_ref();
        let kinds: Vec<&String> = step
            .keys()
            .filter(|k| STEP_KINDS.contains(&k.as_str()))
            .collect();
        let kind = match kinds.as_slice() {
            [one] => one.as_str(),
            [] => {
                let msg = match step.keys().next() {
                    Some(first) => format!(
                        "\"{first}\" is not a step kind{}; a step is one of: {}",
                        hint(first, STEP_KINDS.iter().copied()),
                        STEP_KINDS.join(", ")
                    ),
                    None => format!("an empty step; a step is one of: {}", STEP_KINDS.join(", ")),
                };
                self.err(sp, key, msg);
                return None;
            }
            many => {
                let names: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
                self.err(
                    sp,
                    key,
                    format!("one kind per step, found {}", names.join(" and ")),
                );
                return None;
            }
        };
        // Every string may use the template's parameters, and only those.
        for (k, v) in step {
            for text in strings(v.get_ref()) {
                for p in placeholders(&text) {
                    if !params.contains(&p) {
                        let msg = format!(
                            "unknown parameter \"{{{p}}}\"{}; declare it in `params`",
                            hint(&p, params.iter().map(String::as_str))
                        );
                        self.err(v, format!("{key}.{k}"), msg);
                    }
                }
            }
        }
        let allowed: &[&str] = match kind {
            "weights" => &["weights", "for"],
            "drain" => &["drain"],
            "promote" => &["promote"],
            "restore" => &["restore"],
            "sync" => &["sync", "region", "revision"],
            "rollback" => &["rollback", "region", "to"],
            "phase" => &["phase", "region"],
            _ => &["gate", "region", "for", "under", "run", "by"],
        };
        for (k, v) in step {
            if !allowed.contains(&k.as_str()) {
                let msg = format!(
                    "unknown key \"{k}\" in a {kind} step{}",
                    hint(k, allowed.iter().copied()),
                );
                self.err(v, format!("{key}.{k}"), msg);
            }
        }
        let mut c = StepReader {
            v: self,
            step,
            at: sp,
            key,
            known,
        };
        c.build(kind)
    }
}

/// Every string inside a value (tables and arrays included).
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Table(t) => t.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

struct StepReader<'v, 'a, 's> {
    v: &'v mut Validator<'a>,
    step: &'s RawStep,
    at: &'s Spanned<RawStep>,
    key: &'s str,
    known: &'s Known<'s>,
}

impl StepReader<'_, '_, '_> {
    fn build(&mut self, kind: &str) -> Option<TemplateStep> {
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
            _ => TemplateStep::Gate(self.gate()?),
        })
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
        for k in ["region", "for", "under", "run", "by"] {
            let by_ok = k == "by" && kind == "approval";
            if self.step.contains_key(k) && !needs.contains(&k) && !by_ok {
                self.fail(
                    k,
                    format!(
                        "a {kind} gate has no `{k}`; it takes: {}",
                        if needs.is_empty() {
                            "by".to_string()
                        } else {
                            needs.join(", ")
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
                }
            }
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
            },
            _ => GateSpec::Wait {
                hold: self.duration("for")?,
            },
        })
    }
}
