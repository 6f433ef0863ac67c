//! `meridian discover`: read the Argo CD Applications and ApplicationSets of every
//! kubeconfig context and write a fleet file a new user can paste: one region per
//! context, tenants from ApplicationSets (one app per region) or from apps whose names
//! differ only by the region.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use kube::Api;
use kube::api::{DynamicObject, ListParams};
use serde_json::Value;

use super::application::owner_name;
use super::client::{Clients, Target, contexts};
use super::error::api_error;
use super::view::resource;
use super::watch::Kind;

/// How long one context may take to answer.
const DEADLINE: Duration = Duration::from_secs(10);

/// What was found in one context.
struct Found {
    context: String,
    region: String,
    /// App name -> owning ApplicationSet.
    apps: BTreeMap<String, Option<String>>,
    error: Option<String>,
}

/// A region id from a context name: lower-case letters, digits and '-'.
pub fn region_id(context: &str) -> String {
    let last = context.rsplit(['/', ':']).next().unwrap_or(context);
    let id: String = last
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let id = id.trim_matches('-').to_string();
    if id.is_empty() { "region".into() } else { id }
}

async fn read(clients: &Clients, target: Target, namespace: &str) -> Found {
    let region = region_id(&target.context);
    let mut found = Found {
        context: target.context.clone(),
        region: region.clone(),
        apps: BTreeMap::new(),
        error: None,
    };
    let client = match clients.get(&target, Some(&region)).await {
        Ok(c) => c,
        Err(e) => {
            found.error = Some(e.to_string());
            return found;
        }
    };
    let api: Api<DynamicObject> =
        Api::namespaced_with(client, namespace, &resource(Kind::Applications));
    let call = format!("argocd list applications in {namespace}");
    match tokio::time::timeout(DEADLINE, api.list(&ListParams::default())).await {
        Ok(Ok(list)) => {
            for o in list.items {
                let Ok(v) = serde_json::to_value(&o) else {
                    continue;
                };
                if let Some(name) = v.pointer("/metadata/name").and_then(Value::as_str) {
                    found
                        .apps
                        .insert(name.to_string(), owner_name(&v).map(str::to_string));
                }
            }
        }
        Ok(Err(e)) => found.error = Some(api_error(Some(&region), &call, &e).to_string()),
        Err(_) => {
            found.error = Some(format!(
                "{region}: {call}: no answer within {}s",
                DEADLINE.as_secs()
            ))
        }
    }
    found
}

fn environment(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    if n.contains("stg") || n.contains("staging") {
        "stg"
    } else if n.contains("dev") {
        "dev"
    } else {
        "prd"
    }
}

/// The fleet file for these contexts (all of the kubeconfig's when none are named).
pub async fn discover(
    kubeconfig: Option<PathBuf>,
    wanted: Vec<String>,
    namespace: &str,
) -> Result<String, String> {
    let names = if wanted.is_empty() {
        contexts(kubeconfig.as_ref())?
    } else {
        wanted
    };
    if names.is_empty() {
        return Err("the kubeconfig has no contexts".into());
    }
    let clients = Clients::new();
    let reads = names.iter().map(|c| {
        let target = Target {
            context: c.clone(),
            kubeconfig: kubeconfig.clone(),
        };
        read(&clients, target, namespace)
    });
    let found = futures::future::join_all(reads).await;
    Ok(render(&found, namespace, kubeconfig.as_ref()))
}

