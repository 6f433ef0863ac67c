//! A failover or recovery template that would fail if run now (the dashboard runs
//! preflight on them every 30 minutes): found before the incident that needs it.

use super::{Finding, Judge, Kind, Urgency};
use crate::actions::preflight::Status;

pub(super) fn findings(j: &mut Judge) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in j.records.preflight.iter().filter(|p| !p.ready) {
        let key = format!("{}/{}", Kind::PreflightFailing.name(), p.template);
        let since = j.since(&key, None);
        let fails: Vec<String> = p
            .failures()
            .map(|i| format!("{}: {}", i.check, i.detail))
            .collect();
        let mut regions: Vec<String> = Vec::new();
        for r in p
            .items
            .iter()
            .filter(|i| i.status == Status::Fail)
            .filter_map(|i| i.region.clone())
        {
            if !regions.contains(&r) {
                regions.push(r);
            }
        }
        let command = format!("meridian preflight {}", p.template);
        let mut f = j.finding(
            Kind::PreflightFailing,
            Urgency::Medium,
            &p.template,
            p.headline(),
            format!(
                "preflight of rollout {} found {} problem{}: {}",
                p.template,
                fails.len(),
                if fails.len() == 1 { "" } else { "s" },
                fails.join("; ")
            ),
            Some(since),
            "the failover would stop part-way when it is needed most; put it right now, while nothing is burning".into(),
            regions,
            Err(format!(
                "nothing to run now: fix what preflight names, then `{command}` says whether it is ready"
            )),
        );
        f.command = Some(command);
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Records, Suggestion, assess};
    use super::*;
    use crate::actions::preflight::{self, Records as Read};
    use crate::actions::testkit::{NOW, state};
    use meridian_model::fleet::{FleetSource, parse};

    /// The demo's failover over Route 53, eu-west-1 with or without a health check.
    fn fleet(eu_health: &str) -> meridian_model::fleet::Fleet {
        let text = format!(
            r#"
[fleet]
name = "r53"
[traffic]
provider = "route53"
hosted_zone_id = "Z1"
record_name = "app.example.com"
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 50
health = {{ provider = "route53", health_check_id = "hc-use1" }}
[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 50
{eu_health}
[[rollouts]]
id = "failover-eu-west-1"
name = "Fail over to eu-west-1"
kind = "failover"
steps = [{{ drain = "us-east-1" }}, {{ promote = "eu-west-1" }}]
"#
        );
        parse(&text, "r53.toml", FleetSource::File("r53.toml".into())).expect("fleet")
    }

    fn judged(f: &meridian_model::fleet::Fleet) -> Vec<super::super::Finding> {
        let s = state(f);
        let read = Read {
            lock: Some(Ok(None)),
            lock_where: "lock file x".into(),
            rollout: None,
            sim_writable: Some(Ok(())),
        };
        let reports = preflight::evaluate_all(f, &s, &read, NOW);
        assert_eq!(reports.len(), 1);
        let records = Records {
            preflight: &reports,
            ..Records::default()
        };
        assess(f, &s, records, NOW).findings
    }

    #[test]
    fn a_failover_that_would_fail_is_a_finding_naming_why_with_the_preflight_command() {
        let all = judged(&fleet(""));
        let p: Vec<_> = all
            .iter()
            .filter(|f| f.kind == Kind::PreflightFailing)
            .collect();
        assert_eq!(p.len(), 1, "{all:#?}");
        let f = p[0];
        assert_eq!(
            f.title,
            "failover to eu-west-1 would fail today: its health check is missing"
        );
        assert_eq!(f.id, "preflight-failing/failover-eu-west-1");
        assert_eq!(f.urgency, Urgency::Medium);
        assert_eq!(f.regions, vec!["eu-west-1".to_string()]);
        assert_eq!(
            f.command.as_deref(),
            Some("meridian preflight failover-eu-west-1")
        );
        assert!(
            matches!(&f.suggestion, Suggestion::None { why } if why.contains("meridian preflight failover-eu-west-1")),
            "{:?}",
            f.suggestion
        );
        assert!(
            f.what
                .contains("eu-west-1 health check: its health check is missing"),
            "{}",
            f.what
        );
        assert_eq!(
            f.line(),
            "failover to eu-west-1 would fail today: its health check is missing -> no safe action"
        );
    }

    #[test]
    fn a_ready_failover_is_no_finding() {
        let all = judged(&fleet(
            r#"health = { provider = "route53", health_check_id = "hc-euw1" }"#,
        ));
        assert!(
            all.iter().all(|f| f.kind != Kind::PreflightFailing),
            "{all:#?}"
        );
    }
}
