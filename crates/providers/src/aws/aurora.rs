//! Aurora Global Database: which member cluster is the writer, and promotion through the RDS
//! API: `SwitchoverGlobalCluster` (planned, no data loss) unless data loss was accepted
//! explicitly, then `FailoverGlobalCluster` with `AllowDataLoss`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_rds::Client;

use super::retry::{Backoff, provider_error, with_backoff};
use super::{AwsConfigs, AwsTarget};
use crate::{
    DatabaseControl, Progress, PromoteOptions, PromoteReport, ProviderError, ProviderResult, Rounds,
};
use meridian_model::fleet::settings::Settings;
use meridian_model::fleet::{Fleet, Region, Role};

/// One region's member of a global cluster.
#[derive(Debug, Clone)]
struct Member {
    target: AwsTarget,
    global_cluster: String,
    cluster_arn: String,
    promote_timeout: Duration,
}

/// Every region whose database is an Aurora Global Database member cluster.
pub struct Aurora {
    configs: Arc<AwsConfigs>,
    members: HashMap<String, Member>,
    pub backoff: Backoff,
    /// Pause between `DescribeGlobalClusters` calls while a promotion completes.
    pub poll_interval: Duration,
}

impl Aurora {
    pub fn from_fleet(fleet: &Fleet, configs: Arc<AwsConfigs>) -> Arc<Aurora> {
        let mut members = HashMap::new();
        for (r, s) in fleet
            .regions
            .iter()
            .filter_map(|r| match &r.database.settings {
                Settings::Aurora(s) => Some((r, s)),
                _ => None,
            })
        {
            let base = AwsTarget::of(&s.aws);
            // The RDS API of the member's own region answers for the global cluster.
            let target = if base.aws_region.is_some() {
                base
            } else {
                base.in_region(&r.cloud_region)
            };
            let timeout = s.promote_timeout.map(|d| d.get());
            members.insert(
                r.id.clone(),
                Member {
                    target,
                    global_cluster: s.global_cluster_id.clone(),
                    cluster_arn: s.cluster_arn.clone(),
                    promote_timeout: timeout.unwrap_or(Duration::from_secs(15 * 60)),
                },
            );
        }
        Arc::new(Aurora {
            configs,
            members,
            backoff: Backoff::default(),
            poll_interval: Duration::from_secs(5),
        })
    }

    fn member(&self, region: &str, call: &str) -> ProviderResult<&Member> {
        self.members.get(region).ok_or_else(|| {
            ProviderError::new(Some(region), call, "no Aurora member cluster configured")
        })
    }

    async fn client(&self, m: &Member) -> Client {
        self.configs.rds(&m.target).await
    }

    /// Is this member the writer? Also the global cluster's status, for progress.
    async fn writer_state(&self, region: &str, m: &Member) -> ProviderResult<(bool, String)> {
        let call = "rds DescribeGlobalClusters";
        let client = self.client(m).await;
        let out = with_backoff(&self.backoff.once(), call, &Progress::silent(), || {
            client
                .describe_global_clusters()
                .global_cluster_identifier(&m.global_cluster)
                .send()
        })
        .await
        .map_err(|e| provider_error(Some(region), call, &e))?;
        let Some(gc) = out.global_clusters().first() else {
            return Err(ProviderError::new(
                Some(region),
                call,
                format!("no global cluster \"{}\"", m.global_cluster),
            )
            .with_hint("check global_cluster_id in the fleet file"));
        };
        let me = gc
            .global_cluster_members()
            .iter()
            .find(|x| x.db_cluster_arn() == Some(m.cluster_arn.as_str()));
        let Some(me) = me else {
            return Err(ProviderError::new(
                Some(region),
                call,
                format!(
                    "{} is not a member of global cluster {}",
                    m.cluster_arn, m.global_cluster
                ),
            )
            .with_hint("check cluster_arn in the fleet file"));
        };
        Ok((
            me.is_writer().unwrap_or(false),
            gc.status().unwrap_or("unknown").to_string(),
        ))
    }
}

/// Nothing is shared between readings: every reading asks.
impl Rounds for Aurora {}

#[async_trait]
impl DatabaseControl for Aurora {
    fn describe_promote(
        &self,
        target: &str,
        old_primary: Option<&str>,
        options: PromoteOptions,
    ) -> Vec<String> {
        let old = old_primary.unwrap_or("the current writer");
        if options.accept_data_loss {
            vec![format!(
                "rds FailoverGlobalCluster with AllowDataLoss: {target} becomes the writer at once; writes {old} had not replicated are lost"
            )]
        } else {
            vec![format!(
                "rds SwitchoverGlobalCluster: a planned switchover with no data loss; Aurora waits for {target} to catch up and demotes {old} itself"
            )]
        }
    }

    async fn read_role(&self, region: &Region) -> ProviderResult<Role> {
        let m = self.member(&region.id, "rds DescribeGlobalClusters")?;
        let (writer, _) = self.writer_state(&region.id, m).await?;
        Ok(if writer {
            Role::Primary
        } else {
            Role::Secondary
        })
    }

    async fn promote(
        &self,
        _fleet: &Fleet,
        region: &Region,
        options: PromoteOptions,
        progress: &Progress,
    ) -> ProviderResult<PromoteReport> {
        let accept_data_loss = options.accept_data_loss;
        let m = self.member(&region.id, "rds promote")?;
        let client = self.client(m).await;
        if accept_data_loss {
            let call = "rds FailoverGlobalCluster";
            progress.say(&format!(
                "{call} {} -> {} with AllowDataLoss (data loss accepted explicitly)",
                m.global_cluster, m.cluster_arn
            ));
            with_backoff(&self.backoff, call, progress, || {
                client
                    .failover_global_cluster()
                    .global_cluster_identifier(&m.global_cluster)
                    .target_db_cluster_identifier(&m.cluster_arn)
                    .allow_data_loss(true)
                    .send()
            })
            .await
            .map_err(|e| provider_error(Some(&region.id), call, &e))?;
        } else {
            let call = "rds SwitchoverGlobalCluster";
            progress.say(&format!(
                "{call} {} -> {} (planned, no data loss)",
                m.global_cluster, m.cluster_arn
            ));
            with_backoff(&self.backoff, call, progress, || {
                client
                    .switchover_global_cluster()
                    .global_cluster_identifier(&m.global_cluster)
                    .target_db_cluster_identifier(&m.cluster_arn)
                    .send()
            })
            .await
            .map_err(|e| provider_error(Some(&region.id), call, &e))?;
        }
        let started = Instant::now();
        loop {
            let (writer, status) = self.writer_state(&region.id, m).await?;
            if writer {
                progress.say(&format!(
                    "{} is the writer of {} after {}s",
                    region.id,
                    m.global_cluster,
                    started.elapsed().as_secs()
                ));
                // The global cluster re-points its other secondaries itself: nothing to
                // report per member.
                return Ok(PromoteReport::default());
            }
            if started.elapsed() > m.promote_timeout {
                return Err(ProviderError::new(Some(&region.id), "rds DescribeGlobalClusters", format!("not the writer after {}s (global cluster {status})", started.elapsed().as_secs()))
                    .with_hint("the request was accepted and may still complete: check the RDS console and `meridian status`"));
            }
            progress.say(&format!(
                "global cluster {} is {status}; waiting for {} to become the writer",
                m.global_cluster, region.id
            ));
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}
