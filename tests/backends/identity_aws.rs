//! An identity the two-person rule can trust, from AWS: with an AWS fleet and no cluster,
//! the person is whom STS `GetCallerIdentity` says the credentials belong to (moto answers
//! per access key: an IAM user's key names the user, an assumed role's names the role and
//! session). Two access keys are two people whatever `$USER` says; one key under two
//! `$USER`s is one; a role assumed without a per-person session name is a whole team's
//! principal, named as shared, and never the second person when
//! `require_verified_identity = true`.

use std::process::Command;

use serde_json::Value;

use crate::support::moto::venv_python;

/// Credentials for one principal, as moto issued them.
#[derive(Debug, Clone)]
struct Keys {
    id: String,
    secret: String,
    token: Option<String>,
}

/// IAM users ana and bo with an access key each, and the role Deploy assumed with a
/// session name an SDK makes up (no person in it): created on moto with boto3.
fn principals(moto: &str) -> [Keys; 3] {
    let script = r#"
import json, sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
iam, sts = boto3.client("iam", **kw), boto3.client("sts", **kw)
out = []
for user in ("ana", "bo"):
    iam.create_user(UserName=user)
    k = iam.create_access_key(UserName=user)["AccessKey"]
    out.append({"id": k["AccessKeyId"], "secret": k["SecretAccessKey"]})
role = iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}))["Role"]
c = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="botocore-session-1700000000")["Credentials"]
out.append({"id": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]})
print(json.dumps(out))
"#;
    let out = Command::new(venv_python())
        .args(["-c", script, moto])
        .output()
        .expect("run the moto venv's python");
    assert!(out.status.success(), "{out:?}");
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).expect("keys JSON");
    let keys = |i: usize| Keys {
        id: v[i]["id"].as_str().unwrap().to_string(),
        secret: v[i]["secret"].as_str().unwrap().to_string(),
        token: v[i]["token"].as_str().map(str::to_string),
    };
    [keys(0), keys(1), keys(2)]
}

/// A Route 53 fleet on moto whose eu-west-1 serves a production tenant; a drain there needs
/// a second person, who must be verified.
fn fleet_toml(moto: &str, zone: &str) -> String {
    format!(
        r#"[fleet]
name = "aws-identity"
[policy]
health_gate = "0s"
production_environments = ["prd"]
require_verified_identity = true
[[policy.approvals]]
action = "drain"
approval = "two-person"
[traffic]
provider = "route53"
hosted_zone_id = "{zone}"
record_name = "app.example.com"
endpoint_url = "{moto}"
aws_region = "us-east-1"
change_timeout = "10s"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 30
[[regions]]
id = "ap-southeast-1"
role = "secondary"
steady_weight = 20
[[tenants]]
id = "shop-prd"
environment = "prd"
regions = ["us-east-1", "eu-west-1"]
"#
    )
}

struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    /// meridian as OS user `user` with `keys`, on its own machine (state directory); the
    /// approvals are shared through one state directory's store (`MERIDIAN_STATE_DIR`).
    fn run(&self, keys: &Keys, user: &str, args: &[&str]) -> (i32, String) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_meridian"));
        c.envs(crate::support::aws_test_env())
            .env("AWS_ACCESS_KEY_ID", &keys.id)
            .env("AWS_SECRET_ACCESS_KEY", &keys.secret)
            .env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("USER", user)
            .env_remove("MERIDIAN_READ_ONLY")
            .arg("-c")
            .arg(self.dir.path().join("fleet.toml"))
            .args(args);
        match &keys.token {
            Some(t) => c.env("AWS_SESSION_TOKEN", t),
            None => c.env_remove("AWS_SESSION_TOKEN"),
        };
        let out = c.output().expect("run meridian");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

fn hash_in(said: &str) -> String {
    let at = said
        .find("meridian approve ")
        .unwrap_or_else(|| panic!("no approve command in: {said}"));
    said[at + "meridian approve ".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_access_keys_are_two_people_and_a_shared_role_is_never_the_second() {
    let Some(moto) = crate::support::moto::start() else {
        return;
    };
    let c = crate::support::aws::client(&moto.url()).await;
    let (zone, _) = crate::support::aws::seed(&c).await;
    let [ana, bo, deploy] = principals(&moto.url());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fleet.toml"),
        fleet_toml(&moto.url(), &zone),
    )
    .unwrap();
    let f = Fleet { dir };
    let drain = ["drain", "eu-west-1", "--reason", "CHG-6", "--yes"];

    // Ana asks, as `ops` on a shared bastion.
    let (code, said) = f.run(&ana, "ops", &drain);
    assert_eq!(code, 3, "{said}");
    let hash = hash_in(&said);

    // Her own key under another $USER is still her.
    let (code, said) = f.run(&ana, "bob", &["approve", &hash, "--yes"]);
    assert_eq!(code, 3, "{said}");
    assert!(said.contains("cannot approve their own request"), "{said}");

    // The team's role, assumed with no person in its session name: named as shared, and
    // refused as the second person.
    let (code, said) = f.run(&deploy, "carol", &["approve", &hash, "--yes"]);
    assert_eq!(code, 3, "{said}");
    assert!(said.contains("aws:role/Deploy"), "{said}");
    assert!(said.contains("whole team shares"), "{said}");

    // Bo's key, under the same `ops`: a second person.
    let (code, said) = f.run(&bo, "ops", &["approve", &hash, "--yes"]);
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("for aws:ana (on ops@"),
        "STS names her: {said}"
    );
    let (code, said) = f.run(&ana, "ops", &drain);
    assert_eq!(code, 0, "{said}");

    let (_, audit) = f.run(&ana, "ops", &["audit", "--json"]);
    let records: Vec<Value> = serde_json::from_str(&audit[audit.find('[').unwrap()..]).unwrap();
    let started = records
        .iter()
        .find(|r| r["action"] == "drain" && r["outcome"] == "started")
        .unwrap_or_else(|| panic!("{records:#?}"));
    assert!(
        started["identity"]
            .as_str()
            .is_some_and(|i| i.starts_with("aws:ana (on ops@")),
        "{started}"
    );
    assert!(
        started["approval"]["approver"]
            .as_str()
            .is_some_and(|i| i.starts_with("aws:bo (on ops@")),
        "{started}"
    );
}
