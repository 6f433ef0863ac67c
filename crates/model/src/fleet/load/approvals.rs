//! Validating `[[policy.approvals]]`, `policy.approval_expiry` and `policy.rto`.

use std::time::Duration;

use strum::VariantNames;
use toml::Spanned;

use super::{Validator, quoted};
use crate::fleet::approval::{ApprovalKind, ApprovalPolicy, ApprovalRule, DEFAULT_RTO};
use crate::fleet::raw::RawPolicy;
use crate::fleet::suggest::hint;

/// Every action an approval rule may name (the actions' stable kebab-case names).
pub const ACTION_NAMES: &[&str] = &[
    "drain",
    "restore",
    "set-weights",
    "promote",
    "run-phase",
    "rollback",
    "sync",
    "resume-auto-sync",
    "deploy",
];

impl Validator<'_> {
    pub(super) fn approval_policy(&mut self, raw: &RawPolicy) -> ApprovalPolicy {
        let d = ApprovalPolicy::default();
        let expiry = self.duration(&raw.approval_expiry, "policy.approval_expiry", d.expiry);
        if let Some(at) = &raw.approval_expiry
            && expiry.is_zero()
        {
            self.err(
                at,
                "policy.approval_expiry",
                "must be longer than 0s, e.g. \"15m\"",
            );
        }
        let mut rules = Vec::new();
        for (i, rule) in raw.approvals.iter().enumerate() {
            let r = rule.get_ref();
            let key = format!("policy.approvals[{i}]");
            let action = r.action.get_ref();
            if action != "*" && !ACTION_NAMES.contains(&action.as_str()) {
                let msg = format!(
                    "unknown action \"{action}\"{}; valid: \"*\", {}",
                    hint(action, ACTION_NAMES.iter().copied()),
                    quoted(ACTION_NAMES)
                );
                self.err(&r.action, format!("{key}.action"), msg);
                continue;
            }
            if let Some(env) = &r.environment
                && env.get_ref().trim().is_empty()
            {
                self.err(
                    env,
                    format!("{key}.environment"),
                    "is empty: name a tenant environment such as \"prd\", or \"production\", or leave the key out",
                );
                continue;
            }
            let Ok(approval) = r.approval.get_ref().parse::<ApprovalKind>() else {
                let msg = format!(
                    "unknown approval \"{}\" (valid: {})",
                    r.approval.get_ref(),
                    quoted(ApprovalKind::VARIANTS)
                );
                self.err(&r.approval, format!("{key}.approval"), msg);
                continue;
            };
            rules.push(ApprovalRule {
                action: action.clone(),
                environment: r.environment.as_ref().map(|e| e.get_ref().clone()),
                approval,
            });
        }
        ApprovalPolicy { rules, expiry }
    }

    pub(super) fn rto(&mut self, raw: &Option<Spanned<String>>) -> Duration {
        let rto = self.duration(raw, "policy.rto", DEFAULT_RTO);
        if let Some(at) = raw
            && rto.is_zero()
        {
            self.err(at, "policy.rto", "must be longer than 0s, e.g. \"5m\"");
            return DEFAULT_RTO;
        }
        rto
    }
}
