//! Two-person approval through the real binary on the demo fleet: the requester is refused
//! until a different user approves the exact plan, within the expiry, and a plan that
//! changed since its approval is refused again. Users are told apart by `$USER`.

use assert_cmd::Command;
use meridian::fleet::load::DEMO_FLEET;
use serde_json::Value;
use tempfile::TempDir;

struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    /// The demo fleet where every drain needs a second person, approvals holding `expiry`.
    fn new(expiry: &str) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let fleet = DEMO_FLEET.replacen(
            "[policy]\n",
            &format!("[policy]\napproval_expiry = \"{expiry}\"\n"),
            1,
        ) + "\n[[policy.approvals]]\naction = \"drain\"\napproval = \"two-person\"\n";
        std::fs::write(dir.path().join("fleet.toml"), fleet).unwrap();
        Sandbox { dir }
    }

    fn run(&self, user: &str, args: &[&str]) -> (i32, String) {
        let out = Command::cargo_bin("meridian")
            .unwrap()
            .env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("MERIDIAN_SIM_SPEED", "0")
            .env("USER", user)
            .env_remove("MERIDIAN_CONFIG")
            .env_remove("MERIDIAN_READ_ONLY")
            .env_remove("MERIDIAN_SEED")
            .arg("-c")
            .arg(self.dir.path().join("fleet.toml"))
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }

    fn drain(&self, user: &str) -> (i32, String) {
        self.run(user, &["drain", "eu-west-1", "--yes", "--reason", "CHG-1"])
    }

    fn audit(&self) -> Vec<Value> {
        let (code, out) = self.run("ana", &["audit", "--json"]);
        assert_eq!(code, 0, "{out}");
        let start = out.find('[').unwrap();
        serde_json::from_str(&out[start..]).unwrap()
    }
}

/// The short hash the refusal tells the requester to have approved.
fn hash_in(text: &str) -> String {
    let at = text
        .find("meridian approve ")
        .unwrap_or_else(|| panic!("no approve command in: {text}"));
    text[at + "meridian approve ".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

#[test]
fn the_requester_cannot_approve_and_a_second_person_can() {
    let s = Sandbox::new("15m");
    let (code, out) = s.drain("ana");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("second person"), "{out}");
    let hash = hash_in(&out);
    assert_eq!(hash.len(), 12, "{out}");

    let (code, out) = s.run("ana", &["approve", &hash, "--yes"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("cannot approve their own request"), "{out}");

    let (code, out) = s.run("ben", &["approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&hash) && out.contains("drain eu-west-1"),
        "{out}"
    );

    let (code, out) = s.run("ben", &["approve", &hash, "--yes"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = s.drain("ana");
    assert_eq!(code, 0, "{out}");

    let audit = s.audit();
    let started = audit
        .iter()
        .find(|r| r["action"] == "drain" && r["outcome"] == "started")
        .expect("a started drain");
    assert!(started["user"].as_str().unwrap().starts_with("ana@"));
    assert!(
        started["approval"]["approver"]
            .as_str()
            .unwrap()
            .starts_with("ben@")
    );
    assert!(
        audit
            .iter()
            .any(|r| r["action"] == "approve" && r["outcome"] == "succeeded")
    );
    assert!(
        audit
            .iter()
            .any(|r| r["action"] == "approve" && r["outcome"] == "refused")
    );

    // Spent: running it again needs a new approval.
    let (code, out) = s.run("ana", &["restore", "--yes", "--reason", "CHG-1"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = s.drain("ana");
    assert_eq!(code, 3, "{out}");
}

#[test]
fn an_expired_approval_is_refused() {
    let s = Sandbox::new("2s");
    let (_, out) = s.drain("ana");
    let hash = hash_in(&out);
    let (code, out) = s.run("ben", &["approve", &hash, "--yes"]);
    assert_eq!(code, 0, "{out}");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let (code, out) = s.drain("ana");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("expired"), "{out}");
}

#[test]
fn a_plan_that_changed_after_approval_is_refused() {
    let s = Sandbox::new("15m");
    let (_, out) = s.drain("ana");
    let hash = hash_in(&out);
    let (code, out) = s.run("ben", &["approve", &hash, "--yes"]);
    assert_eq!(code, 0, "{out}");
    // Someone moves eu-west-1's weight: the drain would now change something else.
    let (code, out) = s.run(
        "carl",
        &["weights", "eu-west-1=15", "--yes", "--reason", "CHG-2"],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = s.drain("ana");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("plan changed since"), "{out}");
    assert_ne!(hash_in(&out), hash, "a new hash to approve");
}

#[test]
fn config_check_points_at_a_bad_approval_rule() {
    let s = Sandbox::new("15m");
    let path = s.dir.path().join("bad.toml");
    let bad = DEMO_FLEET.to_string()
        + "\n[[policy.approvals]]\naction = \"promte\"\napproval = \"two-person\"\n\n[[policy.approvals]]\naction = \"promote\"\napproval = \"three-person\"\n";
    std::fs::write(&path, &bad).unwrap();
    let (code, out) = s.run("ana", &["config", "check", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    let lines = bad.lines().count();
    assert!(out.contains(&format!("bad.toml:{}:", lines - 5)), "{out}");
    assert!(
        out.contains("did you mean") || out.contains("promote"),
        "{out}"
    );
    assert!(
        out.contains("three-person") && out.contains("\"two-person\""),
        "{out}"
    );

    let rto = DEMO_FLEET.replacen("[policy]\n", "[policy]\nrto = \"0s\"\n", 1);
    std::fs::write(&path, &rto).unwrap();
    let (code, out) = s.run("ana", &["config", "check", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    let line = rto.lines().position(|l| l.starts_with("rto")).unwrap() + 1;
    assert!(out.contains(&format!("bad.toml:{line}:")), "{out}");
    assert!(out.contains("policy.rto"), "{out}");
}

#[test]
fn a_dry_run_says_a_second_person_must_approve_and_records_nothing() {
    let s = Sandbox::new("15m");
    let args = ["drain", "eu-west-1", "--reason", "CHG-1", "--dry-run"];
    let (code, out) = s.run("ana", &args);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("approval: missing, would refuse"), "{out}");
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (code, out) = s.run("ana", &json_args);
    assert_eq!(code, 3, "{out}");
    let doc = first_json(&out);
    assert_eq!(doc["would_refuse"], true, "{out}");
    assert_eq!(doc["approval"]["required"], true);
    assert_eq!(doc["approval"]["approved"], false);
    // A dry run records no request: there is nothing to approve yet.
    let (_, out) = s.run("ben", &["approve"]);
    assert!(!out.contains("drain eu-west-1"), "{out}");

    // Requested for real, approved by ben: the dry run now says it would run.
    let (code, out) = s.drain("ana");
    assert_eq!(code, 3, "{out}");
    let hash = hash_in(&out);
    let (code, out) = s.run("ben", &["approve", &hash, "--yes"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = s.run("ana", &json_args);
    assert_eq!(code, 0, "{out}");
    let doc = first_json(&out);
    assert_eq!(doc["would_refuse"], false, "{out}");
    assert_eq!(doc["approval"]["approved"], true, "{out}");
    assert!(
        doc["approval"]["approver"]
            .as_str()
            .unwrap()
            .starts_with("ben@")
    );
}

/// The JSON document on stdout (stderr's notes follow it in `run`'s text).
fn first_json(out: &str) -> Value {
    let start = out.find('{').unwrap_or(0);
    serde_json::Deserializer::from_str(&out[start..])
        .into_iter::<Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or(Value::Null)
}
