//! Who follows whom: each server's own account of its place in replication, which region
//! an upstream address is, and which server is the fleet's writer.
//!
//! The writer is the unfenced server out of recovery on the highest timeline: promoting a
//! replica starts a new timeline, so after a promotion done behind meridian's back the old,
//! still writable primary is on a lower one and is the superseded writer, not the primary.

use tokio_postgres::config::Host;
use tokio_postgres::{Config, Row};

/// One query for everything a member says about itself, its replay position included (a
/// replica's lag reading needs no second query). `pg_walfile_name` errors during recovery
/// and `pg_is_wal_replay_paused` out of it, so each is only asked where it works; the
/// file name's first 8 hex digits are the timeline the server writes on.
pub(super) const MEMBER_SQL: &str = "SELECT pg_is_in_recovery(),
       current_setting('default_transaction_read_only') = 'on',
       CASE WHEN pg_is_in_recovery() THEN NULL
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
       (SELECT sender_host FROM pg_stat_wal_receiver LIMIT 1),
       (SELECT sender_port FROM pg_stat_wal_receiver LIMIT 1),
       (SELECT status FROM pg_stat_wal_receiver LIMIT 1),
       current_setting('primary_conninfo'),
       current_setting('server_version_num')::int,
       current_setting('primary_slot_name'),
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8,
       extract(epoch from now() - pg_last_xact_replay_timestamp())::float8,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END";

/// A host and port, as a DSN or a WAL receiver names a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    /// The same server, allowing for the loopback spelled two ways.
    pub fn same_as(&self, other: &Endpoint) -> bool {
        let loopback = |h: &str| matches!(h, "127.0.0.1" | "localhost" | "::1");
        self.port == other.port
            && (self.host == other.host || (loopback(&self.host) && loopback(&other.host)))
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// One server's place in replication, as it says itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub in_recovery: bool,
    /// `default_transaction_read_only = on`: meridian fenced it (or someone did by hand).
    pub fenced: bool,
    /// The timeline it writes on; writers only.
    pub timeline: Option<i32>,
    /// Where it streams from (the WAL receiver), else where `primary_conninfo` points.
    pub upstream: Option<Endpoint>,
    pub streaming: bool,
    pub primary_conninfo: String,
    pub version: i32,
    pub slot: String,
    pub replay: Replay,
}

/// How far a replica has replayed what it received (nothing on a primary).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    /// Bytes received but not replayed yet.
    pub unreplayed: Option<f64>,
    /// Seconds since the last replayed transaction's commit.
    pub age: Option<f64>,
    pub paused: bool,
}

impl Replay {
    /// WAL waits to be replayed, but no transaction was replayed yet to date it.
    pub fn undated(&self) -> bool {
        self.unreplayed.is_some_and(|b| b > 0.0) && self.age.is_none() && !self.paused
    }
}

impl Member {
    pub fn from_row(row: &Row) -> Member {
        let sender_host: Option<String> = row.get(3);
        let sender_port: Option<i32> = row.get(4);
        let status: Option<String> = row.get(5);
        let conninfo: String = row.get(6);
        let from_receiver = match (sender_host, sender_port) {
            (Some(host), Some(port)) => {
                u16::try_from(port).ok().map(|port| Endpoint { host, port })
            }
            _ => None,
        };
        Member {
            in_recovery: row.get(0),
            fenced: row.get(1),
            timeline: row.get(2),
            upstream: from_receiver.or_else(|| conninfo_endpoint(&conninfo)),
            streaming: status.as_deref() == Some("streaming"),
            primary_conninfo: conninfo,
            version: row.get(7),
            slot: row.get(8),
            replay: Replay {
                unreplayed: row.get(9),
                age: row.get(10),
                paused: row.get(11),
            },
        }
    }

    /// Takes writes: out of recovery and not fenced.
    pub fn writes(&self) -> bool {
        !self.in_recovery && !self.fenced
    }
}

/// The fleet's writer among the members that answered: the unfenced writer on the highest
/// timeline, or `None` when none answered or two share the highest timeline (two separate
/// clusters: which one is meant cannot be told).
pub fn current_writer(members: &[(String, Member)]) -> Option<&str> {
    let mut writers: Vec<&(String, Member)> = members.iter().filter(|(_, m)| m.writes()).collect();
    writers.sort_by_key(|(_, m)| std::cmp::Reverse(m.timeline.unwrap_or(0)));
    match writers.as_slice() {
        [only] => Some(only.0.as_str()),
        [first, second, ..] if first.1.timeline > second.1.timeline => Some(first.0.as_str()),
        _ => None,
    }
}

