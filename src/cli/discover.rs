//! What `meridian init` can find out on its own: regions from a kubeconfig's contexts, or
//! from a Route 53 zone's weighted records, written out as a starter fleet file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::providers::aws::route53_zone::weighted_sets;
use crate::providers::aws::{AwsConfigs, AwsTarget};

/// A region as discovered, before the operator has reviewed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub id: String,
    pub name: String,
    pub cloud_region: Option<String>,
    pub weight: u8,
    pub set_identifier: Option<String>,
    pub health_check_id: Option<String>,
}

/// The `[traffic]` table of a discovered Route 53 record.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    pub zone: String,
    pub record_name: String,
    pub record_type: String,
    pub endpoint_url: Option<String>,
}

/// The kubeconfig `kubectl` would read: the first of `$KUBECONFIG`, else ~/.kube/config.
pub fn default_kubeconfig() -> Option<PathBuf> {
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&list).next();
    }
    directories::BaseDirs::new().map(|b| b.home_dir().join(".kube").join("config"))
}

#[derive(Deserialize)]
struct KubeConfig {
    #[serde(default)]
    contexts: Vec<KubeContext>,
    #[serde(rename = "current-context")]
    current: Option<String>,
}

#[derive(Deserialize)]
struct KubeContext {
    name: String,
    context: Option<KubeContextBody>,
}

#[derive(Deserialize)]
struct KubeContextBody {
    cluster: Option<String>,
}

/// One region per kubeconfig context; the current context is listed first (it becomes the
/// primary until the operator says otherwise).
pub fn from_kubeconfig(path: &Path) -> Result<Vec<Found>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
    let config: KubeConfig = serde_yaml_ng::from_str(&text)
        .map_err(|e| format!("{} is not a kubeconfig: {e}", path.display()))?;
    let mut contexts = config.contexts;
    if let Some(cur) = &config.current {
        contexts.sort_by_key(|c| &c.name != cur);
    }
    if contexts.is_empty() {
        return Err(format!("{} has no contexts", path.display()));
    }
    let n = contexts.len();
    Ok(contexts
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let cluster = c.context.and_then(|b| b.cluster).unwrap_or_default();
            Found {
                id: slug(&c.name),
                cloud_region: cloud_region_in(&c.name).or_else(|| cloud_region_in(&cluster)),
                name: c.name,
                weight: even_share(i, n),
                set_identifier: None,
                health_check_id: None,
            }
        })
        .collect())
}

