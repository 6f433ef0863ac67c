//! `meridian wait`: poll the fleet until a gate holds, or give up. Progress goes to stderr
//! (a line whenever the reason changes), the result to stdout.

use std::time::{Duration, Instant};

use serde_json::json;

use super::args::{GlobalArgs, WaitArgs, WaitCondition};
use super::{Exit, Failure};
use crate::actions::Gate;
use crate::actions::gates::{self, Hold};
use crate::engine::poll;
use crate::fleet::{self, Fleet, ProviderKind};
use crate::session::Context;
use crate::state::{FleetState, Millis, rfc3339, short_age};

/// One condition, resolved against the fleet.
struct Target {
    condition: &'static str,
    subject: String,
    regions: Vec<String>,
    hold: Duration,
    /// Whether the provider reports how long the condition has held (health does);
    /// otherwise the waiter measures it from its own polls.
    self_timed: bool,
    under: Option<Duration>,
    wait: WaitArgs,
}

/// `meridian wait CONDITION`: exit 0 once the gate holds, 1 on timeout, 2 on a bad target.
pub async fn run(condition: WaitCondition, global: &GlobalArgs) -> Result<Exit, Failure> {
    let ctx = Context::load(&global.session())?;
    if let WaitCondition::Recovered { wait } = condition {
        return super::wait_recovered::run(&ctx, &wait, global).await;
    }
    if let WaitCondition::Quiet {
        prefix,
        tag,
        region,
        hold,
        wait,
    } = condition
    {
        let scope = super::wait_quiet::Scope {
            prefix,
            tag,
            region,
            hold,
        };
        return super::wait_quiet::run(&ctx, scope, &wait, global).await;
    }
    let target = resolve(condition, &ctx.fleet)?;
    // A simulated world runs `speed` times faster than the wall clock: count the timeout
    // (and self-measured holds) in its time, as the gate's own "healthy since" does.
    let speed = if all_simulated(&ctx.fleet) && ctx.sim.speed > 0.0 {
        ctx.sim.speed
    } else {
        1.0
    };
    let started = Instant::now();
    let elapsed = || started.elapsed().mul_f64(speed);
    let mut previous: Option<FleetState> = None;
    let mut hold = Hold::default();
    let mut polls = 0u32;
    let mut last_reason = String::new();
    eprintln!("waiting for {}", describe(&target));
    loop {
        let state = poll(&ctx.fleet, &ctx.providers, previous.as_ref()).await;
        polls += 1;
        let gate = evaluate(&ctx.fleet, &target, &state, elapsed(), &mut hold);
        let waited = elapsed();
        if gate.reason != last_reason {
            eprintln!("[{}] {}", short_age(ms(waited)), gate.reason);
            last_reason = gate.reason.clone();
        }
        // A sync that failed in a hook does not heal by waiting: stop now, with the hook.
        if let Some(hook) = hook_failure(&target, &state).filter(|_| !gate.met) {
            let gate = Gate {
                met: false,
                reason: hook.clone(),
            };
            report(&target, &gate, &state, waited, polls, global.json);
            return Err(Failure::new(
                Exit::Failed,
                format!(
                    "stopped waiting for {}: {hook} (waiting will not fix it: fix the hook, then sync again)",
                    describe(&target)
                ),
            ));
        }
        let timed_out = !gate.met && waited >= target.wait.timeout;
        if gate.met || timed_out {
            report(&target, &gate, &state, waited, polls, global.json);
            if gate.met {
                return Ok(Exit::Done);
            }
            return Err(Failure::new(
                Exit::Failed,
                format!(
                    "timed out after {} waiting for {}: {}",
                    short_age(ms(target.wait.timeout)),
                    describe(&target),
                    gate.reason
                ),
            ));
        }
        tokio::time::sleep(target.wait.interval).await;
        previous = Some(state);
    }
}

fn ms(d: Duration) -> Millis {
    d.as_millis().min(Millis::MAX as u128) as Millis
}

fn all_simulated(fleet: &Fleet) -> bool {
    fleet.providers().iter().all(|p| *p == ProviderKind::Sim)
}

fn unknown(what: &str, id: &str, known: Vec<&str>) -> Failure {
    let hint = fleet::suggest::hint(id, known);
    Failure::new(Exit::Usage, format!("unknown {what} \"{id}\"{hint}"))
}

