//! One reading of one subject, bounded by its deadline. Whatever the backend does (refuse,
//! hang, answer slowly), the reading ends by the deadline and says what happened.

use std::future::Future;
use std::time::Duration;

use super::observation::{Observation, Reading};
use super::{Subject, schedule};
use meridian_model::fleet::Fleet;
use meridian_model::state::now_ms;
use meridian_providers::{AppsUpdate, ProviderError, ProviderResult, Providers};

/// Read one subject now.
pub async fn read(
    fleet: &Fleet,
    providers: &Providers,
    subject: &Subject,
    deadline: Duration,
) -> Observation {
    let provider = schedule::capability(fleet, subject)
        .map(|c| c.provider.as_str())
        .unwrap_or("unknown");
    let region = subject.region();
    let call = |what: &str| format!("{provider} {what}");
    let missing = |what: &str| {
        ProviderError::new(region, call(what), "no provider configured for this region")
    };
    let reading = match subject {
        Subject::Weights => Reading::Weights(
            bounded(
                deadline,
                None,
                call("read weights"),
                providers.traffic.read_weights(fleet),
            )
            .await,
        ),
        Subject::Health(id) => {
            let result = match (fleet.region(id), providers.health.get(id)) {
                (Some(r), Some(p)) => {
                    bounded(deadline, region, call("read health"), p.read_health(r)).await
                }
                _ => Err(missing("read health")),
            };
            Reading::Health(result)
        }
        Subject::Database(id) => match (
            fleet.region(id),
            providers.database.get(id),
            providers.lag.get(id),
        ) {
            (Some(r), Some(db), Some(lag)) => {
                let (role, lag, history, stores) = futures::join!(
                    bounded(deadline, region, call("read role"), db.read_role(r)),
                    bounded(deadline, region, call("read lag"), lag.read_lag(r)),
                    async {
                        tokio::time::timeout(deadline, lag.lag_history(r))
                            .await
                            .unwrap_or_default()
                    },
                    super::read_stores::read_stores(providers, r, deadline),
                );
                Reading::Database {
                    role,
                    lag,
                    history,
                    stores,
                }
            }
            _ => Reading::Database {
                role: Err(missing("read role")),
                lag: Err(missing("read lag")),
                history: Vec::new(),
                stores: Vec::new(),
            },
        },
        Subject::Phases(id) => Reading::Phases(
            bounded(
                deadline,
                region,
                call("read phases"),
                providers.runner.read_phases(fleet, id),
            )
            .await,
        ),
        Subject::Releases(id) => Reading::Releases(
            bounded(
                deadline,
                region,
                "helm read releases".to_string(),
                providers.releases.read_releases(fleet, id),
            )
            .await,
        ),
        Subject::Routing => Reading::Routing(match &providers.routing {
            Some(r) => bounded(
                deadline,
                None,
                call("read tenant routing"),
                r.read_routing(fleet),
            )
            .await
            .map(std::sync::Arc::new),
            None => Err(missing("read tenant routing")),
        }),
        Subject::Alarms => Reading::Alarms(match &providers.alarms {
            Some(a) => {
                let query = meridian_providers::alarms::AlarmQuery::of_fleet(fleet);
                bounded(deadline, None, call("read alarms"), a.alarms(&query)).await
            }
            None => Err(missing("read alarms")),
        }),
        Subject::Apps(id) => Reading::Apps(
            bounded(
                deadline,
                region,
                call("read applications"),
                providers.gitops.read_apps(fleet, id),
            )
            .await
            .map(|apps| AppsUpdate {
                apps,
                complete: true,
            }),
        ),
    };
    Observation {
        subject: subject.clone(),
        at: now_ms(),
        reading,
    }
}

/// Run `fut`, or fail as timed out once `deadline` passes (the call is dropped).
pub async fn bounded<T>(
    deadline: Duration,
    region: Option<&str>,
    call: String,
    fut: impl Future<Output = ProviderResult<T>>,
) -> ProviderResult<T> {
    match tokio::time::timeout(deadline, fut).await {
        Ok(result) => result,
        Err(_) => Err(ProviderError::timed_out(region, call, deadline)),
    }
}
