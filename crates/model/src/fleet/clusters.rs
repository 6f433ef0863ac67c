//! Validation of the Kubernetes parts of a fleet file: which regions need a cluster (Argo
//! CD per region, Helm tenants), the hub context, the Lease lock's context.

use toml::Spanned;

use super::load::Validator;
use super::model::*;
use super::raw::*;
use super::settings::Settings;

impl Validator<'_> {
    /// `cluster = { context = "..." }` of region `i`.
    pub(super) fn cluster(
        &mut self,
        raw: Option<&Spanned<RawCluster>>,
        i: usize,
    ) -> Option<Cluster> {
        let raw = raw?;
        let c = raw.get_ref();
        let Some(context) = &c.context else {
            self.err(
                raw,
                format!("regions[{i}].cluster.context"),
                "a cluster needs its kubeconfig context: cluster = { context = \"prod-use1\" }",
            );
            return None;
        };
        if context.get_ref().trim().is_empty() {
            self.err(
                context,
                format!("regions[{i}].cluster.context"),
                "must not be empty: name a context of your kubeconfig (kubectl config get-contexts)",
            );
        }
        Some(Cluster {
            context: context.get_ref().clone(),
            kubeconfig: c.kubeconfig.as_ref().map(std::path::PathBuf::from),
            destination: c.destination.clone(),
        })
    }

    /// Every Kubernetes-backed capability has a cluster to talk to.
    pub(super) fn check_clusters(
        &mut self,
        raw: &RawFleet,
        gitops: &Capability,
        lock: &Capability,
        regions: &[Region],
        tenants: &[Tenant],
    ) {
        let hub = matches!(&gitops.settings, Settings::Argocd(a) if a.hub_context.is_some());
        if gitops.provider == ProviderKind::Argocd && !hub {
            for (i, r) in regions.iter().enumerate() {
                let serves = tenants.iter().any(|t| t.helm.is_none() && t.runs_in(&r.id));
                if serves
                    && r.cluster.is_none()
                    && let Some(raw_r) = raw.regions.get(i)
                {
                    self.err(
                        &raw_r.get_ref().id,
                        format!("regions[{i}].cluster"),
                        format!(
                            "[gitops] provider \"argocd\" reads each region's cluster, and {} has none: add cluster = {{ context = \"...\" }} (or set hub_context in [gitops])",
                            r.id
                        ),
                    );
                }
            }
        }
        for (i, t) in tenants.iter().enumerate() {
            let Some(raw_t) = raw.tenants.get(i) else {
                continue;
            };
            if let Some(a) = &raw_t.get_ref().applicationset
                && gitops.provider != ProviderKind::Argocd
            {
                self.err(
                    a,
                    format!("tenants[{i}].applicationset"),
                    "an ApplicationSet tenant needs [gitops] provider = \"argocd\"",
                );
            }
            if let Some(h) = &raw_t.get_ref().helm {
                let missing: Vec<&str> = t
                    .regions
                    .iter()
                    .filter(|r| regions.iter().any(|x| &x.id == *r && x.cluster.is_none()))
                    .map(arcstr::ArcStr::as_str)
                    .collect();
                if !missing.is_empty() {
                    self.err(
                        h,
                        format!("tenants[{i}].helm"),
                        format!(
                            "Helm releases are read from each region's cluster; give {} a cluster = {{ context = \"...\" }}",
                            missing.join(", ")
                        ),
                    );
                }
            }
        }
        if lock.provider == ProviderKind::Kube
            && !matches!(&lock.settings, Settings::KubeLock(k) if k.context.is_some())
            && !regions.iter().any(|r| r.cluster.is_some())
            && let Some(l) = &raw.lock
        {
            self.err(
                l,
                "lock.context",
                "the Lease lock needs a cluster: set context = \"...\" (or give a region a cluster)",
            );
        }
    }
}
