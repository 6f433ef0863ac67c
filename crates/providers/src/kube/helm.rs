//! Helm releases read natively from Helm's storage: Secrets `sh.helm.release.v1.NAME.vN`
//! labelled `owner=helm,name=NAME`, whose `release` value is base64(gzip(JSON)). No helm
//! binary is needed to read them; rolling back runs the real `helm` (see `helm_rollback`).

use meridian_model::fleet::settings::{Dur, Settings};
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::ListParams;
use serde_json::Value;

use super::application::parse_time;
use super::client::{Clients, region_target};
use super::error::api_error;
use crate::{Progress, ProviderError, ProviderResult, ReleaseProvider};
use meridian_model::fleet::DEFAULT_TIMEOUT as DEFAULT_DEADLINE;
use meridian_model::fleet::{Fleet, Tenant};
use meridian_model::state::{HelmRelease, HelmRevision, HelmStatus};

/// Decode one release Secret's `release` value (already base64-decoded once by the API
/// client: what remains is Helm's own base64 of the gzipped JSON).
pub fn decode_release(data: &[u8]) -> Result<Value, String> {
    let text: Vec<u8> = data
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let zipped = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .map_err(|e| format!("not base64: {e}"))?;
    let mut json = Vec::new();
    if zipped.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(zipped.as_slice())
            .read_to_end(&mut json)
            .map_err(|e| format!("not gzip: {e}"))?;
    } else {
        // Helm writes gzip, but reads plain JSON too.
        json = zipped;
    }
    serde_json::from_slice(&json).map_err(|e| format!("not JSON: {e}"))
}

