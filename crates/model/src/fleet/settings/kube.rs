//! The Kubernetes providers' settings: Argo CD, Helm releases and the Lease lock.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Dur, Pace};

/// `[gitops] provider = "argocd"`: Applications in each region's cluster, or a hub's.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ArgoCd {
    /// Where the Applications are (default "argocd").
    pub namespace: Option<String>,
    /// One hub cluster holds every region's Applications: its kubeconfig context.
    pub hub_context: Option<String>,
    pub kubeconfig: Option<String>,
    /// How long a sync or rollback may take to finish (default 5m).
    pub sync_timeout: Option<Dur>,
    #[serde(flatten)]
    pub pace: Pace,
}

/// A tenant's `helm = { provider = "helm" }`: its release, installed by Helm itself.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Helm {
    /// The release's name (default: the tenant's `helm_release`).
    pub release: Option<String>,
    /// The release's namespace (default "default", as Helm's).
    pub namespace: Option<String>,
    /// The helm command (default "helm" on the PATH).
    pub binary: Option<String>,
    /// How long a rollback may take (default 5m).
    pub rollback_timeout: Option<Dur>,
    /// The chart `meridian deploy` installs: a path, `repo/chart` or an OCI reference.
    pub chart: Option<String>,
    /// How long a deploy's `helm upgrade --wait` may take (default 5m).
    pub deploy_timeout: Option<Dur>,
    #[serde(flatten)]
    pub pace: Pace,
}

/// `[lock] provider = "kube"`: the fleet lock as a Lease (and the shared store as
/// ConfigMaps beside it).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct KubeLock {
    /// The kubeconfig context of the cluster that holds it (default: the first region's).
    pub context: Option<String>,
    pub kubeconfig: Option<String>,
    /// Its namespace (default "default").
    pub namespace: Option<String>,
    /// How long a holder keeps it without renewing (default 30s).
    pub lease_duration: Option<Dur>,
}
