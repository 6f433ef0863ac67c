//! How often each subject is read, and how long one reading may take.
//!
//! Each capability polls at a rate that fits its source: a one-minute CloudWatch metric is
//! not read every 2 s, a Route 53 weight (changed only by people) not every second. The
//! fleet file can set `poll` and `timeout` on any capability table, and `[budget]` caps
//! what polling may spend per provider family, so a dashboard never eats the API budget a
//! failover needs. Polling that is throttled anyway backs off (see `live`).

use std::collections::BTreeMap;
use std::time::Duration;

use super::Subject;
use meridian_model::fleet::settings::{Dur, HealthCheckSource, Settings};
use meridian_model::fleet::{Capability, Fleet, ProviderKind};
use meridian_providers::combined_health::SourcePace;

/// Default deadline for one reading: the fleet file's default `timeout`.
pub const DEFAULT_DEADLINE: Duration = meridian_model::fleet::DEFAULT_TIMEOUT;

/// Default deadline of a reading made of many calls (the tenant map, alarms).
pub const MANY_CALLS_DEADLINE: Duration = Duration::from_secs(30);

/// When and how long to read one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The period: readings start this far apart (see `engine::live` for a reading that
    /// overruns it).
    pub every: Duration,
    /// The most one reading may take; past it the reading fails as timed out.
    pub deadline: Duration,
    /// The subject's slot in its interval: added once, after the first reading, so later
    /// readings of one kind spread out (see `spread`).
    pub offset: Duration,
}

pub use meridian_model::pace::{SLOT, grid_clock, next_slot, origin};

/// The capability table that serves a subject.
pub fn capability<'a>(fleet: &'a Fleet, subject: &Subject) -> Option<&'a Capability> {
    let region = |id: &str| fleet.region(id);
    Some(match subject {
        Subject::Weights => &fleet.traffic,
        Subject::Health(r) => &region(r)?.health,
        // Lag is what changes; role reads ride along on its schedule.
        Subject::Database(r) => &region(r)?.lag,
        Subject::Phases(_) => &fleet.runner,
        Subject::Apps(_) => &fleet.gitops,
        Subject::Releases(r) => fleet
            .tenants
            .iter()
            .filter(|t| t.runs_in(r))
            .find_map(|t| t.helm.as_ref())?,
        Subject::Routing => fleet.tenant_routing.as_ref()?,
        Subject::Alarms => fleet.alarms.as_ref()?,
    })
}

/// The provider's natural polling interval for a subject.
fn default_every(cap: &Capability, subject: &Subject) -> Duration {
    let secs = match (cap.provider, subject) {
        (ProviderKind::Sim, _) => 2,
        // Weights change only when someone changes them; meridian refreshes right after
        // its own changes, so a quarter-minute is fresh enough for others' changes.
        (ProviderKind::Route53, Subject::Weights) => 15,
        (ProviderKind::Route53, _) if reads_status(cap) => 30,
        // The HealthCheckStatus metric has one datapoint a minute.
        (ProviderKind::Route53, _) => 60,
        // One-minute metrics; the Aurora control plane is not something to poll hard.
        (ProviderKind::Cloudwatch | ProviderKind::Aurora, _) => 60,
        // One query on a kept connection to a database we operate: cheap.
        (ProviderKind::Postgres | ProviderKind::Redis, _) => 2,
        // Vendor REST APIs with account-wide limits (Cloudflare: 1,200 requests per five
        // minutes; ARM reads per subscription): weights change only when people change them.
        (ProviderKind::Cloudflare | ProviderKind::AzureTrafficManager, Subject::Weights) => 15,
        (ProviderKind::Cloudflare | ProviderKind::AzureTrafficManager, _) => 30,
        // Probes of our own endpoints: cheap, and what the health gate counts on.
        (ProviderKind::Http, _) => 5,
        // Phase state is a local file the runner keeps.
        (ProviderKind::Shell, _) => 2,
        // Argo CD is watched; this is the pace of one-shot refreshes if it ever is polled.
        (ProviderKind::Argocd, _) => 10,
        // Release Secrets change only when someone runs Helm.
        (ProviderKind::Helm, _) => 10,
        (ProviderKind::Kube | ProviderKind::File, _) => 30,
        // The tenant map changes when a tenant signs up or moves: a minute is fresh enough,
        // and a big map is many calls (a page per thousand keys, a call per hundred values).
        (ProviderKind::CloudflareKv, _) => 60,
        // The ElastiCache control plane, like Aurora's: roles change only on a failover.
        (ProviderKind::ElasticacheGlobal, _) => 60,
    };
    Duration::from_secs(secs)
}

