//! An identity the two-person rule can trust: with the fleet's shared store on a cluster,
//! the person is whom the API server authenticated (`SelfSubjectReview`, answered by the
//! stand-in per bearer token from a table this test sets), not `$USER`. Two tokens under
//! one `$USER` are two people (one approves the other's plan); one token under two
//! `$USER`s is one person (approving is refused as approving one's own plan).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::json;

use super::{Env, Opts, REGIONS, text};
use crate::support::kube::{TOKEN, kube_venv};

/// A drain needs a second person's approval; plans and approvals live on the cluster.
const POLICY: &str = r#"
[[policy.approvals]]
action = "drain"
approval = "two-person"
"#;

struct People {
    env: Env,
}

impl People {
    fn start() -> Option<People> {
        let env = Env::start(Opts {
            gitops: "",
            lock: "provider = \"kube\"\nlease_duration = \"5s\"",
            tenants: POLICY,
        })?;
        // Each person's machine has its own kubeconfig (its own token): the fleet file names
        // none, as a shared fleet file would not.
        let kc = env.k.kubeconfig.display().to_string();
        let fleet = std::fs::read_to_string(&env.fleet).unwrap();
        std::fs::write(
            &env.fleet,
            fleet.replace(&format!(", kubeconfig = \"{kc}\""), ""),
        )
        .unwrap();
        let users = json!({"tokens": {
            "tok-ana": {"username": "ana@example.com", "groups": ["system:authenticated", "ops"]},
            "tok-bo": {"username": "bo@example.com", "groups": ["system:authenticated", "ops"]},
            TOKEN: {"username": "kubernetes-admin", "groups": ["system:masters"]},
        }});
        for r in REGIONS {
            let (code, said) =
                env.k
                    .control("POST", &format!("/_standin/clusters/{r}/users"), &users);
            assert_eq!(code, 200, "{said}");
        }
        Some(People { env })
    }

    /// A kubeconfig like the stand-in's, with `token` as its user's.
    fn kubeconfig(&self, token: &str) -> PathBuf {
        let path = self.env.dir.path().join(format!("kubeconfig-{token}"));
        let base = std::fs::read_to_string(&self.env.k.kubeconfig).unwrap();
        std::fs::write(&path, base.replace(TOKEN, token)).unwrap();
        path
    }

    /// meridian as OS user `user` holding kubeconfig token `token`, on its own machine
    /// (state directory).
    fn run(&self, token: &str, user: &str, args: &[&str]) -> Output {
        let home = self.env.dir.path().join(format!("home-{user}-{token}"));
        std::fs::create_dir_all(&home).unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_meridian"))
            .arg("-c")
            .arg(&self.env.fleet)
            .args(["--sim-speed", "0"])
            .args(args)
            .env("MERIDIAN_STATE_DIR", home.join("state"))
            .env("MERIDIAN_KUBE_VENV", kube_venv())
            .env("HOME", &home)
            .env("KUBECONFIG", self.kubeconfig(token))
            .env("USER", user)
            .env_remove("MERIDIAN_READ_ONLY")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run meridian")
    }

    fn drain(&self, token: &str, user: &str) -> Output {
        self.run(
            token,
            user,
            &["drain", "eu-west-1", "--reason", "CHG-5", "--yes"],
        )
    }
}

/// The short hash the refusal tells the requester to have approved.
fn hash_in(said: &str) -> String {
    let at = said
        .find("meridian approve ")
        .unwrap_or_else(|| panic!("no approve command in: {said}"));
    said[at + "meridian approve ".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

fn audit(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn two_kube_identities_under_one_user_are_two_people() {
    let Some(p) = People::start() else {
        return;
    };
    // Both log in to the bastion as `ops`: only their tokens tell them apart.
    let out = p.drain("tok-ana", "ops");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("second person"), "{said}");
    let hash = hash_in(&said);

    let out = p.run("tok-bo", "ops", &["approve", &hash, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("for kube:ana@example.com"),
        "the request names the verified person: {}",
        text(&out)
    );

    let out = p.drain("tok-ana", "ops");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let home = p.env.dir.path().join("home-ops-tok-ana");
    let records = audit(&home.join("state/fleets/kube-e2e/audit.jsonl"));
    let started = records
        .iter()
        .find(|r| r["action"] == "drain" && r["outcome"] == "started")
        .unwrap_or_else(|| panic!("no started drain in {records:#?}"));
    assert!(
        started["identity"]
            .as_str()
            .is_some_and(|u| u.starts_with("kube:ana@example.com (on ops@")),
        "{started}"
    );
    assert!(
        started["approval"]["approver"]
            .as_str()
            .is_some_and(|u| u.starts_with("kube:bo@example.com (on ops@")),
        "{started}"
    );
}

#[test]
fn one_kube_identity_under_two_users_is_one_person() {
    let Some(p) = People::start() else {
        return;
    };
    let out = p.drain("tok-ana", "ana");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let hash = hash_in(&text(&out));

    // The same token as another OS user: the cluster still says ana, so it is her own plan.
    let out = p.run("tok-ana", "bob", &["approve", &hash, "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("kube:ana@example.com"), "{said}");
    assert!(
        said.contains("cannot approve their own request") || said.contains("same person"),
        "{said}"
    );
    // And the drain still waits for a second person.
    let out = p.drain("tok-ana", "ana");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));

    // The cluster's admin user is a whole team's: never the second person either.
    let out = p.run(TOKEN, "carol", &["approve", &hash, "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("whole team shares"), "{}", text(&out));
}