/// One decoded release as a revision.
pub fn revision_of(release: &Value) -> Option<HelmRevision> {
    let s = |p: &str| {
        release
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(HelmRevision {
        revision: u32::try_from(release.get("version")?.as_u64()?).ok()?,
        status: HelmStatus::parse(&s("/info/status")),
        chart: s("/chart/metadata/name"),
        chart_version: s("/chart/metadata/version"),
        app_version: s("/chart/metadata/appVersion"),
        updated: release
            .pointer("/info/last_deployed")
            .and_then(Value::as_str)
            .and_then(parse_time),
        description: s("/info/description"),
    })
}

/// Helm releases of the fleet's Helm tenants, read from each region's cluster.
pub struct HelmReleases {
    clients: Arc<Clients>,
}

impl HelmReleases {
    pub fn new(clients: Arc<Clients>) -> HelmReleases {
        HelmReleases { clients }
    }

    async fn read_one(
        &self,
        fleet: &Fleet,
        t: &Tenant,
        region: &str,
    ) -> ProviderResult<HelmRelease> {
        let (name, namespace) = (t.helm_release_name(), t.helm_namespace());
        let call = format!("helm read release {namespace}/{name}");
        let target = region_target(fleet, region)
            .ok_or_else(|| ProviderError::new(Some(region), &call, "the region has no cluster"))?;
        let client = self.clients.get(&target, Some(region)).await?;
        let secrets: Api<Secret> = Api::namespaced(client, namespace);
        let params = ListParams::default().labels(&format!("owner=helm,name={name}"));
        let list = secrets
            .list(&params)
            .await
            .map_err(|e| api_error(Some(region), &call, &e))?;
        crate::ApiMeter::global().record("kube", false);
        let mut revisions = Vec::new();
        for secret in list.items {
            let sname = secret.metadata.name.clone().unwrap_or_default();
            let Some(data) = secret.data.as_ref().and_then(|d| d.get("release")) else {
                continue;
            };
            match decode_release(&data.0).map(|v| revision_of(&v)) {
                Ok(Some(r)) => revisions.push(r),
                Ok(None) => log::warn!("{region}: {sname}: not a Helm release"),
                Err(e) => log::warn!("{region}: {sname}: unreadable Helm release: {e}"),
            }
        }
        if revisions.is_empty() {
            return Err(ProviderError::new(
                Some(region),
                call,
                format!("no release {name} in namespace {namespace}"),
            )
            .with_hint("check helm = { release, namespace } of the tenant (`helm list -A`)"));
        }
        revisions.sort_by_key(|r| r.revision);
        Ok(HelmRelease {
            name: name.to_string(),
            namespace: namespace.to_string(),
            revisions,
        })
    }
}

/// The deadline of one release reading (the tenant's `timeout`, else the default).
pub fn deadline_of(t: &Tenant) -> Duration {
    match t.helm.as_ref().map(|h| &h.settings) {
        Some(Settings::Helm(h)) => h.pace.timeout.map_or(DEFAULT_DEADLINE, Dur::get),
        _ => DEFAULT_DEADLINE,
    }
}

#[async_trait]
impl ReleaseProvider for HelmReleases {
    async fn read_releases(
        &self,
        fleet: &Fleet,
        region: &str,
    ) -> ProviderResult<Vec<(String, HelmRelease)>> {
        let tenants: Vec<&Tenant> = fleet
            .tenants_in(region)
            .filter(|t| t.helm.is_some())
            .collect();
        let reads = tenants.iter().map(|t| self.read_one(fleet, t, region));
        let results = futures::future::join_all(reads).await;
        let mut out = Vec::new();
        for (t, r) in tenants.iter().zip(results) {
            out.push((t.id.clone(), r?));
        }
        Ok(out)
    }

    async fn rollback_release(
        &self,
        fleet: &Fleet,
        tenant: &str,
        region: &str,
        revision: u32,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let t = fleet.tenant(tenant).ok_or_else(|| {
            ProviderError::new(
                Some(region),
                "helm rollback",
                format!("unknown tenant {tenant}"),
            )
        })?;
        let target = region_target(fleet, region).ok_or_else(|| {
            ProviderError::new(Some(region), "helm rollback", "the region has no cluster")
        })?;
        super::helm_rollback::run(t, &target, region, revision, progress).await
    }

    async fn deploy_release(
        &self,
        fleet: &Fleet,
        req: &crate::DeployRequest,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let region = req.region.as_str();
        let t = fleet.tenant(&req.tenant).ok_or_else(|| {
            ProviderError::new(
                Some(region),
                "helm upgrade",
                format!("unknown tenant {}", req.tenant),
            )
        })?;
        let target = region_target(fleet, region).ok_or_else(|| {
            ProviderError::new(Some(region), "helm upgrade", "the region has no cluster")
        })?;
        super::helm_deploy::run(t, &target, req, progress).await
    }

    async fn render_deploy(
        &self,
        fleet: &Fleet,
        req: &crate::DeployRequest,
    ) -> ProviderResult<super::helm_render::Rendered> {
        let region = req.region.as_str();
        let t = fleet.tenant(&req.tenant).ok_or_else(|| {
            ProviderError::new(
                Some(region),
                "helm template",
                format!("unknown tenant {}", req.tenant),
            )
        })?;
        let target = region_target(fleet, region).ok_or_else(|| {
            ProviderError::new(Some(region), "helm template", "the region has no cluster")
        })?;
        let chart = super::helm_deploy::chart(req);
        super::helm_render::render(t, &target, region, &chart).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn encode(json: &str) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = gz.write_all(json.as_bytes());
        let zipped = gz.finish().unwrap_or_default();
        base64::engine::general_purpose::STANDARD
            .encode(zipped)
            .into_bytes()
    }

    #[test]
    fn a_release_secret_decodes_to_its_revision() {
        let json = r#"{"name":"checkout","version":3,"namespace":"checkout",
            "info":{"status":"pending-upgrade","last_deployed":"2026-01-02T10:00:00.123456Z","description":"Upgrade complete"},
            "chart":{"metadata":{"name":"checkout","version":"1.4.0","appVersion":"2.1"}}}"#;
        let v = decode_release(&encode(json)).unwrap_or_else(|e| panic!("{e}"));
        let r = revision_of(&v).unwrap_or_else(|| panic!("no revision"));
        assert_eq!(r.revision, 3);
        assert_eq!(r.status, HelmStatus::PendingUpgrade);
        assert!(r.status.is_pending());
        assert_eq!(r.chart_label(), "checkout-1.4.0");
        assert_eq!(r.app_version, "2.1");
        assert!(r.updated.is_some());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_release(b"%%%").is_err());
        assert!(
            decode_release(
                &base64::engine::general_purpose::STANDARD
                    .encode("{nope")
                    .into_bytes()
            )
            .is_err()
        );
    }
}