/// The host and port a DSN connects to (its first host; port 5432 unless set).
pub fn dsn_endpoint(dsn: &str) -> Option<Endpoint> {
    let config: Config = dsn.parse().ok()?;
    let host = match config.get_hosts().first()? {
        Host::Tcp(h) => h.clone(),
        #[cfg(unix)]
        Host::Unix(p) => p.display().to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    Some(Endpoint { host, port })
}

/// `key=value` pairs of a libpq conninfo string (values may be single-quoted, with `\'`).
pub fn parse_conninfo(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.trim().is_empty() {
            return out;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                value.push(c);
            }
        }
        out.push((key.trim().to_string(), value));
    }
}

/// Where a conninfo string points.
pub fn conninfo_endpoint(text: &str) -> Option<Endpoint> {
    let pairs = parse_conninfo(text);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let host = get("host").or_else(|| get("hostaddr"))?;
    let port = get("port").and_then(|p| p.parse().ok()).unwrap_or(5432);
    Some(Endpoint { host, port })
}

/// The conninfo a replica keeps (user, password, application name...) pointed at `to`.
pub fn repointed_conninfo(text: &str, to: &Endpoint) -> String {
    let mut pairs: Vec<(String, String)> = parse_conninfo(text)
        .into_iter()
        .filter(|(k, _)| k != "host" && k != "hostaddr" && k != "port")
        .collect();
    pairs.push(("host".into(), to.host.clone()));
    pairs.push(("port".into(), to.port.to_string()));
    pairs
        .iter()
        .map(|(k, v)| format!("{k}='{}'", v.replace('\\', "\\\\").replace('\'', "\\'")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A string as an SQL literal (ALTER SYSTEM takes no parameters).
pub fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(in_recovery: bool, fenced: bool, timeline: Option<i32>) -> Member {
        Member {
            in_recovery,
            fenced,
            timeline,
            upstream: None,
            streaming: false,
            primary_conninfo: String::new(),
            version: 150000,
            slot: String::new(),
            replay: Replay::default(),
        }
    }

    #[test]
    fn the_writer_is_the_unfenced_one_on_the_newest_timeline() {
        let set = |a: Member, b: Member| vec![("us".to_string(), a), ("eu".to_string(), b)];
        let fenced_old = set(member(false, true, Some(1)), member(false, false, Some(2)));
        assert_eq!(current_writer(&fenced_old), Some("eu"));
        let behind_our_back = set(member(false, false, Some(1)), member(false, false, Some(2)));
        assert_eq!(
            current_writer(&behind_our_back),
            Some("eu"),
            "promoted later"
        );
        let twins = set(member(false, false, Some(1)), member(false, false, Some(1)));
        assert_eq!(current_writer(&twins), None, "two clusters: cannot tell");
        let replicas = set(member(true, false, None), member(true, false, None));
        assert_eq!(current_writer(&replicas), None);
    }

    #[test]
    fn conninfo_is_repointed_keeping_the_rest() {
        let text = "user=postgres passfile='/var/lib/postgresql/.pgpass' channel_binding=prefer host=127.0.0.1 port=5433 application_name='eu west'";
        let to = Endpoint {
            host: "10.0.0.9".into(),
            port: 5434,
        };
        assert_eq!(
            conninfo_endpoint(text),
            Some(Endpoint {
                host: "127.0.0.1".into(),
                port: 5433
            })
        );
        let moved = repointed_conninfo(text, &to);
        assert_eq!(conninfo_endpoint(&moved), Some(to));
        assert!(
            moved.contains("passfile='/var/lib/postgresql/.pgpass'"),
            "{moved}"
        );
        assert!(moved.contains("application_name='eu west'"), "{moved}");
        assert_eq!(parse_conninfo("a='x\\'y' b=2")[0].1, "x'y");
        assert_eq!(sql_literal("it's"), "'it''s'");
    }

    #[test]
    fn endpoints_match_across_loopback_spellings() {
        let dsn = dsn_endpoint("postgres://postgres@localhost:5433/postgres").expect("dsn");
        let seen = Endpoint {
            host: "127.0.0.1".into(),
            port: 5433,
        };
        assert!(dsn.same_as(&seen));
        assert!(!dsn.same_as(&Endpoint { port: 5434, ..seen }));
    }
}
