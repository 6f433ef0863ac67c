//! What the two artifact files (`artifacts.rs` through a rollout, `phase_artifacts.rs`
//! through a phase) share: a run's outcome, the sha256 meridian names an artifact by, and
//! the audit records every approval flow must leave.

/// One run of the binary: exit code, stdout, stderr.
pub struct Out {
    pub code: i32,
    pub out: String,
    pub err: String,
}

impl From<std::process::Output> for Out {
    fn from(o: std::process::Output) -> Out {
        Out {
            code: o.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&o.stdout).into_owned(),
            err: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The artifact's bytes as meridian names them: lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `audit --json` holds the artifact written, its approval, its apply and a refusal.
pub fn assert_audited(audit: &Out) {
    assert_eq!(audit.code, 0, "{}", audit.err);
    for want in [
        "\"artifact\"",
        "\"approve\"",
        "\"artifact-apply\"",
        "refused",
    ] {
        assert!(
            audit.out.contains(want),
            "{want} missing from the audit log"
        );
    }
}
