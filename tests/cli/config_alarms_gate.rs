//! `gate = "alarms"` in a rollout template: loaded with its prefix, tag, region and window;
//! refused in words without an `[alarms]` table, past CloudWatch's 30 days of history, or
//! with a tag that is not KEY=value.

use std::time::Duration;

use meridian::fleet::rollout::{GateSpec, TemplateStep};
use meridian::fleet::{FleetSource, parse};

const BASE: &str = r#"[fleet]
name = "t"

[[regions]]
id = "eastus"
role = "primary"
steady_weight = 100
"#;

const ALARMS: &str = r#"
[alarms]
provider = "cloudwatch"
prefix = "shop-"
"#;

fn rollout(gate: &str) -> String {
    format!("\n[[rollouts]]\nid = \"cutover\"\nname = \"Cutover\"\nsteps = [\n  {gate},\n]\n")
}

#[test]
fn an_alarms_gate_loads_with_its_scope_and_window() {
    let src = format!(
        "{BASE}{ALARMS}{}",
        rollout(
            r#"{ gate = "alarms", prefix = "pay-", tag = "team=payments", region = "eastus", for = "7d" }"#
        )
    );
    let f = parse(&src, "fleet.toml", FleetSource::Demo).expect("loads");
    let steps = &f.rollouts[0].steps;
    assert!(
        matches!(
            &steps[0],
            TemplateStep::Gate(GateSpec::Alarms { prefix: Some(p), tag: Some(t), region: Some(r), hold })
                if p == "pay-" && t == "team=payments" && r == "eastus" && *hold == Duration::from_secs(7 * 86_400)
        ),
        "{steps:?}"
    );
    // Only `for` is needed: the scope falls back to the `[alarms]` table.
    let src = format!(
        "{BASE}{ALARMS}{}",
        rollout(r#"{ gate = "alarms", for = "15m" }"#)
    );
    parse(&src, "fleet.toml", FleetSource::Demo).expect("loads");
}

#[test]
fn an_alarms_gate_is_refused_in_words() {
    let cases = [
        (
            BASE.to_string() + &rollout(r#"{ gate = "alarms", for = "15m" }"#),
            "the fleet needs an `[alarms]` table",
        ),
        (
            format!(
                "{BASE}{ALARMS}{}",
                rollout(r#"{ gate = "alarms", for = "31d" }"#)
            ),
            "kept for 30 days: `for` is 30d or less",
        ),
        (
            format!(
                "{BASE}{ALARMS}{}",
                rollout(r#"{ gate = "alarms", tag = "payments", for = "1h" }"#)
            ),
            "`tag` is KEY=value",
        ),
        (
            format!(
                "{BASE}{ALARMS}{}",
                rollout(r#"{ gate = "alarms", prefix = "pay-" }"#)
            ),
            "for",
        ),
    ];
    for (src, want) in cases {
        let e = parse(&src, "fleet.toml", FleetSource::Demo).expect_err("refused");
        let e = e.to_string();
        assert!(e.contains(want), "{want:?} not in {e}");
        assert!(e.contains("fleet.toml:"), "located: {e}");
    }
}
