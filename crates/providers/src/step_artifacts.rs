//! The approval check of a phase step's artifact, as the phase runner sees it. The
//! approval store, the audit log and the two-person rule live in meridian-core, above the
//! providers, so the core hands the runner an [`ArtifactCheck`] with each [`crate::PhaseRun`]:
//! the runner asks it before a step that `uses` an artifact and after any step that writes
//! or applies one. A run without a check refuses such steps rather than skip the rule.

use std::sync::Arc;

use meridian_model::fleet::rollout::ArtifactSpec;

/// What the runner knows of the step at hand.
pub struct StepAt<'a> {
    pub region: &'a str,
    pub phase: &'a str,
    /// 0-based step of the phase.
    pub index: usize,
    pub step: &'a str,
    /// The command as run (placeholders substituted).
    pub command: &'a str,
}

/// The core's side of a phase step's artifact.
pub trait ArtifactCheck: Send + Sync {
    /// Before a step that applies artifact `name`: Ok (what was checked) lets it run,
    /// Err (why) refuses it and nothing is run.
    fn before_apply(&self, at: &StepAt, name: &str) -> Result<String, String>;
    /// After a step that applied artifact `name` exited 0: the approval is spent.
    fn applied(&self, at: &StepAt, name: &str, output: &std::path::Path) -> Result<String, String>;
    /// After a step that writes `spec` (paths resolved against the step's workdir)
    /// exited 0: keep it as evidence and ask for its approval; Err fails the step.
    fn written(
        &self,
        at: &StepAt,
        spec: &ArtifactSpec,
        output: &std::path::Path,
    ) -> Result<String, String>;
}

/// The check a phase run carries (none for runs that cannot meet an artifact step).
#[derive(Clone, Default)]
pub struct Artifacts(pub Option<Arc<dyn ArtifactCheck>>);

impl std::fmt::Debug for Artifacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Artifacts(check)"
        } else {
            "Artifacts(none)"
        })
    }
}

/// Two runs are the same run whatever checks they carry.
impl PartialEq for Artifacts {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
