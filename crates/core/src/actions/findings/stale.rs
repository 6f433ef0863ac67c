//! Stale data: readings that fail or have grown old, grouped by backend and by what is
//! probably wrong (credentials, the network, the backend itself), so a backend that fails
//! for 100 regions is one finding that names the backend and what to check. Values of a
//! region that is down are that region's finding, not stale data.

use std::collections::BTreeMap;

use super::{Finding, Judge, Kind, Urgency};
use crate::engine::Subject;
use crate::engine::schedule::capability;
use meridian_model::fleet::ProviderKind;
use meridian_model::state::replication::link_word;
use meridian_model::state::{HealthStatus, Millis, Observed, STALE_AFTER_MS, elapsed};

/// What a failed reading's words point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    Credentials,
    Network,
    /// Answered, but with an error of its own, or simply old.
    Backend,
}

/// Read a backend's error text for its probable cause.
pub fn cause(error: &str) -> Cause {
    let e = error.to_ascii_lowercase();
    const CREDENTIALS: &[&str] = &[
        "accessdenied",
        "access denied",
        "credential",
        "unauthorized",
        "unauthorised",
        "forbidden",
        " 401",
        " 403",
        "expiredtoken",
        "invalidclienttokenid",
        "signaturedoesnotmatch",
        "password authentication",
        "authentication failed",
        "noauth",
        "wrongpass",
        "invalid token",
        "token expired",
        "permission denied",
        "not authorized",
    ];
    const NETWORK: &[&str] = &[
        "timed out",
        "timeout",
        "no answer within",
        "connection refused",
        "unreachable",
        "connection reset",
        "broken pipe",
        "dns",
        "resolve",
        "no route to host",
        "connect",
        "i/o timeout",
    ];
    if CREDENTIALS.iter().any(|w| e.contains(w)) {
        Cause::Credentials
    } else if NETWORK.iter().any(|w| e.contains(w)) {
        Cause::Network
    } else {
        Cause::Backend
    }
}

/// What to check, by backend and cause.
fn check(provider: ProviderKind, cause: Cause) -> String {
    let name = provider.as_str();
    let creds = match provider {
        ProviderKind::Route53 | ProviderKind::Cloudwatch | ProviderKind::Aurora => {
            "the AWS credentials this meridian runs with (AWS_PROFILE, an expired SSO session or role)"
        }
        ProviderKind::Cloudflare => "the Cloudflare API token (its scopes and expiry)",
        ProviderKind::AzureTrafficManager => {
            "the Azure credentials (the service principal's secret or the CLI login)"
        }
        ProviderKind::Postgres => "the PostgreSQL user and password (the secrets file)",
        ProviderKind::Redis => "the Redis password or ACL user (the secrets file)",
        ProviderKind::Kube | ProviderKind::Argocd | ProviderKind::Helm => {
            "the kubeconfig context's credentials (an expired token or certificate)"
        }
        _ => "the credentials it uses",
    };
    match cause {
        Cause::Credentials => format!("check credentials: {creds}"),
        Cause::Network => format!(
            "check the network between this host and {name} (VPN, security groups, DNS, the endpoint in the fleet file)"
        ),
        Cause::Backend => format!("check {name} itself: it answers, with an error or nothing new"),
    }
}

/// Stale values by (backend, capability, cause), with the backend's kind.
type Groups = BTreeMap<(&'static str, &'static str, Cause), (ProviderKind, Vec<Stale>)>;

/// One stale value: which region, which reading, since when it was last good, why.
struct Stale {
    region: String,
    what: &'static str,
    since: Option<Millis>,
    error: Option<String>,
}

