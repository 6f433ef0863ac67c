//! Plans: before -> after, overrides, confirmation strength, the equivalent command.

use crate::actions::testkit::*;
use crate::actions::*;
use meridian_model::fleet::ConfirmStrength;
use meridian_model::state::HealthStatus;
use meridian_model::traffic::Ask;

fn plan_for(req: Request) -> Plan {
    let f = fleet();
    plan(&req, &f, &state(&f), NOW).unwrap()
}

fn check(p: &Plan, g: Guard) -> &Check {
    p.checks.iter().find(|c| c.guard == g).unwrap()
}

#[test]
fn drain_moves_one_weight_to_zero() {
    let p = plan_for(
        Request::new(Action::Drain {
            region: "eu-west-1".into(),
        })
        .reason("INC-1"),
    );
    assert_eq!(
        p.changes,
        vec![Change::new("eu-west-1", "weight", "30 (30%)", "0 (0%)")]
    );
    assert_eq!(
        p.operation,
        Some(Operation::SetWeights {
            weights: weights(&[("eu-west-1", 0)])
        })
    );
    assert!(!p.is_blocked());
    assert_eq!(p.button_label(), "Drain eu-west-1");
    assert_eq!(p.cli_equivalent, "meridian drain eu-west-1 --reason INC-1");
    assert!((p.blast_radius.traffic_share - 0.3).abs() < 1e-9);
    assert!(!p.blast_radius.production, "eu-west-1 serves staging only");
    assert_eq!(
        p.confirm,
        ConfirmStrength::TypeName,
        "the policy asks for the typed name on drains"
    );
    let prod = plan_for(
        Request::new(Action::Drain {
            region: "ap-southeast-1".into(),
        })
        .reason("INC-1"),
    );
    assert!(prod.blast_radius.production);
    assert_eq!(
        prod.environments,
        vec!["prd".to_string(), "stg".to_string()]
    );
}

#[test]
fn production_without_reason_is_blocked_and_cannot_be_overridden() {
    let p = plan_for(
        Request::new(Action::Drain {
            region: "ap-southeast-1".into(),
        })
        .override_guard("reason-required"),
    );
    assert!(p.is_blocked());
    assert!(check(&p, Guard::ReasonRequired).blocks());
}

#[test]
fn restore_puts_steady_weights_back() {
    let f = fleet();
    let mut s = state(&f);
    set_weight(&mut s, "eu-west-1", 0);
    set_weight(&mut s, "us-east-1", 90);
    let p = plan(
        &Request::new(Action::Restore { regions: vec![] }).reason("done"),
        &f,
        &s,
        NOW,
    )
    .unwrap();
    let after: Vec<(&str, &str)> = p
        .changes
        .iter()
        .map(|c| (c.subject.as_str(), c.after.as_str()))
        .collect();
    assert_eq!(
        after,
        vec![("us-east-1", "50 (50%)"), ("eu-west-1", "30 (30%)")]
    );
    let one = plan(
        &Request::new(Action::Restore {
            regions: vec!["eu-west-1".into()],
        })
        .reason("x"),
        &f,
        &s,
        NOW,
    )
    .unwrap();
    assert_eq!(
        one.changes.len(),
        1,
        "restoring one region leaves the others"
    );
    assert_eq!(one.target, "eu-west-1");
}

#[test]
fn set_weights_shows_shares_after() {
    let p = plan_for(
        Request::new(Action::SetWeights {
            weights: vec![
                ("us-east-1".into(), Ask::Units(90)),
                ("eu-west-1".into(), Ask::Units(10)),
            ],
        })
        .reason("deploy"),
    );
    let c: Vec<String> = p
        .changes
        .iter()
        .map(|c| format!("{} {} -> {}", c.subject, c.before, c.after))
        .collect();
    assert_eq!(
        c,
        vec![
            "us-east-1 50 (50%) -> 90 (75%)",
            "eu-west-1 30 (30%) -> 10 (8.3%)"
        ]
    );
    assert_eq!(
        p.cli_equivalent,
        "meridian weights us-east-1=90 eu-west-1=10 --reason deploy"
    );
}

#[test]
fn out_of_range_weight_has_no_operation() {
    let p = plan_for(
        Request::new(Action::SetWeights {
            weights: vec![("us-east-1".into(), Ask::Units(256))],
        })
        .reason("x"),
    );
    assert!(p.is_blocked());
    assert_eq!(p.operation, None);
}

