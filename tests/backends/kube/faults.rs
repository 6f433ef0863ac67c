//! The ways a cluster's API server fails at 03:00, beyond the refused, black-holed and
//! 401/403 ones in `read.rs`: slow past the deadline, 5xx, 429 throttling, and answers that
//! are not what an API server sends (JSON cut short, a proxy's HTML error page). For each,
//! `status` answers within the deadline, the broken region's error is one short line in
//! words (no Debug dump), and the other region stays fresh. The same faults under the live
//! watch are in `watch.rs`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Env, Opts, REVS, cell, text};
use crate::support::kube_seed::AppSeed;

/// The fleet's `[gitops] timeout` in `Env::start`.
const DEADLINE: Duration = Duration::from_secs(2);
/// What a loaded CI machine may add on top (process start, client set-up): generous on
/// purpose, so this checks "bounded by the deadline", not a timing.
const SLACK: Duration = Duration::from_secs(8);

/// One fault, the words its error must contain, and words it must not.
struct Case {
    what: &'static str,
    fault: Value,
    says: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            what: "slow past the deadline",
            fault: json!({"mode": "slow", "seconds": 8}),
            says: &["no answer within 2s", "raise `timeout`"],
        },
        Case {
            what: "500",
            fault: json!({"mode": "status", "code": 500}),
            says: &["500 InternalError", "injected fault"],
        },
        Case {
            what: "503",
            fault: json!({"mode": "status", "code": 503}),
            says: &["503 ServiceUnavailable"],
        },
        Case {
            what: "429 throttling",
            fault: json!({"mode": "status", "code": 429}),
            says: &["429 TooManyRequests", "throttling"],
        },
        Case {
            what: "a 200 whose JSON is cut short",
            fault: json!({"mode": "malformed"}),
            says: &["not valid JSON", "proxy"],
        },
        Case {
            what: "a proxy's HTML error page",
            fault: json!({
                "mode": "malformed", "code": 502, "contentType": "text/html",
                "body": "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            }),
            says: &["502", "not from the Kubernetes API", "proxy"],
        },
    ]
}

#[test]
fn slow_5xx_throttled_and_malformed_clusters_answer_in_time_and_alone() {
    let Some(env) = Env::start(Opts::default()) else {
        return;
    };
    for r in super::REGIONS {
        let name = format!("checkout-{r}");
        env.k.seed_app(
            r,
            &AppSeed {
                history: &REVS,
                ..AppSeed::new(&name)
            },
        );
    }
    for case in cases() {
        env.k.fault("eu-west-1", case.fault.clone());
        let started = Instant::now();
        let out = env.run(&["status", "--json"]);
        let took = started.elapsed();
        env.k.resume("eu-west-1");
        assert_eq!(out.status.code(), Some(0), "{}: {}", case.what, text(&out));
        let s: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: status JSON: {e}: {}", case.what, text(&out)));
        assert!(
            took < DEADLINE + SLACK,
            "{}: status took {took:?} with a {DEADLINE:?} deadline",
            case.what
        );
        let fresh = cell(&s, "checkout", "us-east-1");
        assert!(
            fresh["error"].is_null(),
            "{}: the other region: {fresh}",
            case.what
        );
        assert_eq!(fresh["sync"], "Synced", "{}: {fresh}", case.what);
        let e = cell(&s, "checkout", "eu-west-1")["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        eprintln!("{}: {e}", case.what);
        assert!(
            e.starts_with("eu-west-1: argocd "),
            "{}: names region and call: {e}",
            case.what
        );
        for words in case.says {
            assert!(
                e.contains(words),
                "{}: {e:?} should say {words:?}",
                case.what
            );
        }
        // Short and human: one line, no Debug dump of the client's error or the body.
        assert!(
            !e.contains('\n') && e.chars().count() < 400,
            "{}: {e}",
            case.what
        );
        for dump in [
            "Status {",
            "Error(",
            "Api(",
            "SerdeError",
            "<html",
            "{\"kind\"",
        ] {
            assert!(!e.contains(dump), "{}: no dump ({dump}): {e}", case.what);
        }
    }
    let s = env.status();
    assert!(
        cell(&s, "checkout", "eu-west-1")["error"].is_null(),
        "recovered: {s}"
    );
}
