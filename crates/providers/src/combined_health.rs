//! A region whose health has several sources (`health = [{ provider = "http" }, { provider
//! = "route53", ... }]`): every source is read at once, the verdict is the worst of them,
//! and the reason names each source that is not healthy. Each source is read at its own
//! pace (given by the engine's schedule, `engine::schedule::health_source_intervals`): a Route 53 status check beside a
//! 5-second HTTP probe is asked every 30 s, within its family's budget, and in between its
//! last answer stands, its age in the reason. After its first answer a source waits its
//! phase as well, so the fleet's checks of one API fall due across the interval, not
//! together.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use async_trait::async_trait;
use futures::future::join_all;

use super::{HealthProvider, ProviderError, ProviderResult};
use meridian_model::fleet::Region;
use meridian_model::state::{Health, HealthStatus};

/// How often one source of a region's health is read, and its slot in that interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourcePace {
    pub every: Duration,
    /// Added once, after its first reading, so the sources of one API across the fleet
    /// (every region's Route 53 status check) do not all fall due together.
    pub phase: Duration,
}

/// Several health sources of one region, by provider name.
pub struct CombinedHealth {
    sources: Vec<Source>,
    /// How early a source may be asked: half the quickest interval, so a source due every
    /// 30 s on a region read every 5 s is read every 30-35 s, not every 35-40 s.
    slack: Duration,
}

struct Source {
    name: &'static str,
    provider: Arc<dyn HealthProvider>,
    /// How often it is read (zero: at every reading of the region's health), and its slot.
    pace: SourcePace,
    /// Its last answer.
    last: Mutex<Option<Kept>>,
}

#[derive(Clone)]
struct Kept {
    /// When it came.
    at: Instant,
    /// When the source is asked again.
    due: Instant,
    answer: ProviderResult<Health>,
}

impl CombinedHealth {
    /// `paces` gives each source's interval and phase, in order; a source without one is
    /// read every time.
    pub fn new(
        sources: Vec<(&'static str, Arc<dyn HealthProvider>)>,
        paces: &[SourcePace],
    ) -> CombinedHealth {
        let sources: Vec<Source> = sources
            .into_iter()
            .enumerate()
            .map(|(i, (name, provider))| Source {
                name,
                provider,
                pace: paces.get(i).copied().unwrap_or_default(),
                last: Mutex::new(None),
            })
            .collect();
        let slack = sources
            .iter()
            .map(|s| s.pace.every)
            .min()
            .unwrap_or_default()
            / 2;
        CombinedHealth { sources, slack }
    }

    /// The source's answer: its last one while that is not yet due again (`slack`
    /// included), else a new one.
    async fn answer(&self, s: &Source, region: &Region) -> (ProviderResult<Health>, Duration) {
        let kept = s.last.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let first = kept.is_none();
        if let Some(k) = kept
            && Instant::now() + self.slack < k.due
        {
            return (k.answer, k.at.elapsed());
        }
        let answer = s.provider.read_health(region).await;
        let at = Instant::now();
        let wait = s.pace.every + if first { s.pace.phase } else { Duration::ZERO };
        *s.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Kept {
            at,
            due: at + wait,
            answer: answer.clone(),
        });
        (answer, Duration::ZERO)
    }
}

/// ` (read 25s ago)` for an answer kept from an earlier reading.
fn aged(age: Duration) -> String {
    match age.as_secs() {
        0 => String::new(),
        n => format!(" (read {n}s ago)"),
    }
}

/// Down is worst, then unknown (nobody can vouch for it), then degraded.
fn badness(s: HealthStatus) -> u8 {
    match s {
        HealthStatus::Healthy => 0,
        HealthStatus::Degraded => 1,
        HealthStatus::Unknown => 2,
        HealthStatus::Down => 3,
    }
}

