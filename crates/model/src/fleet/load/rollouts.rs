//! Validating `[[rollouts]]` templates: step kinds, regions, tenants, phases, parameters
//! and durations, each error at the value that is wrong.

use std::collections::{BTreeMap, HashSet};

use toml::{Spanned, Value};

use super::Validator;
use super::rollout_steps::StepReader;
use crate::fleet::model::{Phase, Region, Tenant};
use crate::fleet::raw::RawRollout;
use crate::fleet::rollout::{
    GateSpec, RolloutTemplate, RunMode, StepMeta, TemplateKind, TemplateStep, placeholders,
};
use crate::fleet::suggest::hint;
use crate::traffic::TrafficRules;

/// The keys that name a step's kind; exactly one per step.
pub const STEP_KINDS: &[&str] = &[
    "weights", "drain", "restore", "sync", "rollback", "phase", "promote", "gate", "deploy",
    "signups",
];

/// Keys any step may have besides its kind's own.
pub const COMMON_STEP_KEYS: &[&str] = &["timeout", "mode"];

/// The kinds of gate.
pub const GATE_KINDS: &[&str] = &["healthy", "lag", "command", "approval", "wait", "alarms"];

pub(super) type RawStep = BTreeMap<String, Spanned<Value>>;

/// What the steps may refer to.
pub(super) struct Known<'a> {
    pub regions: &'a [Region],
    pub tenants: &'a [Tenant],
    pub phases: &'a [Phase],
    pub rules: &'a TrafficRules,
    /// The fleet has an `[alarms]` table (an alarms gate needs one).
    pub alarms: bool,
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
            let kind = self.template_kind(r, i);
            let modes = self.template_modes(r, i, kind);
            let mut steps = Vec::new();
            let mut step_meta = Vec::new();
            let mut produced = HashSet::new();
            for (j, step) in r.steps.get_ref().iter().enumerate() {
                let key = format!("rollouts[{i}].steps[{j}]");
                let meta = self.step_meta(step.get_ref(), &key, &modes);
                if let Some(s) = self.rollout_step(step, &key, &params, known) {
                    self.artifact_order(&s, step, &key, &mut produced);
                    steps.push(s);
                    step_meta.push(meta);
                }
            }
            out.push(RolloutTemplate {
                id: r.id.get_ref().clone(),
                name: r.name.clone().unwrap_or_else(|| r.id.get_ref().clone()),
                params,
                steps,
                kind,
                modes,
                step_meta,
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
            "deploy" => &["deploy", "region", "version", "set"],
            "signups" => &["signups", "region"],
            _ => &[
                "gate", "region", "for", "under", "run", "by", "prefix", "tag", "artifact", "uses",
            ],
        };
        for (k, v) in step {
            if !allowed.contains(&k.as_str()) && !COMMON_STEP_KEYS.contains(&k.as_str()) {
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

impl Validator<'_> {
    /// An artifact is approved or applied only after a step before it writes it.
    fn artifact_order(
        &mut self,
        s: &TemplateStep,
        sp: &Spanned<RawStep>,
        key: &str,
        produced: &mut HashSet<String>,
    ) {
        let (wants, k) = match s {
            TemplateStep::Gate(GateSpec::Command {
                artifact: Some(a), ..
            }) => {
                produced.insert(a.name.clone());
                return;
            }
            TemplateStep::Gate(GateSpec::Command { uses: Some(u), .. }) => (u, "uses"),
            TemplateStep::Gate(GateSpec::Approval {
                artifact: Some(a), ..
            }) => (a, "artifact"),
            _ => return,
        };
        if !produced.contains(wants) {
            let known = produced.iter().cloned().collect::<Vec<_>>().join(", ");
            let msg = format!(
                "no step before this one writes artifact \"{wants}\"{}: a command gate with `artifact = {{ name = \"{wants}\", path = \"...\" }}` must come first",
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (written before it: {known})")
                }
            );
            match sp.get_ref().get(k) {
                Some(at) => self.err(at, format!("{key}.{k}"), msg),
                None => self.err(sp, format!("{key}.{k}"), msg),
            }
        }
    }

    fn template_kind(&mut self, r: &RawRollout, i: usize) -> TemplateKind {
        let Some(k) = &r.kind else {
            return TemplateKind::default();
        };
        match k.get_ref().parse() {
            Ok(kind) => kind,
            Err(_) => {
                let valid = super::quoted(<TemplateKind as strum::VariantNames>::VARIANTS);
                let msg = format!("unknown kind \"{}\"; valid: {valid}", k.get_ref());
                self.err(k, format!("rollouts[{i}].kind"), msg);
                TemplateKind::default()
            }
        }
    }

    fn template_modes(&mut self, r: &RawRollout, i: usize, kind: TemplateKind) -> Vec<RunMode> {
        let mut modes = Vec::new();
        for m in &r.modes {
            match m.get_ref().parse::<RunMode>() {
                Ok(mode) if !modes.contains(&mode) => modes.push(mode),
                Ok(_) => {}
                Err(_) => {
                    let valid = super::quoted(<RunMode as strum::VariantNames>::VARIANTS);
                    let msg = format!("unknown mode \"{}\"; valid: {valid}", m.get_ref());
                    self.err(m, format!("rollouts[{i}].modes"), msg);
                }
            }
        }
        if modes.contains(&RunMode::Ungraceful)
            && kind != TemplateKind::Failover
            && let Some(first) = r.modes.first()
        {
            self.err(
                first,
                format!("rollouts[{i}].modes"),
                "only a failover (`kind = \"failover\"`) runs ungraceful: it skips the steps that need the old region",
            );
        }
        modes
    }

    /// A step's `timeout` and `mode`.
    fn step_meta(&mut self, step: &RawStep, key: &str, modes: &[RunMode]) -> StepMeta {
        let mut meta = StepMeta::default();
        if let Some(t) = step.get("timeout") {
            match t.get_ref().as_str().map(humantime::parse_duration) {
                Some(Ok(d)) if !d.is_zero() => meta.timeout = Some(d),
                _ => self.err(
                    t,
                    format!("{key}.timeout"),
                    "`timeout` is a duration longer than 0s, e.g. \"10m\"",
                ),
            }
        }
        if let Some(m) = step.get("mode") {
            match m.get_ref().as_str().map(str::parse::<RunMode>) {
                Some(Ok(mode)) if modes.contains(&RunMode::Ungraceful) => meta.only = Some(mode),
                Some(Ok(_)) => self.err(
                    m,
                    format!("{key}.mode"),
                    "a step's `mode` needs the template to declare `modes = [\"graceful\", \"ungraceful\"]`",
                ),
                _ => self.err(
                    m,
                    format!("{key}.mode"),
                    "`mode` is \"graceful\" (the step needs the old region) or \"ungraceful\"",
                ),
            }
        }
        meta
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