/// Whether a health source reads the `HealthCheckStatus` metric (or another CloudWatch
/// metric), which one `GetMetricData` per refresh fetches for every region.
fn reads_metrics(cap: &Capability) -> bool {
    cap.provider == ProviderKind::Cloudwatch
        || (cap.provider == ProviderKind::Route53 && !reads_status(cap))
}

/// Whether a Route 53 health check is read with `GetHealthCheckStatus` (`source = "status"`).
fn reads_status(cap: &Capability) -> bool {
    matches!(&cap.settings, Settings::Route53Health(h) if h.source == Some(HealthCheckSource::Status))
}

/// The API family one source of a subject spends budget on, and calls per reading.
/// `metric_sources` is how many sources of the fleet read metrics (they share one call).
fn family_of(
    cap: &Capability,
    subject: &Subject,
    metric_sources: usize,
) -> Option<(&'static str, f64)> {
    match (cap.provider, subject) {
        (ProviderKind::Route53, Subject::Weights) => Some(("route53", 1.0)),
        (ProviderKind::Route53, _) if reads_status(cap) => Some(("route53", 1.0)),
        // DescribeAlarms per AWS region (tags and history cost more when asked for).
        (ProviderKind::Cloudwatch, Subject::Alarms) => Some(("cloudwatch", 1.0)),
        // Metric readings share one GetMetricData per AWS region and refresh: count them as
        // one call shared by every source, of any region, that reads metrics.
        (ProviderKind::Route53 | ProviderKind::Cloudwatch, _) => {
            Some(("cloudwatch", 1.0 / metric_sources.max(1) as f64))
        }
        (ProviderKind::Aurora, _) => Some(("rds", 1.0)),
        (ProviderKind::ElasticacheGlobal, _) => Some(("elasticache", 1.0)),
        // Pools, then each load balancer.
        (ProviderKind::Cloudflare, Subject::Weights) => {
            let lbs = match &cap.settings {
                Settings::CloudflareTraffic(t) => t.load_balancers.len().max(1),
                _ => 1,
            };
            Some(("cloudflare", 1.0 + lbs as f64))
        }
        (ProviderKind::Cloudflare, _) => Some(("cloudflare", 1.0)),
        // A list page and a bulk read at least; a big map spends more (one page per
        // thousand tenants, one bulk read per hundred).
        (ProviderKind::CloudflareKv, _) => Some(("cloudflare", 2.0)),
        // One GET of the profile carries every endpoint's weight and monitor status.
        (ProviderKind::AzureTrafficManager, _) => Some(("azure", 1.0)),
        _ => None,
    }
}

/// One source a subject reads, by its capability table (a region's health may have
/// several, `health = [{...}, {...}]`, each read at its own pace).
struct Feed<'a> {
    subject: Subject,
    cap: &'a Capability,
}

