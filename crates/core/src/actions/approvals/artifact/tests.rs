//! Artifact approval against a real directory store and real files: each refusal on its
//! own (never approved, approved by the writer, changed since, expired, never written),
//! and the one way through.

use super::*;
use crate::actions::approvals::{approve, short};
use crate::actions::testkit::*;
use meridian_providers::store::DirStore;

const MIN: Millis = 60_000;

struct World {
    dir: tempfile::TempDir,
    store: DirStore,
    fleet: meridian_model::fleet::Fleet,
    spec: ArtifactSpec,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(&dir.path().join("state"));
    let plan = dir.path().join("tfplan");
    let text = dir.path().join("tfplan.txt");
    fs::write(&plan, b"\x00\x01binary plan v1").unwrap();
    fs::write(&text, "+ aws_instance.web\n~ aws_lb.main\n").unwrap();
    World {
        spec: ArtifactSpec {
            name: "tfplan".into(),
            path: plan.display().to_string(),
            text: Some(text.display().to_string()),
        },
        dir,
        store,
        fleet: fleet(),
    }
}

/// `alice` runs the step that writes the artifact at NOW.
fn written(w: &World) -> ArtifactRecord {
    let p = Produced {
        phase: None,
        rollout: "r-1",
        step: 0,
        command: "terraform plan -out=tfplan",
        by: "alice@h",
        now: NOW,
    };
    let (rec, text) = capture(&w.dir.path().join("evidence"), &w.spec, &p).unwrap();
    let req = record(&w.store, &w.fleet, &rec, &text, false).unwrap();
    assert_eq!(req.hash, rec.sha256);
    assert_eq!(req.action, ARTIFACT_ACTION);
    assert_eq!(req.changes, vec!["+ aws_instance.web", "~ aws_lb.main"]);
    rec
}

#[test]
fn the_artifact_is_kept_as_evidence_with_its_sha256() {
    let w = world();
    let rec = written(&w);
    let bytes = fs::read(&w.spec.path).unwrap();
    assert_eq!(rec.sha256, hex(&Sha256::digest(&bytes)));
    assert_eq!(rec.bytes, bytes.len() as u64);
    let kept = Path::new(&rec.evidence);
    assert_eq!(fs::read(kept.join("tfplan")).unwrap(), bytes);
    assert!(
        fs::read_to_string(kept.join("text.txt"))
            .unwrap()
            .contains("aws_lb.main")
    );
    assert!(kept.join("artifact.json").is_file());
    assert_eq!(produced(&w.store, "r-1", "tfplan").unwrap(), Some(rec));
}

#[test]
fn a_command_that_did_not_write_its_artifact_is_an_error_naming_the_file() {
    let w = world();
    let spec = ArtifactSpec {
        path: w.dir.path().join("nope").display().to_string(),
        ..w.spec.clone()
    };
    let p = Produced {
        phase: None,
        rollout: "r-1",
        step: 0,
        command: "true",
        by: "alice@h",
        now: NOW,
    };
    let err = capture(&w.dir.path().join("evidence"), &spec, &p).unwrap_err();
    assert!(
        err.contains("artifact tfplan cannot be read at") && err.contains("nope"),
        "{err}"
    );
}

#[test]
fn an_unapproved_artifact_is_refused_at_the_gate_and_at_the_apply() {
    let w = world();
    written(&w);
    assert!(matches!(
        approved(&w.store, "r-1", "tfplan", NOW),
        Err(Refusal::ArtifactNotApproved { .. })
    ));
    let e = check_apply(&w.store, "r-1", "tfplan", "alice@h", NOW).unwrap_err();
    assert!(matches!(e, Refusal::ArtifactNotApproved { .. }));
    assert!(e.to_string().contains("meridian approve --artifact"), "{e}");
}

#[test]
fn the_writer_cannot_approve_their_own_artifact() {
    let w = world();
    let rec = written(&w);
    assert!(matches!(
        approve(&w.store, &w.fleet, &rec.sha256, "alice@h", NOW + MIN),
        Err(Refusal::ArtifactSelfApproval { .. })
    ));
    let e = approve(&w.store, &w.fleet, &rec.sha256, "alice@h", NOW + MIN).unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "must run `meridian approve --artifact {}`",
            short(&rec.sha256)
        )),
        "{e}"
    );
    assert!(approved(&w.store, "r-1", "tfplan", NOW + MIN).is_err());
}

