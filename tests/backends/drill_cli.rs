//! The README's promote drill through the real binary, on a real PostgreSQL primary + two
//! replicas: promote, check, rejoin the old primary, promote back.

use assert_cmd::Command;

struct Drill {
    dir: tempfile::TempDir,
    fleet: std::path::PathBuf,
}

impl Drill {
    fn meridian(&self, args: &[&str]) -> (i32, String) {
        let mut c = Command::cargo_bin("meridian").expect("binary");
        c.env("MERIDIAN_STATE_DIR", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .arg("-c")
            .arg(&self.fleet)
            .args(args);
        let out = c.output().expect("run meridian");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }

    /// The status line of one region, split into its columns.
    fn row(&self, region: &str) -> Vec<String> {
        let (code, text) = self.meridian(&["status"]);
        assert_eq!(code, 0, "{text}");
        text.lines()
            .find(|l| l.starts_with(region))
            .map(|l| l.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

#[test]
fn promote_check_rejoin_and_promote_back() {
    let Some(pg) = crate::support::db::pg_trio() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let ap = pg.replica2_port.expect("three servers");
    let dsns = [pg.primary_port, pg.replica_port, ap].map(|p| pg.dsn(p));
    crate::support::trio::write_secrets(&dsns, dir.path());
    let drill = Drill {
        fleet: dir.path().join("fleet.toml"),
        dir,
    };
    std::fs::write(
        &drill.fleet,
        crate::support::trio::fleet_text("postgres", 3, drill.dir.path()),
    )
    .expect("fleet file");
    let go = |args: &[&str]| {
        let (code, text) = drill.meridian(args);
        assert_eq!(code, 0, "meridian {args:?}: {text}");
        text
    };

    let promoted = go(&["promote", "eu-west-1", "--reason", "drill", "--yes"]);
    // A planned switchover keeps the old writer's traffic unless asked: the plan warns, the
    // result says what was left, and the board fails the check until it is drained.
    assert!(promoted.contains("WARN  fenced-serving"), "{promoted}");
    assert!(
        promoted.contains(
            "us-east-1 (the old writer, which takes no writes now) still carries 33.3% of traffic"
        ),
        "{promoted}"
    );
    let (code, check) = drill.meridian(&["status", "--check"]);
    assert_eq!(code, 1, "{check}");
    assert!(
        check.contains("us-east-1 is a fenced former writer (its database takes no writes) still serving 33.3% of traffic"),
        "{check}"
    );
    // LAG is the 5th column: REGION ROLE HEALTH LATENCY LAG.
    assert_eq!(drill.row("eu-west-1")[1], "primary");
    assert_eq!(
        drill.row("ap-southeast-1")[4],
        "0.0s",
        "re-pointed, measured against eu-west-1"
    );
    assert_eq!(drill.row("us-east-1")[4], "fenced");

    let (code, text) = drill.meridian(&["rejoin", "eu-west-1", "--reason", "drill", "--yes"]);
    assert_eq!(code, 3, "the writer cannot rejoin: {text}");
    assert!(text.contains("rejoin-target"), "{text}");

    go(&["rejoin", "us-east-1", "--reason", "drill", "--yes"]);
    assert_eq!(drill.row("us-east-1")[4], "0.0s");
    // Back, draining the writer it replaces in the same plan.
    let back = go(&[
        "promote",
        "us-east-1",
        "--drain-old",
        "--reason",
        "drill",
        "--yes",
    ]);
    assert!(
        back.contains("eu-west-1 weight: 30 (33.3%) -> 0 (0%)"),
        "{back}"
    );
    assert_eq!(
        drill.row("eu-west-1")[5],
        "0/30",
        "drained with the promotion"
    );
    // The weights the promotion set are what meridian meant: not drift, and the recovery
    // clock does not wait for the old weights to come back.
    let (code, json) = drill.meridian(&["status", "--json"]);
    assert_eq!(code, 0, "{json}");
    let json = &json[json.find('{').unwrap_or(0)..];
    let doc: serde_json::Value = serde_json::from_str(json).expect("status json");
    assert_ne!(doc["weights"]["state"], "drift", "{:#}", doc["weights"]);
    assert!(!back.contains("NOT yet recovered"), "{back}");
    go(&["rejoin", "eu-west-1", "--reason", "drill", "--yes"]);
    go(&["restore", "eu-west-1", "--reason", "drill", "--yes"]);
    assert_eq!(drill.row("us-east-1")[1], "primary");
    for r in ["eu-west-1", "ap-southeast-1"] {
        let row = drill.row(r);
        assert_eq!(
            (row[1].as_str(), row[4].as_str()),
            ("secondary", "0.0s"),
            "{r}"
        );
    }
}
