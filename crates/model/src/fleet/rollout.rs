//! Rollout templates as the fleet file describes them (`[[rollouts]]`): ordered steps across
//! regions, each an ordinary action or a gate. A template is resolved into concrete steps
//! when a rollout starts, so a running rollout does not change when the file is edited.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Action;
use super::model::Fleet;
use super::step::StepCommand;
use crate::traffic::Ask;

/// One `[[rollouts]]` template.
#[derive(Debug, Clone, Serialize)]
pub struct RolloutTemplate {
    pub id: String,
    pub name: String,
    /// Names a `start` must give values for; steps use them as `{name}`.
    pub params: Vec<String>,
    pub steps: Vec<TemplateStep>,
}

/// A step as written, with `{param}` placeholders still in its strings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum TemplateStep {
    Weights {
        weights: Vec<(String, Ask)>,
        /// How long the weights are meant to hold (recorded; restoring is a later step).
        #[serde(with = "opt_secs")]
        hold: Option<Duration>,
    },
    Drain {
        region: String,
    },
    /// No regions: all of them.
    Restore {
        regions: Vec<String>,
    },
    /// `tenant = "*"`: every tenant that runs in the region.
    Sync {
        tenant: String,
        region: String,
        revision: Option<String>,
    },
    Rollback {
        tenant: String,
        region: String,
        to: Option<String>,
    },
    Phase {
        phase: String,
        region: String,
    },
    Promote {
        region: String,
    },
    Gate(GateSpec),
    /// `tenant = "*"`: every Helm tenant that runs in the region. `set` values may hold
    /// parameters (`"image.digest" = "{digest}"`).
    Deploy {
        tenant: String,
        region: String,
        version: Option<String>,
        set: Vec<(String, String)>,
    },
}

/// What a gate waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "gate")]
pub enum GateSpec {
    /// The region stays healthy for `hold`, counted from when the gate starts.
    Healthy {
        region: String,
        #[serde(with = "secs")]
        hold: Duration,
    },
    /// The region's replication lag is at most `under`.
    Lag {
        region: String,
        #[serde(with = "secs")]
        under: Duration,
    },
    /// A command exits 0.
    Command { run: StepCommand },
    /// A person approves; with `second_person`, not the one who started the rollout.
    Approval { second_person: bool },
    /// Time passes.
    Wait {
        #[serde(with = "secs")]
        hold: Duration,
    },
}

/// One concrete step of a started rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "do")]
pub enum RolloutStep {
    Action(Action),
    Gate(GateSpec),
}

impl RolloutStep {
    /// A short line for lists: "sync payments-prd in us-east-1", "us-east-1 healthy 15m".
    pub fn label(&self) -> String {
        match self {
            RolloutStep::Action(a) => action_label(a),
            RolloutStep::Gate(g) => gate_label(g),
        }
    }
}

fn action_label(a: &Action) -> String {
    match a {
        Action::Drain { region } => format!("drain {region}"),
        Action::Restore { regions } if regions.is_empty() => "restore all".into(),
        Action::Restore { regions } => format!("restore {}", regions.join(" ")),
        Action::SetWeights { weights } => {
            let w: Vec<String> = weights.iter().map(|(r, a)| format!("{r}={a}")).collect();
            format!("weights {}", w.join(" "))
        }
        Action::Promote { region } => format!("promote {region}"),
        Action::Rejoin { region } => format!("rejoin {region}"),
        Action::RunPhase { region, phase } => format!("phase {phase} in {region}"),
        Action::Rollback { tenant, region, .. } => format!("rollback {tenant} in {region}"),
        Action::Sync {
            tenant,
            region,
            revision,
        } => match revision {
            Some(r) => format!("sync {tenant} in {region} to {r}"),
            None => format!("sync {tenant} in {region}"),
        },
        Action::ResumeAutoSync { tenant, region } => {
            format!("resume auto-sync of {tenant} in {region}")
        }
        Action::Deploy {
            tenant,
            region,
            version,
            ..
        } => match version {
            Some(v) => format!("deploy {tenant} {v} in {region}"),
            None => format!("deploy {tenant} in {region}"),
        },
    }
}

fn gate_label(g: &GateSpec) -> String {
    match g {
        GateSpec::Healthy { region, hold } => format!("{region} healthy {}", span(*hold)),
        GateSpec::Lag { region, under } => format!("{region} lag under {}", span(*under)),
        GateSpec::Command { run } => format!("command {}", run.display()),
        GateSpec::Approval {
            second_person: true,
        } => "approval by a second person".into(),
        GateSpec::Approval {
            second_person: false,
        } => "approval".into(),
        GateSpec::Wait { hold } => format!("wait {}", span(*hold)),
    }
}

/// "15m", "2h", "1h30m", "45s": durations as operators write them.
pub fn span(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

/// Every `{name}` in `text`, in order.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(after[..close].to_string());
        rest = &after[close + 1..];
    }
    out
}

fn fill(text: &str, params: &BTreeMap<String, String>) -> String {
    params.iter().fold(text.to_string(), |acc, (k, v)| {
        acc.replace(&format!("{{{k}}}"), v)
    })
}

