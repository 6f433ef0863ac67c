//! A practice failover of the demo fleet (`rollout start --practice`) runs end to end on a
//! simulated copy in its own state directory: the real world file is byte for byte the
//! same afterwards, the real fleet has no rollout and no audit record, and everything the
//! practice says or records is marked PRACTICE.

use serde_json::Value;

use crate::rollout::Sandbox;

#[test]
fn a_practice_failover_of_the_demo_runs_end_to_end_without_touching_the_real_world_file() {
    let s = Sandbox::new();
    // The live demo's world exists (made by a first reading), and it is mid-incident:
    // ap-southeast-1 is down. The practice copy starts from that.
    let r = s.run(&["demo", "fault", "ap-southeast-1", "down"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let fleet_dir = s.dir.path().join("state/fleets/demo");
    let world = fleet_dir.join("sim-world.json");
    let before = std::fs::read(&world).expect("the live world file");

    let r = s.run(&[
        "rollout",
        "start",
        "failover-eu-west-1",
        "--practice",
        "--reason",
        "DRILL-7",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(
        r.err
            .starts_with("PRACTICE: a simulated copy of fleet demo"),
        "{}",
        r.err
    );
    assert!(
        r.out.starts_with("PRACTICE rollout failover-eu-west-1-"),
        "{}",
        r.out
    );

    // The same steps, gates and plans as the real thing, each through the library.
    for _ in 0..3 {
        let r = s.run(&["rollout", "next", "--practice", "--yes"]);
        assert_eq!(r.code, 0, "{}{}", r.out, r.err);
        assert!(r.err.starts_with("PRACTICE: "), "{}", r.err);
    }
    // The last gate: eu-west-1 healthy for 2m (the rollout clock moved on 3 minutes).
    let r = s.run_as("alice", "3m", &["rollout", "next", "--practice", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let r = s.run(&["rollout", "status", "--practice", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let doc: Value = serde_json::from_str(&r.out).expect("json");
    assert_eq!(doc["outcome_text"], "succeeded", "{doc:#}");
    assert_eq!(doc["rollout"]["practice"], true, "{doc:#}");

    // The practice copy was seeded from the live state: ap-southeast-1 is down there too,
    // and the promotion happened there.
    let r = s.run(&["rollout", "status", "--practice"]);
    assert!(r.out.starts_with("PRACTICE rollout"), "{}", r.out);
    let seed: Value = serde_json::from_slice(
        &std::fs::read(fleet_dir.join("practice/practice-seed.json")).expect("seed"),
    )
    .expect("seed json");
    let apse1 = seed["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .find(|r| r["id"] == "ap-southeast-1")
        .expect("ap-southeast-1");
    assert_eq!(apse1["down"], true, "{seed:#}");

    // Nothing real was touched: the live world file is byte for byte the same, the live
    // fleet has no rollout and its audit log has no record; the live status still says
    // us-east-1 is the writer.
    assert_eq!(std::fs::read(&world).expect("world"), before);
    assert!(!fleet_dir.join("audit.jsonl").exists());
    let r = s.run(&["rollout", "status"]);
    assert_ne!(r.code, 0, "a live rollout exists: {}", r.out);
    let status = s.json(&["status", "--json"]);
    let writer: Vec<&Value> = status["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .filter(|r| r["role"] == "primary")
        .collect();
    assert_eq!(writer.len(), 1);
    assert_eq!(writer[0]["id"], "us-east-1");

    // Every record of the practice is marked as one.
    let audit = std::fs::read_to_string(fleet_dir.join("practice/audit.jsonl")).expect("audit");
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect();
    assert!(records.len() >= 5, "{audit}");
    assert!(records.iter().all(|r| r["practice"] == true), "{audit}");
    assert!(
        records
            .iter()
            .any(|r| r["action"] == "promote" && r["outcome"] == "succeeded"),
        "{audit}"
    );
}

#[test]
fn practice_commands_need_a_practice_and_a_second_one_waits_for_the_first() {
    let s = Sandbox::new();
    let r = s.run(&["rollout", "next", "--practice"]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(
        r.err.contains("has no practice: start one with"),
        "{}",
        r.err
    );
    let start = [
        "rollout",
        "start",
        "failover-eu-west-1",
        "--practice",
        "--reason",
        "DRILL-8",
    ];
    assert_eq!(s.run(&start).code, 0);
    let r = s.run(&start);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(
        r.err
            .contains("finish it, or `meridian rollout abort --practice`"),
        "{}",
        r.err
    );
    let r = s.run(&["rollout", "abort", "--practice"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(s.run(&start).code, 0);
}