/// The regions of one weighted record in a hosted zone (the only one, or `record`).
pub async fn from_route53(
    zone: &str,
    record: Option<&str>,
    endpoint_url: Option<String>,
) -> Result<(Traffic, Vec<Found>), String> {
    // Route 53 is global and signs in us-east-1: naming it keeps the SDK from asking
    // instance metadata for a region.
    let target = AwsTarget {
        endpoint_url: endpoint_url.clone(),
        aws_region: Some("us-east-1".into()),
        ..AwsTarget::default()
    };
    let sets = weighted_sets(&AwsConfigs::new(), &target, zone)
        .await
        .map_err(|e| e.to_string())?;
    let mut records: Vec<(String, String)> = Vec::new();
    for rs in &sets {
        let key = (rs.name.clone(), rs.r#type.as_str().to_string());
        if !records.contains(&key) {
            records.push(key);
        }
    }
    let same = |a: &str, b: &str| {
        a.trim_end_matches('.')
            .eq_ignore_ascii_case(b.trim_end_matches('.'))
    };
    let chosen = match record {
        Some(want) => records.iter().find(|(n, _)| same(n, want)),
        None if records.len() == 1 => records.first(),
        None => None,
    };
    let listed = || {
        records
            .iter()
            .map(|(n, t)| format!("{n} ({t})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((name, rtype)) = chosen.cloned() else {
        return Err(match (record, records.is_empty()) {
            (_, true) => format!("zone {zone} has no weighted records"),
            (Some(want), false) => {
                format!(
                    "zone {zone} has no weighted record {want}; it has: {}",
                    listed()
                )
            }
            (None, false) => format!(
                "zone {zone} has several weighted records: {}; choose one with --record",
                listed()
            ),
        });
    };
    let mut found: Vec<Found> = sets
        .iter()
        .filter(|rs| rs.name == name && rs.r#type.as_str() == rtype)
        .filter_map(|rs| {
            let set_id = rs.set_identifier.clone()?;
            Some(Found {
                id: slug(&set_id),
                name: set_id.clone(),
                cloud_region: rs
                    .region
                    .as_ref()
                    .map(|r| r.as_str().to_string())
                    .or_else(|| cloud_region_in(&set_id)),
                weight: rs.weight.unwrap_or(0).clamp(0, 255) as u8,
                set_identifier: Some(set_id),
                health_check_id: rs.health_check_id.clone(),
            })
        })
        .collect();
    // The heaviest region first: it becomes the primary until the operator says otherwise.
    found.sort_by_key(|f| std::cmp::Reverse(f.weight));
    let traffic = Traffic {
        zone: zone.to_string(),
        record_name: name,
        record_type: rtype,
        endpoint_url,
    };
    Ok((traffic, found))
}

/// A kubeconfig or record name as a fleet id (lower-case letters, digits, '-').
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => out.push(c),
            _ if !out.ends_with('-') && !out.is_empty() => out.push('-'),
            _ => {}
        }
    }
    let trimmed = out.trim_end_matches('-').to_string();
    if trimmed.is_empty() {
        "region".into()
    } else {
        trimmed
    }
}

/// A cloud region name inside a longer name, e.g. the "eu-west-1" of an EKS context ARN.
fn cloud_region_in(text: &str) -> Option<String> {
    let re = regex::Regex::new(r"\b([a-z]{2}(?:-gov)?-[a-z]+-[0-9])\b").ok()?;
    re.captures(text).map(|c| c[1].to_string())
}

/// Weights that share traffic evenly and sum to 100 (the first region takes the rest).
fn even_share(i: usize, n: usize) -> u8 {
    let base = 100 / n.max(1);
    let rest = 100 - base * n.max(1);
    (if i == 0 { base + rest } else { base }).min(255) as u8
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A starter fleet file for discovered regions: real traffic when it came from Route 53,
/// simulated everything else, one tenant and one phase to fill in.
pub fn starter(fleet: &str, what: &str, traffic: Option<&Traffic>, regions: &[Found]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#:schema ./fleet.schema.json");
    let _ = writeln!(out, "# A starter fleet file discovered from {what}.");
    let _ = writeln!(
        out,
        "# Review roles, weights and providers, then `meridian config check`."
    );
    let _ = writeln!(
        out,
        "# Capabilities without a real provider here are simulated (provider = \"sim\")."
    );
    let _ = writeln!(out, "\n[fleet]\nname = {}", quote(fleet));
    let _ = writeln!(
        out,
        "description = {}",
        quote(&format!("discovered from {what}"))
    );
    match traffic {
        Some(t) => {
            let _ = writeln!(out, "\n[traffic]\nprovider = \"route53\"");
            let _ = writeln!(out, "hosted_zone_id = {}", quote(&t.zone));
            let _ = writeln!(out, "record_name = {}", quote(&t.record_name));
            let _ = writeln!(out, "record_type = {}", quote(&t.record_type));
            if let Some(e) = &t.endpoint_url {
                let _ = writeln!(out, "endpoint_url = {}", quote(e));
            }
        }
        None => {
            let _ = writeln!(out, "\n[traffic]\nprovider = \"sim\"");
        }
    }
    let _ = writeln!(
        out,
        "\n[gitops]\nprovider = \"sim\"\n\n[runner]\nprovider = \"sim\""
    );
    for (i, r) in regions.iter().enumerate() {
        let _ = writeln!(out, "\n[[regions]]\nid = {}", quote(&r.id));
        let _ = writeln!(out, "name = {}", quote(&r.name));
        if let Some(c) = &r.cloud_region {
            let _ = writeln!(out, "cloud_region = {}", quote(c));
        }
        let role = if i == 0 { "primary" } else { "secondary" };
        let _ = writeln!(out, "role = \"{role}\"\nsteady_weight = {}", r.weight);
        if let Some(s) = &r.set_identifier {
            let _ = writeln!(out, "set_identifier = {}", quote(s));
        }
        match &r.health_check_id {
            Some(h) => {
                let _ = writeln!(
                    out,
                    "health = {{ provider = \"route53\", health_check_id = {} }}",
                    quote(h)
                );
            }
            None => {
                let _ = writeln!(out, "health = {{ provider = \"sim\" }}");
            }
        }
        let _ = writeln!(
            out,
            "lag = {{ provider = \"sim\" }}\ndatabase = {{ provider = \"sim\" }}"
        );
    }
    let ids: Vec<String> = regions.iter().map(|r| quote(&r.id)).collect();
    let _ = writeln!(
        out,
        "\n# One tenant per application deployment; add yours.\n[[tenants]]\nid = \"app-prd\"\nenvironment = \"prd\"\nregions = [{}]\nargo_app = \"app-prd-{{region}}\"",
        ids.join(", ")
    );
    let _ = writeln!(
        out,
        "\n# The ordered phases of standing a region up; add yours.\n[[phases]]\nid = \"infrastructure\"\nname = \"Infrastructure\"\nsteps = [\"network\", \"cluster\"]"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_ids_and_regions_are_found_in_them() {
        assert_eq!(
            slug("arn:aws:eks:eu-west-1:123:cluster/Shop"),
            "arn-aws-eks-eu-west-1-123-cluster-shop"
        );
        assert_eq!(slug("--"), "region");
        assert_eq!(
            cloud_region_in("arn:aws:eks:eu-west-1:123:cluster/shop").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(cloud_region_in("kind-local"), None);
        let shares: Vec<u8> = (0..3).map(|i| even_share(i, 3)).collect();
        assert_eq!(shares, [34, 33, 33]);
    }
}
