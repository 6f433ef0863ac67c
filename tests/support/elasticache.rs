//! The ElastiCache Global Datastore stand-in (`tests/servers/elasticache_standin.py`), run
//! with the moto venv's python: it checks every request against the ElastiCache model that
//! venv's botocore ships. Seeded with one Global Datastore, `ldgnf-sessions`, whose members
//! are `sessions-use1` (us-east-1, primary) and `sessions-euw1` (eu-west-1, secondary).

use serde_json::json;

use super::standin::{self, Standin};

pub const GROUP: &str = "ldgnf-sessions";
pub const USE1: &str = "sessions-use1";
pub const EUW1: &str = "sessions-euw1";

/// Start it (a failover takes `failover_seconds`), or `None` without the moto venv.
pub fn start(failover_seconds: f64) -> Option<Standin> {
    let python = super::moto::venv_python();
    if !python.exists() {
        super::unavailable(
            "elasticache stand-in",
            &format!("{} not found", python.display()),
        );
        return None;
    }
    let seed = json!({"account": "123456789012", "global_replication_groups": [{
        "GlobalReplicationGroupId": GROUP, "failover_seconds": failover_seconds,
        "Members": [
            {"ReplicationGroupId": USE1, "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY"},
            {"ReplicationGroupId": EUW1, "ReplicationGroupRegion": "eu-west-1", "Role": "SECONDARY"}]}]});
    standin::start_with(&python, "elasticache_standin.py", &seed, &[], false)
}

/// Each member's role as the stand-in stores it: `(replication group, "PRIMARY"|"SECONDARY")`,
/// with the datastore's status and how many failovers it accepted.
pub fn state(ec: &Standin) -> (Vec<(String, String)>, String, u64) {
    let all = ec.control("GET", "state", &json!({}));
    let g = &all[GROUP];
    let members = g["Members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| {
                    (
                        x["ReplicationGroupId"].as_str().unwrap_or("").to_string(),
                        x["Role"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (
        members,
        g["Status"].as_str().unwrap_or("").to_string(),
        g["failovers"].as_u64().unwrap_or(0),
    )
}

/// The role the stand-in gives `replication_group` now.
pub fn role(ec: &Standin, replication_group: &str) -> String {
    state(ec)
        .0
        .into_iter()
        .find(|(rg, _)| rg == replication_group)
        .map(|(_, r)| r)
        .unwrap_or_default()
}
