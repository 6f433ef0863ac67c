//! Who is asking, and who approves. Where the fleet has an authenticated principal, that
//! is the person: the Kubernetes API server's answer to `SelfSubjectReview` on the cluster
//! that holds the shared store, or AWS STS `GetCallerIdentity` (under SSO the role
//! session's name carries the person). Anyone can set `$USER`, so the OS user is only the
//! fallback, and it is marked `unverified` wherever an identity is written down.
//!
//! An identity is kept as one line of text in requests, approvals, the rollout and the
//! audit log, and read back from it:
//!
//! - `kube:ana@example.com (on ana@laptop)`: verified by the cluster;
//! - `aws:ana@example.com (on ana@laptop)`: verified by STS;
//! - `aws:role/Deploy (shared; on ana@laptop)`: a principal a whole team shares;
//! - `ana@laptop (unverified)`: the OS user.
//!
//! Two identities are the same person when both are verified and name the same principal,
//! or when either is not and the OS user names match (the older rule). A shared principal
//! is never a second person.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use meridian_model::fleet::{Fleet, IdentitySource, ProviderKind};
use meridian_model::host::whoami;
use meridian_providers::aws::AwsTarget;
use meridian_providers::identity as ask;
use meridian_providers::kube::LeasePlace;
use meridian_providers::kube::client::Target;

/// Answers this process had, by source and OS user + credentials, with when.
type Answers = HashMap<(Source, String), (Instant, Identity)>;

/// How long a verified answer is trusted in one process before asking again (a login
/// changed in another terminal is noticed after this).
const TRUST: Duration = Duration::from_secs(300);

/// An authenticated principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `kube` or `aws`.
    pub source: String,
    /// The person (a user name, a role session's name), or the shared principal.
    pub name: String,
    /// A whole team's principal (a role without a per-person session, a service account,
    /// the cluster's admin user): never a second person.
    pub shared: bool,
}

impl Principal {
    fn key(&self) -> String {
        format!("{}:{}", self.source, self.name).to_ascii_lowercase()
    }
}

/// One person's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `user@host`, as the OS says (anyone can set it).
    pub os: String,
    /// What the fleet's backend authenticated, when it could be asked.
    pub principal: Option<Principal>,
    /// Why there is no principal (not written down; said where it matters).
    pub unverified_because: Option<String>,
}

impl Identity {
    /// The OS user, unverified.
    pub fn os_only(os: &str, why: Option<String>) -> Identity {
        Identity {
            os: os.to_string(),
            principal: None,
            unverified_because: why,
        }
    }

    pub fn verified(&self) -> bool {
        self.principal.is_some()
    }

    /// A shared principal: a whole team's, never a second person.
    pub fn shared(&self) -> bool {
        self.principal.as_ref().is_some_and(|p| p.shared)
    }

    /// The one line kept in records (see the module's comment).
    pub fn text(&self) -> String {
        match &self.principal {
            Some(p) if p.shared => format!("{}:{} (shared; on {})", p.source, p.name, self.os),
            Some(p) => format!("{}:{} (on {})", p.source, p.name, self.os),
            None => format!("{} (unverified)", self.os),
        }
    }

    /// Read a kept line back (also the forms of older versions: `ana@laptop`, `ana@laptop
    /// (kube: ana-admin)`, which were never verified).
    pub fn parse(text: &str) -> Identity {
        let text = text.trim();
        for source in ["kube", "aws", "azure"] {
            let Some(rest) = text.strip_prefix(&format!("{source}:")) else {
                continue;
            };
            let (name, tail) = match rest.rfind(" (") {
                Some(i) if rest.ends_with(')') => (&rest[..i], &rest[i + 2..rest.len() - 1]),
                _ => (rest, ""),
            };
            let shared = tail.starts_with("shared");
            let os = tail
                .rsplit_once("on ")
                .map(|(_, os)| os.to_string())
                .unwrap_or_default();
            return Identity {
                os,
                principal: Some(Principal {
                    source: source.to_string(),
                    name: name.to_string(),
                    shared,
                }),
                unverified_because: None,
            };
        }
        let os = text.split(" (").next().unwrap_or(text);
        Identity::os_only(os, None)
    }