#[test]
fn all_zero_is_refused_even_with_override() {
    let req = Request::new(Action::SetWeights {
        weights: vec![
            ("us-east-1".into(), Ask::Units(0)),
            ("eu-west-1".into(), Ask::Units(0)),
            ("ap-southeast-1".into(), Ask::Units(0)),
        ],
    })
    .reason("x")
    .override_guard("all-weights-zero");
    let p = plan_for(req);
    assert!(check(&p, Guard::AllWeightsZero).blocks());
}

#[test]
fn an_override_with_a_reason_lifts_an_overridable_block() {
    let f = fleet();
    let mut s = state(&f);
    set_health(&mut s, "eu-west-1", HealthStatus::Down);
    set_weight(&mut s, "eu-west-1", 0);
    let req = Request::new(Action::Restore {
        regions: vec!["eu-west-1".into()],
    })
    .reason("INC-9");
    let blocked = plan(&req, &f, &s, NOW).unwrap();
    assert!(check(&blocked, Guard::UnhealthyTarget).blocks());
    let p = plan(&req.clone().override_guard("unhealthy-target"), &f, &s, NOW).unwrap();
    let c = check(&p, Guard::UnhealthyTarget);
    assert!(c.overridden && !c.blocks());
    assert!(!p.is_blocked());
    assert!(
        p.cli_equivalent
            .contains("--override unhealthy-target --reason INC-9")
    );
    // Without a reason the override does not apply.
    let mut no_reason = req.override_guard("unhealthy-target");
    no_reason.reason = None;
    assert!(plan(&no_reason, &f, &s, NOW).unwrap().is_blocked());
}

#[test]
fn unknown_override_is_a_usage_error_with_a_suggestion() {
    let f = fleet();
    let err = plan(
        &Request::new(Action::Drain {
            region: "eu-west-1".into(),
        })
        .override_guard("phase-ordr"),
        &f,
        &state(&f),
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown guard \"phase-ordr\" for --override (did you mean \"phase-order\"?)"
    );
}

#[test]
fn unknown_names_suggest_the_nearest() {
    let f = fleet();
    let s = state(&f);
    let e = plan(
        &Request::new(Action::Drain {
            region: "eu-wset-1".into(),
        }),
        &f,
        &s,
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown region \"eu-wset-1\" (did you mean \"eu-west-1\"?)"
    );
    let e = plan(
        &Request::new(Action::Rollback {
            tenant: "payment-prd".into(),
            region: "eu-west-1".into(),
            to: None,
            via: None,
        }),
        &f,
        &s,
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown tenant \"payment-prd\" (did you mean \"payments-prd\"?)"
    );
    let e = plan(
        &Request::new(Action::RunPhase {
            region: "ap-south-1".into(),
            phase: "smoke".into(),
        }),
        &f,
        &s,
        NOW,
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("unknown phase \"smoke\""), "{e}");
    let e = plan(
        &Request::new(Action::Rollback {
            tenant: "payments-prd".into(),
            region: "ap-south-1".into(),
            to: None,
            via: None,
        }),
        &f,
        &s,
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "tenant payments-prd does not run in ap-south-1 (it runs in: us-east-1, ap-southeast-1)"
    );
}

#[test]
fn promote_swaps_roles_and_affects_every_tenant() {
    let p = plan_for(
        Request::new(Action::Promote {
            region: "eu-west-1".into(),
        })
        .reason("INC-2"),
    );
    let c: Vec<String> = p
        .changes
        .iter()
        .map(|c| format!("{} {}: {} -> {}", c.subject, c.field, c.before, c.after))
        .collect();
    assert_eq!(
        c,
        vec![
            "us-east-1 role: primary -> secondary",
            "eu-west-1 role: secondary -> primary"
        ]
    );
    assert_eq!(p.blast_radius.tenants.len(), 3);
    assert!(!p.is_blocked());
    assert_eq!(p.confirm, ConfirmStrength::TypeName);
}

