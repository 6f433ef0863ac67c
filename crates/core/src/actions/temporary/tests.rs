//! Steady, temporary (before and after expiry), set on purpose, and drift with since when.

use super::*;
use crate::actions::testkit::*;
use meridian_providers::store::DirStore;

const HOUR: Millis = 3_600_000;

#[test]
fn temporary_weights_expire_loudly_and_steady_needs_no_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(dir.path());
    let f = fleet();
    let mut s = state(&f);
    assert_eq!(standing(&store, &f, &s, NOW).unwrap(), Standing::Steady);

    set_weight(&mut s, "eu-west-1", 5);
    let now = current(&f, &s).unwrap();
    record(&store, now, "ana@a", None, NOW, Some(NOW + 2 * HOUR)).unwrap();
    let before = standing(&store, &f, &s, NOW + HOUR).unwrap();
    assert!(matches!(before, Standing::Temporary { expired: false, .. }));
    assert!(
        before.text(&f, &s).starts_with("temporary "),
        "{}",
        before.text(&f, &s)
    );
    assert!(before.text(&f, &s).contains("(steady "));
    assert_eq!(before.problem(&f, &s), None);

    let after = standing(&store, &f, &s, NOW + 2 * HOUR).unwrap();
    assert!(matches!(after, Standing::Temporary { expired: true, .. }));
    assert!(after.problem(&f, &s).unwrap().contains("meridian restore"));
}

#[test]
fn weights_changed_behind_meridians_back_are_drift_since_first_seen() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(dir.path());
    let f = fleet();
    let mut s = state(&f);
    // meridian set eu-west-1 to 5 on purpose; then someone set it to 7 in the DNS console.
    set_weight(&mut s, "eu-west-1", 5);
    record(&store, current(&f, &s).unwrap(), "ana@a", None, NOW, None).unwrap();
    assert!(matches!(
        standing(&store, &f, &s, NOW).unwrap(),
        Standing::Set { .. }
    ));
    set_weight(&mut s, "eu-west-1", 7);
    assert_eq!(
        standing(&store, &f, &s, NOW + HOUR).unwrap(),
        Standing::Drift {
            since_ms: NOW + HOUR
        }
    );
    // Seen again later: still since the first sighting.
    let later = standing(&store, &f, &s, NOW + 2 * HOUR).unwrap();
    assert_eq!(
        later,
        Standing::Drift {
            since_ms: NOW + HOUR
        }
    );
    assert!(later.problem(&f, &s).unwrap().contains("DRIFT"));
    // Back at steady: no drift, and the next drift starts a new clock.
    let steady_state = state(&f);
    assert_eq!(
        standing(&store, &f, &steady_state, NOW + 3 * HOUR).unwrap(),
        Standing::Steady
    );
    assert_eq!(
        standing(&store, &f, &s, NOW + 4 * HOUR).unwrap(),
        Standing::Drift {
            since_ms: NOW + 4 * HOUR
        }
    );
}

#[test]
fn a_read_only_meridian_sees_drift_but_writes_no_first_sighting() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::in_state_dir(dir.path());
    let f = fleet();
    let mut s = state(&f);
    set_weight(&mut s, "eu-west-1", 7);
    let now_weights = current(&f, &s);
    // Read-only: drift first seen now by this view, and nothing stored.
    assert_eq!(
        standing_seen(&store, &f, now_weights.clone(), NOW, true).unwrap(),
        Standing::Drift { since_ms: NOW }
    );
    assert_eq!(store.get(KIND, DRIFT).unwrap(), None);
    assert_eq!(
        standing_seen(&store, &f, now_weights.clone(), NOW + HOUR, true).unwrap(),
        Standing::Drift {
            since_ms: NOW + HOUR
        }
    );
    assert_eq!(store.get(KIND, DRIFT).unwrap(), None);
    // A writing meridian notes it; the read-only one then reads the stored sighting.
    standing(&store, &f, &s, NOW + 2 * HOUR).unwrap();
    assert_eq!(
        standing_seen(&store, &f, now_weights, NOW + 3 * HOUR, true).unwrap(),
        Standing::Drift {
            since_ms: NOW + 2 * HOUR
        }
    );
    // Back at steady, the read-only view leaves the note for a writer to clear.
    let steady_state = state(&f);
    assert_eq!(
        standing_seen(&store, &f, current(&f, &steady_state), NOW + 4 * HOUR, true).unwrap(),
        Standing::Steady
    );
    assert!(store.get(KIND, DRIFT).unwrap().is_some());
}