    fn os_user(&self) -> String {
        self.os
            .split('@')
            .next()
            .unwrap_or(&self.os)
            .to_ascii_lowercase()
    }
}

/// Who is this process, for `fleet`? THE function that says who the person is: the
/// verified identity where the fleet has an authenticated principal (`[policy] identity`,
/// default the strongest the fleet has), else the OS user marked unverified. Asked once per
/// few minutes per process and place; the answer is the line records keep.
pub fn identity(fleet: &Fleet) -> String {
    identity_of(fleet).text()
}

/// [`identity`] with its parts (verified or not, and why not).
pub fn identity_of(fleet: &Fleet) -> Identity {
    Source::of(fleet).resolve_with(&fleet.policy.identity.shared_principals)
}

/// Where a fleet's identities come from: what [`identity_of`] asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    Kube(Target),
    Aws(AwsTarget),
    /// The OS user; with why nothing stronger was asked.
    Os(Option<String>),
}

impl Source {
    /// The fleet's choice: `[policy] identity`, or the strongest it has.
    pub fn of(fleet: &Fleet) -> Source {
        let kube = || LeasePlace::of(fleet).map(|p| Source::Kube(p.target));
        let aws = || aws_target(fleet).map(Source::Aws);
        match fleet.policy.identity.source {
            IdentitySource::Os => Source::Os(None),
            IdentitySource::Kube => kube().unwrap_or_else(|| {
                Source::Os(Some(
                    "[policy] identity = \"kube\" needs [lock] provider = \"kube\" (the cluster that holds the shared store)".into(),
                ))
            }),
            IdentitySource::Aws => aws().unwrap_or_else(|| {
                Source::Os(Some(
                    "[policy] identity = \"aws\" needs an AWS provider in the fleet (its credentials are asked)".into(),
                ))
            }),
            IdentitySource::Auto => kube().or_else(aws).unwrap_or(Source::Os(None)),
        }
    }

    /// Ask (or take the answer this process had from the last few minutes); the principals
    /// in `shared_names` (the policy's) are marked shared.
    pub fn resolve_with(&self, shared_names: &[String]) -> Identity {
        static CACHE: OnceLock<Mutex<Answers>> = OnceLock::new();
        let os = whoami();
        let key = (self.clone(), format!("{os} {}", credentials_hint()));
        let cache = CACHE.get_or_init(Default::default);
        if let Ok(c) = cache.lock()
            && let Some((at, id)) = c.get(&key)
            && at.elapsed() < TRUST
        {
            return mark_shared(id.clone(), shared_names);
        }
        let id = match self {
            Source::Os(why) => Identity::os_only(&os, why.clone()),
            Source::Kube(target) => {
                let target = target.clone();
                match ask::blocking(async move { ask::kube_user(&target).await }) {
                    Ok(u) => match kube_principal(&u) {
                        Some(p) => Identity {
                            os: os.clone(),
                            principal: Some(p),
                            unverified_because: None,
                        },
                        None => Identity::os_only(
                            &os,
                            Some(format!("the cluster sees \"{}\" (anonymous)", u.username)),
                        ),
                    },
                    Err(e) => Identity::os_only(&os, Some(e)),
                }
            }
            Source::Aws(target) => {
                let target = target.clone();
                match ask::blocking(async move { ask::aws_caller(&target).await }) {
                    Ok(arn) => Identity {
                        os: os.clone(),
                        principal: Some(arn_principal(&arn)),
                        unverified_because: None,
                    },
                    Err(e) => Identity::os_only(&os, Some(e)),
                }
            }
        };
        if let Some(why) = &id.unverified_because {
            log::warn!("identity: {} is unverified: {why}", id.os);
        }
        if let Ok(mut c) = cache.lock() {
            c.insert(key, (Instant::now(), id.clone()));
        }
        mark_shared(id, shared_names)
    }
}

fn mark_shared(mut id: Identity, shared_names: &[String]) -> Identity {
    if let Some(p) = id.principal.as_mut() {
        let full = format!("{}:{}", p.source, p.name);
        if shared_names
            .iter()
            .any(|s| s.eq_ignore_ascii_case(&full) || s.eq_ignore_ascii_case(&p.name))
        {
            p.shared = true;
        }
    }
    id
}

