//! What an operator asks of a region's weight: raw provider units (`eastus=700`) or a share
//! of all traffic (`eastus=90%`), and the pure conversion of shares into units.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{TrafficRules, Weight};

/// One requested weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Provider units, kept wide so the range guard can name a value that is too big.
    Units(u64),
    /// A share of all traffic in hundredths of a percent (9000 = 90%).
    Percent(u32),
}

impl Ask {
    /// Parse `700`, `0.35` (Cloudflare) or `90%` / `12.5%`; `None` when it is neither.
    pub fn parse(text: &str, rules: &TrafficRules) -> Option<Ask> {
        let text = text.trim();
        match text.strip_suffix('%') {
            Some(p) => parse_percent(p.trim()).map(Ask::Percent),
            None => rules.parse_units(text).map(Ask::Units),
        }
    }
}

fn parse_percent(text: &str) -> Option<u32> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || (!frac.is_empty() && !digits(frac)) || frac.len() > 2 {
        return None;
    }
    let whole: u32 = whole.parse().ok().filter(|w| *w <= 100)?;
    let frac: u32 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u32>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    Some(whole * 100 + frac).filter(|p| *p <= 10_000)
}

impl fmt::Display for Ask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ask::Units(u) => write!(f, "{u}"),
            Ask::Percent(p) if p % 100 == 0 => write!(f, "{}%", p / 100),
            Ask::Percent(p) => {
                let s = format!("{}.{:02}", p / 100, p % 100);
                write!(f, "{}%", s.trim_end_matches('0'))
            }
        }
    }
}

// In the audit log a weight is a number (units) or a string ("90%").
impl Serialize for Ask {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ask::Units(u) => s.serialize_u64(*u),
            Ask::Percent(_) => s.serialize_str(&self.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Ask {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ask, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Units(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Units(u) => Ok(Ask::Units(u)),
            Raw::Text(t) => t
                .strip_suffix('%')
                .and_then(parse_percent)
                .map(Ask::Percent)
                .ok_or_else(|| serde::de::Error::custom(format!("not a weight: {t}"))),
        }
    }
}

/// One region's asked weight, resolved into provider units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    pub region: String,
    pub asked: Ask,
    pub units: u64,
}

/// Shares turned into units: `requested` per asked region, and why the asks cannot all
/// hold (e.g. percentages over 100%), for the weight-range guard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    pub requested: Vec<Requested>,
    pub problems: Vec<String>,
}

