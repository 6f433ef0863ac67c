//! The practice artifact: what an artifact-writing command gate leaves in a practice,
//! where its command is never run. It is written in the practice's own state directory
//! (never at the template's path, which may be a real working directory), says in its
//! first line that it is a practice artifact, and is kept and offered for approval as a
//! real one is, so a pair can rehearse the second person's approval.

use std::path::Path;

use crate::actions::rollout::Rollout;
use meridian_model::fleet::rollout::ArtifactSpec;

/// Write the practice artifact for step `index` of `r`, and the spec that points at it.
pub(super) fn practice_artifact(
    state_dir: &Path,
    r: &Rollout,
    index: usize,
    spec: &ArtifactSpec,
    command: &str,
) -> Result<ArtifactSpec, String> {
    let dir = state_dir
        .join("practice-artifacts")
        .join(&r.id)
        .join(format!("{}-{}", index + 1, spec.name));
    let path = dir.join(&spec.name);
    let text = format!(
        "PRACTICE ARTIFACT (not real): rollout {} step {} would write artifact {} at {} with `{command}`; the command was not run, and nothing here can be applied\n",
        r.id,
        index + 1,
        spec.name,
        spec.path,
    );
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, &text))
        .map_err(|e| {
            format!(
                "the practice artifact {} could not be written in {}: {e}",
                spec.name,
                dir.display()
            )
        })?;
    Ok(ArtifactSpec {
        name: spec.name.clone(),
        path: path.display().to_string(),
        text: None,
    })
}