/// Every source of every subject, a subject's first source first.
fn feeds(fleet: &Fleet) -> Vec<Feed<'_>> {
    Subject::all(fleet)
        .into_iter()
        .flat_map(|subject| {
            let more: Vec<&Capability> = match &subject {
                Subject::Health(r) => fleet
                    .region(r)
                    .map(|r| r.more_health.iter().collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            capability(fleet, &subject)
                .into_iter()
                .chain(more)
                .map(|cap| Feed {
                    subject: subject.clone(),
                    cap,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Budgets when the fleet file sets none, in polling calls per minute: about a tenth of
/// each API's account-wide limit (Route 53 allows 5 requests per second per account, and
/// every other tool and the failover itself share it).
pub fn default_budget(family: &str) -> Option<f64> {
    match family {
        "route53" => Some(30.0),
        "cloudwatch" => Some(60.0),
        "rds" => Some(10.0),
        "elasticache" => Some(10.0),
        // Cloudflare allows 1,200 requests per five minutes per user: 240 a minute.
        "cloudflare" => Some(24.0),
        // ARM allows about 12,000 reads an hour per subscription.
        "azure" => Some(20.0),
        _ => None,
    }
}

/// Per budgeted family: planned and allowed calls per minute.
pub type Budgets = BTreeMap<&'static str, (f64, f64)>;

/// Every subject's schedule, and per budgeted family the planned and allowed calls per
/// minute. Intervals of a family over its budget are stretched evenly until it fits, and
/// the family's readings are spread across the interval instead of fired together. A
/// subject with several sources is read as often as its most frequent one; each source
/// then reads only when its own interval is due (see `health_source_intervals`).
pub fn plan(fleet: &Fleet) -> (Vec<(Subject, Schedule)>, Budgets) {
    let (feeds, feed_schedules, budgets) = plan_feeds(fleet);
    let mut out: Vec<(Subject, Schedule)> = Vec::new();
    for (feed, sch) in feeds.iter().zip(feed_schedules) {
        match out.last_mut() {
            // A subject's reading is bounded by its first source's deadline. It is read at
            // its quickest source's pace, in that source's slot; a slower source's slot is
            // its phase (`health_source_intervals`).
            Some((subject, whole)) if *subject == feed.subject => {
                if sch.every < whole.every {
                    whole.every = sch.every;
                    whole.offset = sch.offset;
                }
            }
            _ => out.push((feed.subject.clone(), sch)),
        }
    }
    (out, budgets)
}

/// Per region with several health sources, how often each source is read, in the order
/// of the fleet file (a Route 53 status check beside an HTTP probe is not asked every 5 s).
pub fn health_source_intervals(fleet: &Fleet) -> BTreeMap<String, Vec<SourcePace>> {
    let (feeds, schedules, _) = plan_feeds(fleet);
    let mut out: BTreeMap<String, Vec<SourcePace>> = BTreeMap::new();
    for (feed, sch) in feeds.iter().zip(schedules) {
        if let Subject::Health(r) = &feed.subject {
            out.entry(r.clone()).or_default().push(SourcePace {
                every: sch.every,
                phase: sch.offset,
            });
        }
    }
    out.retain(|_, v| v.len() > 1);
    out
}

/// Every feed's schedule, budgets applied, and the budgets.
fn plan_feeds(fleet: &Fleet) -> (Vec<Feed<'_>>, Vec<Schedule>, Budgets) {
    let feeds = feeds(fleet);
    let mut out: Vec<Schedule> = feeds
        .iter()
        .map(|f| {
            let pace = f.cap.settings.pace();
            let every = pace
                .poll
                .map_or_else(|| default_every(f.cap, &f.subject), Dur::get);
            let deadline = pace.timeout.map_or(
                match f.subject {
                    // Many calls per reading (pages of keys, bulk reads of values; every
                    // alarm's tags and history); the simulator answers at once.
                    Subject::Routing | Subject::Alarms if f.cap.provider != ProviderKind::Sim => {
                        MANY_CALLS_DEADLINE
                    }
                    _ => DEFAULT_DEADLINE,
                },
                Dur::get,
            );
            Schedule {
                every: every.max(Duration::from_millis(100)),
                deadline,
                offset: Duration::ZERO,
            }
        })
        .collect();
    let mut budgets = BTreeMap::new();
    let metric_sources = feeds
        .iter()
        .filter(|f| {
            !matches!(f.subject, Subject::Weights | Subject::Alarms) && reads_metrics(f.cap)
        })
        .count();
    let families: Vec<Option<(&'static str, f64)>> = feeds
        .iter()
        .map(|f| family_of(f.cap, &f.subject, metric_sources))
        .collect();
    let mut names: Vec<&'static str> = families.iter().flatten().map(|(f, _)| *f).collect();
    names.sort();
    names.dedup();
    for name in names {
        let members: Vec<usize> = (0..out.len())
            .filter(|&i| families[i].is_some_and(|(f, _)| f == name))
            .collect();
        let rate = |out: &[Schedule]| -> f64 {
            members
                .iter()
                .map(|&i| {
                    let cost = families[i].map(|(_, c)| c).unwrap_or(1.0);
                    cost * 60.0 / out[i].every.as_secs_f64()
                })
                .sum()
        };
        let budget = fleet
            .budgets
            .get(name)
            .copied()
            .or_else(|| default_budget(name));
        if let Some(b) = budget.filter(|b| *b > 0.0) {
            let planned = rate(&out);
            if planned > b {
                let stretch = planned / b;
                for &i in &members {
                    out[i].every = out[i].every.mul_f64(stretch);
                }
            }
        }
        budgets.insert(name, (rate(&out), budget.unwrap_or(f64::INFINITY)));
    }
    // Spread each kind of reading across its interval: a budgeted family's calls, else
    // one provider's readings of one capability. Metric readings share one call, so they
    // stay together and the first one fetches for all; the simulator's readings touch no
    // backend, so they stay together too (spreading them would only wake the runtime more).
    let mut kinds: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in feeds.iter().enumerate() {
        let kind = match families[i] {
            Some(("cloudwatch", _)) => continue,
            None if f.cap.provider == ProviderKind::Sim => continue,
            Some((family, _)) => family.to_string(),
            None => format!("{}/{}", f.cap.provider.as_str(), f.subject.capability()),
        };
        kinds.entry(kind).or_default().push(i);
    }
    for members in kinds.values() {
        spread(members, &mut out);
    }
    (feeds, out, budgets)
}

/// Give each member its slot in its interval: as many slots as there are members, but
/// none narrower than `SLOT`, so members that share a slot start together.
fn spread(members: &[usize], out: &mut [Schedule]) {
    let n = members.len().max(1);
    for (k, &i) in members.iter().enumerate() {
        let every = out[i].every;
        let slots = ((every.as_millis() / SLOT.as_millis()) as usize).clamp(1, n);
        let slot = k * slots / n;
        out[i].offset = every.mul_f64(slot as f64 / slots as f64);
    }
}

/// Tell the API meter what polling this fleet plans to spend, and its budgets, so the
/// budget line and `status --json` can show plan next to spending.
pub fn publish(fleet: &Fleet) {
    let (_, budgets) = plan(fleet);
    for (family, (planned, budget)) in budgets {
        meridian_providers::ApiMeter::global().plan(
            family,
            planned,
            budget.is_finite().then_some(budget),
        );
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;

    fn fleet(src: &str) -> Fleet {
        match meridian_model::fleet::parse(
            src,
            "test.toml",
            meridian_model::fleet::FleetSource::Demo,
        ) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        }
    }

    fn regions(n: usize, health: &str) -> String {
        (0..n)
            .map(|i| {
                let role = if i == 0 { "primary" } else { "secondary" };
                format!("[[regions]]\nid = \"r{i}\"\nrole = \"{role}\"\nsteady_weight = 10\nhealth = {health}\n")
            })
            .collect()
    }

    const R53: &str = "[traffic]\nprovider = \"route53\"\nhosted_zone_id = \"Z1\"\nrecord_name = \"a.example.\"\n";

    #[test]
    fn the_demo_polls_every_two_seconds_with_a_five_second_deadline() {
        let (plan, budgets) = plan(&meridian_model::fleet::demo());
        assert!(budgets.is_empty());
        for (s, sch) in plan {
            assert_eq!(sch.every, Duration::from_secs(2), "{s}");
            assert_eq!(sch.deadline, DEFAULT_DEADLINE, "{s}");
        }
    }

    #[test]
    fn route53_status_health_on_many_regions_is_held_to_its_budget_and_spread() {
        let src = format!(
            "[fleet]\nname = \"t\"\n{R53}{}",
            regions(
                40,
                "{ provider = \"route53\", health_check_id = \"h\", source = \"status\" }"
            )
        );
        let f = fleet(&src);
        let (plan, budgets) = plan(&f);
        let (planned, budget) = budgets["route53"];
        assert_eq!(budget, 30.0);
        assert!(planned <= 30.0 + 1e-6, "planned {planned}/min");
        let health: Vec<&Schedule> = plan
            .iter()
            .filter(|(s, _)| matches!(s, Subject::Health(_)))
            .map(|(_, sch)| sch)
            .collect();
        let mut offsets: Vec<Duration> = health.iter().map(|s| s.offset).collect();
        offsets.dedup();
        assert_eq!(offsets.len(), 40, "each region's call has its own slot");
    }

    #[test]
    fn poll_and_timeout_keys_and_budget_table_are_honoured() {
        let src = format!(
            "[fleet]\nname = \"t\"\n[budget]\nroute53 = 120\n{}poll = \"5s\"\ntimeout = \"2s\"\n{}",
            R53,
            regions(
                2,
                "{ provider = \"route53\", health_check_id = \"h\", source = \"status\", poll = \"10s\" }"
            )
        );
        let f = fleet(&src);
        let (plan, budgets) = plan(&f);
        let weights = plan.iter().find(|(s, _)| *s == Subject::Weights).unwrap().1;
        assert_eq!(
            (weights.every, weights.deadline),
            (Duration::from_secs(5), Duration::from_secs(2))
        );
        let (planned, budget) = budgets["route53"];
        assert_eq!(budget, 120.0);
        // 12/min of weights + 6/min for each of the two health checks: under budget, unstretched.
        assert!((planned - 24.0).abs() < 1e-6, "{planned}");
    }

    #[test]
    fn a_second_health_source_is_planned_and_budgeted_at_its_own_pace() {
        // An HTTP probe first, a Route 53 status check second, on 40 regions: the checks
        // alone would be 80 calls a minute at their natural 30 s.
        let src = format!(
            "[fleet]\nname = \"t\"\n{R53}{}",
            regions(
                40,
                "[{ provider = \"http\", probes = [\"http://127.0.0.1:1/healthz\"] }, { provider = \"route53\", health_check_id = \"h\", source = \"status\" }]"
            )
        );
        let f = fleet(&src);
        let (plan, budgets) = plan(&f);
        let (planned, budget) = budgets["route53"];
        assert_eq!(budget, 30.0);
        assert!(
            planned > 29.0 && planned <= 30.0 + 1e-6,
            "planned {planned}/min"
        );
        let intervals = health_source_intervals(&f);
        assert_eq!(intervals.len(), 40);
        let r0 = &intervals["r0"];
        assert_eq!(r0[0].every, Duration::from_secs(5));
        // 4 weights + 80 checks a minute, stretched to 30: every 30 s x 84/30.
        let checks = r0[1].every;
        assert!(checks > Duration::from_secs(80), "{checks:?}");
        // The region is read at its probe's pace, in a slot of the probes' 5 s.
        let health: Vec<&Schedule> = plan
            .iter()
            .filter(|(s, _)| matches!(s, Subject::Health(_)))
            .map(|(_, sch)| sch)
            .collect();
        assert!(health.iter().all(|s| s.every == Duration::from_secs(5)));
        assert!(health.iter().all(|s| s.offset < Duration::from_secs(5)));
        // Each region's check has its own phase across the checks' interval, so they do
        // not all fall due together.
        let mut phases: Vec<Duration> = intervals.values().map(|v| v[1].phase).collect();
        phases.sort();
        phases.dedup();
        assert_eq!(phases.len(), 40);
        assert!(phases.iter().all(|p| *p < checks));
    }

    #[test]
    fn readings_of_one_kind_share_slots_no_narrower_than_a_quarter_second() {
        // 100 regions: the database read every 2 s fits 8 slots, the 5 s probes 20.
        let src = format!(
            "[fleet]\nname = \"t\"\n{}",
            (0..100)
                .map(|i| {
                    let role = if i == 0 { "primary" } else { "secondary" };
                    format!(
                        "[[regions]]\nid = \"r{i}\"\nrole = \"{role}\"\nsteady_weight = 10\nhealth = {{ provider = \"http\", probes = [\"http://127.0.0.1:1/\"] }}\nlag = {{ provider = \"postgres\", dsn_env = \"PG\" }}\n"
                    )
                })
                .collect::<String>()
        );
        let (plan, _) = plan(&fleet(&src));
        let slots = |pick: fn(&Subject) -> bool| {
            let mut offsets: Vec<Duration> = plan
                .iter()
                .filter(|(s, _)| pick(s))
                .map(|(_, sch)| sch.offset)
                .collect();
            offsets.sort();
            offsets.dedup();
            offsets
        };
        let db = slots(|s| matches!(s, Subject::Database(_)));
        assert_eq!(db.len(), 8, "{db:?}");
        assert!(db.windows(2).all(|w| w[1] - w[0] == SLOT), "{db:?}");
        assert_eq!(slots(|s| matches!(s, Subject::Health(_))).len(), 20);
    }

    #[test]
    fn metric_health_as_a_second_source_is_counted_against_cloudwatch() {
        let src = format!(
            "[fleet]\nname = \"t\"\n{R53}{}",
            regions(
                3,
                "[{ provider = \"http\", probes = [\"http://127.0.0.1:1/healthz\"] }, { provider = \"route53\", health_check_id = \"h\" }]"
            )
        );
        let (_, budgets) = plan(&fleet(&src));
        // One GetMetricData a minute for the three regions' metrics, against 60.
        let (planned, budget) = budgets["cloudwatch"];
        assert_eq!(budget, 60.0);
        assert!((planned - 1.0).abs() < 1e-6, "{planned}");
    }

    #[test]
    fn the_next_reading_keeps_its_slot_and_at_least_half_a_period_of_rest() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        // On time: one period after the slot it started in.
        assert_eq!(next_slot(t0, s(2), t0 + ms(30)), t0 + s(2));
        // A reading that ran 1.5 s of a 2 s period skips a slot rather than rest 0.5 s.
        assert_eq!(next_slot(t0, s(2), t0 + ms(1500)), t0 + s(4));
        // A refresh half a second after a reading keeps the next slot, 1.5 s on.
        assert_eq!(next_slot(t0, s(2), t0 + ms(2500)), t0 + s(4));
        // Long overdue (the machine slept): the first slot at least half a period ahead.
        assert_eq!(next_slot(t0, s(2), t0 + s(61)), t0 + s(62));
        // After the first reading, a slot late in the interval is kept.
        assert_eq!(next_slot(t0 + ms(1750), s(2), t0 + ms(20)), t0 + ms(1750));
    }

    /// The process's clocks (the readings' slots, the dashboard's second, the shared
    /// records, the simulated watch) all count from one instant, so their ticks coincide:
    /// a second's tick is always also a slot of every 2 s reading on the grid.
    #[test]
    fn every_clock_of_the_process_counts_from_one_origin() {
        let o = origin();
        assert_eq!(origin(), o);
        let now = Instant::now() + Duration::from_millis(1234);
        let second = next_slot(origin(), Duration::from_secs(1), now);
        let slot = next_slot(origin() + SLOT * 4, Duration::from_secs(2), now);
        let from_origin = |t: Instant| (t - o).as_millis();
        assert_eq!(from_origin(second) % 1000, 0);
        assert_eq!(from_origin(slot) % SLOT.as_millis(), 0);
        assert!(
            from_origin(slot) % 1000 == 0,
            "a 2 s slot at 1 s lands on a second"
        );
    }

    /// The dashboard's second and `meridian watch`'s clock tick on the same grid.
    #[tokio::test(start_paused = true)]
    async fn a_grid_clock_ticks_on_whole_periods_from_the_origin() {
        let mut clock = grid_clock(Duration::from_secs(1));
        for _ in 0..3 {
            let at = clock.tick().await;
            assert_eq!((at - origin()).as_millis() % 1000, 0);
        }
    }
}
