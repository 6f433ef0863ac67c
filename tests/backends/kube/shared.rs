//! Shared state in Kubernetes (`[lock] provider = "kube"`): a pair on two machines (two
//! users, two state directories) steps through one rollout whose state is a ConfigMap next
//! to the fleet's Lease; the store's compare-and-swap and watch against the stand-in.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use meridian::providers::kube::shared::{KubeStore, object_name};
use meridian::providers::store::{SharedStore, Swap, update};
use serde_json::{Value, json};

use super::{Env, Opts, REVS, text};
use crate::support::kube::kube_venv;
use crate::support::kube_seed::AppSeed;

const LEASE: &str = "meridian-kube-e2e";
const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

/// The checkout tenant and a rollout: us-east-1, a second person's approval, eu-west-1.
const TENANTS: &str = r#"
[[tenants]]
id = "checkout"
environment = "prd"
regions = ["us-east-1", "eu-west-1"]

[[rollouts]]
id = "release"
name = "Release, east first"
steps = [
  { sync = "checkout", region = "us-east-1" },
  { gate = "approval", by = "second-person" },
  { sync = "checkout", region = "eu-west-1" },
]
"#;

pub(super) fn env() -> Option<Env> {
    let env = Env::start(Opts {
        gitops: "sync_timeout = \"10s\"",
        lock: "provider = \"kube\"\nlease_duration = \"5s\"",
        tenants: TENANTS,
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

/// Run meridian as `user` with its own state directory: another person, another machine.
pub(super) fn run_as(env: &Env, user: &str, state: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_meridian"))
        .arg("-c")
        .arg(&env.fleet)
        .args(["--sim-speed", "0"])
        .args(args)
        .env("MERIDIAN_STATE_DIR", state)
        .env("MERIDIAN_KUBE_VENV", kube_venv())
        .env("HOME", env.dir.path())
        .env("USER", user)
        .env_remove("KUBECONFIG")
        .env_remove("MERIDIAN_READ_ONLY")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run meridian")
}

fn store_objects(env: &Env) -> Vec<Value> {
    let path = format!("{CONFIGMAPS}?labelSelector=meridian.dev%2Fstore%3D{LEASE}");
    env.k
        .get("us-east-1", &path)
        .and_then(|l| l["items"].as_array().cloned())
        .unwrap_or_default()
}

#[test]
fn a_pair_on_two_machines_steps_through_a_rollout_kept_in_configmaps() {
    let Some(env) = env() else {
        return;
    };
    let alice_state = env.dir.path().join("alice-state");
    let bob_state = env.dir.path().join("bob-state");
    let alice = |args: &[&str]| run_as(&env, "alice", &alice_state, args);
    let bob = |args: &[&str]| run_as(&env, "bob", &bob_state, args);

    let out = alice(&["rollout", "start", "release", "--reason", "CHG-15"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = alice(&["rollout", "next", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The gate waits for a second person; alice cannot be it.
    let out = alice(&["rollout", "next"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = alice(&["rollout", "approve"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs a second person"),
        "{}",
        text(&out)
    );

    // Bob, on another machine (nothing in his state directory), sees the same rollout.
    let out = bob(&["rollout", "status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    assert_eq!(
        s["rollout"]["started_by"]
            .as_str()
            .map(|b| b.starts_with("alice@")),
        Some(true),
        "{s}"
    );
    assert_eq!(s["steps"][0]["state"], "done", "{s}");
    assert_ne!(s["steps"][1]["state"], "done", "{s}");
    // Read-only, bob may look but not approve.
    let out = bob(&["--read-only", "rollout", "approve"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // Bob and carol (a third machine) approve at once: exactly one approval lands, the
    // other finds the gate passed (the compare-and-swap re-checks the fresh state).
    let carol_state = env.dir.path().join("carol-state");
    let (b, c) = std::thread::scope(|s| {
        let b = s.spawn(|| bob(&["rollout", "approve"]));
        let c = s.spawn(|| run_as(&env, "carol", &carol_state, &["rollout", "approve"]));
        (b.join().expect("bob"), c.join().expect("carol"))
    });
    let mut codes = [b.status.code(), c.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(2)], "\n{}\n{}", text(&b), text(&c));
    let approver = if b.status.code() == Some(0) {
        "bob@"
    } else {
        "carol@"
    };

    // Alice goes on.
    let out = alice(&["rollout", "next", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = alice(&["rollout", "status", "--json"]);
    let s: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    let states: Vec<&str> = s["steps"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["state"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(states, ["done", "done", "done"], "{s}");
    assert_eq!(
        s["rollout"]["steps"][1]["state"]["by"]
            .as_str()
            .map(|b| b.starts_with(approver)),
        Some(true),
        "{s}"
    );

    // The state is in the API, next to the Lease, not in either state directory.
    let objects = store_objects(&env);
    let rollout = objects
        .iter()
        .find(|o| o["metadata"]["name"] == object_name(LEASE, "rollout", "current"))
        .unwrap_or_else(|| panic!("no rollout ConfigMap in {objects:?}"));
    assert_eq!(
        rollout["metadata"]["labels"]["meridian.dev/kind"],
        "rollout"
    );
    let doc: Value = rollout["data"]["doc.json"]
        .as_str()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    assert_eq!(doc["id"], s["rollout"]["id"], "{rollout}");
    let lease = env.k.get(
        "us-east-1",
        &format!("/apis/coordination.k8s.io/v1/namespaces/default/leases/{LEASE}"),
    );
    assert!(lease.is_some(), "the Lease is in the same namespace");
    for dir in [&alice_state, &bob_state, &carol_state] {
        let files: Vec<String> = walk(dir);
        assert!(
            !files
                .iter()
                .any(|f| f.ends_with("rollout.json") || f.contains("/shared/")),
            "{files:?}"
        );
    }
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[test]
fn the_store_swaps_by_resource_version_and_its_watch_sees_other_writers() {
    let Some(env) = env() else {
        return;
    };
    let fleet = meridian::fleet::load_file(&env.fleet).expect("fleet");
    let store = KubeStore::for_fleet(&fleet).expect("a kube store for a kube lock");

    assert_eq!(store.get("t", "doc").expect("get"), None);
    assert_eq!(
        store
            .put_if("t", "doc", &json!({"n": 0}), None)
            .expect("create"),
        Swap::Written
    );
    assert_eq!(
        store
            .put_if("t", "doc", &json!({"n": 9}), None)
            .expect("create again"),
        Swap::Conflict,
        "create over an existing document"
    );
    let v = store
        .get_versioned("t", "doc")
        .expect("get")
        .expect("there");
    store.put("t", "doc", &json!({"n": 1})).expect("put");
    assert_eq!(
        store
            .put_if("t", "doc", &json!({"n": 9}), Some(&v.version))
            .expect("stale"),
        Swap::Conflict,
        "a replace with a stale resourceVersion is refused"
    );

    // Two writers at once (two threads; the API server is the only arbiter): none is lost.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..5 {
                    update::<(), meridian::providers::store::StoreError>(
                        &*store,
                        "t",
                        "doc",
                        |doc| {
                            let n = doc.and_then(|d| d["n"].as_u64()).unwrap_or(0);
                            Ok(Some((json!({"n": n + 1}), ())))
                        },
                    )
                    .expect("update");
                }
            });
        }
    });
    assert_eq!(store.get("t", "doc").expect("get"), Some(json!({"n": 11})));

    // Watched: a write by someone else (here straight to the API) reaches the cache
    // without asking the server again (the bounds below are for liveness, not speed).
    let mut changes = store.changes().expect("a watched store");
    let start = Instant::now();
    while store.list("t").expect("list").is_empty() || !changes.has_changed().unwrap_or(false) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the watch never listed within 20 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    changes.mark_unchanged();
    let name = object_name(LEASE, "t", "doc");
    let mut obj = env
        .k
        .get("us-east-1", &format!("{CONFIGMAPS}/{name}"))
        .expect("the document's ConfigMap");
    obj["data"]["doc.json"] = json!("{\"n\":100}");
    let (code, v) = env.k.api(
        "us-east-1",
        "PUT",
        &format!("{CONFIGMAPS}/{name}"),
        Some(&obj),
        "application/json",
    );
    assert_eq!(code, 200, "{v}");
    let log = env.k.requests("us-east-1");
    assert!(
        log.iter().any(|r| r["method"] == "GET"
            && r["path"]
                .as_str()
                .is_some_and(|p| p.contains(&format!("/configmaps/{name}")))),
        "the request log shows the store's direct reads (so an empty window below means something)"
    );
    let before = log.len();
    let start = Instant::now();
    while store.get("t", "doc").expect("get") != Some(json!({"n": 100})) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the partner's write never reached the watch's cache (waited 15 s)"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(changes.has_changed().unwrap_or(false));
    let asked: Vec<Value> = env.k.requests("us-east-1")[before..]
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.contains("/configmaps") && !p.contains("watch="))
        })
        .cloned()
        .collect();
    assert!(
        asked.is_empty(),
        "reads came from the watch's cache: {asked:?}"
    );

    store.remove("t", "doc").expect("remove");
    store.remove("t", "doc").expect("removing nothing is fine");
    assert_eq!(store.get_versioned("t", "doc").expect("get"), None);
}

#[test]
fn a_read_only_dashboard_on_the_other_machine_shows_each_step_live() {
    let Some(env) = env() else {
        return;
    };
    let alice_state = env.dir.path().join("alice-state");
    let bob_state = env.dir.path().join("bob-state");
    let alice = |args: &[&str]| run_as(&env, "alice", &alice_state, args);
    let out = alice(&["rollout", "start", "release", "--reason", "CHG-15"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Bob's dashboard, read-only, with his own (empty) state directory.
    let cmd = format!(
        "env -u KUBECONFIG -u MERIDIAN_READ_ONLY MERIDIAN_STATE_DIR='{}' USER=bob HOME='{}' MERIDIAN_KUBE_VENV='{}' TERM=xterm-256color '{}' -c '{}' --sim-speed 0 --read-only; echo MERIDIAN_EXIT=$?; sleep 30",
        bob_state.display(),
        env.dir.path().display(),
        kube_venv().display(),
        env!("CARGO_BIN_EXE_meridian"),
        env.fleet.display(),
    );
    let tmux = crate::support::tmux::Tmux::start("shared", &cmd);
    tmux.wait_for("Regions", 30);
    tmux.keys(&["o"]);
    tmux.wait_for("1 pending", 10);

    // Alice runs the first step on her machine: bob's screen shows it done (through the
    // watch: that the API server is not polled is checked below; the waits are liveness
    // bounds, not speed).
    let out = alice(&["rollout", "next", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let screen = tmux.wait_for("1 done", 15);
    assert!(screen.contains("alice@"), "{screen}");
    tmux.wait_for("2 waiting", 15);

    // Carol approves from a third machine: bob sees the gate pass.
    let carol_state = env.dir.path().join("carol-state");
    let out = run_as(&env, "carol", &carol_state, &["rollout", "approve"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let screen = tmux.wait_for("2 done", 15);
    assert!(screen.contains("carol@"), "{screen}");
    // Idle, the dashboard asks the API server nothing about the documents: its watch
    // tells it (the watch request itself aside).
    let before = env.k.requests("us-east-1").len();
    std::thread::sleep(Duration::from_millis(2500));
    let asked: Vec<Value> = env.k.requests("us-east-1")[before..]
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.contains("/configmaps") && !p.contains("watch="))
        })
        .cloned()
        .collect();
    assert!(asked.is_empty(), "the dashboard polled: {asked:?}");
    // Read-only: bob's dashboard wrote nothing (no document is his).
    let objects = store_objects(&env);
    for o in &objects {
        let doc = o["data"]["doc.json"].as_str().unwrap_or_default();
        assert!(!doc.contains("bob@"), "{o}");
    }
}

#[test]
fn a_two_person_approval_is_asked_on_one_machine_and_given_on_another() {
    let tenants =
        format!("{TENANTS}\n[[policy.approvals]]\naction = \"sync\"\napproval = \"two-person\"\n");
    let Some(env) = Env::start(Opts {
        gitops: "sync_timeout = \"10s\"",
        lock: "provider = \"kube\"",
        tenants: &tenants,
    }) else {
        return;
    };
    let name = "checkout-us-east-1";
    let seed = AppSeed {
        history: &REVS[..2],
        head: Some(REVS[2]),
        ..AppSeed::new(name)
    };
    env.k.seed_app("us-east-1", &seed);
    env.k.wait_app("us-east-1", name, |a| {
        a["status"]["sync"]["status"] == "OutOfSync"
    });
    let alice_state = env.dir.path().join("alice-state");
    let bob_state = env.dir.path().join("bob-state");
    let sync = [
        "sync",
        "checkout",
        "--region",
        "us-east-1",
        "--yes",
        "--reason",
        "CHG-15",
    ];
    let out = run_as(&env, "alice", &alice_state, &sync);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let at = said
        .find("meridian approve ")
        .unwrap_or_else(|| panic!("{said}"));
    let hash: String = said[at + "meridian approve ".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert!(!hash.is_empty(), "{said}");
    let kinds: Vec<Value> = store_objects(&env)
        .iter()
        .map(|o| o["metadata"]["labels"]["meridian.dev/kind"].clone())
        .collect();
    assert!(kinds.contains(&json!("approval-requests")), "{kinds:?}");

    let out = run_as(&env, "alice", &alice_state, &["approve", &hash, "--yes"]);
    assert_eq!(out.status.code(), Some(3), "the requester: {}", text(&out));
    let out = run_as(&env, "bob", &bob_state, &["approve", &hash, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run_as(&env, "alice", &alice_state, &sync);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// A rollout whose first step runs for a while (a shell phase that sleeps), so two people
/// pressing Enter on it overlap.
const SLOW_STEP: &str = r#"
[[tenants]]
id = "checkout"
environment = "stg"
regions = ["us-east-1", "eu-west-1"]

[runner]
provider = "shell"

[[phases]]
id = "warm-up"
name = "Warm up"
steps = [{ name = "wait", run = "sleep 2" }]

[[rollouts]]
id = "slow"
name = "One slow step"
steps = [{ phase = "warm-up", region = "us-east-1" }]
"#;

/// Two dashboards (two state directories; one store, ConfigMaps next to the Lease) press
/// Enter on the same rollout step at once. Each does what the dashboard's Enter does: plan
/// the step's request and hand it to its executor, which books the step by compare-and-swap
/// before running it. Exactly one runs it; the other is refused, told who runs it, and its
/// refusal is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dashboards_pressing_enter_on_one_step_run_it_once() {
    use meridian::actions::rollout::Next;
    use meridian::actions::{AuditLog, AuditOutcome, Executor, Stop, plan};
    use meridian::providers::kube::LeaseLock;
    use meridian::providers::lock::FleetLock;
    use meridian::providers::{Progress, ProviderOptions, Providers};

    let Some(env) = Env::start(Opts {
        gitops: "",
        lock: "provider = \"kube\"\nlease_duration = \"5s\"",
        tenants: SLOW_STEP,
    }) else {
        return;
    };
    let out = env.run(&["rollout", "start", "slow", "--reason", "CHG-29"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let fleet = meridian::fleet::load_file(&env.fleet).unwrap_or_else(|e| panic!("{e}"));
    let dashboard = |name: &str| {
        let dir = env.dir.path().join(name);
        std::fs::create_dir_all(&dir).expect("state dir");
        let providers = Providers::build(&fleet, &dir, &ProviderOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let lease = LeaseLock::from_fleet(&fleet, providers.kube.clone()).expect("a Lease lock");
        let lock = FleetLock::new(&dir.join("fleet.lock")).with_remote(std::sync::Arc::new(lease));
        let executor = Executor::new(
            fleet.clone(),
            providers.clone(),
            AuditLog::new(&dir.join("audit.jsonl")),
            lock,
            false,
        );
        (executor, providers)
    };
    let ((a, reads), (b, _)) = (dashboard("alice"), dashboard("bob"));
    let rollout = a.rollouts().current().unwrap_or_else(|e| panic!("{e}"));
    let Next::Action { request, .. } = rollout.next() else {
        panic!(
            "the rollout starts with its action step: {:?}",
            rollout.next()
        );
    };
    let state = meridian::engine::poll(&fleet, &reads, None).await;
    let p = plan(&request, &fleet, &state, meridian::state::now_ms()).expect("plan");
    assert!(!p.is_blocked(), "{:#?}", p.checks);

    let quiet = Progress::silent();
    let (x, y) = tokio::join!(
        a.execute_until(&request, &p, None, &quiet, Stop::never()),
        b.execute_until(&request, &p, None, &quiet, Stop::never()),
    );
    let outcomes = [x.outcome, y.outcome];
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == AuditOutcome::Succeeded)
            .count(),
        1,
        "exactly one runs it: {x:?} {y:?}"
    );
    let refused = [&x, &y]
        .into_iter()
        .find(|e| e.outcome == AuditOutcome::Refused)
        .unwrap_or_else(|| panic!("the other is refused: {x:?} {y:?}"));
    let why = refused.detail.clone().unwrap_or_default();
    assert!(
        why.contains("step 1 of rollout") && why.contains("is already being run by"),
        "told who runs it: {why}"
    );
    // The step is done once, by whoever ran it; pressing Enter on it again afterwards (a
    // dashboard that has not refreshed yet) is refused too, not a second run.
    let after = a.rollouts().current().unwrap_or_else(|e| panic!("{e}"));
    assert!(after.status.finished(), "{after:?}");
    let late = b
        .execute_until(&request, &p, None, &quiet, Stop::never())
        .await;
    assert_eq!(late.outcome, AuditOutcome::Refused, "{late:?}");
    assert!(
        late.detail
            .as_deref()
            .unwrap_or_default()
            .contains("moved meanwhile"),
        "{late:?}"
    );
}
