//! The fleet lock as a `coordination.k8s.io/v1` Lease `meridian-<fleet>`: taken by create,
//! or by a replace carrying the resourceVersion just read (so of two racing processes
//! exactly one wins, the other gets 409 and reads who won), renewed while the action runs,
//! and released after. A lease whose holder stopped renewing it may be taken over; the
//! executor audits that.

use meridian_model::fleet::settings::{Dur, Settings};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;
use tokio::sync::oneshot;

use super::client::{Clients, Target};
use super::error::describe_kube;
use crate::lock::{LockError, LockHolder, Takeover};
use crate::lock::{RemoteHeld, RemoteLock};
use meridian_model::fleet::Fleet;
use meridian_model::host::whoami;
use meridian_model::state::{Millis, now_ms};

const ACTION: &str = "meridian.dev/action";
/// How long a lease lasts without renewal when the fleet file sets nothing.
const DEFAULT_DURATION: Duration = Duration::from_secs(30);
/// Most one call to the API server may take.
const CALL_DEADLINE: Duration = Duration::from_secs(10);

/// Where a fleet's Lease is: its cluster's context, namespace and name. The shared store's
/// ConfigMaps live next to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeasePlace {
    pub target: Target,
    pub namespace: String,
    pub name: String,
}

impl LeasePlace {
    /// The fleet's Lease, when `[lock] provider = "kube"`: the lock's `context` (and
    /// `kubeconfig`), else the first region's cluster; `namespace` or `default`.
    pub fn of(fleet: &Fleet) -> Option<LeasePlace> {
        let Settings::KubeLock(l) = &fleet.lock.settings else {
            return None;
        };
        let target = match &l.context {
            Some(c) => Target {
                context: c.clone(),
                kubeconfig: l.kubeconfig.as_ref().map(Into::into),
            },
            None => fleet
                .regions
                .iter()
                .find_map(|r| r.cluster.as_ref())
                .map(Target::from)?,
        };
        Some(LeasePlace {
            target,
            namespace: l.namespace.clone().unwrap_or_else(|| "default".into()),
            name: format!(
                "meridian-{}",
                fleet.name.to_ascii_lowercase().replace(['_', '.'], "-")
            ),
        })
    }
}

/// The Lease lock of one fleet.
pub struct LeaseLock {
    clients: Arc<Clients>,
    target: Target,
    namespace: String,
    name: String,
    duration: Duration,
}

impl std::fmt::Debug for LeaseLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Lease {}/{} in context {}",
            self.namespace, self.name, self.target.context
        )
    }
}

impl LeaseLock {
    /// The fleet's Lease lock, when `[lock] provider = "kube"`.
    pub fn from_fleet(fleet: &Fleet, clients: Arc<Clients>) -> Option<LeaseLock> {
        let place = LeasePlace::of(fleet)?;
        Some(LeaseLock {
            clients,
            target: place.target,
            namespace: place.namespace,
            name: place.name,
            duration: match &fleet.lock.settings {
                Settings::KubeLock(l) => l.lease_duration.map_or(DEFAULT_DURATION, Dur::get),
                _ => DEFAULT_DURATION,
            },
        })
    }

    fn fail(&self, what: &str, why: impl std::fmt::Display) -> LockError {
        LockError::Remote(format!(
            "Lease {}/{} (context {}): {what}: {why}",
            self.namespace, self.name, self.target.context
        ))
    }

    async fn api(&self) -> Result<Api<Lease>, LockError> {
        let client = self
            .clients
            .get(&self.target, None)
            .await
            .map_err(|e| self.fail("no client", e))?;
        Ok(Api::namespaced(client, &self.namespace))
    }

    async fn bounded<T>(
        &self,
        what: &str,
        fut: impl Future<Output = kube::Result<T>>,
    ) -> Result<T, kube::Error> {
        crate::ApiMeter::global().record("kube", false);
        match tokio::time::timeout(CALL_DEADLINE, fut).await {
            Ok(r) => r,
            Err(_) => Err(kube::Error::Service(
                format!("{what}: no answer within {}s", CALL_DEADLINE.as_secs()).into(),
            )),
        }
    }
}

/// `user@host pid N`, as the Lease's holderIdentity says it.
fn identity() -> String {
    format!("{} pid {}", whoami(), std::process::id())
}

fn micro(ms: Millis) -> Option<MicroTime> {
    Timestamp::from_millisecond(ms).ok().map(MicroTime)
}

fn millis(t: &Option<MicroTime>) -> Option<Millis> {
    t.as_ref().map(|t| t.0.as_millisecond())
}

/// The lease's holder as a lock holder (None when nobody holds it).
fn holder_of(lease: &Lease) -> Option<LockHolder> {
    let spec = lease.spec.as_ref()?;
    let id = spec.holder_identity.as_deref().filter(|h| !h.is_empty())?;
    let (user, pid) = match id.rsplit_once(" pid ") {
        Some((u, p)) => (u.to_string(), p.parse().unwrap_or(0)),
        None => (id.to_string(), 0),
    };
    let renewed = millis(&spec.renew_time)
        .or(millis(&spec.acquire_time))
        .unwrap_or(0);
    let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(0));
    Some(LockHolder {
        host: user
            .split_once('@')
            .map(|(_, h)| h.to_string())
            .unwrap_or_default(),
        user,
        pid,
        action: lease
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(ACTION).cloned())
            .unwrap_or_else(|| "?".into()),
        since_ms: millis(&spec.acquire_time).unwrap_or(renewed),
        expires_ms: Some(renewed + seconds * 1000),
    })
}

