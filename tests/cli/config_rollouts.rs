//! `[[rollouts]]` templates: the issue's template loads, and each mistake is reported at
//! its file, line and column with what would be valid.

use meridian::fleet::rollout::{GateSpec, TemplateStep};
use meridian::fleet::{FleetSource, parse};

const BASE: &str = r#"[fleet]
name = "t"

[[regions]]
id = "eastus"
role = "primary"
steady_weight = 70

[[regions]]
id = "westeurope"
role = "secondary"
steady_weight = 30

[[tenants]]
id = "shop-prd"
environment = "prd"
regions = ["eastus", "westeurope"]
"#;

const RELEASE: &str = r#"
[[rollouts]]
id = "release"
name = "Release, east first"
params = ["revision"]
steps = [
  { weights = { "eastus" = 10, "westeurope" = 90 }, for = "2h" },
  { sync = "*", region = "eastus", revision = "{revision}" },
  { gate = "healthy", region = "eastus", for = "15m" },
  { gate = "approval", by = "second-person" },
  { sync = "*", region = "westeurope", revision = "{revision}" },
  { gate = "healthy", region = "westeurope", for = "15m" },
  { restore = "all" },
]
"#;

fn errors(src: &str) -> Vec<String> {
    match parse(src, "fleet.toml", FleetSource::Demo) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

/// The issue's template with one line replaced.
fn with(from: &str, to: &str) -> String {
    let src = format!("{BASE}{RELEASE}");
    assert!(src.contains(from), "{from}");
    src.replacen(from, to, 1)
}

#[test]
fn the_issues_template_loads_with_its_steps_in_order() {
    let fleet = parse(&format!("{BASE}{RELEASE}"), "fleet.toml", FleetSource::Demo).unwrap();
    let r = &fleet.rollouts[0];
    assert_eq!(
        (r.id.as_str(), r.params.len(), r.steps.len()),
        ("release", 1, 7)
    );
    assert!(
        matches!(&r.steps[0], TemplateStep::Weights { hold: Some(h), .. } if h.as_secs() == 7200)
    );
    assert!(matches!(
        &r.steps[2],
        TemplateStep::Gate(GateSpec::Healthy { region, hold }) if region == "eastus" && hold.as_secs() == 900
    ));
    assert!(matches!(
        &r.steps[3],
        TemplateStep::Gate(GateSpec::Approval {
            second_person: true,
            artifact: None
        })
    ));
    assert!(matches!(&r.steps[6], TemplateStep::Restore { regions } if regions.is_empty()));
}

#[test]
fn each_mistake_is_located_and_says_what_is_valid() {
    let cases = [
        (
            "\"westeurope\" = 90",
            "\"westeurop\" = 90",
            "fleet.toml:24:15: rollouts[0].steps[0].weights: unknown region \"westeurop\" (did you mean \"westeurope\"?)",
        ),
        (
            "region = \"eastus\", revision",
            "region = \"esatus\", revision",
            "fleet.toml:25:26: rollouts[0].steps[1].region: unknown region \"esatus\"",
        ),
        (
            "revision = \"{revision}\" },\n  { gate = \"healthy\", region = \"eastus\"",
            "revision = \"{rev}\" },\n  { gate = \"healthy\", region = \"eastus\"",
            "fleet.toml:25:47: rollouts[0].steps[1].revision: unknown parameter \"{rev}\"",
        ),
        (
            "region = \"eastus\", for = \"15m\"",
            "region = \"eastus\", for = \"15 mins-ish\"",
            "fleet.toml:26:48: rollouts[0].steps[2].for: \"15 mins-ish\" is not a duration",
        ),
        (
            "{ gate = \"approval\"",
            "{ gate = \"aproval\"",
            "fleet.toml:27:12: rollouts[0].steps[3].gate: unknown gate \"aproval\" (did you mean \"approval\"?)",
        ),
        (
            "{ restore = \"all\" }",
            "{ ship = \"all\" }",
            "fleet.toml:30:3: rollouts[0].steps[6]: \"ship\" is not a step kind",
        ),
        (
            "by = \"second-person\"",
            "by = \"a friend\"",
            "fleet.toml:27:29: rollouts[0].steps[3].by: `by` is \"second-person\"",
        ),
        (
            "for = \"2h\"",
            "for = \"2h\", colour = \"red\"",
            "fleet.toml:24:74: rollouts[0].steps[0].colour: unknown key \"colour\" in a weights step",
        ),
    ];
    for (from, to, want) in cases {
        let all = errors(&with(from, to));
        assert_eq!(all.len(), 1, "{to}: {all:#?}");
        assert!(
            all[0].starts_with(want),
            "{to}:\n got  {}\n want {want}",
            all[0]
        );
    }
}

#[test]
fn starting_checks_parameters_and_expands_every_tenant() {
    let fleet = parse(&format!("{BASE}{RELEASE}"), "fleet.toml", FleetSource::Demo).unwrap();
    let t = &fleet.rollouts[0];
    let none = Default::default();
    let err = t.resolve(&fleet, &none).unwrap_err();
    assert!(err.0.contains("needs --param revision=VALUE"), "{err}");
    let params = [("revision".to_string(), "abc123".to_string())].into();
    let steps = t.resolve(&fleet, &params).unwrap();
    let labels: Vec<String> = steps.iter().map(|(s, _)| s.label()).collect();
    let holds: Vec<Option<u64>> = steps.iter().map(|(_, h)| h.map(|h| h.as_secs())).collect();
    assert_eq!(
        holds,
        [Some(7200), None, None, None, None, None, None],
        "the weights step holds for 2h"
    );
    assert_eq!(
        labels,
        [
            "weights eastus=10 westeurope=90",
            "sync shop-prd in eastus to abc123",
            "eastus healthy 15m",
            "approval by a second person",
            "sync shop-prd in westeurope to abc123",
            "westeurope healthy 15m",
            "restore all",
        ]
    );
    let extra = [
        ("revision".to_string(), "a".to_string()),
        ("colour".to_string(), "b".to_string()),
    ]
    .into();
    assert!(
        t.resolve(&fleet, &extra)
            .unwrap_err()
            .0
            .contains("no parameter \"colour\"")
    );
}
