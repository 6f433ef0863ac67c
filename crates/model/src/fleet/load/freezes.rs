//! Validating `[[policy.freezes]]` and the identity keys of `[policy]`.

use strum::VariantNames;

use super::{Validator, quoted};
use crate::cron::{Cron, parse_time};
use crate::fleet::approval::{IdentityPolicy, IdentitySource};
use crate::fleet::freeze::{FreezeWhen, FreezeWindow};
use crate::fleet::raw::RawPolicy;

impl Validator<'_> {
    pub(super) fn freezes(&mut self, raw: &RawPolicy) -> Vec<FreezeWindow> {
        let mut out = Vec::new();
        for (i, f) in raw.freezes.iter().enumerate() {
            let r = f.get_ref();
            let key = format!("policy.freezes[{i}]");
            if r.name.get_ref().trim().is_empty() {
                self.err(
                    &r.name,
                    format!("{key}.name"),
                    "name the freeze, e.g. \"year-end\"",
                );
                continue;
            }
            let when = match (&r.from, &r.until, &r.cron, &r.length) {
                (Some(from), Some(until), None, None) => {
                    let mut time = |t: &toml::Spanned<String>, k: &str| {
                        let at = parse_time(t.get_ref());
                        if at.is_none() {
                            self.err(
                                t,
                                format!("{key}.{k}"),
                                format!(
                                    "\"{}\" is not a date or time: write \"2026-12-20\" or \"2026-12-20T17:00:00Z\" (UTC)",
                                    t.get_ref()
                                ),
                            );
                        }
                        at
                    };
                    let (Some(a), Some(b)) = (time(from, "from"), time(until, "until")) else {
                        continue;
                    };
                    if b <= a {
                        self.err(
                            until,
                            format!("{key}.until"),
                            "`until` must be after `from`",
                        );
                        continue;
                    }
                    FreezeWhen::Between { from: a, until: b }
                }
                (None, None, Some(cron), Some(length)) => {
                    if let Err(e) = Cron::parse(cron.get_ref()) {
                        self.err(
                            cron,
                            format!("{key}.cron"),
                            format!("{e}; write five fields (UTC), e.g. \"0 17 * * fri\""),
                        );
                        continue;
                    }
                    match humantime::parse_duration(length.get_ref()) {
                        Ok(d) if !d.is_zero() => FreezeWhen::Cron {
                            schedule: cron.get_ref().clone(),
                            length: d,
                        },
                        _ => {
                            self.err(
                                length,
                                format!("{key}.for"),
                                "`for` is how long each freeze lasts, longer than 0s, e.g. \"64h\"",
                            );
                            continue;
                        }
                    }
                }
                _ => {
                    self.err(
                        f,
                        key,
                        "a freeze is `from` and `until` (dates or times, UTC), or `cron` and `for`",
                    );
                    continue;
                }
            };
            out.push(FreezeWindow {
                name: r.name.get_ref().clone(),
                reason: r.reason.clone(),
                when,
            });
        }
        out
    }

    pub(super) fn identity_policy(&mut self, raw: &RawPolicy) -> IdentityPolicy {
        let source = match &raw.identity {
            None => IdentitySource::Auto,
            Some(s) => match s.get_ref().parse() {
                Ok(source) => source,
                Err(_) => {
                    self.err(
                        s,
                        "policy.identity",
                        format!(
                            "unknown identity source \"{}\" (valid: {}; \"auto\" is the strongest the fleet has)",
                            s.get_ref(),
                            quoted(IdentitySource::VARIANTS)
                        ),
                    );
                    IdentitySource::Auto
                }
            },
        };
        IdentityPolicy {
            source,
            require_verified: raw.require_verified_identity.unwrap_or(false),
            shared_principals: raw.shared_principals.clone().unwrap_or_default(),
        }
    }
}
