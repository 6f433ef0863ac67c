//! The headless command equivalent to a request, shown in every plan.

use crate::actions::action::{Action, Request};

/// The headless command that does the same thing.
pub fn cli_equivalent(req: &Request) -> String {
    let mut words: Vec<String> = vec!["meridian".into()];
    match &req.action {
        Action::Drain { region } => words.extend(["drain".into(), region.clone()]),
        Action::Restore { regions } => {
            words.push("restore".into());
            words.extend(regions.iter().cloned());
        }
        Action::SetWeights { weights } => {
            words.push("weights".into());
            words.extend(weights.iter().map(|(r, w)| format!("{r}={w}")));
        }
        Action::Promote { region } => {
            words.extend(["promote".into(), region.clone()]);
            match req.drain_old {
                Some(true) => words.push("--drain-old".into()),
                Some(false) => words.push("--no-drain-old".into()),
                None => {}
            }
        }
        Action::Rejoin { region } => words.extend(["rejoin".into(), region.clone()]),
        Action::RunPhase { region, phase } => {
            words.extend(["phase".into(), "run".into(), region.clone(), phase.clone()]);
            if req.from_start {
                words.push("--from-start".into());
            }
        }
        Action::Rollback {
            tenant,
            region,
            to,
            via,
        } => {
            words.extend([
                "rollback".into(),
                tenant.clone(),
                "--region".into(),
                region.clone(),
            ]);
            if let Some(to) = to {
                words.extend(["--to".into(), to.clone()]);
            }
            if let Some(via) = via {
                words.extend(["--via".into(), via.as_str().into()]);
            }
        }
        Action::Sync {
            tenant,
            region,
            revision,
        } => {
            words.extend([
                "sync".into(),
                tenant.clone(),
                "--region".into(),
                region.clone(),
            ]);
            if let Some(rev) = revision {
                words.extend(["--revision".into(), rev.clone()]);
            }
        }
        Action::ResumeAutoSync { tenant, region } => words.extend([
            "resume-auto-sync".into(),
            tenant.clone(),
            "--region".into(),
            region.clone(),
        ]),
        Action::Signups { region, open } => words.extend([
            "signups".into(),
            if *open { "open" } else { "close" }.into(),
            region.clone(),
        ]),
        Action::TenantMove { tenant, to } => words.extend([
            "tenant".into(),
            "move".into(),
            tenant.clone(),
            "--to".into(),
            to.clone(),
        ]),
        Action::Deploy {
            tenant,
            region,
            version,
            set,
            values,
        } => {
            words.extend([
                "deploy".into(),
                tenant.clone(),
                "--region".into(),
                region.clone(),
            ]);
            if let Some(v) = version {
                words.extend(["--version".into(), v.clone()]);
            }
            for (k, v) in set {
                words.extend(["--set".into(), format!("{k}={v}")]);
            }
            for f in values {
                words.extend(["--values".into(), f.clone()]);
            }
        }
    }
    if req.accept_data_loss {
        words.push("--accept-data-loss".into());
    }
    for o in &req.overrides {
        words.extend(["--override".into(), o.clone()]);
    }
    if let Some(r) = req.given_reason() {
        words.extend(["--reason".into(), shell_quote(r)]);
    }
    words.join(" ")
}

/// Quote a word for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/=@+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
