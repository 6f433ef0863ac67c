//! How the simulated world changes each simulated second, and the deterministic
//! randomness it uses: every draw is a pure function of (seed, tick, subject, stream).

use super::world::{Fault, SimRegion};
use meridian_model::fleet::Role;
use meridian_model::state::HealthStatus;

/// Lag samples kept per region.
const HISTORY_LEN: usize = 60;

pub(super) fn step_region(r: &mut SimRegion, seed: u64, tick: u64, subject: u64) {
    let roll = |stream: u64| unit(seed, tick, subject, stream);
    // Health.
    let flapping_down = r.fault == Fault::Flap && (tick / 20).is_multiple_of(2);
    let (health, reason) = if r.fault == Fault::Down || flapping_down {
        (
            HealthStatus::Down,
            "0/3 probes ok: connect timeout after 2s".to_string(),
        )
    } else if roll(1) < 0.004 {
        (
            HealthStatus::Degraded,
            "2/3 probes ok: /health/ready timed out".to_string(),
        )
    } else {
        (HealthStatus::Healthy, "3/3 probes ok".to_string())
    };
    match health {
        HealthStatus::Down => r.healthy_since_tick = None,
        _ if r.healthy_since_tick.is_none() => r.healthy_since_tick = Some(tick),
        _ => {}
    }
    r.health = health;
    r.health_reason = reason;
    // Probe latency wanders around its base, with the odd slow answer.
    r.latency_ms = match health {
        HealthStatus::Down => None,
        _ => {
            let jitter = 1.0 + 0.15 * (roll(2) * 2.0 - 1.0);
            let slow = if roll(3) < 0.01 {
                2.5 + roll(4) * 3.0
            } else {
                1.0
            };
            Some((r.base_latency_ms * jitter * slow * 10.0).round() / 10.0)
        }
    };
    // Replication lag: a random walk around the base, occasional spikes, a paused replay
    // under the lag fault, unknown while the region is down.
    r.lag = match (r.role, health) {
        (Role::Primary, _) => None,
        (_, HealthStatus::Down) => None,
        _ => {
            if r.fault == Fault::Lag {
                Some(r.lag.unwrap_or(r.base_lag) + 3.0)
            } else {
                if roll(5) < 0.0015 {
                    r.lag_spike = 30.0 + roll(6) * 120.0;
                }
                r.lag_spike *= 0.93;
                let prev = r
                    .lag
                    .unwrap_or(r.base_lag)
                    .min(r.base_lag * 4.0 + r.lag_spike);
                let pull = (r.base_lag - prev) * 0.2;
                let noise = (roll(7) * 2.0 - 1.0) * r.base_lag * 0.25;
                let value = (prev + pull + noise).max(0.05) + r.lag_spike;
                Some((value * 100.0).round() / 100.0)
            }
        }
    };
    r.lag_history.push(r.lag);
    if r.lag_history.len() > HISTORY_LEN {
        r.lag_history.remove(0);
    }
}

/// The first seven characters of a revision, as Git shows it.
pub fn short(rev: &str) -> &str {
    &rev[..rev.len().min(7)]
}

/// A 40-hex-digit commit id, stable for (seed, tenant, history id).
pub fn revision_sha(seed: u64, tenant: &str, id: u32) -> String {
    let mut h = seed ^ 0x5bd1_e995;
    for b in tenant.bytes() {
        h = splitmix(h ^ b as u64);
    }
    let mut out = String::with_capacity(40);
    let mut x = splitmix(h ^ id as u64);
    while out.len() < 40 {
        out.push_str(&format!("{x:016x}"));
        x = splitmix(x);
    }
    out.truncate(40);
    out
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in [0, 1) that depends only on its inputs.
pub fn unit(seed: u64, tick: u64, subject: u64, stream: u64) -> f64 {
    let x = splitmix(
        splitmix(splitmix(seed ^ tick.rotate_left(17)) ^ subject.rotate_left(31)) ^ stream,
    );
    (x >> 11) as f64 / (1u64 << 53) as f64
}
