//! The stable names that files, flags and JSON use, now derived by strum: pinned here so a
//! derive attribute can never rename one silently.

use meridian::actions::{Action, AuditOutcome, Guard};
use meridian::fleet::{ProviderKind, Role};
use meridian::state::{AppHealth, HealthStatus, PhaseStatus, SyncStatus};
use meridian::tui::command::{Command, Mode};

#[test]
fn guard_names_are_stable_and_round_trip() {
    let names: Vec<&str> = Guard::ALL.iter().map(|g| g.name()).collect();
    assert_eq!(
        names,
        [
            "read-only",
            "reason-required",
            "weight-range",
            "all-weights-zero",
            "last-healthy-region",
            "unhealthy-target",
            "health-gate",
            "phases-incomplete",
            "stale-data",
            "already-primary",
            "replication-lag",
            "phase-order",
            "phase-running",
            "revision-unknown",
            "auto-sync",
            "no-change",
            "operation-in-progress",
            "applicationset-reverts",
            "hooks-skipped",
            "sync-window",
            "helm-pending",
            "argo-managed",
            "rejoin-target",
            "fenced-serving",
            "geo-coverage",
            "freeze",
            "tenants-homed",
            "tenant-app-not-ready",
            "last-signup-region",
            "routing-unknown",
        ]
    );
    for g in Guard::ALL {
        assert_eq!(Guard::parse(g.name()), Some(*g));
        assert_eq!(serde_json::to_value(g).unwrap(), g.name());
    }
    assert_eq!(Guard::parse("Health-Gate"), None);
}

#[test]
fn provider_names_are_stable_and_round_trip() {
    let names: Vec<&str> = ProviderKind::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "sim",
            "route53",
            "cloudwatch",
            "postgres",
            "redis",
            "aurora",
            "azure-traffic-manager",
            "cloudflare",
            "http",
            "shell",
            "argocd",
            "helm",
            "kube",
            "file",
            "cloudflare-kv",
            "elasticache-global"
        ]
    );
    for p in ProviderKind::ALL {
        assert_eq!(ProviderKind::parse(p.as_str()), Some(*p));
        assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
    }
    assert_eq!(ProviderKind::parse("route-53"), None);
}

#[test]
fn state_names_match_their_serde_names() {
    for h in [
        HealthStatus::Healthy,
        HealthStatus::Degraded,
        HealthStatus::Down,
        HealthStatus::Unknown,
    ] {
        assert_eq!(serde_json::to_value(h).unwrap(), h.as_str());
    }
    for p in [
        PhaseStatus::Pending,
        PhaseStatus::Running,
        PhaseStatus::Succeeded,
        PhaseStatus::Failed,
    ] {
        assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
    }
    assert_eq!(SyncStatus::OutOfSync.as_str(), "OutOfSync");
    assert_eq!(AppHealth::Progressing.as_str(), "Progressing");
    assert_eq!(AuditOutcome::LockHeld.as_str(), "lock-held");
    assert_eq!(Role::Secondary.as_str(), "secondary");
    assert_eq!("primary".parse::<Role>().ok(), Some(Role::Primary));
}

#[test]
fn action_names_match_their_serde_tags() {
    let a = Action::SetWeights { weights: vec![] };
    assert_eq!(a.name(), "set-weights");
    assert_eq!(serde_json::to_value(&a).unwrap()["action"], a.name());
    let a = Action::RunPhase {
        region: "r".into(),
        phase: "p".into(),
    };
    assert_eq!(serde_json::to_value(&a).unwrap()["action"], "run-phase");
}

#[test]
fn every_command_has_a_name_and_a_description() {
    for c in Command::ALL {
        assert!(!c.describe().is_empty(), "{c} has no description");
        assert_eq!(Command::parse(c.name()), Some(*c));
    }
    assert_eq!(Command::RestoreAll.name(), "restore-all");
    assert_eq!(Mode::parse("picker"), Some(Mode::Picker));
    assert_eq!(Mode::Help.name(), "help");
}