pub(super) fn findings(j: &mut Judge) -> Vec<Finding> {
    let now = j.now;
    let mut groups: Groups = BTreeMap::new();
    let covered = j.covered.clone();
    for region in &j.fleet.regions {
        let id = region.id.as_str();
        let Some(r) = j.state.region(id) else {
            continue;
        };
        // A region that is down fails its reads: that is its finding.
        if r.health_status() == HealthStatus::Down {
            continue;
        }
        let lag = r.lag.clone();
        let lag_error = lag.error.clone().filter(|_| link_word(&lag).is_none());
        let lag_read = Observed::<f64> {
            value: lag.value,
            at: lag.at,
            error: lag_error,
        };
        let mut lag_field = reading("lag", Subject::Database(id.into()), &lag_read, now);
        // No datapoint, without error, is unknown, not stale (a primary's lag).
        if lag_read.error.is_none() && lag_read.value.is_none() {
            lag_field.old = None;
        }
        let fields = [
            reading("health", Subject::Health(id.into()), &r.health, now),
            reading("weight", Subject::Weights, &r.weight, now),
            reading("role", Subject::Database(id.into()), &r.role, now),
            lag_field,
            reading("phases", Subject::Phases(id.into()), &r.phases, now),
        ];
        for Reading {
            what,
            subject,
            since,
            error,
            old,
        } in fields
        {
            if error.is_none() && old.is_none() {
                continue;
            }
            if covered.iter().any(|(r, w)| r == id && *w == what) {
                continue;
            }
            // The weights are one reading for every region: one entry, not one per region.
            if subject == Subject::Weights && region.id != j.fleet.regions[0].id {
                continue;
            }
            let Some(cap) = capability(j.fleet, &subject) else {
                continue;
            };
            let c = error.as_deref().map_or(Cause::Backend, cause);
            groups
                .entry((cap.provider.as_str(), subject.capability(), c))
                .or_insert_with(|| (cap.provider, Vec::new()))
                .1
                .push(Stale {
                    region: match subject {
                        Subject::Weights => "every region".into(),
                        _ => id.to_string(),
                    },
                    what,
                    since,
                    error,
                });
        }
        apps(j, region, &mut groups);
    }
    groups
        .into_iter()
        .map(|((_, capability, c), (provider, items))| {
            let key = format!(
                "{}/{}/{capability}/{c:?}",
                Kind::StaleData.name(),
                provider.as_str()
            );
            let oldest = items.iter().filter_map(|s| s.since).min();
            let since = j.since(&key, oldest);
            let regions: Vec<String> = items
                .iter()
                .map(|s| s.region.clone())
                .filter(|r| r != "every region")
                .collect();
            let first = &items[0];
            let whose = match items.len() {
                1 => format!("{} {}", first.region, first.what),
                n => format!("{n} readings ({} {}, …)", first.region, first.what),
            };
            let said = first
                .error
                .clone()
                .unwrap_or_else(|| format!("no new reading for {}", j.age(since)));
            let mut f = j.finding(
                Kind::StaleData,
                Urgency::Medium,
                &format!("{}/{capability}/{}", provider.as_str(), cause_word(c)),
                format!(
                    "{} {capability} stale {}: {whose}",
                    provider.as_str(),
                    j.age(since)
                ),
                format!("{whose}: {said}"),
                Some(since),
                format!(
                    "meridian cannot see {capability} there: what it shows is as old as {}, and plans rest on it",
                    j.age(since)
                ),
                regions,
                Err(format!(
                    "no action helps until {} answers: {}",
                    provider.as_str(),
                    check(provider, c)
                )),
            );
            f.command = Some("meridian status --json".into());
            f
        })
        .collect()
}

fn cause_word(c: Cause) -> &'static str {
    match c {
        Cause::Credentials => "credentials",
        Cause::Network => "network",
        Cause::Backend => "backend",
    }
}

/// One reading of a region, judged: when it was last good, its error, and its age when
/// that is past the stale limit.
struct Reading {
    what: &'static str,
    subject: Subject,
    since: Option<Millis>,
    error: Option<String>,
    old: Option<Millis>,
}

fn reading<T>(what: &'static str, subject: Subject, o: &Observed<T>, now: Millis) -> Reading {
    Reading {
        what,
        subject,
        since: o.at,
        error: o.error.as_deref().map(str::to_string),
        old: o.age(now).filter(|a| *a > STALE_AFTER_MS),
    }
}

/// A region whose apps all fail to read (the cluster or Argo CD does not answer), or
/// whose apps have not been heard of for longer than the stale limit.
fn apps(j: &Judge, region: &meridian_model::fleet::Region, groups: &mut Groups) {
    let id = region.id.as_str();
    let Some(r) = j.state.region(id) else { return };
    let mut cells = j
        .fleet
        .tenants
        .iter()
        .enumerate()
        .filter(|(_, t)| t.runs_in(id))
        .filter_map(|(i, t)| {
            let ts = j.state.tenant_at(i, &t.id)?;
            ts.app(id)
        })
        .filter(|o| o.value.is_some() || o.error.is_some());
    let Some(first) = cells.next() else { return };
    let error = first.error.clone();
    let shared = error.is_some() && cells.all(|o| o.error == error);
    let quiet = r
        .apps_at
        .or(first.at)
        .is_some_and(|at| elapsed(j.now, at) > STALE_AFTER_MS)
        && first.error.is_none();
    if !shared && !quiet {
        return;
    }
    let Some(cap) = capability(j.fleet, &Subject::Apps(id.into())) else {
        return;
    };
    let c = error.as_deref().map_or(Cause::Backend, cause);
    groups
        .entry((cap.provider.as_str(), "gitops", c))
        .or_insert_with(|| (cap.provider, Vec::new()))
        .1
        .push(Stale {
            region: id.to_string(),
            what: "applications",
            since: r.apps_at.or(first.at),
            error: error.map(|e| e.to_string()),
        });
}
