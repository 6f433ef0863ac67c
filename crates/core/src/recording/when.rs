//! Times on the command line: `03:12` (today, UTC; yesterday when that is still to come),
//! RFC 3339 (`2026-12-07T03:12:00Z`), or relative to now (`-30m`, `2h` meaning ago).

use meridian_model::state::Millis;

/// A time as `report` and `replay` take it, against `now`.
pub fn parse(text: &str, now: Millis) -> Result<Millis, String> {
    let t = text.trim();
    let relative = t.strip_prefix('-').unwrap_or(t);
    if let Ok(d) = humantime::parse_duration(relative) {
        return Ok(now - d.as_millis() as Millis);
    }
    if let Ok(at) = humantime::parse_rfc3339_weak(t) {
        return at
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .map_err(|_| format!("{t}: before 1970"));
    }
    if let Some((h, m)) = t.split_once(':')
        && let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.get(..2).unwrap_or(m).parse::<i64>())
        && (0..24).contains(&h)
        && (0..60).contains(&m)
    {
        let s = t
            .split(':')
            .nth(2)
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        let day = 86_400_000;
        let midnight = now.div_euclid(day) * day;
        let at = midnight + h * 3_600_000 + m * 60_000 + s * 1_000;
        return Ok(if at > now { at - day } else { at });
    }
    Err(format!(
        "{t}: not a time; give 03:12 (UTC today), 2026-12-07T03:12:00Z, or -30m (30 minutes ago)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_796_647_200_000; // 2026-12-07T12:40:00Z

    #[test]
    fn each_form_reads() {
        assert_eq!(parse("-30m", NOW), Ok(NOW - 30 * 60_000));
        assert_eq!(parse("2h", NOW), Ok(NOW - 2 * 3_600_000));
        let day = 86_400_000;
        let midnight = NOW.div_euclid(day) * day;
        assert_eq!(
            parse("03:12", NOW),
            Ok(midnight + 3 * 3_600_000 + 12 * 60_000)
        );
        assert_eq!(
            parse("03:12:30", NOW),
            Ok(midnight + 3 * 3_600_000 + 12 * 60_000 + 30_000)
        );
        // Later than now today: yesterday's.
        assert_eq!(parse("23:00", NOW), Ok(midnight - 3_600_000));
        assert_eq!(
            parse("2026-12-07T03:12:00Z", NOW),
            Ok(midnight + 3 * 3_600_000 + 12 * 60_000)
        );
        assert!(parse("25:00", NOW).is_err());
        assert!(parse("yesterday", NOW).unwrap_err().contains("03:12"));
    }
}
