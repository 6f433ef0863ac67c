//! ElastiCache Global Datastore: which member replication group is the primary, and
//! promotion through the ElastiCache API. `DescribeGlobalReplicationGroups` (with
//! `ShowMemberInfo`, without which AWS lists no members) gives each member's role and
//! region; `FailoverGlobalReplicationGroup` makes a secondary the primary, after which the
//! group is `modifying` until the roles have moved. ElastiCache has one failover call (no
//! forced variant beside a planned one); a promotion is verified by reading the group back
//! until the new primary reads `primary`, the old one `secondary`, and the group is
//! `available` again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_elasticache::Client;

use super::retry::{Backoff, provider_error, with_backoff};
use super::{AwsConfigs, AwsTarget};
use crate::{
    DatabaseControl, Progress, PromoteOptions, PromoteReport, ProviderError, ProviderResult, Rounds,
};
use meridian_model::fleet::settings::Settings;
use meridian_model::fleet::{Fleet, Region, Role};

/// One region's member of a Global Datastore.
#[derive(Debug, Clone)]
struct Member {
    target: AwsTarget,
    group: String,
    replication_group: String,
    promote_timeout: Duration,
}

/// What one `DescribeGlobalReplicationGroups` says about a Global Datastore.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupReading {
    /// `available`, `modifying`, `primary-only`, ...
    pub status: String,
    /// Each member: replication group, its AWS region, its role (lower-case).
    pub members: Vec<(String, String, String)>,
}

impl GroupReading {
    fn role_of(&self, replication_group: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(rg, _, _)| rg == replication_group)
            .map(|(_, _, role)| role.as_str())
    }

    fn primary(&self) -> Option<&str> {
        self.members
            .iter()
            .find(|(_, _, role)| role == "primary")
            .map(|(rg, _, _)| rg.as_str())
    }
}

/// Every region whose database (or data store) is a Global Datastore member.
pub struct ElastiCacheGlobal {
    configs: Arc<AwsConfigs>,
    members: HashMap<String, Member>,
    pub backoff: Backoff,
    /// Pause between reads while a failover completes.
    pub poll_interval: Duration,
}

impl ElastiCacheGlobal {
    pub fn from_fleet(fleet: &Fleet, configs: Arc<AwsConfigs>) -> Arc<ElastiCacheGlobal> {
        let mut members = HashMap::new();
        for r in &fleet.regions {
            let Settings::ElasticacheGlobal(s) = &r.database.settings else {
                continue;
            };
            let base = AwsTarget::of(&s.aws);
            let target = if base.aws_region.is_some() {
                base
            } else {
                base.in_region(&r.cloud_region)
            };
            members.insert(
                r.id.clone(),
                Member {
                    target,
                    group: s.global_replication_group_id.clone(),
                    replication_group: s.replication_group_id.clone(),
                    promote_timeout: s
                        .promote_timeout
                        .map_or(Duration::from_secs(15 * 60), |d| d.get()),
                },
            );
        }
        Arc::new(ElastiCacheGlobal {
            configs,
            members,
            backoff: Backoff::default(),
            poll_interval: Duration::from_secs(2),
        })
    }

    fn member(&self, region: &str, call: &str) -> ProviderResult<&Member> {
        self.members.get(region).ok_or_else(|| {
            ProviderError::new(
                Some(region),
                call,
                "no ElastiCache Global Datastore member configured",
            )
        })
    }

    /// The Global Datastore as the API describes it now.
    pub async fn read_group(&self, region: &str) -> ProviderResult<GroupReading> {
        let call = "elasticache DescribeGlobalReplicationGroups";
        let m = self.member(region, call)?;
        let client: Client = self.configs.elasticache(&m.target).await;
        let out = with_backoff(&self.backoff.once(), call, &Progress::silent(), || {
            client
                .describe_global_replication_groups()
                .global_replication_group_id(&m.group)
                .show_member_info(true)
                .send()
        })
        .await
        .map_err(|e| {
            let err = provider_error(Some(region), call, &e);
            if err.message.contains("GlobalReplicationGroupNotFound") {
                err.with_hint("check global_replication_group_id in the fleet file (the id AWS shows, with its prefix)")
            } else {
                err
            }
        })?;
        let Some(g) = out
            .global_replication_groups()
            .iter()
            .find(|g| g.global_replication_group_id() == Some(m.group.as_str()))
        else {
            return Err(ProviderError::new(
                Some(region),
                call,
                format!("no Global Datastore \"{}\"", m.group),
            )
            .with_hint("check global_replication_group_id in the fleet file"));
        };
        Ok(GroupReading {
            status: g.status().unwrap_or("unknown").to_string(),
            members: g
                .members()
                .iter()
                .map(|x| {
                    (
                        x.replication_group_id().unwrap_or_default().to_string(),
                        x.replication_group_region().unwrap_or_default().to_string(),
                        x.role().unwrap_or_default().to_ascii_lowercase(),
                    )
                })
                .collect(),
        })
    }