#[async_trait]
impl HealthProvider for CombinedHealth {
    async fn read_health(&self, region: &Region) -> ProviderResult<Health> {
        let reads = join_all(self.sources.iter().map(|s| self.answer(s, region))).await;
        if reads.iter().all(|(r, _)| r.is_err()) {
            let why: Vec<String> = self
                .sources
                .iter()
                .zip(&reads)
                .filter_map(|(s, (r, age))| {
                    r.as_ref()
                        .err()
                        .map(|e| format!("{}: {}{}", s.name, e.message, aged(*age)))
                })
                .collect();
            return Err(ProviderError::new(
                Some(&region.id),
                "health",
                why.join("; "),
            ));
        }
        let mut status = HealthStatus::Healthy;
        let mut reasons = Vec::new();
        let mut latency_ms = None;
        let mut since = Some(i64::MIN);
        for (source, (read, age)) in self.sources.iter().zip(reads) {
            let h = read.unwrap_or_else(|e| Health {
                status: HealthStatus::Unknown,
                reason: e.message,
                latency_ms: None,
                healthy_since: None,
                unhealthy_since: None,
            });
            if badness(h.status) > badness(status) {
                status = h.status;
            }
            latency_ms = latency_ms.or(h.latency_ms);
            // Healthy as a whole since the latest of the sources became healthy.
            since = match (since, h.healthy_since) {
                (Some(a), Some(b)) if h.status == HealthStatus::Healthy => Some(a.max(b)),
                _ => None,
            };
            reasons.push((
                h.status,
                format!("{}: {}{}", source.name, h.reason, aged(age)),
            ));
        }
        // The sources that make the verdict come first.
        reasons.sort_by_key(|(s, _)| std::cmp::Reverse(badness(*s)));
        Ok(Health {
            status,
            reason: reasons
                .into_iter()
                .map(|(_, r)| r)
                .collect::<Vec<_>>()
                .join("; "),
            latency_ms,
            healthy_since: since.filter(|_| status == HealthStatus::Healthy),
            unhealthy_since: None,
        })
    }

    async fn begin_round(&self) {
        for s in &self.sources {
            *s.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Healthy, counting how often it was asked.
    struct Counting(AtomicUsize);

    #[async_trait]
    impl HealthProvider for Counting {
        async fn read_health(&self, _: &Region) -> ProviderResult<Health> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Health {
                status: HealthStatus::Healthy,
                reason: format!("answer {n}"),
                latency_ms: None,
                healthy_since: Some(0),
                unhealthy_since: None,
            })
        }
    }

    fn asked(p: &Counting) -> usize {
        p.0.load(Ordering::SeqCst)
    }

    fn pace(every: u64, phase: u64) -> SourcePace {
        SourcePace {
            every: Duration::from_secs(every),
            phase: Duration::from_secs(phase),
        }
    }

    /// A region with an HTTP probe read every 5 s beside a Route 53 check read at `check`'s
    /// pace, each counting how often it is asked.
    fn probe_and_check(
        check: SourcePace,
    ) -> (Region, Arc<Counting>, Arc<Counting>, CombinedHealth) {
        let region = meridian_model::fleet::demo().regions[0].clone();
        let probe = Arc::new(Counting(AtomicUsize::new(0)));
        let checks = Arc::new(Counting(AtomicUsize::new(0)));
        let both = CombinedHealth::new(
            vec![("http", probe.clone()), ("route53", checks.clone())],
            &[pace(5, 0), check],
        );
        (region, probe, checks, both)
    }

    #[tokio::test(start_paused = true)]
    async fn each_source_is_read_at_its_own_pace_and_its_kept_answer_shows_its_age() {
        let (region, probe, check, both) = probe_and_check(pace(30, 0));
        let h = both.read_health(&region).await.unwrap();
        assert_eq!(h.reason, "http: answer 1; route53: answer 1");
        for _ in 0..4 {
            tokio::time::advance(Duration::from_secs(5)).await;
            both.read_health(&region).await.unwrap();
        }
        assert_eq!((asked(&probe), asked(&check)), (5, 1));
        let h = both.read_health(&region).await.unwrap();
        // Asked again at once, each source's last answer stands.
        assert_eq!(h.reason, "http: answer 5; route53: answer 1 (read 20s ago)");
        assert_eq!(h.status, HealthStatus::Healthy);
        // Due within half the quickest interval: read at 28 s, not at 35 s.
        tokio::time::advance(Duration::from_secs(8)).await;
        let h = both.read_health(&region).await.unwrap();
        assert_eq!(h.reason, "http: answer 6; route53: answer 2");
        // A one-shot round asks everything afresh.
        both.begin_round().await;
        both.read_health(&region).await.unwrap();
        assert_eq!((asked(&probe), asked(&check)), (7, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_waits_its_phase_once_after_its_first_answer() {
        let (region, probe, check, both) = probe_and_check(pace(30, 10));
        // Read every 5 s for 95 s: the check at 0, then at 40 (30 + its phase of 10), 70.
        let mut checked_at = Vec::new();
        for t in 0..20u64 {
            let before = asked(&check);
            both.read_health(&region).await.unwrap();
            if asked(&check) > before {
                checked_at.push(t * 5);
            }
            tokio::time::advance(Duration::from_secs(5)).await;
        }
        assert_eq!(checked_at, vec![0, 40, 70]);
        assert_eq!(asked(&probe), 20);
    }
}
