//! Conventions new users expect: shell completions and man pages generated from the clap
//! definitions, the fleet schema on stdout, and `meridian init` (never overwriting).

use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

fn meridian(home: &Path) -> Command {
    let mut c = Command::cargo_bin("meridian").unwrap();
    c.env("MERIDIAN_STATE_DIR", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HOME", home)
        .env("MERIDIAN_SIM_SPEED", "0")
        .env_remove("MERIDIAN_CONFIG")
        .env_remove("KUBECONFIG");
    c
}

fn run(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = meridian(home).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    let home = TempDir::new().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F _meridian"),
        ("zsh", "#compdef meridian"),
        ("fish", "complete -c meridian"),
    ] {
        let (code, out, err) = run(home.path(), &["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell} script lacks {marker}");
        for sub in ["drain", "wait", "init", "completions"] {
            assert!(out.contains(sub), "{shell} script does not complete {sub}");
        }
    }
    let (code, _, err) = run(home.path(), &["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_man_page_is_roff_and_one_page_per_command_can_be_written() {
    let home = TempDir::new().unwrap();
    let (code, out, err) = run(home.path(), &["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".TH meridian 1"), "{out}");
    assert!(out.contains("drain"));
    let dir = home.path().join("man");
    let (code, _, err) = run(home.path(), &["man", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for page in [
        "meridian.1",
        "meridian-wait.1",
        "meridian-wait-healthy.1",
        "meridian-init.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap_or_default();
        assert!(text.contains(".TH"), "{page} missing or not roff");
    }
}

#[test]
fn config_schema_prints_the_published_schema() {
    let home = TempDir::new().unwrap();
    let (code, out, err) = run(home.path(), &["config", "schema"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["title"], "meridian fleet file");
    let published = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleet.schema.json"),
    )
    .unwrap();
    assert_eq!(out, published);
}

#[test]
fn init_writes_the_example_to_the_default_location_checks_it_and_never_overwrites() {
    let home = TempDir::new().unwrap();
    let (code, out, err) = run(home.path(), &["init"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(": ok: fleet acme-shop with 4 regions"),
        "{out}"
    );
    let file = home.path().join("config/meridian/fleet.toml");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.starts_with("#:schema ./fleet.schema.json\n"),
        "{written}"
    );
    assert!(
        home.path()
            .join("config/meridian/fleet.schema.json")
            .exists()
    );

    std::fs::write(&file, "# mine\n").unwrap();
    let (code, _, err) = run(home.path(), &["init"]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");
}

#[test]
fn init_with_a_config_file_writes_only_that_file() {
    let home = TempDir::new().unwrap();
    let target = home.path().join("elsewhere/fleet.toml");
    let (code, _, err) = run(home.path(), &["-c", target.to_str().unwrap(), "init"]);
    assert_eq!(code, 0, "{err}");
    assert!(target.exists());
    assert!(!home.path().join("elsewhere/fleet.schema.json").exists());
    assert!(!home.path().join("config/meridian").exists());
    assert!(err.contains("meridian config schema >"), "{err}");
}

#[test]
fn init_from_kube_makes_a_region_per_context_with_the_current_one_primary() {
    let home = TempDir::new().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        r#"apiVersion: v1
kind: Config
current-context: shop-eu
contexts:
  - name: arn:aws:eks:us-east-1:123456789012:cluster/shop-us
    context: {cluster: shop-us, user: u}
  - name: shop-eu
    context:
      cluster: arn:aws:eks:eu-west-1:123456789012:cluster/shop-eu
      user: u
clusters: []
users: []
"#,
    )
    .unwrap();
    let (code, out, err) = run(
        home.path(),
        &[
            "init",
            "--from",
            "kube",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("with 2 regions"), "{out}");
    let text = std::fs::read_to_string(home.path().join("config/meridian/fleet.toml")).unwrap();
    let first = text.find("id = \"shop-eu\"").unwrap();
    let second = text.find("arn-aws-eks-us-east-1").unwrap();
    assert!(first < second, "the current context comes first:\n{text}");
    assert!(text.contains("cloud_region = \"eu-west-1\""), "{text}");
    assert!(text.contains("cloud_region = \"us-east-1\""), "{text}");

    let (code, _, err) = run(
        home.path(),
        &[
            "-c",
            "/nonexistent-dir/x.toml",
            "init",
            "--from",
            "kube",
            "--kubeconfig",
            "/nonexistent",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read kubeconfig /nonexistent"), "{err}");
}
