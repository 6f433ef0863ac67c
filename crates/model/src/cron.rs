//! Five-field cron schedules (minute hour day-of-month month day-of-week, with `*`, lists,
//! ranges, steps and names), evaluated in UTC: Argo CD's sync windows and meridian's own
//! scheduled change freezes use the same reading.

/// A parsed five-field cron schedule.
pub struct Cron {
    minute: Vec<bool>,
    hour: Vec<bool>,
    dom: Vec<bool>,
    month: Vec<bool>,
    dow: Vec<bool>,
    dom_any: bool,
    dow_any: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [mi, h, dm, mo, dw] = fields[..] else {
            return Err(format!("schedule \"{text}\" is not five cron fields"));
        };
        let mut dow = field(dw, 0, 7, &DAYS, 0)?;
        if dow[7] {
            dow[0] = true; // 7 is Sunday too
        }
        Ok(Cron {
            minute: field(mi, 0, 59, &[], 0)?,
            hour: field(h, 0, 23, &[], 0)?,
            dom: field(dm, 1, 31, &[], 1)?,
            month: field(mo, 1, 12, &MONTHS, 1)?,
            dom_any: dm == "*" || dm == "?",
            dow_any: dw == "*" || dw == "?",
            dow,
        })
    }

    /// Does it fire at this minute (minutes since the epoch, UTC)?
    pub fn matches(&self, minute: i64) -> bool {
        let days = minute.div_euclid(1440);
        let in_day = minute.rem_euclid(1440);
        let (_, month, day) = civil(days);
        let weekday = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
        let day_ok = match (self.dom_any, self.dow_any) {
            (true, true) => true,
            (false, true) => self.dom[day as usize],
            (true, false) => self.dow[weekday],
            // Both restricted: cron fires when either matches.
            (false, false) => self.dom[day as usize] || self.dow[weekday],
        };
        self.minute[(in_day % 60) as usize]
            && self.hour[(in_day / 60) as usize]
            && self.month[month as usize]
            && day_ok
    }
}

/// One cron field as a table of allowed values (indexable by value).
fn field(
    text: &str,
    lo: u32,
    hi: u32,
    names: &[&str],
    name_base: u32,
) -> Result<Vec<bool>, String> {
    let mut allowed = vec![false; hi as usize + 1];
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(i as u32 + name_base);
        }
        v.parse::<u32>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| format!("\"{v}\" is not in {lo}..={hi}"))
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("bad step in \"{part}\""))?,
            ),
            None => (part, 1),
        };
        let (start, end) = match range {
            "*" | "?" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if step > 1 => (value(r)?, hi),
                None => (value(r)?, value(r)?),
            },
        };
        let mut v = start;
        while v <= end {
            allowed[v as usize] = true;
            v += step;
        }
    }
    Ok(allowed)
}

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01 (Hinnant's algorithm).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Cron {
    /// The latest minute (since the epoch, UTC) within the last `minutes` up to and
    /// including `now_min` at which the schedule fired: a window of that length that
    /// started then still covers `now_min`.
    pub fn fired_within(&self, now_min: i64, minutes: i64) -> Option<i64> {
        (now_min - minutes + 1..=now_min)
            .rev()
            .find(|m| self.matches(*m))
    }
}

/// Milliseconds since the epoch of an RFC 3339 time ("2026-12-20T00:00:00Z") or a date
/// ("2026-12-20", midnight UTC).
pub fn parse_time(text: &str) -> Option<i64> {
    let t = text.trim();
    let full = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else {
        t.to_string()
    };
    let at = humantime::parse_rfc3339_weak(&full).ok()?;
    at.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_and_weekdays_are_right() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20_516), (2026, 3, 4));
        // 2026-03-04 (a Wednesday) at 10:00 UTC, in minutes.
        let at = |hh: i64, mm: i64| (1_772_582_400 + hh * 3600 + mm * 60) / 60;
        let c = Cron::parse("0 10 * * wed").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.matches(at(10, 0)));
        assert!(!c.matches(at(10, 1)));
        assert_eq!(c.fired_within(at(12, 0), 180), Some(at(10, 0)));
        assert_eq!(c.fired_within(at(12, 0), 60), None);
    }

    #[test]
    fn times_and_dates_parse_in_utc() {
        assert_eq!(parse_time("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_time("1970-01-01T00:01:00Z"), Some(60_000));
        assert_eq!(parse_time("yesterday"), None);
    }
}
