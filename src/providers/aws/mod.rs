//! AWS providers: Route 53 weights and health checks, CloudWatch replication lag.
//!
//! Clients are created lazily (the SDK's config loading is async, `Providers::build` is not)
//! and once per distinct (profile, endpoint, region), so every capability that talks to the
//! same account shares one connection pool.

pub mod aurora;
pub mod cloudwatch;
pub mod health;
pub mod healthy_since;
pub mod retry;
pub mod route53;
pub mod route53_zone;

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, Region as SdkRegion, SdkConfig};
use tokio::sync::Mutex;

use crate::fleet::{Capability, Fleet, ProviderKind};

/// Where the SDK sends requests and whose credentials it uses. Unset fields come from
/// aws-config's default chain (environment, profiles, SSO, assume-role).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AwsTarget {
    pub profile: Option<String>,
    /// For local servers (moto) and VPC endpoints.
    pub endpoint_url: Option<String>,
    pub aws_region: Option<String>,
}

impl AwsTarget {
    /// The target for a capability: its own keys, then the fleet's `[traffic]` keys when
    /// traffic is Route 53 (so health checks and metrics need not repeat the account).
    pub fn for_capability(fleet: &Fleet, cap: &Capability) -> AwsTarget {
        let traffic =
            (fleet.traffic.provider == ProviderKind::Route53).then_some(&fleet.traffic.settings);
        let get = |key: &str| {
            setting_str(&cap.settings, key).or_else(|| traffic.and_then(|t| setting_str(t, key)))
        };
        AwsTarget {
            profile: get("profile"),
            endpoint_url: get("endpoint_url"),
            aws_region: get("aws_region"),
        }
    }

    /// The same account and endpoint, for another AWS region (CloudWatch metrics are regional).
    pub fn in_region(&self, region: &str) -> AwsTarget {
        AwsTarget {
            aws_region: Some(region.to_string()),
            ..self.clone()
        }
    }

    /// For messages: where requests go, without anything secret.
    pub fn describe(&self) -> String {
        let region = self.aws_region.as_deref().unwrap_or("default region");
        match &self.endpoint_url {
            Some(e) => format!("{region} via {e}"),
            None => region.to_string(),
        }
    }
}

/// A string setting, if present.
pub fn setting_str(t: &toml::Table, key: &str) -> Option<String> {
    t.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

/// Loads SDK configs once per target and hands out clones.
#[derive(Default)]
pub struct AwsConfigs {
    loaded: Mutex<HashMap<AwsTarget, SdkConfig>>,
}

impl AwsConfigs {
    pub fn new() -> Arc<AwsConfigs> {
        Arc::new(AwsConfigs::default())
    }

    /// The SDK config for a target. Retries are off in the SDK: `retry::with_backoff` does
    /// them, so each one is visible in the progress log and bounded by our own settings.
    pub async fn get(&self, target: &AwsTarget) -> SdkConfig {
        let mut loaded = self.loaded.lock().await;
        if let Some(c) = loaded.get(target) {
            return c.clone();
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(aws_config::retry::RetryConfig::disabled());
        if let Some(p) = &target.profile {
            loader = loader.profile_name(p);
        }
        if let Some(e) = &target.endpoint_url {
            loader = loader.endpoint_url(e);
            // A local server (the lab, tests) needs no real credentials: never look them up
            // (the chain would otherwise end at instance metadata, off this machine) and
            // never sign requests to it with a real account's keys.
            if is_loopback(e) {
                let local = aws_sdk_route53::config::Credentials::new(
                    "local",
                    "local",
                    None,
                    None,
                    "meridian-local-endpoint",
                );
                loader = loader.credentials_provider(local);
            }
        }
        // Route 53 is global and answers in us-east-1; a region is still needed to sign, so
        // fall back to it when neither the fleet file nor the default chain names one.
        loader = match &target.aws_region {
            Some(r) => loader.region(SdkRegion::new(r.clone())),
            None => loader.region(RegionProviderChain::default_provider().or_else("us-east-1")),
        };
        let config = loader.load().await;
        loaded.insert(target.clone(), config.clone());
        config
    }
}

/// Does this endpoint URL point at this machine?
pub fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(authority),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_endpoints_are_recognised() {
        assert!(is_loopback("http://127.0.0.1:5055"));
        assert!(is_loopback("http://127.8.0.1"));
        assert!(is_loopback("http://localhost:4566/"));
        assert!(is_loopback("http://[::1]:5000"));
        assert!(!is_loopback("https://route53.amazonaws.com"));
        assert!(!is_loopback(
            "https://vpce-123.rds.eu-west-1.vpce.amazonaws.com"
        ));
        assert!(!is_loopback("http://10.0.0.1:5000"));
    }
}
