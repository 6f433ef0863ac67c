//! AWS providers: Route 53 weights and health checks, CloudWatch replication lag.
//!
//! Clients are created lazily (the SDK's config loading is async, `Providers::build` is not)
//! and once per distinct (profile, endpoint, region), so every capability that talks to the
//! same account shares one connection pool.

pub mod alarms;
pub mod aurora;
pub mod cloudwatch;
pub mod elasticache;
pub mod health;
pub mod healthy_since;
pub mod retry;
pub mod route53;
pub mod route53_steer;
pub mod route53_zone;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, Region as SdkRegion, SdkConfig};
use tokio::sync::Mutex;

use meridian_model::fleet::settings::{self, Dur};

/// Where the SDK sends requests and whose credentials it uses. Unset fields come from
/// aws-config's default chain (environment, profiles, SSO, assume-role).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AwsTarget {
    pub profile: Option<String>,
    /// For local servers (moto) and VPC endpoints.
    pub endpoint_url: Option<String>,
    pub aws_region: Option<String>,
    /// How long to wait for a connection (`connect_timeout` in the fleet file).
    pub connect_timeout: Option<Duration>,
}

impl AwsTarget {
    /// The target a capability's settings name (what they left out was filled from
    /// Route 53's `[traffic]` when the fleet was loaded).
    pub fn of(s: &settings::AwsTarget) -> AwsTarget {
        AwsTarget {
            profile: s.profile.clone(),
            endpoint_url: s.endpoint_url.clone(),
            aws_region: s.aws_region.clone(),
            connect_timeout: s.connect_timeout.map(Dur::get),
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

/// How long to wait for a TCP/TLS connection to AWS by default.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The most one request attempt may take (reads have a shorter deadline in the engine;
/// this bounds the calls actions make).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// Loads SDK configs once per target, and keeps one client per service and target, so
/// every region and capability on one account shares a connection pool that stays open.
#[derive(Default)]
pub struct AwsConfigs {
    loaded: Mutex<HashMap<AwsTarget, SdkConfig>>,
    route53: Mutex<HashMap<AwsTarget, aws_sdk_route53::Client>>,
    cloudwatch: Mutex<HashMap<AwsTarget, aws_sdk_cloudwatch::Client>>,
    rds: Mutex<HashMap<AwsTarget, aws_sdk_rds::Client>>,
    elasticache: Mutex<HashMap<AwsTarget, aws_sdk_elasticache::Client>>,
}

impl AwsConfigs {
    pub fn new() -> Arc<AwsConfigs> {
        Arc::new(AwsConfigs::default())
    }

    async fn client<C: Clone>(
        &self,
        cache: &Mutex<HashMap<AwsTarget, C>>,
        target: &AwsTarget,
        make: impl FnOnce(&SdkConfig) -> C,
    ) -> C {
        if let Some(c) = cache.lock().await.get(target) {
            return c.clone();
        }
        let client = make(&self.get(target).await);
        cache
            .lock()
            .await
            .entry(target.clone())
            .or_insert(client)
            .clone()
    }

    /// The Route 53 client for a target (shared).
    pub async fn route53(&self, target: &AwsTarget) -> aws_sdk_route53::Client {
        self.client(&self.route53, target, aws_sdk_route53::Client::new)
            .await
    }

    /// The CloudWatch client for a target (shared).
    pub async fn cloudwatch(&self, target: &AwsTarget) -> aws_sdk_cloudwatch::Client {
        self.client(&self.cloudwatch, target, aws_sdk_cloudwatch::Client::new)
            .await
    }

    /// The RDS client for a target (shared).
    pub async fn rds(&self, target: &AwsTarget) -> aws_sdk_rds::Client {
        self.client(&self.rds, target, aws_sdk_rds::Client::new)
            .await
    }

    /// The ElastiCache client for a target (shared).
    pub async fn elasticache(&self, target: &AwsTarget) -> aws_sdk_elasticache::Client {
        self.client(&self.elasticache, target, aws_sdk_elasticache::Client::new)
            .await
    }

    /// The SDK config for a target. Retries are off in the SDK: `retry::with_backoff` does
    /// them, so each one is visible in the progress log and bounded by our own settings.
    pub async fn get(&self, target: &AwsTarget) -> SdkConfig {
        let mut loaded = self.loaded.lock().await;
        if let Some(c) = loaded.get(target) {
            return c.clone();
        }
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(target.connect_timeout.unwrap_or(CONNECT_TIMEOUT))
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .timeout_config(timeouts);
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
