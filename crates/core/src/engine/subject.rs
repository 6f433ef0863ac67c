//! What the engine reads, one subject at a time: each subject is read on its own schedule
//! and under its own deadline, so one slow backend makes only its own cells stale.

use std::collections::HashSet;
use std::fmt;

use meridian_model::fleet::Action;
use meridian_model::fleet::Fleet;

/// One reading the engine makes: a fleet-wide one (weights) or one region's capability.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// Every region's DNS weight: one reading of the traffic provider.
    Weights,
    /// A region's health from its probes or health checks.
    Health(String),
    /// A region's database role and replication lag.
    Database(String),
    /// How far a region got in standing up.
    Phases(String),
    /// The tenants' applications in a region.
    Apps(String),
    /// The Helm releases of a region's Helm tenants.
    Releases(String),
    /// The routing layer's map: each tenant's home region, the regions taking sign-ups.
    Routing,
    /// The alarms `[alarms]` counts.
    Alarms,
}

impl Subject {
    /// Every subject of a fleet: weights, then each region's four.
    pub fn all(fleet: &Fleet) -> Vec<Subject> {
        // One pass over the tenants: asking each region for its tenants is R x T x (regions
        // per tenant) string compares, most of a 100 x 1,000 fleet's `status`.
        let mut apps: HashSet<&str> = HashSet::new();
        let mut helm: HashSet<&str> = HashSet::new();
        // Most tenants run in every region: stop hashing a set once it holds them all.
        let every = fleet.regions.len();
        for t in &fleet.tenants {
            if apps.len() < every {
                apps.extend(t.regions.iter().map(arcstr::ArcStr::as_str));
            }
            if t.helm.is_some() && helm.len() < every {
                helm.extend(t.regions.iter().map(arcstr::ArcStr::as_str));
            }
        }
        let mut out = vec![Subject::Weights];
        if fleet.tenant_routing.is_some() {
            out.push(Subject::Routing);
        }
        if fleet.alarms.is_some() {
            out.push(Subject::Alarms);
        }
        for r in &fleet.regions {
            out.push(Subject::Health(r.id.clone()));
            out.push(Subject::Database(r.id.clone()));
            out.push(Subject::Phases(r.id.clone()));
            if apps.contains(r.id.as_str()) {
                out.push(Subject::Apps(r.id.clone()));
            }
            if helm.contains(r.id.as_str()) {
                out.push(Subject::Releases(r.id.clone()));
            }
        }
        out
    }

    /// The region a subject belongs to (None for fleet-wide readings).
    pub fn region(&self) -> Option<&str> {
        match self {
            Subject::Weights | Subject::Routing | Subject::Alarms => None,
            Subject::Health(r)
            | Subject::Database(r)
            | Subject::Phases(r)
            | Subject::Apps(r)
            | Subject::Releases(r) => Some(r),
        }
    }

    /// The capability behind the subject, as the fleet file names it.
    pub fn capability(&self) -> &'static str {
        match self {
            Subject::Weights => "traffic",
            Subject::Health(_) => "health",
            Subject::Database(_) => "lag",
            Subject::Phases(_) => "runner",
            Subject::Apps(_) => "gitops",
            Subject::Releases(_) => "helm",
            Subject::Routing => "tenant_routing",
            Subject::Alarms => "alarms",
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.region() {
            Some(r) => write!(f, "{} of {r}", self.capability()),
            None => write!(f, "{}", self.capability()),
        }
    }
}

/// The subjects an action's plan and verification need: nothing more is read for it.
/// Every plan shows the traffic share it touches, so weights are always read (one call).
pub fn for_action(fleet: &Fleet, action: &Action) -> Vec<Subject> {
    let regions = || fleet.regions.iter().map(|r| r.id.clone());
    let mut out = vec![Subject::Weights];
    match action {
        // The traffic guards weigh every region's health and phases (last healthy region,
        // unhealthy target, health gate, phases incomplete); roles and lag play no part.
        Action::Drain { .. } | Action::Restore { .. } | Action::SetWeights { .. } => {
            out.extend(regions().map(Subject::Health));
            out.extend(regions().map(Subject::Phases));
            // A drain says how many tenants are homed in the region it empties.
            if matches!(action, Action::Drain { .. }) && fleet.tenant_routing.is_some() {
                out.push(Subject::Routing);
            }
        }
        // Who is primary now (every region's role) and the target's lag; every region's
        // health: the target must be healthy, and whether the old writer can be reached and
        // drained (the last-healthy-region guard) weighs them all.
        Action::Promote { .. } => {
            out.extend(regions().map(Subject::Database));
            out.extend(regions().map(Subject::Health));
        }
        // Who the writer is (every region's role) and what the region follows now.
        Action::Rejoin { .. } => out.extend(regions().map(Subject::Database)),
        Action::Rollback { tenant, region, .. } => {
            out.push(Subject::Apps(region.clone()));
            if fleet.tenant(tenant).is_some_and(|t| t.helm.is_some()) {
                out.push(Subject::Releases(region.clone()));
            }
        }
        Action::Sync { region, .. } | Action::ResumeAutoSync { region, .. } => {
            out.push(Subject::Apps(region.clone()))
        }
        Action::RunPhase { region, .. } => out.push(Subject::Phases(region.clone())),
        // The map itself, and the region's health (and phases, for opening a region).
        Action::Signups { region, .. } => {
            out.extend([
                Subject::Routing,
                Subject::Health(region.clone()),
                Subject::Phases(region.clone()),
            ]);
        }
        // The map, the target's health and the tenant's app there.
        Action::TenantMove { tenant, to } => {
            out.extend([Subject::Routing, Subject::Health(to.clone())]);
            if fleet.tenant(tenant).is_some_and(|t| t.runs_in(to)) {
                out.push(Subject::Apps(to.clone()));
            }
        }
        // The release's history, whether Argo CD owns it, and the target's health.
        Action::Deploy { region, .. } => {
            out.push(Subject::Apps(region.clone()));
            out.push(Subject::Releases(region.clone()));
            out.push(Subject::Health(region.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_has_its_subjects_and_weights_come_once() {
        let fleet = meridian_model::fleet::demo();
        let all = Subject::all(&fleet);
        assert_eq!(all.iter().filter(|s| **s == Subject::Weights).count(), 1);
        for r in &fleet.regions {
            assert!(all.contains(&Subject::Health(r.id.clone())));
            assert!(all.contains(&Subject::Database(r.id.clone())));
        }
        let apps = all.iter().filter(|s| matches!(s, Subject::Apps(_))).count();
        let with_tenants = fleet
            .regions
            .iter()
            .filter(|r| fleet.tenants_in(&r.id).next().is_some())
            .count();
        assert_eq!(apps, with_tenants);
    }

    #[test]
    fn a_rollback_reads_only_weights_and_its_region_apps() {
        let fleet = meridian_model::fleet::demo();
        let action = Action::Rollback {
            tenant: "search-stg".into(),
            region: "eu-west-1".into(),
            to: None,
            via: None,
        };
        assert_eq!(
            for_action(&fleet, &action),
            vec![Subject::Weights, Subject::Apps("eu-west-1".into())]
        );
    }
}