#[test]
fn promote_with_lag_over_budget_needs_accept_data_loss() {
    let f = fleet();
    let mut s = state(&f);
    set_lag(&mut s, "eu-west-1", Some(120.0), None);
    let req = Request::new(Action::Promote {
        region: "eu-west-1".into(),
    })
    .reason("INC-3");
    assert!(plan(&req, &f, &s, NOW).unwrap().is_blocked());
    let p = plan(&req.accept_data_loss(), &f, &s, NOW).unwrap();
    assert!(!p.is_blocked());
    assert!(p.cli_equivalent.contains("--accept-data-loss"));
}

#[test]
fn run_phase_plan_lists_steps_and_is_yes_no_outside_production() {
    let p = plan_for(Request::new(Action::RunPhase {
        region: "ap-south-1".into(),
        phase: "platform-services".into(),
    }));
    assert_eq!(
        p.changes,
        vec![Change::new(
            "ap-south-1",
            "phase platform-services",
            "pending",
            "succeeded"
        )]
    );
    assert_eq!(
        p.operation,
        Some(Operation::RunPhase {
            region: "ap-south-1".into(),
            phase: "platform-services".into(),
            steps: 4,
            from: 0,
        })
    );
    assert_eq!(p.notes.len(), 4);
    assert_eq!(
        p.confirm,
        ConfirmStrength::YesNo,
        "ap-south-1 only runs staging"
    );
    assert!(!p.is_blocked());
    assert_eq!(
        p.cli_equivalent,
        "meridian phase run ap-south-1 platform-services"
    );
}

#[test]
fn run_phase_out_of_order_can_be_overridden_with_reason() {
    let req = Request::new(Action::RunPhase {
        region: "ap-south-1".into(),
        phase: "smoke-test".into(),
    });
    assert!(plan_for(req.clone()).is_blocked());
    assert!(
        !plan_for(
            req.override_guard("phase-order")
                .reason("re-run after manual fix")
        )
        .is_blocked()
    );
}

#[test]
fn rollback_with_auto_sync_pauses_it_first() {
    let p = plan_for(
        Request::new(Action::Rollback {
            tenant: "storefront-prd".into(),
            region: "ap-southeast-1".into(),
            to: Some("3".into()),
            via: None,
        })
        .reason("CHG-7"),
    );
    let fields: Vec<&str> = p.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["auto-sync", "revision"]);
    assert_eq!(check(&p, Guard::AutoSync).verdict, Verdict::Warn);
    match &p.operation {
        Some(Operation::Rollback {
            history_id,
            pause_auto_sync,
            ..
        }) => assert_eq!((*history_id, *pause_auto_sync), (3, true)),
        other => panic!("unexpected operation {other:?}"),
    }
    assert_eq!(p.target, "storefront-prd");
    assert_eq!(
        p.button_label(),
        "Roll back storefront-prd in ap-southeast-1"
    );
}

#[test]
fn rollback_to_unknown_revision_is_blocked() {
    let p = plan_for(
        Request::new(Action::Rollback {
            tenant: "payments-prd".into(),
            region: "ap-southeast-1".into(),
            to: Some("99".into()),
            via: None,
        })
        .reason("x"),
    );
    assert!(check(&p, Guard::RevisionUnknown).blocks());
    assert!(p.operation.is_none());
}

#[test]
fn read_only_blocks_every_action() {
    let p = plan_for(
        Request::new(Action::RunPhase {
            region: "ap-south-1".into(),
            phase: "platform-services".into(),
        })
        .read_only(true),
    );
    assert!(check(&p, Guard::ReadOnly).blocks());
    assert!(p.is_blocked());
}

#[test]
fn draining_a_drained_region_is_a_no_op_warning() {
    let f = fleet();
    let mut s = state(&f);
    set_weight(&mut s, "eu-west-1", 0);
    let p = plan(
        &Request::new(Action::Drain {
            region: "eu-west-1".into(),
        })
        .reason("x"),
        &f,
        &s,
        NOW,
    )
    .unwrap();
    assert!(p.is_noop());
    assert_eq!(check(&p, Guard::NoChange).verdict, Verdict::Warn);
}

#[test]
fn shell_quote_quotes_only_when_needed() {
    assert_eq!(planner::shell_quote("INC-4711"), "INC-4711");
    assert_eq!(planner::shell_quote("db failover"), "'db failover'");
    assert_eq!(planner::shell_quote("it's"), "'it'\\''s'");
}
