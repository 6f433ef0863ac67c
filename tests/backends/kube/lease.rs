//! The fleet lock as a Kubernetes Lease: two processes race and exactly one acts; a held
//! lease is named with its expiry; an expired one is taken over, and the audit says so.

use serde_json::{Value, json};

use super::{CHECKOUT, Env, Opts, REVS, text};
use crate::support::kube_seed::AppSeed;

const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
const NAME: &str = "meridian-kube-e2e";

fn env(sync_timeout: &str) -> Option<Env> {
    let gitops = format!("sync_timeout = \"{sync_timeout}\"");
    let env = Env::start(Opts {
        gitops: &gitops,
        lock: "provider = \"kube\"\nlease_duration = \"5s\"",
        tenants: CHECKOUT,
    })?;
    for r in super::REGIONS {
        let name = format!("checkout-{r}");
        let seed = AppSeed {
            history: &REVS[..2],
            head: Some(REVS[2]),
            ..AppSeed::new(&name)
        };
        env.k.seed_app(r, &seed);
        env.k
            .wait_app(r, &name, |a| a["status"]["sync"]["status"] == "OutOfSync");
    }
    Some(env)
}

fn lease(env: &Env) -> Value {
    env.k
        .get("us-east-1", &format!("{LEASES}/{NAME}"))
        .unwrap_or(Value::Null)
}

fn micro(offset_secs: i64) -> String {
    let t = std::time::SystemTime::now()
        .checked_add(std::time::Duration::from_secs(offset_secs.max(0) as u64))
        .and_then(|t| t.checked_sub(std::time::Duration::from_secs((-offset_secs).max(0) as u64)))
        .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
    humantime::format_rfc3339_micros(t).to_string()
}

const SYNC: [&str; 7] = [
    "sync",
    "checkout",
    "--region",
    "us-east-1",
    "--yes",
    "--reason",
    "CHG-9",
];

#[test]
fn two_processes_race_for_the_lease_and_exactly_one_acts() {
    let Some(env) = env("3s") else {
        return;
    };
    // The winner's operation hangs, so it holds the lease while the other tries. They act
    // on different regions, so neither's plan is blocked by the other's operation: only
    // the lease decides.
    for r in super::REGIONS {
        env.k.next_operation(r, &format!("checkout-{r}"), "hang");
    }
    let other = [
        "sync",
        "checkout",
        "--region",
        "eu-west-1",
        "--yes",
        "--reason",
        "CHG-9",
    ];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| env.run(&SYNC));
        let b = s.spawn(|| env.run(&other));
        (a.join().expect("a"), b.join().expect("b"))
    });
    let mut codes = [a.status.code(), b.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(1), Some(4)], "\n{}\n{}", text(&a), text(&b));
    let loser = if a.status.code() == Some(4) { &a } else { &b };
    let said = String::from_utf8_lossy(&loser.stdout);
    assert!(
        said.contains("lock-held") && said.contains("held by") && said.contains("expires"),
        "{said}"
    );
    let outcomes: Vec<String> = env
        .audit()
        .iter()
        .filter_map(|r| r["outcome"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| *o == "started").count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| *o == "lock-held").count(),
        1,
        "{outcomes:?}"
    );
    let l = lease(&env);
    assert!(l["spec"]["holderIdentity"].is_null(), "released after: {l}");
}

#[test]
fn a_held_lease_is_named_and_an_expired_one_is_taken_over_and_audited() {
    let Some(env) = env("10s") else {
        return;
    };
    let held = json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": NAME, "annotations": {"meridian.dev/action": "promote"}},
        "spec": {"holderIdentity": "alice@ops-1 pid 42", "leaseDurationSeconds": 60,
                 "acquireTime": micro(-10), "renewTime": micro(-1), "leaseTransitions": 1},
    });
    env.k.create("us-east-1", LEASES, &held);
    let s = env.status();
    assert_eq!(s["fleet"]["lock"]["user"], "alice@ops-1", "{}", s["fleet"]);
    assert_eq!(s["fleet"]["lock"]["action"], "promote");
    let out = env.run(&SYNC);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("alice@ops-1 (pid 42, promote since"),
        "{}",
        text(&out)
    );

    // Alice's process died: her lease ran out a minute ago.
    let mut expired = lease(&env);
    expired["spec"]["renewTime"] = json!(micro(-120));
    let path = format!("{LEASES}/{NAME}");
    let (code, v) = env.k.api(
        "us-east-1",
        "PUT",
        &path,
        Some(&expired),
        "application/json",
    );
    assert_eq!(code, 200, "{v}");
    assert!(
        env.status()["fleet"]["lock"].is_null(),
        "an expired lease holds nothing"
    );
    let out = env.run(&SYNC);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let takeover = env
        .audit()
        .into_iter()
        .find(|r| r["action"] == "lock-takeover")
        .unwrap_or_default();
    let detail = takeover["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("its lease expired at"), "{takeover}");
    assert_eq!(takeover["before"]["user"], "alice@ops-1", "{takeover}");
    let l = lease(&env);
    assert!(l["spec"]["holderIdentity"].is_null(), "{l}");
    assert_eq!(l["spec"]["leaseTransitions"], 2, "{l}");
}
