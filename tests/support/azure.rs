//! The Azure Traffic Manager stand-in seeded like seed 002: eastus and westeurope endpoints
//! of one weighted profile at the steady 70/30, plus an unmanaged disabled endpoint, and its
//! Entra token endpoint (HTTPS with a throwaway CA) for the real azure_identity flow.

use serde_json::json;

use super::standin::{self, Standin};

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT: &str = "66666666-7777-8888-9999-000000000000";
pub const SECRET: &str = "test-client-secret-not-real";
pub const SUBSCRIPTION: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
pub const GROUP: &str = "rg-app-global";
pub const PROFILE: &str = "app-tm";

pub fn seed() -> serde_json::Value {
    json!({
        "tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET,
        "subscription_id": SUBSCRIPTION, "resource_group": GROUP,
        "profiles": [{"name": PROFILE, "trafficRoutingMethod": "Weighted", "endpoints": [
            {"name": "eastus", "type": "azureEndpoints", "weight": 70, "target": "app-eastus.example.net"},
            {"name": "westeurope", "type": "azureEndpoints", "weight": 30, "target": "app-westeurope.example.net"},
            {"name": "old-dc", "type": "externalEndpoints", "weight": 5, "endpointStatus": "Disabled", "target": "old.example.net"}
        ]}]
    })
}

pub fn start() -> Option<Standin> {
    standin::start("azure_tm_standin.py", &seed(), &[], true)
}

/// The environment the environment credential reads (service principal of the stand-in).
pub fn env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_CLIENT_SECRET", SECRET),
    ]
}

/// Set it in this process (provider tests run in-process).
pub fn set_env() {
    for (k, v) in env() {
        // SAFETY: every test sets the same values before using them.
        unsafe { std::env::set_var(k, v) };
    }
}

/// A fleet file for the stand-in, modelled on seed 002 (steady 70/30).
pub fn fleet_toml(az: &Standin, extra: &str) -> String {
    let url = az.url("https");
    format!(
        r#"
[fleet]
name = "azure-test"
[traffic]
provider = "azure-traffic-manager"
subscription_id = "{SUBSCRIPTION}"
resource_group = "{GROUP}"
profile = "{PROFILE}"
endpoint_url = "{url}"
authority_host = "{url}"
credential = "environment"
ca_file = "{}"
timeout = "4s"
connect_timeout = "1s"
max_attempts = 4
{extra}
[[regions]]
id = "eastus"
role = "primary"
steady_weight = 70
health = {{ provider = "azure-traffic-manager" }}
[[regions]]
id = "westeurope"
role = "secondary"
steady_weight = 30
health = {{ provider = "azure-traffic-manager" }}
"#,
        az.path("tls/ca.pem").display()
    )
}

/// Start the stand-in with another seed (e.g. `seed_routing("Priority")`).
pub fn start_with(seed: &serde_json::Value) -> Option<Standin> {
    standin::start("azure_tm_standin.py", seed, &[], true)
}

/// The seed with the profile under another routing method, its endpoints carrying what that
/// method needs: Priority (eastus 1, westeurope 2, old-dc 3), Geographic (eastus GEO-NA and
/// GEO-SA, westeurope GEO-EU, GEO-ME and GEO-AF, old-dc WORLD), Performance (old-dc, an
/// external endpoint, in "North Europe"); Weighted is `seed()` itself.
pub fn seed_routing(routing: &str) -> serde_json::Value {
    let mut seed = seed();
    seed["profiles"][0]["trafficRoutingMethod"] = json!(routing);
    let extra: [(&str, serde_json::Value); 3] = match routing {
        "Priority" => [
            ("priority", json!(1)),
            ("priority", json!(2)),
            ("priority", json!(3)),
        ],
        "Geographic" => [
            ("geoMapping", json!(["GEO-NA", "GEO-SA"])),
            ("geoMapping", json!(["GEO-EU", "GEO-ME", "GEO-AF"])),
            ("geoMapping", json!(["WORLD"])),
        ],
        "Performance" => [
            ("endpointLocation", json!("East US")),
            ("endpointLocation", json!("West Europe")),
            ("endpointLocation", json!("North Europe")),
        ],
        _ => return seed,
    };
    if let Some(eps) = seed["profiles"][0]["endpoints"].as_array_mut() {
        for (e, (k, v)) in eps.iter_mut().zip(extra) {
            e[k] = v;
        }
    }
    seed
}
