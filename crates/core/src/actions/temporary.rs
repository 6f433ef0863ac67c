//! Intended weights, temporary weights and drift. After every weight change meridian makes
//! it writes down the weights it meant (the "intent"), with an expiry when the change is
//! temporary (`meridian weights ... --for 2h`, a rollout's weights step). Comparing what DNS
//! says with the intent and the steady weights tells three stories: steady, temporary
//! (expired or not), or drift: weights nobody set through meridian, with since when.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, Millis, rfc3339};
use meridian_providers::store::{SharedStore, StoreError};

const KIND: &str = "weights";
const INTENT: &str = "intent";
const DRIFT: &str = "drift";

/// Weights by region id, in provider units (0 when drained).
pub type WeightMap = BTreeMap<String, u32>;

/// The weights meridian last set, and until when when they are temporary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub weights: WeightMap,
    pub set_by: String,
    pub set_at_ms: Millis,
    pub reason: Option<String>,
    /// Temporary weights: when they should go back to steady.
    pub until_ms: Option<Millis>,
}

/// When weights that differ from steady (with no intent to explain them) were first seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct DriftSeen {
    since_ms: Millis,
}

/// How the weights DNS serves stand against intent and steady state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Standing {
    /// Not every region's weight could be read.
    Unknown,
    Steady,
    /// Set through meridian on purpose, not steady, with no expiry.
    Set {
        intent: Intent,
    },
    Temporary {
        intent: Intent,
        expired: bool,
    },
    /// Not steady, and not what meridian last set.
    Drift {
        since_ms: Millis,
    },
}

/// The weights every region serves now; None when one could not be read. A region routed
/// by latency, failover or geography counts as its steady weight while in rotation and 0
/// when drained, so drift and temporary changes read the same under every policy.
pub fn current(fleet: &Fleet, state: &FleetState) -> Option<WeightMap> {
    fleet
        .regions
        .iter()
        .map(|r| {
            let w = state.region(&r.id)?.weight.value?;
            let units = match (w.has_share(), w.serving()) {
                (true, _) => w.effective(),
                (false, true) => r.steady_weight.max(1),
                (false, false) => 0,
            };
            Some((r.id.clone(), units))
        })
        .collect()
}

/// Is any region routed by something other than weights (then the board says which
/// regions are in rotation rather than slashing weights)?
fn steered(state: &FleetState) -> bool {
    state
        .regions
        .iter()
        .any(|r| r.weight.value.is_some_and(|w| !w.has_share()))
}

