//! A Traffic Manager profile as ARM returns it, and the one PATCH body that changes its
//! endpoints' weights and states together. Pure: parsed and built from JSON, tested alone.

use serde_json::{Value, json};

use meridian_model::traffic::{Steering, Weight};

/// One endpoint of the profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub name: String,
    /// `Microsoft.Network/trafficManagerProfiles/azureEndpoints` and the like.
    pub kind: String,
    pub weight: Option<u32>,
    pub enabled: bool,
    /// `endpointMonitorStatus`: Online, Degraded, CheckingEndpoint, Disabled, Stopped, ...
    pub monitor: String,
    /// `priority` (1..1000), for priority routing.
    pub priority: Option<u32>,
    /// `geoMapping`: the geographic codes this endpoint serves, for geographic routing.
    pub geo_mapping: Vec<String>,
}

impl Endpoint {
    /// The endpoint in the provider-neutral model under the profile's routing method
    /// (`drained` = disabled; a weight or priority is kept).
    pub fn weight_under(&self, steering: Steering) -> Weight {
        match steering {
            Steering::Weighted => self.weight(),
            Steering::Priority => {
                Weight::steered(steering, self.priority.unwrap_or(0)).with_drained(!self.enabled)
            }
            other => Weight::steered(other, 0).with_drained(!self.enabled),
        }
    }

    /// The endpoint as a weighted one (`drained` = disabled, weight kept).
    pub fn weight(&self) -> Weight {
        let units = self.weight.unwrap_or(1);
        if self.enabled {
            Weight::units(units)
        } else {
            Weight::drained(units)
        }
    }
}

/// The routing policy of a profile's `trafficRoutingMethod`.
pub fn steering(routing: &str) -> Option<Steering> {
    Some(match routing {
        "Weighted" => Steering::Weighted,
        "Priority" => Steering::Priority,
        "Performance" => Steering::Performance,
        "Geographic" => Steering::Geographic,
        "MultiValue" => Steering::Multivalue,
        "Subnet" => Steering::Subnet,
        _ => return None,
    })
}

/// What meridian needs of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub routing: String,
    pub status: String,
    pub monitor_status: String,
    pub endpoints: Vec<Endpoint>,
}

impl Profile {
    /// The endpoint whose name matches (ARM names are case-insensitive).
    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
    }
}

/// Read a profile from ARM's JSON; the error says which field is missing.
pub fn parse(v: &Value) -> Result<Profile, String> {
    let props = v
        .get("properties")
        .ok_or("the answer has no \"properties\"")?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let endpoints = props
        .get("endpoints")
        .and_then(Value::as_array)
        .ok_or("the profile has no \"endpoints\" array")?
        .iter()
        .map(|e| {
            let p = e.get("properties").cloned().unwrap_or(Value::Null);
            Ok(Endpoint {
                name: e
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or("an endpoint has no name")?
                    .to_string(),
                kind: text(e, "type"),
                weight: p
                    .get("weight")
                    .and_then(Value::as_u64)
                    .and_then(|w| u32::try_from(w).ok()),
                enabled: text(&p, "endpointStatus") != "Disabled",
                monitor: text(&p, "endpointMonitorStatus"),
                priority: p
                    .get("priority")
                    .and_then(Value::as_u64)
                    .and_then(|w| u32::try_from(w).ok()),
                geo_mapping: p
                    .get("geoMapping")
                    .and_then(Value::as_array)
                    .map(|codes| {
                        codes
                            .iter()
                            .filter_map(|c| c.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Profile {
        routing: text(props, "trafficRoutingMethod"),
        status: text(props, "profileStatus"),
        monitor_status: props
            .get("monitorConfig")
            .map(|m| text(m, "profileMonitorStatus"))
            .unwrap_or_default(),
        endpoints,
    })
}

/// The PATCH body that sets these endpoints' weights and states in one update: every
/// endpoint of the profile as read (ARM replaces the whole array), the named ones changed,
/// read-only fields left out.
pub fn patch_body(read: &Value, changes: &[(String, Weight)]) -> Result<Value, String> {
    let endpoints = read
        .pointer("/properties/endpoints")
        .and_then(Value::as_array)
        .ok_or("the profile has no \"endpoints\" array")?;
    let mut out = Vec::new();
    for e in endpoints {
        let name = e.get("name").and_then(Value::as_str).unwrap_or_default();
        let mut props = e.get("properties").cloned().unwrap_or_else(|| json!({}));
        if let Some(map) = props.as_object_mut() {
            map.remove("endpointMonitorStatus");
            if let Some((_, w)) = changes.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                // Under priority, performance or geographic routing only the status changes.
                if w.has_share() {
                    map.insert("weight".into(), json!(w.units));
                }
                let status = if w.drained { "Disabled" } else { "Enabled" };
                map.insert("endpointStatus".into(), json!(status));
            }
        }
        out.push(json!({
            "name": name,
            "type": e.get("type").cloned().unwrap_or(Value::Null),
            "properties": props,
        }));
    }
    for (name, _) in changes {
        if !endpoints.iter().any(|e| {
            e.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }) {
            return Err(format!("the profile has no endpoint named \"{name}\""));
        }
    }
    Ok(json!({ "properties": { "endpoints": out } }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Value {
        json!({"name": "app-tm", "properties": {
            "profileStatus": "Enabled", "trafficRoutingMethod": "Weighted",
            "monitorConfig": {"profileMonitorStatus": "Online"},
            "endpoints": [
                {"name": "eastus", "type": "Microsoft.Network/trafficManagerProfiles/azureEndpoints",
                 "properties": {"weight": 70, "endpointStatus": "Enabled", "endpointMonitorStatus": "Online", "target": "e"}},
                {"name": "westeurope", "type": "Microsoft.Network/trafficManagerProfiles/azureEndpoints",
                 "properties": {"weight": 30, "endpointStatus": "Disabled", "endpointMonitorStatus": "Disabled", "target": "w"}}]}})
    }

    #[test]
    fn a_disabled_endpoint_reads_as_drained_with_its_weight() {
        let p = parse(&profile()).unwrap();
        assert_eq!(p.routing, "Weighted");
        assert_eq!(p.endpoint("EASTUS").unwrap().weight(), Weight::units(70));
        assert_eq!(
            p.endpoint("westeurope").unwrap().weight(),
            Weight::drained(30)
        );
    }

    #[test]
    fn the_patch_carries_every_endpoint_and_only_changes_the_named_ones() {
        let body = patch_body(
            &profile(),
            &[
                ("eastus".into(), Weight::drained(70)),
                ("westeurope".into(), Weight::units(100)),
            ],
        )
        .unwrap();
        let eps = body["properties"]["endpoints"].as_array().unwrap();
        assert_eq!(eps.len(), 2);
        assert_eq!(eps[0]["properties"]["endpointStatus"], "Disabled");
        assert_eq!(eps[0]["properties"]["weight"], 70);
        assert_eq!(eps[1]["properties"]["endpointStatus"], "Enabled");
        assert_eq!(eps[1]["properties"]["weight"], 100);
        assert_eq!(eps[1]["properties"]["target"], "w", "other fields are kept");
        assert!(eps[0]["properties"].get("endpointMonitorStatus").is_none());
        assert!(patch_body(&profile(), &[("nowhere".into(), Weight::units(1))]).is_err());
    }
}