impl LeaseLock {
    /// The lease as this process holds it now.
    fn mine(&self, mut lease: Lease, action: &str, now: Millis) -> Lease {
        let transitions = lease
            .spec
            .as_ref()
            .and_then(|s| s.lease_transitions)
            .unwrap_or(0);
        lease.metadata.name = Some(self.name.clone());
        lease
            .metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(ACTION.into(), action.into());
        lease.spec = Some(LeaseSpec {
            holder_identity: Some(identity()),
            lease_duration_seconds: Some(self.duration.as_secs().max(1) as i32),
            acquire_time: micro(now),
            renew_time: micro(now),
            lease_transitions: Some(transitions + 1),
            ..LeaseSpec::default()
        });
        lease
    }
}

#[async_trait]
impl RemoteLock for LeaseLock {
    async fn acquire(&self, action: &str) -> Result<Box<dyn RemoteHeld>, LockError> {
        let api = self.api().await?;
        for _ in 0..3 {
            let now = now_ms();
            let current = self
                .bounded("read", api.get_opt(&self.name))
                .await
                .map_err(|e| self.fail("read", describe_kube(&e)))?;
            let (written, took_over) = match current {
                None => {
                    let fresh = self.mine(
                        Lease {
                            metadata: ObjectMeta::default(),
                            spec: None,
                        },
                        action,
                        now,
                    );
                    (
                        self.bounded("create", api.create(&PostParams::default(), &fresh))
                            .await,
                        None,
                    )
                }
                Some(lease) => {
                    let holder = holder_of(&lease);
                    let expired = holder
                        .as_ref()
                        .is_some_and(|h| h.expires_ms.is_some_and(|e| e < now));
                    match holder {
                        Some(h) if !expired => return Err(LockError::Held(h)),
                        _ => {
                            // The replace carries the resourceVersion just read.
                            let taken = self.mine(lease, action, now);
                            let result = self
                                .bounded(
                                    "take over",
                                    api.replace(&self.name, &PostParams::default(), &taken),
                                )
                                .await;
                            (result, holder.filter(|_| expired))
                        }
                    }
                }
            };
            match written {
                Ok(lease) => {
                    let (stop, stopped) = oneshot::channel();
                    let shared = Arc::new(Mutex::new(lease));
                    let renewer =
                        tokio::spawn(renew(api.clone(), shared.clone(), self.duration, stopped));
                    return Ok(Box::new(HeldLease {
                        api,
                        lease: shared,
                        stop: Some(stop),
                        renewer,
                        took_over,
                        what: format!("{self:?}"),
                    }));
                }
                // Someone else wrote it between our read and write: read who won.
                Err(kube::Error::Api(s)) if s.code == 409 => continue,
                Err(e) => return Err(self.fail("write", describe_kube(&e))),
            }
        }
        Err(self.fail("take", "the lease keeps changing under us; try again"))
    }

    async fn holder(&self) -> Result<Option<LockHolder>, LockError> {
        let api = self.api().await?;
        let lease = self
            .bounded("read", api.get_opt(&self.name))
            .await
            .map_err(|e| self.fail("read", describe_kube(&e)))?;
        Ok(lease
            .as_ref()
            .and_then(holder_of)
            .filter(|h| h.expires_ms.is_none_or(|e| e >= now_ms())))
    }
}

/// Renew every third of the lease's duration until told to stop.
async fn renew(
    api: Api<Lease>,
    lease: Arc<Mutex<Lease>>,
    duration: Duration,
    mut stop: oneshot::Receiver<()>,
) {
    let every = (duration / 3).max(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(every) => {}
        }
        let Some(mut next) = lease.lock().ok().map(|l| l.clone()) else {
            return;
        };
        let name = next.metadata.name.clone().unwrap_or_default();
        if let Some(spec) = next.spec.as_mut() {
            spec.renew_time = micro(now_ms());
        }
        match tokio::time::timeout(
            CALL_DEADLINE,
            api.replace(&name, &PostParams::default(), &next),
        )
        .await
        {
            Ok(Ok(renewed)) => {
                if let Ok(mut l) = lease.lock() {
                    *l = renewed;
                }
            }
            Ok(Err(e)) => log::error!(
                "renewing the fleet lock {name} failed: {}",
                describe_kube(&e)
            ),
            Err(_) => log::error!("renewing the fleet lock {name}: no answer"),
        }
    }
}

struct HeldLease {
    api: Api<Lease>,
    lease: Arc<Mutex<Lease>>,
    stop: Option<oneshot::Sender<()>>,
    renewer: tokio::task::JoinHandle<()>,
    took_over: Option<LockHolder>,
    what: String,
}

#[async_trait]
impl RemoteHeld for HeldLease {
    fn took_over(&self) -> Option<Takeover> {
        self.took_over.clone().map(|h| Takeover {
            why: format!(
                "its lease expired at {}",
                h.expires_ms
                    .map(meridian_model::state::rfc3339)
                    .unwrap_or_else(|| "?".into())
            ),
            holder: Some(h),
        })
    }

    async fn release(mut self: Box<Self>) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.renewer).await;
        let Some(mut lease) = self.lease.lock().ok().map(|l| l.clone()) else {
            return;
        };
        let name = lease.metadata.name.clone().unwrap_or_default();
        if let Some(spec) = lease.spec.as_mut() {
            spec.holder_identity = None;
            spec.renew_time = micro(now_ms());
        }
        // Carries our resourceVersion: if someone took it over meanwhile, theirs stands.
        match tokio::time::timeout(
            CALL_DEADLINE,
            self.api.replace(&name, &PostParams::default(), &lease),
        )
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => log::warn!(
                "releasing {}: {} (it expires by itself)",
                self.what,
                describe_kube(&e)
            ),
            Err(_) => log::warn!("releasing {}: no answer (it expires by itself)", self.what),
        }
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        // Not released explicitly (a panic, an abort): stop renewing so it expires.
        self.renewer.abort();
    }
}