/// Why a template could not be started with the given parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ResolveError(pub String);

impl RolloutTemplate {
    /// The concrete steps for these parameter values: placeholders filled, `sync = "*"`
    /// expanded into one step per tenant of the region (each is its own action, confirmed
    /// and audited on its own).
    pub fn resolve(
        &self,
        fleet: &Fleet,
        params: &BTreeMap<String, String>,
    ) -> Result<Vec<(RolloutStep, Option<Duration>)>, ResolveError> {
        for p in &self.params {
            if !params.contains_key(p) {
                return Err(ResolveError(format!(
                    "rollout {} needs --param {p}=VALUE",
                    self.id
                )));
            }
        }
        for k in params.keys() {
            if !self.params.contains(k) {
                return Err(ResolveError(format!(
                    "rollout {} has no parameter \"{k}\"; its parameters: {}",
                    self.id,
                    if self.params.is_empty() {
                        "none".to_string()
                    } else {
                        self.params.join(", ")
                    }
                )));
            }
        }
        let f = |s: &str| fill(s, params);
        let region = |s: &str| -> Result<String, ResolveError> {
            let r = f(s);
            match fleet.region(&r) {
                Some(_) => Ok(r),
                None => Err(ResolveError(format!(
                    "rollout {}: \"{r}\" is not a region of fleet {}",
                    self.id, fleet.name
                ))),
            }
        };
        let tenants = |tenant: &str, r: &str| -> Vec<String> {
            if tenant == "*" {
                fleet
                    .tenants
                    .iter()
                    .filter(|t| t.runs_in(r))
                    .map(|t| t.id.clone())
                    .collect()
            } else {
                vec![f(tenant)]
            }
        };
        let mut out = Vec::new();
        // Which of the concrete steps set weights meant to hold only so long.
        let mut holds: std::collections::HashMap<usize, Duration> = Default::default();
        for step in &self.steps {
            match step {
                TemplateStep::Weights { weights, hold } => {
                    let mut w = Vec::new();
                    for (r, ask) in weights {
                        w.push((region(r)?, *ask));
                    }
                    if let Some(h) = hold {
                        holds.insert(out.len(), *h);
                    }
                    out.push(RolloutStep::Action(Action::SetWeights { weights: w }));
                }
                TemplateStep::Drain { region: r } => {
                    out.push(RolloutStep::Action(Action::Drain { region: region(r)? }))
                }
                TemplateStep::Restore { regions } => {
                    let rs = regions
                        .iter()
                        .map(|r| region(r))
                        .collect::<Result<_, _>>()?;
                    out.push(RolloutStep::Action(Action::Restore { regions: rs }));
                }
                TemplateStep::Sync {
                    tenant,
                    region: r,
                    revision,
                } => {
                    let r = region(r)?;
                    for t in tenants(tenant, &r) {
                        out.push(RolloutStep::Action(Action::Sync {
                            tenant: t,
                            region: r.clone(),
                            revision: revision.as_deref().map(f),
                        }));
                    }
                }
                TemplateStep::Rollback {
                    tenant,
                    region: r,
                    to,
                } => {
                    let r = region(r)?;
                    for t in tenants(tenant, &r) {
                        out.push(RolloutStep::Action(Action::Rollback {
                            tenant: t,
                            region: r.clone(),
                            to: to.as_deref().map(f),
                            via: None,
                        }));
                    }
                }
                TemplateStep::Phase { phase, region: r } => {
                    out.push(RolloutStep::Action(Action::RunPhase {
                        region: region(r)?,
                        phase: f(phase),
                    }))
                }
                TemplateStep::Promote { region: r } => {
                    out.push(RolloutStep::Action(Action::Promote { region: region(r)? }))
                }
                TemplateStep::Deploy {
                    tenant,
                    region: r,
                    version,
                    set,
                } => {
                    let r = region(r)?;
                    for t in tenants(tenant, &r) {
                        out.push(RolloutStep::Action(Action::Deploy {
                            tenant: t,
                            region: r.clone(),
                            version: version.as_deref().map(f),
                            set: set.iter().map(|(k, v)| (k.clone(), f(v))).collect(),
                            values: Vec::new(),
                        }));
                    }
                }
                TemplateStep::Gate(g) => out.push(RolloutStep::Gate(match g {
                    GateSpec::Healthy { region: r, hold } => GateSpec::Healthy {
                        region: region(r)?,
                        hold: *hold,
                    },
                    GateSpec::Lag { region: r, under } => GateSpec::Lag {
                        region: region(r)?,
                        under: *under,
                    },
                    GateSpec::Command { run } => GateSpec::Command {
                        run: run.substituted_with(&f),
                    },
                    other => other.clone(),
                })),
            }
        }
        Ok(out
            .into_iter()
            .enumerate()
            .map(|(i, step)| (step, holds.get(&i).copied()))
            .collect())
    }
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

mod opt_secs {
    use std::time::Duration;

    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u64(d.as_secs()),
            None => s.serialize_none(),
        }
    }
}