    fn not_member(region: &str, m: &Member) -> ProviderError {
        ProviderError::new(
            Some(region),
            "elasticache DescribeGlobalReplicationGroups",
            format!(
                "replication group {} is not a member of Global Datastore {}",
                m.replication_group, m.group
            ),
        )
        .with_hint("check replication_group_id in the fleet file")
    }
}

/// Nothing is shared between readings: every reading asks.
impl Rounds for ElastiCacheGlobal {}

#[async_trait]
impl DatabaseControl for ElastiCacheGlobal {
    fn describe_promote(
        &self,
        target: &str,
        old_primary: Option<&str>,
        options: PromoteOptions,
    ) -> Vec<String> {
        let old = old_primary.unwrap_or("the current primary");
        let Some(m) = self.members.get(target) else {
            return Vec::new();
        };
        let mut notes = vec![format!(
            "elasticache FailoverGlobalReplicationGroup {}: {target}'s {} becomes primary, {old} secondary; the Global Datastore is `modifying` meanwhile, and the failover is verified by reading the roles back",
            m.group, m.replication_group
        )];
        if options.accept_data_loss {
            notes.push(
                "ElastiCache has no forced failover: the same call is made; writes not yet replicated to the new primary are lost".into(),
            );
        }
        notes
    }

    async fn read_role(&self, region: &Region) -> ProviderResult<Role> {
        let m = self.member(&region.id, "elasticache DescribeGlobalReplicationGroups")?;
        let g = self.read_group(&region.id).await?;
        match g.role_of(&m.replication_group) {
            Some("primary") => Ok(Role::Primary),
            Some(_) => Ok(Role::Secondary),
            None => Err(Self::not_member(&region.id, m)),
        }
    }

    async fn promote(
        &self,
        _fleet: &Fleet,
        region: &Region,
        _options: PromoteOptions,
        progress: &Progress,
    ) -> ProviderResult<PromoteReport> {
        let call = "elasticache FailoverGlobalReplicationGroup";
        let m = self.member(&region.id, call)?;
        let before = self.read_group(&region.id).await?;
        let Some((_, member_region, role)) = before
            .members
            .iter()
            .find(|(rg, _, _)| *rg == m.replication_group)
        else {
            return Err(Self::not_member(&region.id, m));
        };
        if role == "primary" {
            progress.say(&format!(
                "{}'s {} is already the primary of {}",
                region.id, m.replication_group, m.group
            ));
            return Ok(PromoteReport::default());
        }
        let old = before.primary().map(str::to_string);
        let client: Client = self.configs.elasticache(&m.target).await;
        progress.say(&format!(
            "{call} {}: PrimaryRegion {member_region}, PrimaryReplicationGroupId {}",
            m.group, m.replication_group
        ));
        with_backoff(&self.backoff, call, progress, || {
            client
                .failover_global_replication_group()
                .global_replication_group_id(&m.group)
                .primary_region(member_region)
                .primary_replication_group_id(&m.replication_group)
                .send()
        })
        .await
        .map_err(|e| {
            let err = provider_error(Some(&region.id), call, &e);
            if err.message.contains("InvalidGlobalReplicationGroupState") {
                err.with_hint("the Global Datastore is busy (modifying) or has no secondary: wait until it is available, then promote again")
            } else {
                err
            }
        })?;
        let started = Instant::now();
        let mut saw_modifying = false;
        loop {
            let g = self.read_group(&region.id).await?;
            saw_modifying |= g.status == "modifying";
            let mine = g.role_of(&m.replication_group);
            let old_now = old.as_deref().and_then(|o| g.role_of(o));
            let moved = mine == Some("primary") && old_now.is_none_or(|r| r == "secondary");
            if moved && g.status == "available" {
                progress.say(&format!(
                    "{}'s {} is the primary of {} after {}s{}",
                    region.id,
                    m.replication_group,
                    m.group,
                    started.elapsed().as_secs(),
                    old.as_deref()
                        .map(|o| format!(" ({o} secondary)"))
                        .unwrap_or_default()
                ));
                return Ok(PromoteReport::default());
            }
            if saw_modifying && g.status == "available" && !moved {
                return Err(ProviderError::new(
                    Some(&region.id),
                    call,
                    format!(
                        "the failover ended without moving the primary: {} is {} and {} still primary (Global Datastore available again)",
                        m.replication_group,
                        mine.unwrap_or("not a member"),
                        g.primary().unwrap_or("no member")
                    ),
                )
                .with_hint("check the Global Datastore's events in the ElastiCache console, then promote again"));
            }
            if started.elapsed() > m.promote_timeout {
                return Err(ProviderError::new(
                    Some(&region.id),
                    "elasticache DescribeGlobalReplicationGroups",
                    format!(
                        "not the primary after {}s (Global Datastore {}, {} is {})",
                        started.elapsed().as_secs(),
                        g.status,
                        m.replication_group,
                        mine.unwrap_or("not a member")
                    ),
                )
                .with_hint("the failover was accepted and may still complete: check the ElastiCache console and `meridian status`"));
            }
            progress.say(&format!(
                "Global Datastore {} is {}; waiting for {} to become the primary",
                m.group, g.status, m.replication_group
            ));
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}
