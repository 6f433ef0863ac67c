//! Who the fleet's own backends say this process is: the Kubernetes API server's
//! `SelfSubjectReview` (authentication.k8s.io/v1) on the cluster that holds the shared
//! store, or AWS STS `GetCallerIdentity` with the fleet's AWS credentials. The answers are
//! what the server authenticated, not what this machine claims, so the two-person rule can
//! trust them. Deciding who the person is (a role's session name, a shared principal) is
//! the action library's; here the raw answers are fetched, each within a deadline.

use std::time::Duration;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::Api;
use kube::api::PostParams;

use crate::aws::{AwsTarget, is_loopback};
use crate::kube::client::{Clients, Target};

/// Most asking who we are may take: it runs before an approval or a step, not in a loop.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// What the API server says about the user of a kubeconfig context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeUser {
    pub username: String,
    pub groups: Vec<String>,
    /// `extra` (EKS puts `sessionName` and `arn` there).
    pub extra: Vec<(String, Vec<String>)>,
}

/// `SelfSubjectReview` on the context's cluster.
pub async fn kube_user(target: &Target) -> Result<KubeUser, String> {
    let call = async {
        let client = Clients::new()
            .get(target, None)
            .await
            .map_err(|e| e.to_string())?;
        let api: Api<SelfSubjectReview> = Api::all(client);
        let review = api
            .create(&PostParams::default(), &SelfSubjectReview::default())
            .await
            .map_err(|e| {
                format!(
                    "SelfSubjectReview on context {}: {}",
                    target.context,
                    crate::kube::error::describe_kube(&e)
                )
            })?;
        let info = review.status.and_then(|s| s.user_info).ok_or_else(|| {
            format!(
                "SelfSubjectReview on context {}: no userInfo in the answer",
                target.context
            )
        })?;
        Ok(KubeUser {
            username: info.username.unwrap_or_default(),
            groups: info.groups.unwrap_or_default(),
            extra: info.extra.unwrap_or_default().into_iter().collect(),
        })
    };
    match tokio::time::timeout(DEADLINE, call).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "SelfSubjectReview on context {}: no answer within {}s",
            target.context,
            DEADLINE.as_secs()
        )),
    }
}

/// The ARN STS says the credentials belong to (`GetCallerIdentity` needs no permission).
/// A loopback endpoint (moto, the lab) is called with the access key in the environment,
/// if any, and never with keys looked up elsewhere.
pub async fn aws_caller(target: &AwsTarget) -> Result<String, String> {
    let call = async {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(target.connect_timeout.unwrap_or(Duration::from_secs(3)))
                    .operation_attempt_timeout(DEADLINE)
                    .build(),
            );
        if let Some(p) = &target.profile {
            loader = loader.profile_name(p);
        }
        if let Some(e) = &target.endpoint_url {
            loader = loader.endpoint_url(e);
            if is_loopback(e) {
                let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "local".into());
                let secret =
                    std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "local".into());
                let token = std::env::var("AWS_SESSION_TOKEN").ok();
                loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(
                    key,
                    secret,
                    token,
                    None,
                    "meridian-local-endpoint",
                ));
            }
        }
        loader = loader.region(aws_config::Region::new(
            target
                .aws_region
                .clone()
                .unwrap_or_else(|| "us-east-1".into()),
        ));
        let config = loader.load().await;
        let out = aws_sdk_sts::Client::new(&config)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                format!(
                    "STS GetCallerIdentity ({}): {}",
                    target.describe(),
                    aws_sdk_sts::error::DisplayErrorContext(&e)
                )
            })?;
        out.arn
            .ok_or_else(|| "STS GetCallerIdentity answered without an ARN".to_string())
    };
    match tokio::time::timeout(DEADLINE, call).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "STS GetCallerIdentity ({}): no answer within {}s",
            target.describe(),
            DEADLINE.as_secs()
        )),
    }
}

/// Run an identity call from sync code, on a thread and runtime of its own (the callers
/// are the executor's sync helpers, on any runtime or none), waiting at most the deadline.
pub fn blocking<T: Send + 'static>(
    fut: impl std::future::Future<Output = Result<T, String>> + Send + 'static,
) -> Result<T, String> {
    let worker = std::thread::Builder::new()
        .name("meridian-identity".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(fut)
        })
        .map_err(|e| format!("cannot start a thread to ask who this is: {e}"))?;
    let join = || {
        worker
            .join()
            .unwrap_or_else(|_| Err("asking who this is panicked".to_string()))
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(join)
        }
        _ => join(),
    }
}
