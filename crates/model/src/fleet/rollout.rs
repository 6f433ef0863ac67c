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
    /// What the rollout is for: the recovery clock runs only for failovers and recoveries.
    pub kind: TemplateKind,
    /// The modes it may run in; empty: graceful only.
    pub modes: Vec<RunMode>,
    /// Per step of `steps` (same length and order): its timeout and mode.
    pub step_meta: Vec<StepMeta>,
}

/// What a template is for.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::VariantNames,
    strum::IntoStaticStr,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum TemplateKind {
    /// An ordinary change: no recovery clock.
    #[default]
    Release,
    /// Moving traffic and the writer to another region; may declare both modes.
    Failover,
    /// Getting the fleet healthy again: the recovery clock (RTO) runs from its start.
    Recovery,
}

impl TemplateKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Does a rollout of this kind run the recovery clock?
    pub fn is_recovery(self) -> bool {
        matches!(self, TemplateKind::Failover | TemplateKind::Recovery)
    }
}

/// How a failover runs: graceful (every step; the old region answers) or ungraceful (the
/// old region cannot answer: steps that need it are skipped, as AWS ARC does).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::VariantNames,
    strum::IntoStaticStr,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum RunMode {
    #[default]
    Graceful,
    Ungraceful,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What any step may add: how long it may take, and the only mode it runs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepMeta {
    /// Past this the step fails, saying what it was waiting for.
    #[serde(default, with = "opt_secs_de", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Runs only in this mode (`graceful`: it needs the old region to answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<RunMode>,
}

/// One concrete step as resolved, with what the template said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedStep {
    pub step: RolloutStep,
    /// A weights step's `for`.
    pub hold: Option<Duration>,
    pub meta: StepMeta,
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
    /// Open (`signups = "open"`) or close a region for new tenants in the routing map.
    Signups {
        region: String,
        open: bool,
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
    /// A command exits 0. With `artifact`, it writes a file a second person must approve
    /// (a Terraform plan); with `uses`, it applies one and runs only while the file is
    /// byte for byte the one approved.
    Command {
        run: StepCommand,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        artifact: Option<ArtifactSpec>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uses: Option<String>,
    },
    /// A person approves; with `second_person`, not the one who started the rollout. With
    /// `artifact`, a second person approves the exact hash of the artifact of that name
    /// the rollout last produced (`meridian approve --artifact HASH`).
    Approval {
        second_person: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        artifact: Option<String>,
    },
    /// Time passes.
    Wait {
        #[serde(with = "secs")]
        hold: Duration,
    },
    /// No alarm matching `prefix` and `tag` (in `region`'s AWS region, or every region
    /// the `[alarms]` table reads) has been in ALARM for `hold`: answered from the alarms'
    /// history at once, not waited out.
    Alarms {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        /// `KEY=value`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tag: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
        #[serde(with = "secs")]
        hold: Duration,
    },
}

/// A file a command gate writes for a second person to approve before a later step
/// applies it: `artifact = { name = "tfplan", path = "plans/{region}.tfplan", text =
/// "plans/{region}.txt" }`. Paths are relative to the directory meridian runs in, as the
/// command's are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactSpec {
    pub name: String,
    pub path: String,
    /// Its text form for the approver (`terraform show` output), a file the command
    /// also writes; without it, the artifact's own bytes are shown when they are text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One concrete step of a started rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "do")]
pub enum RolloutStep {
    Action(Action),
    Gate(GateSpec),
}

impl RolloutStep {
    /// The regions the step acts on or watches (for "it needs us-east-1").
    pub fn regions(&self) -> Vec<String> {
        match self {
            RolloutStep::Gate(GateSpec::Healthy { region, .. } | GateSpec::Lag { region, .. }) => {
                vec![region.clone()]
            }
            RolloutStep::Gate(_) => Vec::new(),
            RolloutStep::Action(a) => match a {
                Action::Drain { region }
                | Action::Promote { region }
                | Action::Rejoin { region }
                | Action::RunPhase { region, .. }
                | Action::Rollback { region, .. }
                | Action::Sync { region, .. }
                | Action::ResumeAutoSync { region, .. }
                | Action::Signups { region, .. }
                | Action::Deploy { region, .. } => vec![region.clone()],
                Action::TenantMove { to, .. } => vec![to.clone()],
                Action::Restore { regions } => regions.clone(),
                Action::SetWeights { weights } => weights.iter().map(|(r, _)| r.clone()).collect(),
            },
        }
    }

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
        Action::Signups { region, open: true } => format!("open sign-ups in {region}"),
        Action::Signups {
            region,
            open: false,
        } => format!("close sign-ups in {region}"),
        Action::TenantMove { tenant, to } => format!("move tenant {tenant} to {to}"),
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
        GateSpec::Command {
            run,
            artifact: Some(a),
            ..
        } => format!("command {} (writes artifact {})", run.display(), a.name),
        GateSpec::Command {
            run, uses: Some(u), ..
        } => format!("command {} (applies approved artifact {u})", run.display()),
        GateSpec::Command { run, .. } => format!("command {}", run.display()),
        GateSpec::Approval {
            artifact: Some(a), ..
        } => format!("approval of artifact {a} by a second person"),
        GateSpec::Approval {
            second_person: true,
            ..
        } => "approval by a second person".into(),
        GateSpec::Approval {
            second_person: false,
            ..
        } => "approval".into(),
        GateSpec::Wait { hold } => format!("wait {}", span(*hold)),
        GateSpec::Alarms {
            prefix,
            tag,
            region,
            hold,
        } => format!(
            "alarms quiet {}{}",
            span(*hold),
            alarm_scope(prefix.as_deref(), tag.as_deref(), region.as_deref())
        ),
    }
}