/// Turn asks into provider units. Regions not asked keep their weight; percentages are
/// shares of everything that serves afterwards (unmanaged records included), so
/// `eastus=90% westeurope=10%` gives 900/100 on Azure, and `a=50%` alone scales `a` against
/// what the others keep.
pub fn resolve(
    current: &[(String, Weight)],
    asks: &[(String, Ask)],
    unmanaged: u32,
    rules: &TrafficRules,
) -> Resolution {
    let asked = |r: &str| asks.iter().any(|(a, _)| a == r);
    let mut kept: u64 = unmanaged as u64;
    kept += current
        .iter()
        .filter(|(r, _)| !asked(r))
        .map(|(_, w)| w.effective() as u64)
        .sum::<u64>();
    kept += asks
        .iter()
        .filter_map(|(_, a)| match a {
            Ask::Units(u) => Some(*u),
            Ask::Percent(_) => None,
        })
        .sum::<u64>();
    let percent: u64 = asks
        .iter()
        .filter_map(|(_, a)| match a {
            Ask::Percent(p) => Some(*p as u64),
            Ask::Units(_) => None,
        })
        .sum();
    let any_percent = asks.iter().any(|(_, a)| matches!(a, Ask::Percent(_)));
    let mut problems = Vec::new();
    // Units for 100%: with nothing else serving, a round total in the provider's range.
    let total: f64 = if !any_percent {
        0.0
    } else if percent > 10_000 {
        problems.push(format!(
            "the percentages add up to {}, more than 100%",
            Ask::Percent(percent.min(u32::MAX as u64) as u32)
        ));
        0.0
    } else if kept == 0 {
        if percent != 10_000 {
            problems.push(format!(
                "the percentages add up to {} and no other region keeps any weight: make them add up to 100%",
                Ask::Percent(percent as u32)
            ));
        }
        let mut round = 1u64;
        while round * 10 <= rules.max as u64 {
            round *= 10;
        }
        round as f64
    } else if percent == 10_000 {
        let others: Vec<&str> = current
            .iter()
            .filter(|(r, w)| !asked(r) && w.serving())
            .map(|(r, _)| r.as_str())
            .collect();
        problems.push(format!(
            "the percentages add up to 100% but {} still keep weight: give them 0% too, or ask less",
            if others.is_empty() {
                "other records".to_string()
            } else {
                others.join(", ")
            }
        ));
        0.0
    } else {
        kept as f64 / (1.0 - percent as f64 / 10_000.0)
    };
    let requested = asks
        .iter()
        .map(|(region, asked)| {
            let units = match asked {
                Ask::Units(u) => *u,
                Ask::Percent(0) => 0,
                // A share above 0 never rounds down to a drain.
                Ask::Percent(p) => ((*p as f64 / 10_000.0 * total).round() as u64).max(1),
            };
            Requested {
                region: region.clone(),
                asked: *asked,
                units,
            }
        })
        .collect();
    Resolution {
        requested,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::rules::{AZURE, CLOUDFLARE, ROUTE53};

    fn cur(pairs: &[(&str, u32)]) -> Vec<(String, Weight)> {
        pairs
            .iter()
            .map(|(r, u)| (r.to_string(), Weight::units(*u)))
            .collect()
    }
    fn asks(pairs: &[(&str, Ask)]) -> Vec<(String, Ask)> {
        pairs.iter().map(|(r, a)| (r.to_string(), *a)).collect()
    }
    fn units(r: &Resolution) -> Vec<u64> {
        r.requested.iter().map(|q| q.units).collect()
    }

    #[test]
    fn seed_002_shares_become_azure_weights() {
        let now = cur(&[("eastus", 70), ("westeurope", 30)]);
        let r = resolve(
            &now,
            &asks(&[
                ("eastus", Ask::Percent(9000)),
                ("westeurope", Ask::Percent(1000)),
            ]),
            0,
            &AZURE,
        );
        assert_eq!(units(&r), vec![900, 100]);
        assert!(r.problems.is_empty());
    }

    #[test]
    fn one_share_scales_against_what_the_others_keep() {
        let now = cur(&[("a", 60), ("b", 30), ("c", 10)]);
        let r = resolve(&now, &asks(&[("a", Ask::Percent(5000))]), 0, &ROUTE53);
        assert_eq!(units(&r), vec![40]);
        let r = resolve(&now, &asks(&[("a", Ask::Percent(9000))]), 0, &ROUTE53);
        assert_eq!(units(&r), vec![360], "over 255: the range guard says so");
    }

    #[test]
    fn impossible_shares_are_problems_not_guesses() {
        let now = cur(&[("a", 60), ("b", 40)]);
        let over = resolve(
            &now,
            &asks(&[("a", Ask::Percent(8000)), ("b", Ask::Percent(3000))]),
            0,
            &ROUTE53,
        );
        assert!(over.problems[0].contains("110%"), "{:?}", over.problems);
        let full = resolve(&now, &asks(&[("a", Ask::Percent(10_000))]), 0, &ROUTE53);
        assert!(full.problems[0].contains("b still keep weight"));
        let short = resolve(
            &cur(&[("a", 0), ("b", 0)]),
            &asks(&[("a", Ask::Percent(3000))]),
            0,
            &ROUTE53,
        );
        assert!(short.problems[0].contains("add up to 30%"));
    }

    #[test]
    fn cloudflare_shares_are_hundredths_and_tiny_shares_do_not_drain() {
        let now = cur(&[("a", 0), ("b", 0)]);
        let r = resolve(
            &now,
            &asks(&[("a", Ask::Percent(9999)), ("b", Ask::Percent(1))]),
            0,
            &CLOUDFLARE,
        );
        assert_eq!(units(&r), vec![100, 1]);
    }

    #[test]
    fn asks_parse_and_print_both_ways() {
        assert_eq!(Ask::parse("90%", &AZURE), Some(Ask::Percent(9000)));
        assert_eq!(Ask::parse("12.5%", &AZURE), Some(Ask::Percent(1250)));
        assert_eq!(Ask::parse("0.35", &CLOUDFLARE), Some(Ask::Units(35)));
        assert_eq!(Ask::parse("101%", &AZURE), None);
        assert_eq!(Ask::parse("-1", &ROUTE53), None);
        assert_eq!(Ask::Percent(1250).to_string(), "12.5%");
        let json = serde_json::to_string(&vec![Ask::Units(7), Ask::Percent(9000)]).unwrap();
        assert_eq!(json, r#"[7,"90%"]"#);
        let back: Vec<Ask> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![Ask::Units(7), Ask::Percent(9000)]);
    }
}
