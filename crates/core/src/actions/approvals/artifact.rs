//! Artifact approval: a rollout's command gate writes a file (a Terraform plan) that a
//! second person must approve by its sha256 before a later step applies it. meridian keeps
//! the bytes and their text form as evidence beside the phase runs' (`<state>/evidence/
//! artifacts/<rollout>/<step>-<name>/`), asks for the approval as it does for a plan (same
//! store, same expiry, the writer may not approve their own), and refuses the apply when
//! the file on disk is no longer byte for byte the one approved.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    APPROVALS, Approval, ApprovalRequest, REQUESTS, Refusal, check, expiry_ms, from_doc, to_doc,
};
use meridian_model::fleet::Fleet;
use meridian_model::fleet::rollout::ArtifactSpec;
use meridian_model::state::Millis;
use meridian_providers::store::SharedStore;

/// The `action` of an approval request for an artifact (a plan's is the plan's name).
pub const ARTIFACT_ACTION: &str = "artifact";
const ARTIFACTS: &str = "artifacts";
/// Lines of the text form carried in the request for the approver to read; the whole
/// text is in the evidence folder.
const TEXT_LINES: usize = 5_000;

/// An artifact a rollout's step wrote, as meridian kept it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactRecord {
    /// The rollout's id, or [`phase_scope`] for a phase step's artifact.
    pub rollout: String,
    /// 0-based step of the rollout (or of the phase) that wrote it.
    pub step: usize,
    /// The phase whose step wrote it (a rollout's command gate: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    pub name: String,
    /// Where the command wrote it (the apply reads it there again).
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    /// The evidence folder holding a copy, its text form and this record.
    pub evidence: String,
    pub produced_by: String,
    pub produced_at_ms: Millis,
    pub command: String,
}

/// The sha256 hex of a file's bytes, and how many there are.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let bytes = fs::read(path)?;
    Ok((hex(&Sha256::digest(&bytes)), bytes.len() as u64))
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `capture` needs to know about the step that wrote the artifact.
pub struct Produced<'a> {
    /// The rollout's id, or [`phase_scope`] of the region for a phase step.
    pub rollout: &'a str,
    /// The phase, for a phase step.
    pub phase: Option<&'a str>,
    pub step: usize,
    pub command: &'a str,
    pub by: &'a str,
    pub now: Millis,
}

/// Read the artifact the command wrote, hash it and keep it (bytes, text form, record)
/// under `evidence_root`. Returns the record and the text form. An artifact the command
/// did not write, or a declared text form it did not write, is an error saying so.
pub fn capture(
    evidence_root: &Path,
    spec: &ArtifactSpec,
    p: &Produced,
) -> Result<(ArtifactRecord, String), String> {
    let path = PathBuf::from(&spec.path);
    let bytes = fs::read(&path).map_err(|e| {
        format!(
            "the command exited 0 but artifact {} cannot be read at {}: {e}",
            spec.name,
            path.display()
        )
    })?;
    let text = match &spec.text {
        Some(t) => fs::read_to_string(t).map_err(|e| {
            format!(
                "the command exited 0 but the text form of artifact {} cannot be read at {t}: {e}",
                spec.name
            )
        })?,
        None => match std::str::from_utf8(&bytes) {
            Ok(s) => s.to_string(),
            Err(_) => format!(
                "(binary, {} bytes; the gate declares no `text` form: add `text = \"FILE\"` to its artifact)",
                bytes.len()
            ),
        },
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    let dir = evidence_root
        .join("artifacts")
        .join(p.rollout)
        .join(p.phase.unwrap_or_default())
        .join(format!("{}-{}", p.step + 1, spec.name));
    let absolute = fs::canonicalize(&path).unwrap_or(path.clone());
    let rec = ArtifactRecord {
        rollout: p.rollout.to_string(),
        step: p.step,
        phase: p.phase.map(String::from),
        name: spec.name.clone(),
        path: absolute.display().to_string(),
        sha256,
        bytes: bytes.len() as u64,
        evidence: dir.display().to_string(),
        produced_by: p.by.to_string(),
        produced_at_ms: p.now,
        command: p.command.to_string(),
    };
    let keep = || -> std::io::Result<()> {
        fs::create_dir_all(&dir)?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| spec.name.clone());
        fs::write(dir.join(file), &bytes)?;
        fs::write(dir.join("text.txt"), &text)?;
        let json = serde_json::to_string_pretty(&rec).map_err(std::io::Error::other)?;
        fs::write(dir.join("artifact.json"), json)
    };
    keep().map_err(|e| {
        format!(
            "artifact {} could not be kept as evidence in {}: {e}",
            spec.name,
            dir.display()
        )
    })?;
    Ok((rec, text))
}