/// The credentials in the environment, so two sets in one process are two answers (no
/// secret: the access key id names the key, it does not unlock it).
fn credentials_hint() -> String {
    std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default()
}

/// The fleet's AWS account, when it uses an AWS provider: the traffic's, else a region's.
fn aws_target(fleet: &Fleet) -> Option<AwsTarget> {
    let aws = |p: ProviderKind| {
        matches!(
            p,
            ProviderKind::Route53 | ProviderKind::Cloudwatch | ProviderKind::Aurora
        )
    };
    let caps = std::iter::once(&fleet.traffic).chain(
        fleet
            .regions
            .iter()
            .flat_map(|r| r.health_sources().chain([&r.lag, &r.database])),
    );
    caps.filter(|c| aws(c.provider))
        .find_map(|c| c.settings.aws())
        .map(AwsTarget::of)
}

/// A session name an SDK or a machine makes up, not a person's.
fn generic_session(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.is_empty()
        || n.starts_with("botocore-session-")
        || n.starts_with("aws-sdk-")
        || n.starts_with("aws-go-sdk-")
        || n.starts_with("awscli-session")
        || n.chars().all(|c| c.is_ascii_digit())
        || (n.starts_with("i-") && n[2..].chars().all(|c| c.is_ascii_hexdigit()))
}

/// The person behind an AWS ARN: an IAM user, or an assumed role's session name (the
/// person under SSO); a role with no per-person session, or an account's root, is shared.
pub fn arn_principal(arn: &str) -> Principal {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    let parts: Vec<&str> = resource.split('/').collect();
    let aws = |name: String, shared: bool| Principal {
        source: "aws".into(),
        name,
        shared,
    };
    match parts.as_slice() {
        ["assumed-role", _, session] if !generic_session(session) => {
            aws((*session).to_string(), false)
        }
        ["assumed-role", role, ..] => aws(format!("role/{role}"), true),
        ["user", .., name] => aws((*name).to_string(), false),
        ["federated-user", name] => aws((*name).to_string(), false),
        ["root"] | [] => aws(
            format!("root/{}", arn.split(':').nth(4).unwrap_or("")),
            true,
        ),
        _ => aws(resource.to_string(), true),
    }
}

/// The person the cluster authenticated; None for the anonymous user. An AWS ARN (EKS)
/// is read as one; service accounts and the usual admin users are shared.
pub fn kube_principal(u: &ask::KubeUser) -> Option<Principal> {
    let name = u.username.trim();
    if name.is_empty() || name == "system:anonymous" {
        return None;
    }
    if name.starts_with("arn:aws") {
        let mut p = arn_principal(name);
        p.source = "kube".into();
        return Some(p);
    }
    // EKS access entries may map a role to a fixed user name and give the session apart.
    let session = u
        .extra
        .iter()
        .find(|(k, _)| k == "sessionName")
        .and_then(|(_, v)| v.first())
        .filter(|s| !generic_session(s));
    if let Some(s) = session {
        return Some(Principal {
            source: "kube".into(),
            name: s.clone(),
            shared: false,
        });
    }
    let shared = name.starts_with("system:serviceaccount:")
        || matches!(
            name,
            "kubernetes-admin" | "system:admin" | "admin" | "cluster-admin" | "default"
        );
    Some(Principal {
        source: "kube".into(),
        name: name.to_string(),
        shared,
    })
}

/// The same person: both verified and the same principal, or (either unverified) the same
/// OS user name on any host (one engineer on two laptops).
pub fn same_person(a: &str, b: &str) -> bool {
    let (a, b) = (Identity::parse(a), Identity::parse(b));
    match (&a.principal, &b.principal) {
        (Some(pa), Some(pb)) => pa.key() == pb.key(),
        _ => a.os_user() == b.os_user(),
    }
}

