//! The live engine with the Argo CD provider in-process: each region's applications are
//! watched; a change on the server arrives as a change, and a black-holed or stopped
//! region reports its own error while the other keeps updating.

use std::time::{Duration, Instant};

use meridian::engine::{Engine, Observation, Reading, Subject};
use meridian::providers::sim::SimOptions;
use meridian::providers::{ProviderOptions, Providers};
use serde_json::json;
use tokio::sync::mpsc;

use super::{Env, Opts, REGIONS, REVS};
use crate::support::kube_seed::AppSeed;

/// The next apps observation that `pick` accepts (bounded so a broken watch fails).
async fn next(
    rx: &mut mpsc::Receiver<Observation>,
    what: &str,
    pick: impl Fn(&str, &Reading) -> bool,
) -> Observation {
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(o)) => {
                if let Subject::Apps(r) = &o.subject
                    && pick(r, &o.reading)
                {
                    return o;
                }
            }
            _ => panic!("never saw {what}"),
        }
    }
}

fn head_of(reading: &Reading, want: &str) -> bool {
    matches!(reading, Reading::Apps(Ok(u)) if u.apps.iter().any(|(_, a)| a.head.as_deref() == Some(want)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_arrive_by_watch_and_a_bad_region_goes_stale_alone() {
    let Some(env) = Env::start(Opts::default()) else {
        return;
    };
    for r in REGIONS {
        let name = format!("checkout-{r}");
        env.k.seed_app(
            r,
            &AppSeed {
                history: &REVS,
                ..AppSeed::new(&name)
            },
        );
    }
    env.k.fault("eu-west-1", json!({"mode": "blackhole"}));
    let fleet = meridian::fleet::load_file(&env.fleet).unwrap_or_else(|e| panic!("{e}"));
    let opts = ProviderOptions {
        sim: SimOptions {
            speed: 0.0,
            seed: Some(1),
        },
        ..Default::default()
    };
    let providers =
        Providers::build(&fleet, env.dir.path(), &opts).unwrap_or_else(|e| panic!("{e}"));
    let (tx, mut rx) = mpsc::channel(1024);
    let _engine = Engine::spawn(fleet, providers, tx, |o| o);

    let first = next(&mut rx, "us-east-1's apps", |r, reading| {
        r == "us-east-1"
            && matches!(reading, Reading::Apps(Ok(u)) if u.complete && u.apps.len() == 1)
    })
    .await;
    drop(first);
    let hung = next(&mut rx, "eu-west-1 timing out", |r, reading| {
        r == "eu-west-1" && matches!(reading, Reading::Apps(Err(_)))
    })
    .await;
    if let Reading::Apps(Err(e)) = &hung.reading {
        assert!(e.to_string().contains("no answer within 2s"), "{e}");
    }

    // A push to Git on us-east-1: the watch brings it as a change.
    let pushed = Instant::now();
    env.k.push(
        "us-east-1",
        "checkout-us-east-1",
        "5555555eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
    );
    next(&mut rx, "the new head in us-east-1", |r, reading| {
        r == "us-east-1" && head_of(reading, "5555555eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
    })
    .await;
    eprintln!(
        "change on the server -> observation: {} ms",
        pushed.elapsed().as_millis()
    );

    // eu-west-1 answers again: it recovers by itself.
    env.k.resume("eu-west-1");
    next(&mut rx, "eu-west-1 recovering", |r, reading| {
        r == "eu-west-1" && matches!(reading, Reading::Apps(Ok(u)) if u.complete)
    })
    .await;

    // Stopped: its watch breaks and it says so; us-east-1 still updates.
    env.k.stop("eu-west-1");
    let stopped = next(&mut rx, "eu-west-1 refusing", |r, reading| {
        r == "eu-west-1" && matches!(reading, Reading::Apps(Err(_)))
    })
    .await;
    if let Reading::Apps(Err(e)) = &stopped.reading {
        assert!(e.to_string().starts_with("eu-west-1: "), "{e}");
    }
    env.k.push(
        "us-east-1",
        "checkout-us-east-1",
        "6666666fffffffffffffffffffffffffffffffff",
    );
    next(&mut rx, "another change in us-east-1", |r, reading| {
        r == "us-east-1" && head_of(reading, "6666666fffffffffffffffffffffffffffffffff")
    })
    .await;

    // Back again: the watch that broke while it was open is re-established and the region's
    // cells are current again, with no re-list forced by the server (the version it watched
    // from is still good).
    env.k.resume("eu-west-1");
    next(
        &mut rx,
        "eu-west-1 recovering after its open watch broke",
        |r, reading| r == "eu-west-1" && matches!(reading, Reading::Apps(Ok(u)) if u.complete),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_garbled_watch_is_that_region_s_error_and_heals_itself() {
    let Some(env) = Env::start(Opts::default()) else {
        return;
    };
    for r in REGIONS {
        let name = format!("checkout-{r}");
        env.k.seed_app(
            r,
            &AppSeed {
                history: &REVS,
                ..AppSeed::new(&name)
            },
        );
    }
    let fleet = meridian::fleet::load_file(&env.fleet).unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        (json!({"mode": "status", "code": 500}), "500 InternalError"),
        (
            json!({"mode": "status", "code": 429}),
            "429 TooManyRequests",
        ),
        (json!({"mode": "malformed"}), "not valid JSON"),
    ];
    for (n, (fault, says)) in cases.into_iter().enumerate() {
        // The fault is in place before the watch starts: an open watch is not interrupted
        // by a fault, only the requests after it are.
        env.k.fault("eu-west-1", fault.clone());
        let opts = ProviderOptions {
            sim: SimOptions {
                speed: 0.0,
                seed: Some(1),
            },
            ..Default::default()
        };
        let providers =
            Providers::build(&fleet, env.dir.path(), &opts).unwrap_or_else(|e| panic!("{e}"));
        let (tx, mut rx) = mpsc::channel(1024);
        let engine = Engine::spawn(fleet.clone(), providers, tx, |o| o);
        let failed = next(&mut rx, "eu-west-1's error", |r, reading| {
            r == "eu-west-1" && matches!(reading, Reading::Apps(Err(_)))
        })
        .await;
        if let Reading::Apps(Err(e)) = &failed.reading {
            let e = e.to_string();
            assert!(e.starts_with("eu-west-1: argocd "), "{fault}: {e}");
            assert!(e.contains(says), "{fault}: {e:?} should say {says:?}");
            assert!(!e.contains("Status {") && !e.contains('\n'), "{fault}: {e}");
        }
        let head = format!("{n}{}", &REVS[0][1..]);
        env.k.push("us-east-1", "checkout-us-east-1", &head);
        next(&mut rx, "a change in us-east-1 meanwhile", |r, reading| {
            r == "us-east-1" && head_of(reading, &head)
        })
        .await;
        env.k.resume("eu-west-1");
        next(&mut rx, "eu-west-1 recovering by itself", |r, reading| {
            r == "eu-west-1" && matches!(reading, Reading::Apps(Ok(u)) if u.complete)
        })
        .await;
        drop(engine);
    }
}
