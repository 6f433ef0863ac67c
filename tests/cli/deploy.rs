//! `meridian deploy` on the demo fleet: usage errors, and a refusal for a tenant whose helm
//! table names no chart (the deploy itself runs against real Helm in tests/backends).

use assert_cmd::Command;

fn run(args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("meridian")
        .unwrap()
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("MERIDIAN_SIM_SPEED", "0")
        .env_remove("MERIDIAN_CONFIG")
        .env_remove("MERIDIAN_READ_ONLY")
        .args(["--demo"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn deploy_usage_errors_exit_2_and_say_what_is_wrong() {
    let (code, err) = run(&["deploy", "search-stg"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--region <REGION>"), "{err}");
    let (code, err) = run(&[
        "deploy",
        "search-stg",
        "--region",
        "eu-west-1",
        "--set",
        "tag",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--set tag: expected KEY=VALUE"), "{err}");
    let (code, err) = run(&[
        "deploy",
        "search-stg",
        "--region",
        "eu-west-1",
        "--values",
        "/nonexistent/values.yaml",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such file"), "{err}");
    let (code, err) = run(&["deploy", "search-stgg", "--region", "eu-west-1", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("search-stg"),
        "an unknown tenant is named with a hint: {err}"
    );
}

#[test]
fn a_tenant_without_a_chart_is_refused_with_the_fix() {
    let (code, err) = run(&["deploy", "search-stg", "--region", "eu-west-1", "--yes"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("BLOCK revision-unknown") && err.contains("chart = "),
        "{err}"
    );
}
