//! The parts of `[policy]` that say who must agree before an action runs and how long
//! recovery may take.

use std::time::Duration;

use serde::Serialize;

/// How many people must agree before an action runs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::VariantNames,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ApprovalKind {
    /// The person who confirms is enough (the default).
    OnePerson,
    /// A second, different person must approve the exact plan first.
    TwoPerson,
}

/// `{ action = "promote", environment = "production", approval = "two-person" }`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalRule {
    /// An action's kebab-case name, or `*` for every action.
    pub action: String,
    /// A tenant environment (`prd`), `production` for any production environment, or
    /// None for every action of that name.
    pub environment: Option<String>,
    pub approval: ApprovalKind,
}

impl ApprovalRule {
    /// Does this rule cover an action with this name touching these environments?
    pub fn covers(&self, action: &str, environments: &[String], production: bool) -> bool {
        if self.action != "*" && self.action != action {
            return false;
        }
        match self.environment.as_deref() {
            None => true,
            Some("production") => production,
            Some(env) => environments.iter().any(|e| e.eq_ignore_ascii_case(env)),
        }
    }
}

/// Who must agree, and for how long a second person's approval holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalPolicy {
    pub rules: Vec<ApprovalRule>,
    #[serde(serialize_with = "secs")]
    pub expiry: Duration,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        ApprovalPolicy {
            rules: Vec::new(),
            expiry: Duration::from_secs(15 * 60),
        }
    }
}

impl ApprovalPolicy {
    /// The strictest approval any rule asks of this action: two people win over one.
    pub fn required(
        &self,
        action: &str,
        environments: &[String],
        production: bool,
    ) -> ApprovalKind {
        let two = self
            .rules
            .iter()
            .filter(|r| r.covers(action, environments, production))
            .any(|r| r.approval == ApprovalKind::TwoPerson);
        if two {
            ApprovalKind::TwoPerson
        } else {
            ApprovalKind::OnePerson
        }
    }
}

/// Where the identity the two-person rule, the driver and the audit log use comes from
/// (`[policy] identity`).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::VariantNames,
    strum::IntoStaticStr,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum IdentitySource {
    /// The strongest the fleet has: Kubernetes when the shared store is on a cluster
    /// (`[lock] provider = "kube"`), else AWS when the fleet uses an AWS provider, else the
    /// OS user (unverified).
    #[default]
    Auto,
    /// The cluster that holds the shared store answers `SelfSubjectReview`.
    Kube,
    /// AWS STS `GetCallerIdentity` with the fleet's AWS credentials.
    Aws,
    /// The OS user name (`$USER`): anyone can set it, so it is marked unverified.
    Os,
}

impl IdentitySource {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Who a person is for approvals, skips and the driver's seat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IdentityPolicy {
    pub source: IdentitySource,
    /// Refuse an approval or a skip in production by an unverified identity.
    pub require_verified: bool,
    /// Principals a whole team shares (`kube:kubernetes-admin`, `aws:role/Deploy`): named
    /// as shared, and never a second person.
    pub shared_principals: Vec<String>,
}

/// Recovery time objective when the fleet file does not set one.
pub const DEFAULT_RTO: Duration = Duration::from_secs(5 * 60);

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(action: &str, env: Option<&str>) -> ApprovalRule {
        ApprovalRule {
            action: action.into(),
            environment: env.map(str::to_string),
            approval: ApprovalKind::TwoPerson,
        }
    }

    #[test]
    fn rules_match_by_action_and_environment() {
        let policy = ApprovalPolicy {
            rules: vec![
                rule("promote", Some("production")),
                rule("drain", Some("stg")),
            ],
            ..ApprovalPolicy::default()
        };
        let prd = vec!["prd".to_string()];
        let stg = vec!["stg".to_string()];
        assert_eq!(
            policy.required("promote", &prd, true),
            ApprovalKind::TwoPerson
        );
        assert_eq!(
            policy.required("promote", &stg, false),
            ApprovalKind::OnePerson
        );
        assert_eq!(
            policy.required("drain", &stg, false),
            ApprovalKind::TwoPerson
        );
        assert_eq!(
            policy.required("drain", &prd, true),
            ApprovalKind::OnePerson
        );
        let all = ApprovalPolicy {
            rules: vec![rule("*", None)],
            ..ApprovalPolicy::default()
        };
        assert_eq!(all.required("restore", &[], false), ApprovalKind::TwoPerson);
    }
}