/// `us-east-1 in, eu-west-1 out`: rotation in the fleet's region order.
fn rotation_text(fleet: &Fleet, weights: &WeightMap) -> String {
    fleet
        .regions
        .iter()
        .map(|r| match weights.get(&r.id) {
            Some(0) => format!("{} out", r.id),
            Some(_) => format!("{} in", r.id),
            None => format!("{} ?", r.id),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The steady weights of the fleet file.
pub fn steady(fleet: &Fleet) -> WeightMap {
    fleet
        .regions
        .iter()
        .map(|r| (r.id.clone(), r.steady_weight))
        .collect()
}

fn io<T>(r: Result<T, StoreError>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// Write down the weights meridian just set; `until_ms` makes them temporary. A rollout's
/// weights step calls this with its `for`.
pub fn record(
    store: &dyn SharedStore,
    weights: WeightMap,
    set_by: &str,
    reason: Option<String>,
    now: Millis,
    until_ms: Option<Millis>,
) -> Result<Intent, String> {
    let intent = Intent {
        weights,
        set_by: set_by.to_string(),
        set_at_ms: now,
        reason,
        until_ms,
    };
    let doc = serde_json::to_value(&intent).map_err(|e| e.to_string())?;
    io(store.put(KIND, INTENT, &doc))?;
    // Whatever drift there was, meridian has set the weights since.
    io(store.remove(KIND, DRIFT))?;
    Ok(intent)
}

/// The last intent, if meridian ever set weights of this fleet.
pub fn intent(store: &dyn SharedStore) -> Result<Option<Intent>, String> {
    match io(store.get(KIND, INTENT))? {
        None => Ok(None),
        Some(v) => serde_json::from_value(v).map(Some).map_err(|e| {
            format!(
                "the weights intent cannot be read ({e}); `meridian restore` writes a fresh one"
            )
        }),
    }
}

/// Where the weights stand at `now`. Notes the first sighting of drift in the store, so
/// "since when" survives restarts and is the same for everyone sharing the state.
pub fn standing(
    store: &dyn SharedStore,
    fleet: &Fleet,
    state: &FleetState,
    now: Millis,
) -> Result<Standing, String> {
    standing_of(store, fleet, current(fleet, state), now)
}

/// `standing`, from the weights read now (`current`), for a caller that holds no state.
pub fn standing_of(
    store: &dyn SharedStore,
    fleet: &Fleet,
    now_weights: Option<WeightMap>,
    now: Millis,
) -> Result<Standing, String> {
    standing_seen(store, fleet, now_weights, now, false)
}

/// `standing_of` for a meridian that may or may not write. A read-only one (`read_only`)
/// writes nothing: drift not yet noted in the store reads as first seen `now`, by this view,
/// and a return to steady leaves the old note for a writing meridian to clear.
pub fn standing_seen(
    store: &dyn SharedStore,
    fleet: &Fleet,
    now_weights: Option<WeightMap>,
    now: Millis,
    read_only: bool,
) -> Result<Standing, String> {
    let Some(now_weights) = now_weights else {
        return Ok(Standing::Unknown);
    };
    let intent = intent(store)?;
    let explained = intent.filter(|i| i.weights == now_weights);
    if now_weights == steady(fleet) {
        // Read first: the dashboard asks every second, and a watched store answers reads
        // from its cache but every remove from the API server.
        if !read_only
            && io(store.get(KIND, DRIFT))?.is_some()
            && let Err(e) = store.remove(KIND, DRIFT)
        {
            log::warn!("the drift record could not be cleared: {e}");
        }
        return Ok(Standing::Steady);
    }
    if let Some(intent) = explained {
        return Ok(match intent.until_ms {
            Some(until) => Standing::Temporary {
                expired: now >= until,
                intent,
            },
            None => Standing::Set { intent },
        });
    }
    let seen =
        io(store.get(KIND, DRIFT))?.and_then(|v| serde_json::from_value::<DriftSeen>(v).ok());
    let since_ms = match seen {
        Some(s) => s.since_ms,
        None if read_only => now,
        None => {
            // Not written (a store that cannot be reached): the drift is still shown,
            // counted from now.
            let doc = serde_json::json!(DriftSeen { since_ms: now });
            if let Err(e) = store.put(KIND, DRIFT, &doc) {
                log::warn!("the first sighting of drift could not be recorded: {e}");
            }
            now
        }
    };
    Ok(Standing::Drift { since_ms })
}

/// `90/10`: weights in the fleet's region order.
pub fn slashed(fleet: &Fleet, weights: &WeightMap) -> String {
    fleet
        .regions
        .iter()
        .map(|r| weights.get(&r.id).map_or("?".into(), |w| w.to_string()))
        .collect::<Vec<_>>()
        .join("/")
}

/// `14:00`: the UTC time of day people read on the board.
pub fn clock(ms: Millis) -> String {
    let t = rfc3339(ms);
    t.get(11..16).map_or(t.clone(), str::to_string)
}

impl Standing {
    /// One line for the board and `status`: `temporary 90/10 until 14:00 (steady 70/30)`.
    pub fn text(&self, fleet: &Fleet, state: &FleetState) -> String {
        let show = |w: &WeightMap| {
            if steered(state) {
                rotation_text(fleet, w)
            } else {
                slashed(fleet, w)
            }
        };
        let steady = show(&steady(fleet));
        let now = current(fleet, state)
            .map(|w| show(&w))
            .unwrap_or_else(|| "?".into());
        match self {
            Standing::Unknown => "weights unknown (a region's weight could not be read)".into(),
            Standing::Steady => format!("steady {steady}"),
            Standing::Set { intent } => {
                format!("set {now} by {} (steady {steady})", intent.set_by)
            }
            Standing::Temporary { intent, expired } => {
                let until = intent.until_ms.map(clock).unwrap_or_default();
                if *expired {
                    format!("EXPIRED temporary {now} since {until} (steady {steady}): restore")
                } else {
                    format!("temporary {now} until {until} (steady {steady})")
                }
            }
            Standing::Drift { since_ms } => format!(
                "DRIFT {now} since {} (steady {steady}; not set through meridian)",
                clock(*since_ms)
            ),
        }
    }

    /// A problem for `status --check` and the header, with what to do; None when fine.
    pub fn problem(&self, fleet: &Fleet, state: &FleetState) -> Option<String> {
        match self {
            Standing::Temporary { expired: true, .. } => Some(format!(
                "weights: {}: run `meridian restore` (or press the restore key) to go back to steady",
                self.text(fleet, state)
            )),
            Standing::Drift { .. } => Some(format!(
                "weights: {}: find who changed DNS, then `meridian restore` or record the change with `meridian weights`",
                self.text(fleet, state)
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
