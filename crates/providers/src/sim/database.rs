//! The simulated database: role, replication lag and promotion.

use async_trait::async_trait;

use super::{PROMOTE_SECS, SimProvider};
use crate::{
    DatabaseControl, LagReader, Progress, PromoteOptions, PromoteReport, ProviderError,
    ProviderResult, Rounds,
};
use meridian_model::fleet::{Fleet, Region, Role};
use meridian_model::state::HealthStatus;

/// Nothing is shared between readings: every reading asks.
impl Rounds for SimProvider {}

#[async_trait]
impl DatabaseControl for SimProvider {
    fn describe_promote(
        &self,
        target: &str,
        old_primary: Option<&str>,
        _options: PromoteOptions,
    ) -> Vec<String> {
        let old = old_primary.unwrap_or("the old primary");
        vec![format!(
            "{old} is fenced (made read-only) first when it is reachable; then {target} is promoted (simulated)"
        )]
    }

    async fn read_role(&self, region: &Region) -> ProviderResult<Role> {
        let found = self.read("read role", |w| {
            w.region(&region.id).map(|r| (r.role, r.health))
        })?;
        match found {
            Some((_, HealthStatus::Down)) => Err(Self::down_error(&region.id, "sim read role")),
            Some((role, _)) => Ok(role),
            None => Err(ProviderError::new(
                Some(&region.id),
                "sim read role",
                "region missing from the simulated world",
            )),
        }
    }

    async fn promote(
        &self,
        _fleet: &Fleet,
        region: &Region,
        _options: PromoteOptions,
        progress: &Progress,
    ) -> ProviderResult<PromoteReport> {
        let target = region.id.clone();
        let old = self.read("promote", |w| {
            w.regions
                .iter()
                .find(|r| r.role == Role::Primary)
                .map(|r| r.id.clone())
        })?;
        if let Some(old) = &old {
            progress.say(&format!("fencing old primary {old}: read-only"));
        }
        progress.say(&format!("promoting {target}: waiting for replay to finish"));
        self.take(PROMOTE_SECS).await;
        let result = self.change("promote", |w| {
            if w.region(&target)
                .is_none_or(|r| r.health == HealthStatus::Down)
            {
                return Err(Self::down_error(&target, "sim promote"));
            }
            for r in w.regions.iter_mut() {
                if r.id == target {
                    r.role = Role::Primary;
                    r.lag = None;
                } else if r.role == Role::Primary {
                    r.role = Role::Secondary;
                    r.lag = Some(0.1);
                }
            }
            Ok(())
        })?;
        result?;
        progress.say(&format!("{target} is now the primary"));
        Ok(PromoteReport::default())
    }
}

#[async_trait]
impl LagReader for SimProvider {
    async fn read_lag(&self, region: &Region) -> ProviderResult<Option<f64>> {
        let found = self.read("read lag", |w| {
            w.region(&region.id).map(|r| (r.lag, r.health, r.role))
        })?;
        match found {
            Some((_, HealthStatus::Down, _)) => Err(Self::down_error(&region.id, "sim read lag")),
            Some((lag, _, _)) => Ok(lag),
            None => Err(ProviderError::new(
                Some(&region.id),
                "sim read lag",
                "region missing from the simulated world",
            )),
        }
    }

    async fn lag_history(&self, region: &Region) -> Vec<Option<f64>> {
        self.read("lag history", |w| {
            w.region(&region.id).map(|r| r.lag_history.clone())
        })
        .ok()
        .flatten()
        .unwrap_or_default()
    }
}