/// The prefix of [`phase_scope`].
const PHASES: &str = "phases_";

/// The scope a region's phase steps write artifacts in: a step that `uses` a name finds
/// the artifact of that name a phase step of the same region wrote last.
pub fn phase_scope(region: &str) -> String {
    format!("{PHASES}{region}")
}

/// Who writes artifacts in a scope, for messages: `rollout r-1`, `no phase step in R`.
pub fn scope_name(scope: &str) -> String {
    match scope.strip_prefix(PHASES) {
        Some(region) => format!("no phase step in {region}"),
        None => format!("rollout {scope}"),
    }
}

impl ArtifactRecord {
    /// What wrote it, for requests and the audit log.
    pub fn target(&self) -> String {
        match (&self.phase, self.rollout.strip_prefix(PHASES)) {
            (Some(phase), Some(region)) => format!(
                "{} (phase {phase} step {} in {region})",
                self.name,
                self.step + 1
            ),
            _ => format!(
                "{} (rollout {} step {})",
                self.name,
                self.rollout,
                self.step + 1
            ),
        }
    }
}

fn key(rollout: &str, name: &str) -> String {
    format!("{rollout}.{name}")
}

/// Record the artifact as the rollout's latest of its name, and ask a second person to
/// approve its hash (a repeated request renews the expiry).
pub fn record(
    store: &dyn SharedStore,
    fleet: &Fleet,
    rec: &ArtifactRecord,
    text: &str,
    production: bool,
) -> Result<ApprovalRequest, Refusal> {
    store.put(ARTIFACTS, &key(&rec.rollout, &rec.name), &to_doc(rec))?;
    let total = text.lines().count();
    let mut changes: Vec<String> = text.lines().take(TEXT_LINES).map(String::from).collect();
    if total > TEXT_LINES {
        changes.push(format!(
            "… {} more lines in {}/text.txt",
            total - TEXT_LINES,
            rec.evidence
        ));
    }
    let req = ApprovalRequest {
        hash: rec.sha256.clone(),
        action: ARTIFACT_ACTION.to_string(),
        target: rec.target(),
        summary: format!(
            "artifact {}: {} bytes written by `{}`, sha256 {}",
            rec.name, rec.bytes, rec.command, rec.sha256
        ),
        changes,
        command: match (&rec.phase, rec.rollout.strip_prefix(PHASES)) {
            (Some(phase), Some(region)) => format!(
                "meridian phase run {region} {phase} (the step that applies it resumes there)"
            ),
            _ => "meridian rollout next (the step that applies it)".to_string(),
        },
        requester: rec.produced_by.clone(),
        requested_at_ms: rec.produced_at_ms,
        expires_at_ms: rec.produced_at_ms + expiry_ms(fleet),
        production,
    };
    store.put(REQUESTS, &req.hash, &to_doc(&req))?;
    Ok(req)
}

/// [`capture`] then [`record`]: the artifact kept as evidence and its approval asked for.
pub fn keep(
    store: &dyn SharedStore,
    fleet: &Fleet,
    evidence_root: &Path,
    spec: &ArtifactSpec,
    p: &Produced,
    production: bool,
) -> Result<ArtifactRecord, String> {
    let (rec, text) = capture(evidence_root, spec, p)?;
    record(store, fleet, &rec, &text, production).map_err(|e| e.to_string())?;
    Ok(rec)
}

