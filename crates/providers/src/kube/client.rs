//! One Kubernetes client per kubeconfig context (a region's cluster, the Argo CD hub, the
//! Lease lock's cluster), resolved as kubectl resolves it: the named file, else
//! `$KUBECONFIG`, else `~/.kube/config`. Clients are built once, on first use; the regions'
//! first readings start together, so they are built concurrently.
//!
//! Exec auth plugins (`aws eks get-token`, `kubelogin`, `gke-gcloud-auth-plugin`) are run
//! non-interactively: their stdin is closed and their stderr captured, so nothing they print
//! reaches the dashboard's screen, and a failure becomes that region's error with a hint.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::config::{ExecInteractiveMode, KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tokio::sync::OnceCell;

use super::error::kubeconfig_error;
use crate::ProviderError;
use meridian_model::fleet::{Cluster, Fleet};

/// A kubeconfig context, and the file it is in (`None`: kubectl's default resolution).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub context: String,
    pub kubeconfig: Option<PathBuf>,
}

impl From<&Cluster> for Target {
    fn from(c: &Cluster) -> Target {
        Target {
            context: c.context.clone(),
            kubeconfig: c.kubeconfig.clone(),
        }
    }
}

/// How long connecting may take before a cluster counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Most a watch's socket may stay silent: longer than the watches' own timeout (the server
/// ends them first), so only a dead connection trips it.
pub const READ_TIMEOUT: Duration = Duration::from_secs(90);

/// The clients of a fleet, one per distinct target, shared by everything that uses it.
#[derive(Default)]
pub struct Clients {
    cells: Mutex<HashMap<Target, Arc<OnceCell<Client>>>>,
}

impl Clients {
    pub fn new() -> Arc<Clients> {
        Arc::new(Clients::default())
    }

    /// The client for a target, built on first use. A failed build is not kept: an
    /// expired login fixed in another terminal (`aws sso login`) works on the next try.
    pub async fn get(
        &self,
        target: &Target,
        region: Option<&str>,
    ) -> Result<Client, ProviderError> {
        let cell = {
            let mut cells = match self.cells.lock() {
                Ok(c) => c,
                Err(p) => p.into_inner(),
            };
            cells.entry(target.clone()).or_default().clone()
        };
        match cell.get_or_try_init(|| build(target.clone())).await {
            Ok(c) => Ok(c.clone()),
            Err(e) => Err(match region {
                Some(r) => e.for_region(r),
                None => e,
            }),
        }
    }
}

/// The target of a region's cluster, if the fleet gives it one.
pub fn region_target(fleet: &Fleet, region: &str) -> Option<Target> {
    fleet
        .region(region)
        .and_then(|r| r.cluster.as_ref())
        .map(Target::from)
}

async fn build(target: Target) -> Result<Client, ProviderError> {
    let call = format!("kubeconfig context {}", target.context);
    let kc = load_kubeconfig(&target).map_err(|e| kubeconfig_error(None, &call, &target, e))?;
    let opts = KubeConfigOptions {
        context: Some(target.context.clone()),
        ..KubeConfigOptions::default()
    };
    let mut config = Config::from_custom_kubeconfig(kc, &opts)
        .await
        .map_err(|e| kubeconfig_error(None, &call, &target, e))?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(READ_TIMEOUT);
    // kube retries 429/503/504 itself (up to 15 times, honouring Retry-After) inside the
    // one call meridian bounds by its deadline: a throttled or unavailable cluster would
    // then read as "no answer within 2s" and its 429s would never reach the API meter.
    // meridian's own loops back off instead (the watch's backoff, the engine's schedule),
    // and a write is never retried blindly.
    config.default_retry = false;
    // An exec plugin may run here, and it blocks: keep it off the async workers.
    let built = tokio::task::spawn_blocking(move || Client::try_from(config)).await;
    match built {
        Ok(result) => result.map_err(|e| super::error::client_error(&call, &e)),
        Err(e) => Err(ProviderError::new(
            None,
            call,
            format!("building the client failed: {e}"),
        )),
    }
}

/// Read the kubeconfig and make every exec plugin non-interactive.
fn load_kubeconfig(target: &Target) -> Result<Kubeconfig, kube::config::KubeconfigError> {
    let mut kc = match &target.kubeconfig {
        Some(path) => Kubeconfig::read_from(path)?,
        None => Kubeconfig::read()?,
    };
    for user in kc.auth_infos.iter_mut() {
        if let Some(exec) = user.auth_info.as_mut().and_then(|a| a.exec.as_mut()) {
            exec.interactive_mode = Some(ExecInteractiveMode::Never);
        }
    }
    Ok(kc)
}

/// The user a kubeconfig context authenticates as (its `user` entry), if it names one.
pub fn context_user(target: &Target) -> Option<String> {
    let kc = load_kubeconfig(target).ok()?;
    kc.contexts
        .into_iter()
        .find(|c| c.name == target.context)?
        .context?
        .user
        .filter(|u| !u.is_empty())
}

/// The contexts of a kubeconfig (for `meridian discover` and error hints).
pub fn contexts(kubeconfig: Option<&PathBuf>) -> Result<Vec<String>, String> {
    let kc = match kubeconfig {
        Some(p) => Kubeconfig::read_from(p),
        None => Kubeconfig::read(),
    }
    .map_err(|e| super::error::kubeconfig_text(&e))?;
    Ok(kc.contexts.into_iter().map(|c| c.name).collect())
}