/// May `approver` be the second person for `requester`? Not the same person, and not a
/// principal a whole team shares.
pub fn second_person(requester: &str, approver: &str) -> Result<(), String> {
    let a = Identity::parse(approver);
    if let Some(p) = a.principal.as_ref().filter(|p| p.shared) {
        return Err(format!(
            "{}:{} is a principal a whole team shares: it cannot be the second person (use your own credentials)",
            p.source, p.name
        ));
    }
    if same_person(requester, approver) {
        return Err(format!(
            "{approver} is the same person as {requester}: a second, different person must do this"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_user_name_decides_when_nothing_is_verified() {
        assert!(same_person("ana@a", "ANA@a"));
        assert!(same_person("ana@laptop", "ana@desktop (unverified)"));
        assert!(!same_person("ana@a", "bo@b"));
        // Older records: the kubeconfig user beside the OS user was never verified.
        assert!(same_person("ana@a (kube: ana)", "ana@b (kube: other)"));
        assert!(!same_person(
            "ana@a (kube: eks-prod)",
            "bo@b (kube: eks-prod)"
        ));
    }

    #[test]
    fn verified_principals_decide_whatever_user_says() {
        // Two identities, one $USER: two people.
        assert!(!same_person(
            "kube:ana (on ops@bastion)",
            "kube:bo (on ops@bastion)"
        ));
        // One identity under two $USERs: one person.
        assert!(same_person(
            "kube:ana (on ana@laptop)",
            "kube:ana (on bo@laptop)"
        ));
        assert!(same_person(
            "aws:ana@x.com (on a@b)",
            "aws:ANA@x.com (on c@d)"
        ));
        assert_eq!(
            Identity::parse("aws:role/Deploy (shared; on ana@laptop)"),
            Identity {
                os: "ana@laptop".into(),
                principal: Some(Principal {
                    source: "aws".into(),
                    name: "role/Deploy".into(),
                    shared: true
                }),
                unverified_because: None,
            }
        );
        let id = Identity::parse("kube:ana (on ana@laptop)");
        assert_eq!(Identity::parse(&id.text()), id);
        assert_eq!(
            Identity::parse("ana@x (unverified)").text(),
            "ana@x (unverified)"
        );
    }

    #[test]
    fn a_shared_principal_is_never_the_second_person() {
        let err = second_person(
            "kube:ana (on ana@a)",
            "kube:kubernetes-admin (shared; on bo@b)",
        )
        .unwrap_err();
        assert!(err.contains("whole team shares"), "{err}");
        assert!(second_person("kube:ana (on ana@a)", "kube:bo (on ana@a)").is_ok());
        assert!(second_person("kube:ana (on ana@a)", "kube:ana (on bo@b)").is_err());
    }

    #[test]
    fn arns_name_the_person_or_say_the_principal_is_shared() {
        let p = arn_principal(
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0a1b/ana@example.com",
        );
        assert_eq!((p.name.as_str(), p.shared), ("ana@example.com", false));
        let p =
            arn_principal("arn:aws:sts::123456789012:assumed-role/Deploy/botocore-session-1700");
        assert_eq!((p.name.as_str(), p.shared), ("role/Deploy", true));
        let p = arn_principal("arn:aws:iam::123456789012:user/ops/ana");
        assert_eq!((p.name.as_str(), p.shared), ("ana", false));
        let p = arn_principal("arn:aws:iam::123456789012:root");
        assert!(p.shared, "{p:?}");
        let u = |name: &str| ask::KubeUser {
            username: name.into(),
            groups: Vec::new(),
            extra: Vec::new(),
        };
        assert_eq!(kube_principal(&u("system:anonymous")), None);
        assert!(kube_principal(&u("kubernetes-admin")).is_some_and(|p| p.shared));
        assert!(kube_principal(&u("system:serviceaccount:ci:deployer")).is_some_and(|p| p.shared));
        assert!(kube_principal(&u("ana")).is_some_and(|p| !p.shared && p.name == "ana"));
        let mut eks = u("eks-admin");
        eks.extra = vec![("sessionName".into(), vec!["ana@example.com".into()])];
        assert_eq!(
            kube_principal(&eks).map(|p| p.name),
            Some("ana@example.com".into())
        );
    }

    #[test]
    fn the_policy_names_shared_principals() {
        let id = Identity {
            os: "a@b".into(),
            principal: Some(Principal {
                source: "kube".into(),
                name: "platform-team".into(),
                shared: false,
            }),
            unverified_because: None,
        };
        assert!(mark_shared(id.clone(), &["kube:platform-team".into()]).shared());
        assert!(!mark_shared(id, &["kube:other".into()]).shared());
    }
}