/// What the writer is told (and the audit log keeps) once an artifact is kept.
pub fn kept_said(rec: &ArtifactRecord) -> String {
    format!(
        "artifact {} sha256 {} ({} bytes) kept in {}; a second person approves it with `meridian approve --artifact {}`",
        rec.name,
        rec.sha256,
        rec.bytes,
        rec.evidence,
        super::short(&rec.sha256)
    )
}

/// The artifact of this name the rollout wrote last, if any.
pub fn produced(
    store: &dyn SharedStore,
    rollout: &str,
    name: &str,
) -> Result<Option<ArtifactRecord>, Refusal> {
    store
        .get(ARTIFACTS, &key(rollout, name))?
        .map(from_doc)
        .transpose()
}

/// The artifact request a full or short hash names (plan requests are not matched).
pub fn find_artifact(store: &dyn SharedStore, given: &str) -> Result<ApprovalRequest, Refusal> {
    let req = super::find(store, given)?;
    if req.action != ARTIFACT_ACTION {
        return Err(Refusal::Unknown {
            given: format!(
                "{given} (it names a plan of {} {}, not an artifact: `meridian approve {given}`)",
                req.action, req.target
            ),
        });
    }
    Ok(req)
}

/// Has a second person approved the artifact the rollout wrote last under `name`? The
/// approval of its hash, or why not.
pub fn approved(
    store: &dyn SharedStore,
    rollout: &str,
    name: &str,
    now: Millis,
) -> Result<(ArtifactRecord, Approval), Refusal> {
    let rec = produced(store, rollout, name)?.ok_or_else(|| Refusal::ArtifactMissing {
        name: name.to_string(),
        rollout: rollout.to_string(),
    })?;
    match check(store, &rec.sha256, &rec.produced_by, now) {
        Ok(a) => Ok((rec, a)),
        Err(Refusal::NotApproved { hash }) => Err(Refusal::ArtifactNotApproved {
            name: name.to_string(),
            hash,
        }),
        Err(other) => Err(other),
    }
}

/// May `me` apply the artifact? Only when the file is still byte for byte the one the
/// rollout wrote, a second person approved that hash, the approval has not expired, and
/// `me` is not the approver.
pub fn check_apply(
    store: &dyn SharedStore,
    rollout: &str,
    name: &str,
    me: &str,
    now: Millis,
) -> Result<(ArtifactRecord, Approval), Refusal> {
    let rec = produced(store, rollout, name)?.ok_or_else(|| Refusal::ArtifactMissing {
        name: name.to_string(),
        rollout: rollout.to_string(),
    })?;
    let now_hash = match sha256_file(Path::new(&rec.path)) {
        Ok((h, _)) => h,
        Err(e) => format!("unreadable ({e})"),
    };
    if now_hash != rec.sha256 {
        return Err(Refusal::ArtifactChanged {
            name: name.to_string(),
            path: rec.path,
            approved: rec.sha256,
            now: now_hash,
            kept: rec.evidence,
        });
    }
    match check(store, &rec.sha256, me, now) {
        Ok(a) => Ok((rec, a)),
        Err(Refusal::NotApproved { hash }) => Err(Refusal::ArtifactNotApproved {
            name: name.to_string(),
            hash,
        }),
        Err(Refusal::SelfApproval { who, hash }) => {
            Err(Refusal::ArtifactSelfApproval { who, hash })
        }
        Err(other) => Err(other),
    }
}

/// An applied artifact's approval is spent: applying it again needs a fresh approval.
pub fn spend(store: &dyn SharedStore, hash: &str) -> Result<(), Refusal> {
    store.remove(APPROVALS, hash)?;
    store.remove(REQUESTS, hash)?;
    Ok(())
}

#[cfg(test)]
mod tests;