fn render(found: &[Found], namespace: &str, kubeconfig: Option<&PathBuf>) -> String {
    let mut out = String::from(
        "# Written by `meridian discover`: one region per kubeconfig context, tenants from the\n# Argo CD Applications found. Check roles, weights and environments, then\n# `meridian config check FILE`.\n\n[fleet]\nname = \"discovered\"\n\n",
    );
    out += &format!("[gitops]\nprovider = \"argocd\"\nnamespace = \"{namespace}\"\n\n");
    let kc = kubeconfig
        .map(|k| format!(", kubeconfig = \"{}\"", k.display()))
        .unwrap_or_default();
    for (i, f) in found.iter().enumerate() {
        if let Some(e) = &f.error {
            out += &format!("# {}: not read: {e}\n", f.context);
        }
        let role = if i == 0 { "primary" } else { "secondary" };
        let weight = if i == 0 { 100 } else { 0 };
        out += &format!(
            "[[regions]]\nid = \"{}\"\nrole = \"{role}\"\nsteady_weight = {weight}\ncluster = {{ context = \"{}\"{kc} }}\n\n",
            f.region, f.context
        );
    }
    // ApplicationSets with at most one app per region become one tenant each.
    let mut sets: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::new();
    for f in found {
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        for owner in f.apps.values().flatten() {
            *per.entry(owner.as_str()).or_default() += 1;
        }
        for (set, n) in per {
            sets.entry(set).or_default().push((f.region.as_str(), n));
        }
    }
    let mut tenants: BTreeMap<String, (String, Vec<&str>, String)> = BTreeMap::new();
    for (set, regions) in &sets {
        if regions.iter().all(|(_, n)| *n == 1) {
            let rs = regions.iter().map(|(r, _)| *r).collect();
            tenants.insert(
                set.to_string(),
                (
                    format!("applicationset = \"{set}\""),
                    rs,
                    environment(set).into(),
                ),
            );
        }
    }
    // Other apps: grouped by their name with the region taken out.
    for f in found {
        for (name, owner) in &f.apps {
            if owner.as_ref().is_some_and(|o| tenants.contains_key(o)) {
                continue;
            }
            let pattern = name.replace(&f.region, "{region}");
            let id = region_id(&pattern.replace("{region}", "").replace("--", "-"));
            let entry = tenants.entry(id).or_insert_with(|| {
                (
                    format!("argo_app = \"{pattern}\""),
                    Vec::new(),
                    environment(name).into(),
                )
            });
            if !entry.1.contains(&f.region.as_str()) {
                entry.1.push(f.region.as_str());
            }
        }
    }
    for (id, (source, regions, env)) in tenants {
        let rs: Vec<String> = regions.iter().map(|r| format!("\"{r}\"")).collect();
        out += &format!(
            "[[tenants]]\nid = \"{id}\"\nenvironment = \"{env}\"\nregions = [{}]\n{source}\n\n",
            rs.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_names_become_region_ids() {
        assert_eq!(region_id("us-east-1"), "us-east-1");
        assert_eq!(
            region_id("arn:aws:eks:eu-west-1:123:cluster/Prod_EU"),
            "prod-eu"
        );
        assert_eq!(
            region_id("gke_proj_europe-west1_main"),
            "gke-proj-europe-west1-main"
        );
    }

    #[test]
    fn apps_group_into_tenants_across_regions() {
        let f = |region: &str, apps: &[(&str, Option<&str>)]| Found {
            context: region.into(),
            region: region.into(),
            apps: apps
                .iter()
                .map(|(n, o)| (n.to_string(), o.map(str::to_string)))
                .collect(),
            error: None,
        };
        let found = vec![
            f(
                "use1",
                &[("checkout-use1", None), ("platform-use1", Some("platform"))],
            ),
            f(
                "euw1",
                &[("checkout-euw1", None), ("platform-euw1", Some("platform"))],
            ),
        ];
        let text = render(&found, "argocd", None);
        assert!(text.contains("id = \"checkout\"\nenvironment = \"prd\"\nregions = [\"use1\", \"euw1\"]\nargo_app = \"checkout-{region}\""), "{text}");
        assert!(text.contains("applicationset = \"platform\""), "{text}");
        assert!(
            meridian_model::fleet::parse(
                &text,
                "discovered.toml",
                meridian_model::fleet::FleetSource::Demo
            )
            .is_ok(),
            "{text}"
        );
    }
}
