//! PostgreSQL and Redis primary + replica pairs on free loopback ports, in a temp directory.
//! PostgreSQL refuses to run as root, so as root its commands run through
//! `runuser -u postgres --`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{free_port, unavailable, wait_for};

fn pg_bin() -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("MERIDIAN_PG_BIN") {
        return Some(PathBuf::from(b));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn as_postgres(bin: &Path, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin).args(args);
        c
    } else {
        let mut c = Command::new(bin);
        c.args(args);
        c
    }
}

fn run(mut c: Command, what: &str) {
    match c.stdout(Stdio::null()).stderr(Stdio::piped()).output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!("{what} failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("{what} could not start: {e}"),
    }
}

/// A PostgreSQL primary with one streaming replica (slot `replica`), and with `pg_trio` a
/// second one (slot `replica2`), as the lab has.
pub struct PgPair {
    pub primary_port: u16,
    pub replica_port: u16,
    pub replica2_port: Option<u16>,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl PgPair {
    pub fn dsn(&self, port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres?connect_timeout=2")
    }
    /// The data directory of `primary`, `replica` or `replica2`.
    pub fn data_dir(&self, which: &str) -> PathBuf {
        self.dir.path().join(which)
    }
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// Start one server (again), with the options every server of the set runs with.
    pub fn start(&self, which: &str, port: u16) {
        let sock = self.dir.path().display().to_string();
        let opts = format!(
            "-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on -c wal_log_hints=on"
        );
        let log = format!("{sock}/{which}.log");
        let started = as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data(which),
                "-o",
                &opts,
                "-l",
                &log,
                "-w",
                "start",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
        match started {
            Ok(o) if o.status.success() => {}
            // The server's own log says why (a port taken, a slow start): show it.
            Ok(o) => panic!(
                "pg_ctl start of {which} on port {port} failed: {}\nserver log:\n{}",
                String::from_utf8_lossy(&o.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
            Err(e) => panic!("pg_ctl could not start: {e}"),
        }
    }

    pub fn primary_dsn(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?connect_timeout=2",
            self.primary_port
        )
    }
    pub fn replica_dsn(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?connect_timeout=2",
            self.replica_port
        )
    }
    fn data(&self, which: &str) -> String {
        self.dir.path().join(which).display().to_string()
    }

    /// Run SQL on one server through psql; returns trimmed output.
    pub fn sql(&self, port: u16, sql: &str) -> String {
        let out = as_postgres(
            &self.bin.join("psql"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-XAtqc",
                sql,
            ],
        )
        .output();
        match out {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
            Ok(o) => panic!("psql {sql}: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => panic!("psql could not start: {e}"),
        }
    }

    /// Stop one server at once (a crash, as far as clients can tell).
    pub fn stop(&self, which: &str) {
        let d = self.data(which);
        let _ = as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", &d, "-m", "immediate", "-w", "stop"],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    }
}

impl Drop for PgPair {
    fn drop(&mut self) {
        if self.replica2_port.is_some() {
            self.stop("replica2");
        }
        self.stop("replica");
        self.stop("primary");
    }
}

/// Start a PostgreSQL primary and a streaming replica, or `None` when not installed.
pub fn pg_pair() -> Option<PgPair> {
    pg_set(false)
}

/// A primary and two streaming replicas (`replica`, `replica2`).
pub fn pg_trio() -> Option<PgPair> {
    pg_set(true)
}

fn pg_set(two_replicas: bool) -> Option<PgPair> {
    let Some(bin) = pg_bin() else {
        unavailable(
            "PostgreSQL",
            "no /usr/lib/postgresql/*/bin/initdb (or MERIDIAN_PG_BIN)",
        );
        return None;
    };
    let dir = match tempfile::Builder::new().prefix("meridian-pg").tempdir() {
        Ok(d) => d,
        Err(e) => panic!("temp dir: {e}"),
    };
    if is_root() {
        // postgres must own its data and socket directory.
        let mut chown = Command::new("chown");
        chown.arg("postgres:postgres").arg(dir.path());
        run(chown, "chown");
    }
    let pair = PgPair {
        primary_port: free_port(),
        replica_port: free_port(),
        replica2_port: two_replicas.then(free_port),
        bin: bin.clone(),
        dir,
    };
    let p = pair.data("primary");
    run(
        as_postgres(
            &bin.join("initdb"),
            &["-D", &p, "--auth=trust", "--no-sync", "-U", "postgres"],
        ),
        "initdb",
    );
    pair.start("primary", pair.primary_port);
    let replicas: Vec<(&str, u16)> = [
        ("replica", Some(pair.replica_port)),
        ("replica2", pair.replica2_port),
    ]
    .into_iter()
    .filter_map(|(name, port)| Some((name, port?)))
    .collect();
    let port = pair.primary_port.to_string();
    for (name, replica_port) in &replicas {
        pair.sql(
            pair.primary_port,
            &format!("SELECT pg_create_physical_replication_slot('{name}')"),
        );
        run(
            as_postgres(
                &bin.join("pg_basebackup"),
                &[
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-U",
                    "postgres",
                    "-D",
                    &pair.data(name),
                    "-R",
                    "-X",
                    "stream",
                    "-S",
                    name,
                ],
            ),
            "pg_basebackup",
        );
        pair.start(name, *replica_port);
    }
    for (_, replica_port) in &replicas {
        wait_for(
            "PostgreSQL replica streaming",
            Duration::from_secs(20),
            || {
                pair.sql(
                    *replica_port,
                    "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'",
                ) == "1"
            },
        );
    }
    pair.sql(
        pair.primary_port,
        "CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, at timestamptz DEFAULT now())",
    );
    // Tests start from replicas that have replayed everything.
    for (_, replica_port) in &replicas {
        wait_for(
            "PostgreSQL replica to replay the setup",
            Duration::from_secs(20),
            || {
                pair.sql(
                    *replica_port,
                    "SELECT to_regclass('orders') IS NOT NULL AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()",
                ) == "t"
            },
        );
    }
    Some(pair)
}

/// A Redis primary with one replica, and with `redis_trio` a second one.
pub struct RedisPair {
    pub primary_port: u16,
    pub replica_port: u16,
    pub replica2_port: Option<u16>,
    children: Vec<Child>,
    _dir: tempfile::TempDir,
}

impl RedisPair {
    pub fn primary_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.primary_port)
    }
    pub fn replica_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.replica_port)
    }
    pub fn url(&self, port: u16) -> String {
        format!("redis://127.0.0.1:{port}")
    }

    /// Kill one server (0 primary, 1 replica, 2 second replica) at once.
    pub fn kill(&mut self, index: usize) {
        if let Some(c) = self.children.get_mut(index) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Run a command through redis-cli; returns trimmed output.
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        match Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .output()
        {
            Ok(o) => String::from_utf8_lossy(&o.stdout).trim().to_string(),
            Err(e) => panic!("redis-cli could not start: {e}"),
        }
    }

    /// Run a command in the background (e.g. `DEBUG SLEEP`), without waiting for it.
    pub fn cli_background(&self, port: u16, args: &[&str]) -> Child {
        match Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .stdout(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => panic!("redis-cli could not start: {e}"),
        }
    }
}