fn resolve(condition: WaitCondition, fleet: &Fleet) -> Result<Target, Failure> {
    let region_known = |id: &str| match fleet.region(id) {
        Some(_) => Ok(()),
        None => Err(unknown("region", id, fleet.region_ids())),
    };
    Ok(match condition {
        WaitCondition::Recovered { .. } | WaitCondition::Quiet { .. } => {
            return Err(Failure::new(
                Exit::Usage,
                "wait recovered is handled on its own",
            ));
        }
        WaitCondition::Healthy { region, hold, wait } => {
            region_known(&region)?;
            Target {
                condition: "healthy",
                subject: region.clone(),
                regions: vec![region],
                hold: hold.unwrap_or(fleet.policy.health_gate),
                self_timed: true,
                under: None,
                wait,
            }
        }
        WaitCondition::Lag {
            region,
            under,
            hold,
            wait,
        } => {
            region_known(&region)?;
            Target {
                condition: "lag",
                subject: region.clone(),
                regions: vec![region],
                hold: hold.unwrap_or_default(),
                self_timed: false,
                under: Some(under),
                wait,
            }
        }
        WaitCondition::Synced {
            tenant,
            region,
            hold,
            wait,
        } => {
            let Some(t) = fleet.tenant(&tenant) else {
                let ids = fleet.tenants.iter().map(|t| t.id.as_str()).collect();
                return Err(unknown("tenant", &tenant, ids));
            };
            let regions = match region {
                Some(r) if t.runs_in(&r) => vec![r],
                Some(r) => {
                    region_known(&r)?;
                    return Err(Failure::new(
                        Exit::Usage,
                        format!(
                            "tenant {tenant} does not run in {r}; it runs in {}",
                            t.regions.join(", ")
                        ),
                    ));
                }
                None => t.regions.iter().map(|r| r.to_string()).collect(),
            };
            Target {
                condition: "synced",
                subject: tenant,
                regions,
                hold: hold.unwrap_or_default(),
                self_timed: false,
                under: None,
                wait,
            }
        }
    })
}

/// The gate now, with `--for` applied.
fn evaluate(
    fleet: &crate::fleet::Fleet,
    target: &Target,
    state: &FleetState,
    elapsed: Duration,
    hold: &mut Hold,
) -> Gate {
    let now = state.observed_at;
    let gates: Vec<Gate> = target
        .regions
        .iter()
        .map(|region| match (target.condition, target.under) {
            ("healthy", _) => gates::healthy_for(state, region, target.hold, now),
            ("lag", Some(max)) => gates::lag_under(state, region, max),
            _ => gates::tenant_ready(fleet, state, &target.subject, region),
        })
        .collect();
    let gate = Gate::all(gates);
    if target.self_timed || target.hold.is_zero() {
        return gate;
    }
    let held = hold.observe(gate.met, ms(elapsed));
    if gate.met && held < ms(target.hold) {
        return Gate {
            met: false,
            reason: format!(
                "{} (held {} of {})",
                gate.reason,
                short_age(held),
                short_age(ms(target.hold))
            ),
        };
    }
    gate
}

/// For `wait synced`: the hook that stopped the tenant's last sync in one of the regions
/// (and no sync running now), in words.
fn hook_failure(t: &Target, state: &FleetState) -> Option<String> {
    if t.condition != "synced" {
        return None;
    }
    let failed: Vec<String> = t
        .regions
        .iter()
        .filter_map(|r| gates::hook_failed(state, &t.subject, r))
        .collect();
    (!failed.is_empty()).then(|| failed.join("; "))
}

fn describe(t: &Target) -> String {
    let hold = if t.hold.is_zero() {
        String::new()
    } else {
        format!(" for {}", short_age(ms(t.hold)))
    };
    match (t.condition, t.under) {
        ("lag", Some(max)) => format!("{} lag under {}{hold}", t.subject, short_age(ms(max))),
        ("synced", _) => format!(
            "{} Synced and Healthy in {}{hold}",
            t.subject,
            t.regions.join(", ")
        ),
        _ => format!("{} healthy{hold}", t.subject),
    }
}

fn report(t: &Target, gate: &Gate, state: &FleetState, waited: Duration, polls: u32, json: bool) {
    if json {
        let doc = json!({
            "condition": t.condition,
            "target": t.subject,
            "regions": t.regions,
            "met": gate.met,
            "reason": gate.reason,
            "for_seconds": t.hold.as_secs(),
            "under_seconds": t.under.map(|u| u.as_secs_f64()),
            "timeout_seconds": t.wait.timeout.as_secs(),
            "waited_seconds": waited.as_secs(),
            "polls": polls,
            "observed_at": rfc3339(state.observed_at),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if gate.met {
        println!("met: {}", gate.reason);
    }
}