#[test]
fn a_second_person_approves_that_hash_and_the_apply_may_run_once() {
    let w = world();
    let rec = written(&w);
    let a = approve(&w.store, &w.fleet, short(&rec.sha256), "bob@h", NOW + MIN).unwrap();
    assert_eq!(a.hash, rec.sha256);
    assert_eq!(
        approved(&w.store, "r-1", "tfplan", NOW + MIN)
            .unwrap()
            .1
            .approver,
        "bob@h"
    );
    let (r, _) = check_apply(&w.store, "r-1", "tfplan", "alice@h", NOW + 2 * MIN).unwrap();
    assert_eq!(r.sha256, rec.sha256);
    // The approver cannot apply it as if someone else had approved it.
    assert!(matches!(
        check_apply(&w.store, "r-1", "tfplan", "bob@h", NOW + 2 * MIN),
        Err(Refusal::ArtifactSelfApproval { .. })
    ));
    spend(&w.store, &rec.sha256).unwrap();
    assert!(matches!(
        check_apply(&w.store, "r-1", "tfplan", "alice@h", NOW + 2 * MIN),
        Err(Refusal::ArtifactNotApproved { .. })
    ));
}

#[test]
fn an_artifact_changed_since_approval_is_refused() {
    let w = world();
    let rec = written(&w);
    approve(&w.store, &w.fleet, &rec.sha256, "bob@h", NOW + MIN).unwrap();
    fs::write(&w.spec.path, b"\x00\x01binary plan v2: someone re-planned").unwrap();
    let e = check_apply(&w.store, "r-1", "tfplan", "alice@h", NOW + 2 * MIN).unwrap_err();
    match &e {
        Refusal::ArtifactChanged { approved, now, .. } => {
            assert_eq!(approved, &rec.sha256);
            assert_ne!(now, &rec.sha256);
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("nothing is applied"), "{e}");
    // A removed file is a change too.
    fs::remove_file(&w.spec.path).unwrap();
    assert!(matches!(
        check_apply(&w.store, "r-1", "tfplan", "alice@h", NOW + 2 * MIN),
        Err(Refusal::ArtifactChanged { .. })
    ));
}

#[test]
fn an_expired_approval_is_refused_and_so_is_approving_an_expired_request() {
    let w = world();
    let rec = written(&w);
    let expiry = expiry_ms(&w.fleet);
    approve(&w.store, &w.fleet, &rec.sha256, "bob@h", NOW + MIN).unwrap();
    let late = NOW + MIN + expiry + 1;
    assert!(matches!(
        check_apply(&w.store, "r-1", "tfplan", "alice@h", late),
        Err(Refusal::Expired { .. })
    ));
    assert!(matches!(
        approved(&w.store, "r-1", "tfplan", late),
        Err(Refusal::Expired { .. })
    ));
    // A request nobody approved in time cannot be approved any more.
    let w2 = world();
    let rec2 = written(&w2);
    assert!(matches!(
        approve(
            &w2.store,
            &w2.fleet,
            &rec2.sha256,
            "bob@h",
            NOW + expiry + 1
        ),
        Err(Refusal::RequestExpired { .. })
    ));
}

#[test]
fn an_artifact_never_written_is_refused_and_a_plan_hash_is_not_an_artifact() {
    let w = world();
    assert!(matches!(
        check_apply(&w.store, "r-1", "tfplan", "alice@h", NOW),
        Err(Refusal::ArtifactMissing { .. })
    ));
    let rec = written(&w);
    assert_eq!(
        find_artifact(&w.store, short(&rec.sha256)).unwrap().hash,
        rec.sha256
    );
    // A plan's request is not found as an artifact.
    let mut plan_req = find_artifact(&w.store, &rec.sha256).unwrap();
    plan_req.hash = "ab".repeat(32);
    plan_req.action = "drain".into();
    w.store
        .put(REQUESTS, &plan_req.hash, &to_doc(&plan_req))
        .unwrap();
    assert!(matches!(
        find_artifact(&w.store, "abababab"),
        Err(Refusal::Unknown { .. })
    ));
}
