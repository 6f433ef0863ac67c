//! The dashboard, in a real terminal (tmux), against the vendor stand-ins: seed 002's
//! Traffic Manager shift typed as percentages in the weights editor (90/10, then restore to
//! 70/30), and a seed 000/001 Cloudflare drain. Needs tmux, python3 and openssl.

use crate::support::standin::Standin;
use crate::support::tmux::Tmux;
use serde_json::{Value, json};

const POLICY: &str = "[policy]\nhealth_gate = \"0s\"\nproduction_environments = []\n";

fn dashboard(name: &str, fleet_text: &str, env: &[(&str, &str)]) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(&fleet, fleet_text).unwrap_or_else(|e| panic!("{e}"));
    let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
    let cmd = format!(
        "env MERIDIAN_STATE_DIR='{}' XDG_CONFIG_HOME='{}' TERM=xterm-256color {} '{}' -c '{}'; echo MERIDIAN_EXIT=$?; sleep 30",
        dir.path().join("state").display(),
        dir.path().join("config").display(),
        env.join(" "),
        env!("CARGO_BIN_EXE_meridian"),
        fleet.display()
    );
    let t = Tmux::start(name, &cmd);
    t.wait_for("Regions", 20);
    t.wait_for("● live", 20);
    (t, dir)
}

fn endpoint_weight(az: &Standin, name: &str) -> Value {
    let state = az.control_tls("GET", "state", &json!({}));
    state["profiles"][0]["properties"]["endpoints"]
        .as_array()
        .and_then(|eps| eps.iter().find(|e| e["name"] == name).cloned())
        .map(|e| e["properties"]["weight"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn seed_002_shift_typed_as_percentages_then_restored() {
    let Some(az) = crate::support::azure::start() else {
        return;
    };
    let text = crate::support::azure::fleet_toml(&az, "") + POLICY;
    let (t, _dir) = dashboard("tm", &text, &crate::support::azure::env());
    // eastus is selected: 90%, then westeurope 10%.
    t.keys(&["w"]);
    t.wait_for("Set weights (Azure Traffic Manager)", 10);
    t.literal("90%");
    t.keys(&["Down"]);
    t.literal("10%");
    let editor = t.wait_for("10%=100", 10);
    assert!(editor.contains("90%=900"), "{editor}");
    t.keys(&["Enter"]);
    let plan = t.wait_for("eastus weight: 70 (70%) -> 900 (90%)", 20);
    assert!(
        plan.contains("westeurope weight: 30 (30%) -> 100 (10%)"),
        "{plan}"
    );
    t.keys(&["y"]);
    t.wait_for("Set weights: succeeded and verified", 30);
    assert_eq!(endpoint_weight(&az, "eastus"), 900);
    assert_eq!(endpoint_weight(&az, "westeurope"), 100);
    // Back to the steady 70/30.
    t.wait_for("900/70", 20);
    t.keys(&["R"]);
    t.wait_for("eastus weight: 900 (90%) -> 70 (70%)", 20);
    t.keys(&["y"]);
    t.wait_for("70/70", 30);
    assert_eq!(endpoint_weight(&az, "eastus"), 70);
    assert_eq!(endpoint_weight(&az, "westeurope"), 30);
    t.keys(&["q"]);
    assert!(t.wait_for("MERIDIAN_EXIT=", 10).contains("MERIDIAN_EXIT=0"));
}

#[test]
fn seed_000_001_cloudflare_drain_from_the_dashboard() {
    let Some(cf) = crate::support::cloudflare::start(&[]) else {
        return;
    };
    let text = crate::support::cloudflare::fleet_toml(
        &cf,
        &["api.aragora.example", "ws.aragora.example"],
        "",
    ) + POLICY;
    let (t, _dir) = dashboard(
        "cf",
        &text,
        &[(
            crate::support::cloudflare::TOKEN_ENV,
            crate::support::cloudflare::TOKEN,
        )],
    );
    // us-east-2 is selected: drain asks for its name.
    t.keys(&["d"]);
    let modal = t.wait_for("type us-east-2 to confirm", 10);
    assert!(
        modal.contains("us-east-2 weight: 0.50 (50%) -> 0.00 (0%)"),
        "{modal}"
    );
    t.keys(&["BTab"]);
    t.literal("INC-CF");
    t.keys(&["Tab"]);
    t.literal("us-east-2");
    t.keys(&["Enter"]);
    t.wait_for("[ Drain us-east-2 ]", 10);
    t.keys(&["Enter"]);
    t.wait_for("Drain us-east-2: succeeded and verified", 30);
    let state = cf.control("GET", "state", &json!({}));
    for lb in state["load_balancers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        assert_eq!(
            lb["random_steering"]["pool_weights"]["pool-us-east-2"], 0.0,
            "{lb}"
        );
    }
    t.wait_for("0.00/0.50", 20);
    t.keys(&["q"]);
    assert!(t.wait_for("MERIDIAN_EXIT=", 10).contains("MERIDIAN_EXIT=0"));
}

#[test]
fn seed_001_geo_steered_region_shows_its_rotation_and_drains_from_the_dashboard() {
    let seed = crate::support::cloudflare::seed_with_geo();
    let Some(cf) = crate::support::cloudflare::start_with(&seed, &[]) else {
        return;
    };
    let text = crate::support::cloudflare::fleet_toml(&cf, &["geo.aragora.example"], "") + POLICY;
    let (t, _dir) = dashboard(
        "cfgeo",
        &text,
        &[(
            crate::support::cloudflare::TOKEN_ENV,
            crate::support::cloudflare::TOKEN,
        )],
    );
    // No weights under geo steering: the board shows the policy and the rotation.
    let board = t.wait_for("geo · serving", 20);
    assert!(board.contains("TRAFFIC"), "{board}");
    assert!(!board.contains('%'), "no made-up share:\n{board}");
    t.keys(&["Down", "d"]);
    let modal = t.wait_for("type eu-west-1 to confirm", 10);
    assert!(
        modal.contains("eu-west-1 traffic: geo · serving -> geo · drained"),
        "{modal}"
    );
    assert!(modal.contains("geo-coverage"), "{modal}");
    // The warning is acknowledged before the name is typed.
    t.keys(&["BTab", "BTab"]);
    t.literal("INC-GEO");
    t.keys(&["Tab", "Space", "Tab"]);
    t.literal("eu-west-1");
    t.keys(&["Enter"]);
    t.wait_for("[ Drain eu-west-1 ]", 10);
    t.keys(&["Enter"]);
    t.wait_for("Drain eu-west-1: succeeded and verified", 30);
    t.wait_for("geo · drained", 20);
    t.keys(&["r"]);
    t.wait_for("eu-west-1 traffic: geo · drained -> geo · serving", 10);
    t.keys(&["y"]);
    t.wait_for("Restore eu-west-1: succeeded and verified", 30);
    t.keys(&["q"]);
    assert!(t.wait_for("MERIDIAN_EXIT=", 10).contains("MERIDIAN_EXIT=0"));
    cf.assert_no_violations();
}
