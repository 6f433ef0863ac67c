//! Rendering a deploy's diff for its plan (a read: `helm get manifest` against `helm
//! template`), for the dashboard, which plans in its pure update loop and so cannot render
//! there. The CLI renders the same way before it plans.

use super::Executor;
use crate::actions::guards_deploy::DeployDiff;
use crate::actions::{Action, Request};
use meridian_model::fleet::settings::Settings;
use meridian_providers::DeployRequest;

impl Executor {
    /// The rendered diff of a deploy request, or why there is none (no chart in the
    /// tenant's helm table, an unknown tenant, a failed render): the plan then refuses
    /// and says why.
    pub async fn render_deploy(&self, request: &Request) -> Result<DeployDiff, String> {
        let Action::Deploy {
            tenant,
            region,
            version,
            set,
            values,
        } = &request.action
        else {
            return Err("not a deploy".into());
        };
        let chart = self
            .fleet
            .tenant(tenant)
            .and_then(|t| t.helm.as_ref())
            .and_then(|h| match &h.settings {
                Settings::Helm(h) => h.chart.clone(),
                _ => None,
            })
            .ok_or_else(|| {
                format!("tenant {tenant} has no `chart` in its helm table: nothing to render")
            })?;
        let req = DeployRequest {
            tenant: tenant.clone(),
            region: region.clone(),
            chart,
            version: version.clone(),
            set: set.clone(),
            values: values.clone(),
        };
        let r = self
            .providers
            .releases
            .render_deploy(&self.fleet, &req)
            .await
            .map_err(|e| format!("cannot render the deploy: {e}"))?;
        let mut d = DeployDiff::of(&r.diff);
        d.first_install = !r.installed;
        Ok(d)
    }
}