/// ` (prefix checkout-, tag team=payments, in eu-west-1)`: which alarms a gate watches.
pub fn alarm_scope(prefix: Option<&str>, tag: Option<&str>, region: Option<&str>) -> String {
    let parts: Vec<String> = [
        prefix.map(|p| format!("prefix {p}")),
        tag.map(|t| format!("tag {t}")),
        region.map(|r| format!("in {r}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    match parts.is_empty() {
        true => String::new(),
        false => format!(" ({})", parts.join(", ")),
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
        Ok(self
            .resolve_steps(fleet, params)?
            .into_iter()
            .map(|r| (r.step, r.hold))
            .collect())
    }

    /// The concrete steps with each one's timeout and mode (a `sync = "*"` step's
    /// timeout and mode hold for each tenant's step it becomes).
    pub fn resolve_steps(
        &self,
        fleet: &Fleet,
        params: &BTreeMap<String, String>,
    ) -> Result<Vec<ResolvedStep>, ResolveError> {
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
        // Which template step each concrete step came from, for its meta.
        let mut from: Vec<usize> = Vec::new();
        for (t, step) in self.steps.iter().enumerate() {
            from.resize(out.len(), t.saturating_sub(1));
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
                TemplateStep::Signups { region: r, open } => {
                    out.push(RolloutStep::Action(Action::Signups {
                        region: region(r)?,
                        open: *open,
                    }))
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
                    GateSpec::Command {
                        run,
                        artifact,
                        uses,
                    } => GateSpec::Command {
                        run: run.substituted_with(&f),
                        artifact: artifact.as_ref().map(|a| ArtifactSpec {
                            name: a.name.clone(),
                            path: f(&a.path),
                            text: a.text.as_deref().map(f),
                        }),
                        uses: uses.clone(),
                    },
                    GateSpec::Alarms {
                        prefix,
                        tag,
                        region: r,
                        hold,
                    } => GateSpec::Alarms {
                        prefix: prefix.as_deref().map(f),
                        tag: tag.as_deref().map(f),
                        region: r.as_deref().map(region).transpose()?,
                        hold: *hold,
                    },
                    other => other.clone(),
                })),
            }
        }
        from.resize(out.len(), self.steps.len().saturating_sub(1));
        Ok(out
            .into_iter()
            .enumerate()
            .map(|(i, step)| ResolvedStep {
                step,
                hold: holds.get(&i).copied(),
                meta: from
                    .get(i)
                    .and_then(|t| self.step_meta.get(*t))
                    .copied()
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// Does the template declare the ungraceful mode (a failover that can go on without
    /// the old region)?
    pub fn has_ungraceful(&self) -> bool {
        self.modes.contains(&RunMode::Ungraceful)
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

mod opt_secs_de {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u64(d.as_secs()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(d).map(|o| o.map(Duration::from_secs))
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

impl TemplateStep {
    /// A short line for the template as written, `{param}` placeholders kept: what the
    /// dashboard lists before a rollout is started ("sync * in {region}").
    pub fn label(&self) -> String {
        let every = |t: &str| match t {
            "*" => "every tenant".to_string(),
            t => t.to_string(),
        };
        match self {
            TemplateStep::Weights { weights, hold } => {
                let w: Vec<String> = weights.iter().map(|(r, a)| format!("{r}={a}")).collect();
                match hold {
                    Some(h) => format!("weights {} for {}", w.join(" "), span(*h)),
                    None => format!("weights {}", w.join(" ")),
                }
            }
            TemplateStep::Drain { region } => format!("drain {region}"),
            TemplateStep::Restore { regions } if regions.is_empty() => "restore all".into(),
            TemplateStep::Restore { regions } => format!("restore {}", regions.join(" ")),
            TemplateStep::Sync {
                tenant,
                region,
                revision,
            } => match revision {
                Some(r) => format!("sync {} in {region} to {r}", every(tenant)),
                None => format!("sync {} in {region}", every(tenant)),
            },
            TemplateStep::Rollback { tenant, region, .. } => {
                format!("rollback {} in {region}", every(tenant))
            }
            TemplateStep::Phase { phase, region } => format!("phase {phase} in {region}"),
            TemplateStep::Promote { region } => format!("promote {region}"),
            TemplateStep::Gate(g) => gate_label(g),
            TemplateStep::Deploy {
                tenant,
                region,
                version,
                ..
            } => match version {
                Some(v) => format!("deploy {} {v} in {region}", every(tenant)),
                None => format!("deploy {} in {region}", every(tenant)),
            },
            TemplateStep::Signups { region, open: true } => format!("open sign-ups in {region}"),
            TemplateStep::Signups {
                region,
                open: false,
            } => {
                format!("close sign-ups in {region}")
            }
        }
    }
}