impl Drop for RedisPair {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Start a Redis primary and a replica, or `None` when not installed.
pub fn redis_pair() -> Option<RedisPair> {
    redis_set(false)
}

/// A Redis primary and two replicas.
pub fn redis_trio() -> Option<RedisPair> {
    redis_set(true)
}

fn redis_set(two_replicas: bool) -> Option<RedisPair> {
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        unavailable("Redis", "redis-server not found");
        return None;
    }
    let dir = match tempfile::Builder::new().prefix("meridian-redis").tempdir() {
        Ok(d) => d,
        Err(e) => panic!("temp dir: {e}"),
    };
    let (pp, rp) = (free_port(), free_port());
    let spawn = |port: u16, extra: &[String]| -> Child {
        let mut c = Command::new("redis-server");
        c.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--repl-diskless-sync-delay",
            "0",
            "--enable-debug-command",
            "local",
        ])
        .arg("--dir")
        .arg(dir.path())
        .args(["--dbfilename", &format!("dump-{port}.rdb")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        match c.spawn() {
            Ok(c) => c,
            Err(e) => panic!("redis-server could not start: {e}"),
        }
    };
    let follow = ["--replicaof".into(), "127.0.0.1".into(), pp.to_string()];
    let mut children = vec![spawn(pp, &[]), spawn(rp, &follow)];
    let rp2 = two_replicas.then(free_port);
    if let Some(p) = rp2 {
        children.push(spawn(p, &follow));
    }
    let pair = RedisPair {
        primary_port: pp,
        replica_port: rp,
        replica2_port: rp2,
        children,
        _dir: dir,
    };
    for port in [Some(rp), rp2].into_iter().flatten() {
        wait_for("Redis replica link", Duration::from_secs(20), || {
            pair.cli(port, &["INFO", "replication"])
                .contains("master_link_status:up")
        });
    }
    Some(pair)
}
