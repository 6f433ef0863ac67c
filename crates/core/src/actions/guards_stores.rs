//! Guards of a promotion that moves several data stores (`databases = [...]`, `cache`):
//! each store that moves has its own lag gate against its own RPO, and a region that is
//! already the writer of every store has nothing to promote.

use std::time::Duration;

use super::plan::{Check, Guard};
use meridian_model::state::Observed;

/// Store `name`'s lag in the target against its RPO (`replication-lag`, bypassed only by
/// `--accept-data-loss`, like the database's).
pub fn store_lag(
    name: &str,
    lag: Option<&Observed<f64>>,
    rpo: Duration,
    accept_data_loss: bool,
) -> Check {
    let budget = rpo.as_secs_f64();
    let problem = match lag.map(|l| (l.value, l.error.as_deref())) {
        Some((Some(l), None)) if l <= budget => {
            return Check::pass(
                Guard::ReplicationLag,
                format!("{name}: lag {l:.1}s within its RPO of {budget:.0}s"),
            );
        }
        Some((Some(l), None)) => format!("{name}: lag {l:.1}s is over its RPO of {budget:.0}s"),
        Some((_, Some(e))) => format!("{name}: lag is unknown ({e})"),
        _ => format!("{name}: lag is unknown (no datapoint)"),
    };
    if accept_data_loss {
        Check::warn(
            Guard::ReplicationLag,
            format!("{problem}; data loss accepted with --accept-data-loss"),
        )
    } else {
        Check::block(
            Guard::ReplicationLag,
            format!(
                "{problem}; promoting would lose its data: wait for its lag to fall, or pass --accept-data-loss"
            ),
        )
    }
}

/// Nothing moves when the target already writes to every store.
pub fn stores_already_there(region: &str, already: &[&str], moving: usize) -> Check {
    match (moving, already.is_empty()) {
        (0, _) => Check::block(
            Guard::AlreadyPrimary,
            format!(
                "{region} is already the writer of every data store ({})",
                already.join(", ")
            ),
        ),
        (_, true) => Check::pass(
            Guard::AlreadyPrimary,
            format!("{region} is a secondary of every data store"),
        ),
        (_, false) => Check::pass(
            Guard::AlreadyPrimary,
            format!(
                "{region} is already the writer of {} (left as it is); the others move",
                already.join(", ")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::plan::Verdict;

    #[test]
    fn each_store_lag_passes_warns_or_blocks_against_its_own_rpo() {
        let rpo = Duration::from_secs(5);
        let ok = Observed::ok(1.5, 0);
        assert_eq!(
            store_lag("cache", Some(&ok), rpo, false).verdict,
            Verdict::Pass
        );
        let over = Observed::ok(9.0, 0);
        let b = store_lag("cache", Some(&over), rpo, false);
        assert_eq!(b.verdict, Verdict::Block);
        assert!(
            b.reason
                .starts_with("cache: lag 9.0s is over its RPO of 5s"),
            "{}",
            b.reason
        );
        assert_eq!(
            store_lag("cache", Some(&over), rpo, true).verdict,
            Verdict::Warn
        );
        let unknown = store_lag("cache", None, rpo, false);
        assert_eq!(unknown.verdict, Verdict::Block);
        assert!(unknown.reason.contains("unknown"), "{}", unknown.reason);
    }

    #[test]
    fn nothing_to_move_blocks_and_a_half_done_failover_passes_naming_what_stays() {
        assert_eq!(
            stores_already_there("eu", &["database", "cache"], 0).verdict,
            Verdict::Block
        );
        let half = stores_already_there("eu", &["database"], 1);
        assert_eq!(half.verdict, Verdict::Pass);
        assert!(
            half.reason.contains("already the writer of database"),
            "{}",
            half.reason
        );
        assert_eq!(stores_already_there("eu", &[], 2).verdict, Verdict::Pass);
    }
}
