//! How the backends will carry out a plan, in their own words (the exact Route 53 change
//! batch, the steps of a promotion): lines the plan shows under its guards. Reading a
//! backend is I/O, so front ends ask for these after planning; the plan's own fields say
//! what to ask about.

use super::plan::{Operation, Plan};
use meridian_model::fleet::Fleet;
use meridian_providers::Providers;
use meridian_providers::drains::DrainBook;

/// Lines a plan should show about how its backends will carry it out; `book` says what
/// earlier drains changed (what a restore puts back).
pub async fn describe(
    providers: &Providers,
    fleet: &Fleet,
    plan: &Plan,
    book: &DrainBook,
) -> Vec<String> {
    match &plan.operation {
        Some(Operation::Promote {
            region,
            old_primary,
            drain_old,
            stores,
        }) => {
            let options = meridian_providers::PromoteOptions {
                accept_data_loss: plan.accept_data_loss,
            };
            let mut notes = match providers.database.get(region) {
                Some(db) if stores.is_empty() => {
                    db.describe_promote(region, old_primary.as_deref(), options)
                }
                _ => Vec::new(),
            };
            for (i, m) in stores.iter().enumerate() {
                let db = match m.index {
                    0 => providers.database.get(region),
                    k => providers
                        .stores
                        .get(region)
                        .and_then(|s| s.get(k - 1))
                        .map(|s| &s.database),
                };
                if let Some(db) = db {
                    notes.extend(
                        db.describe_promote(region, m.old_primary.as_deref(), options)
                            .into_iter()
                            .map(|n| format!("{}. {}: {n}", i + 1, m.store)),
                    );
                }
            }
            if !drain_old.is_empty() {
                notes.extend(
                    providers
                        .traffic
                        .describe_traffic(fleet, drain_old, book)
                        .await,
                );
            }
            notes
        }
        Some(Operation::Rejoin { region, writer }) => match providers.database.get(region) {
            Some(db) => db.describe_rejoin(region, writer),
            None => Vec::new(),
        },
        Some(Operation::SetWeights { weights }) if !weights.is_empty() => {
            providers
                .traffic
                .describe_traffic(fleet, weights, book)
                .await
        }
        Some(op @ (Operation::SetSignups { .. } | Operation::MoveTenant { .. })) => {
            match (&providers.routing, routing_change(op)) {
                (Some(r), Some(change)) => r.describe(&change),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// The routing layer's change an operation makes, if it makes one.
pub fn routing_change(op: &Operation) -> Option<meridian_providers::routing::RoutingChange> {
    use meridian_providers::routing::RoutingChange;
    match op {
        Operation::SetSignups { region, open } => Some(RoutingChange::Signups {
            region: region.clone(),
            open: *open,
        }),
        Operation::MoveTenant { tenant, to, .. } => Some(RoutingChange::Home {
            tenant: tenant.clone(),
            to: to.clone(),
        }),
        _ => None,
    }
}
