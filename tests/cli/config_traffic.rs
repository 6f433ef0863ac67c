//! Fleet files for Azure Traffic Manager and Cloudflare: keys checked at load time with file,
//! line and column, steady weights in each provider's own units, and the example fleets valid.

use meridian::fleet::{FleetSource, ProviderKind, parse};

fn errors(src: &str) -> Vec<String> {
    match parse(src, "fleet.toml", FleetSource::Demo) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

fn fleet(traffic: &str, weights: [&str; 2]) -> String {
    format!(
        "[fleet]\nname = \"t\"\n[traffic]\n{traffic}\n[[regions]]\nid = \"a\"\nrole = \"primary\"\nsteady_weight = {}\n[[regions]]\nid = \"b\"\nrole = \"secondary\"\nsteady_weight = {}\n",
        weights[0], weights[1]
    )
}

const AZURE: &str = "provider = \"azure-traffic-manager\"\nsubscription_id = \"s\"\nresource_group = \"rg\"\nprofile = \"p\"";
const CLOUDFLARE: &str = "provider = \"cloudflare\"\naccount_id = \"a\"\nzone_id = \"z\"\nload_balancers = [\"app.example.com\"]";

#[test]
fn azure_weights_go_to_1000_and_0_means_disabled() {
    assert_eq!(errors(&fleet(AZURE, ["700", "300"])), Vec::<String>::new());
    assert_eq!(errors(&fleet(AZURE, ["1000", "0"])), Vec::<String>::new());
    assert_eq!(
        errors(&fleet(AZURE, ["1001", "1"])),
        vec![
            "fleet.toml:11:17: regions[0].steady_weight: weight 1001 is out of range: Azure Traffic Manager weights are integers 1..=1000 (0 disables the endpoint)"
        ]
    );
    let all_off = errors(&fleet(AZURE, ["0", "0"]));
    assert!(all_off[0].contains("Inactive"), "{all_off:?}");
}

#[test]
fn cloudflare_weights_are_decimals_0_to_1() {
    assert_eq!(
        errors(&fleet(CLOUDFLARE, ["0.7", "0.3"])),
        Vec::<String>::new()
    );
    assert_eq!(errors(&fleet(CLOUDFLARE, ["1", "0"])), Vec::<String>::new());
    let bad = errors(&fleet(CLOUDFLARE, ["1.5", "0.3"]));
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].contains(
            "weight 1.5 is out of range: Cloudflare Load Balancing weights are numbers 0.00..=1.00"
        ),
        "{bad:?}"
    );
    let bad = errors(&fleet(CLOUDFLARE, ["0.333", "0.3"]));
    assert!(bad[0].contains("weight 0.333 is out of range"), "{bad:?}");
    // Route 53 takes no decimals.
    let r53 = errors(&fleet(
        "provider = \"route53\"\nhosted_zone_id = \"Z\"\nrecord_name = \"a.example\"",
        ["0.5", "1"],
    ));
    assert!(
        r53[0].contains("Route 53 weights are integers 0..=255"),
        "{r53:?}"
    );
}

#[test]
fn missing_and_unknown_keys_are_located() {
    let e = errors(&fleet(
        "provider = \"azure-traffic-manager\"\nsubscription = \"s\"",
        ["70", "30"],
    ));
    let text = e.join("\n");
    assert!(
        text.contains("traffic.subscription: unknown key \"subscription\""),
        "{text}"
    );
    assert!(
        text.contains("provider \"azure-traffic-manager\" needs \"resource_group\""),
        "{text}"
    );
    assert!(text.starts_with("fleet.toml:"), "{text}");
    let e = errors(&fleet(
        "provider = \"cloudflare\"\naccount_id = \"a\"\nzone_id = \"z\"\nload_balancers = \"one\"",
        ["0.5", "0.5"],
    ));
    assert!(
        e.join("\n")
            .contains("traffic.load_balancers: must be a non-empty array of strings"),
        "{e:?}"
    );
    let e = errors(&fleet(
        &format!("{AZURE}\ncredential = \"password\""),
        ["70", "30"],
    ));
    assert!(
        e.join("\n")
            .contains("must be one of: \"auto\", \"environment\", \"cli\", \"managed-identity\""),
        "{e:?}"
    );
}

#[test]
fn the_example_fleets_are_valid() {
    for (file, kind) in [
        (
            "examples/fleet-azure.toml",
            ProviderKind::AzureTrafficManager,
        ),
        ("examples/fleet-cloudflare.toml", ProviderKind::Cloudflare),
    ] {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        match parse(&text, file, FleetSource::Demo) {
            Ok(f) => assert_eq!(f.traffic.provider, kind),
            Err(e) => panic!("{file}: {e}"),
        }
    }
}
