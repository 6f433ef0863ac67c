//! `meridian rejoin`: a fenced old primary (or an orphaned replica) becomes a replica of the
//! writer with pg_rewind. pg_rewind works on the data directory, so this runs only where
//! the server's data is (the lab, a single host); elsewhere it refuses and names the
//! commands to run there. It refuses, changing nothing, when the server took writes after
//! the promotion point: those transactions exist nowhere else and a rewind would drop them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;

use super::topology::{MEMBER_SQL, Member, current_writer};
use super::{Postgres, plain};
use crate::{Progress, ProviderError, ProviderResult};
use meridian_model::fleet::{Fleet, Region};

/// How long one server command (pg_ctl stop/start, pg_rewind, pg_waldump) may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// The arguments the server was last started with (`postmaster.opts`), minus the binary
/// and `-D DIR`, so it starts again on the same port and socket directory.
pub fn start_options(opts: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = opts.trim();
    while !rest.is_empty() {
        let (word, after) = match rest.strip_prefix('"') {
            Some(quoted) => match quoted.split_once('"') {
                Some((w, a)) => (w, a),
                None => (quoted, ""),
            },
            None => rest.split_once(' ').unwrap_or((rest, "")),
        };
        words.push(word.to_string());
        rest = after.trim_start();
    }
    let mut out = Vec::new();
    let mut it = words.into_iter().skip(1);
    while let Some(w) = it.next() {
        if w == "-D" {
            it.next();
        } else {
            out.push(w);
        }
    }
    out
}

/// The switch point from `parent` in a timeline history file (`1\t0/3000148\treason`).
pub fn switch_point(history: &str, parent: i32) -> Option<String> {
    history.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        (f.next()?.parse::<i32>().ok()? == parent).then(|| f.next().map(str::to_string))?
    })
}

/// `pg_ctl start` on the same options as before, logging beside the data directory (a
/// server left without `-l` would hold pg_ctl's output open, and the call would never end).
fn start_args(data: &Path, opts: &str) -> Vec<String> {
    let options: Vec<String> = start_options(opts).iter().map(|w| quoted(w)).collect();
    vec![
        "start".into(),
        "-D".into(),
        data.display().to_string(),
        "-l".into(),
        data.with_extension("log").display().to_string(),
        "-o".into(),
        options.join(" "),
        "-w".into(),
    ]
}

/// Quote one word for a shell-free `-o` option string of pg_ctl.
fn quoted(word: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_=./:,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

impl Postgres {
    pub(super) async fn rejoin_region(
        &self,
        fleet: &Fleet,
        region: &Region,
        progress: &Progress,
    ) -> ProviderResult<()> {
        let call = "postgres rejoin";
        let id = region.id.as_str();
        let refuse =
            |m: String, hint: String| Err(ProviderError::new(Some(id), call, m).with_hint(hint));
        let members = self.members(call).await;
        let Some(writer) = current_writer(&members).map(str::to_string) else {
            return refuse(
                "no writer answers: there is nothing to follow".into(),
                "check `meridian status`; promote a region first".into(),
            );
        };
        if writer == id {
            return refuse(
                format!("{id} is the writer"),
                "promote another region first".into(),
            );
        }
        let Some(to) = self.endpoint(&writer) else {
            return refuse(
                format!("{writer}'s connection string names no host and port"),
                "rejoin it by hand with pg_rewind".into(),
            );
        };
        let client = self.connect(id, call).await?;
        let row = client
            .query_one(MEMBER_SQL, &[])
            .await
            .map_err(|e| plain(id, call, &e))?;
        let own = Member::from_row(&row);
        if own.writes() {
            return refuse(
                format!("{id} takes writes (not fenced): rejoining it would drop them"),
                format!(
                    "fence it first (ALTER SYSTEM SET default_transaction_read_only = on; SELECT pg_reload_conf()), save what it took after {writer} was promoted, then rejoin"
                ),
            );
        }
        let q = |sql: &'static str| async {
            let row = client
                .query_one(sql, &[])
                .await
                .map_err(|e| plain(id, call, &e))?;
            Ok::<String, ProviderError>(row.get(0))
        };
        let data = PathBuf::from(q("SELECT current_setting('data_directory')").await?);
        let bin = PathBuf::from(q("SELECT setting FROM pg_config WHERE name = 'BINDIR'").await?);
        let by_hand = format!(
            "on {id}'s host: pg_ctl stop -D {d} -m fast; pg_rewind --target-pgdata={d} --source-server='host={h} port={p} user=postgres dbname=postgres' -R; pg_ctl start -D {d}",
            d = data.display(),
            h = to.host,
            p = to.port
        );
        if !data.join("PG_VERSION").exists() {
            return refuse(
                format!(
                    "its data directory {} is not on this machine: pg_rewind runs where the data is",
                    data.display()
                ),
                format!("run meridian there, or by hand {by_hand}"),
            );
        }
        if !bin.join("pg_rewind").exists() {
            return refuse(format!("pg_rewind is not in {}", bin.display()), "install it (Debian's postgresql package ships it) or rebuild the replica with pg_basebackup".into());
        }
        let opts = std::fs::read_to_string(data.join("postmaster.opts")).map_err(|e| {
            ProviderError::new(
                Some(id),
                call,
                format!("cannot read {}/postmaster.opts: {e}", data.display()),
            )
            .with_hint(format!("rejoin by hand: {by_hand}"))
        })?;
        let timeline = own.timeline;
        let own_lsn = if own.in_recovery {
            None
        } else {
            Some(q("SELECT pg_current_wal_lsn()::text").await?)
        };
        drop(client);
        // Which WAL the fenced server has beyond the promotion point, read before anything changes.
        let after_switch = match (timeline, &own_lsn) {
            (Some(tl), Some(_)) => self.switch_point_on(&writer, tl).await?,
            _ => None,
        };
        let slot = if own.slot.is_empty() {
            format!("meridian_{}", id.replace('-', "_"))
        } else {
            own.slot.clone()
        };
        let writer_client = self.connect(&writer, call).await?;
        let run =
            |program: &str, args: Vec<String>| run_as_owner(id, &data, bin.join(program), args);
        progress.say(&format!("step 1/5: stop {id} (pg_ctl stop -m fast)"));
        run(
            "pg_ctl",
            vec![
                "stop".into(),
                "-D".into(),
                data.display().to_string(),
                "-m".into(),
                "fast".into(),
                "-w".into(),
            ],
        )
        .await?;
        if let (Some(sp), Some(tl)) = (&after_switch, timeline) {
            progress.say(&format!("step 2/5: no transaction committed on {id} after the promotion point {sp} (pg_waldump)"));
            let dump = run(
                "pg_waldump",
                vec![
                    "-p".into(),
                    data.join("pg_wal").display().to_string(),
                    "-s".into(),
                    sp.clone(),
                    "-t".into(),
                    tl.to_string(),
                ],
            )
            .await;
            // pg_waldump ends with an error at the end of valid WAL; what it printed counts.
            let text = match dump {
                Ok(t) => t,
                Err(e) => e.message,
            };
            if text.contains("desc: COMMIT") {
                let start = start_args(&data, &opts);
                let _ = run("pg_ctl", start).await;
                return refuse(
                    format!(
                        "{id} committed transactions after {writer} was promoted (WAL after {sp}): they exist only here; nothing was changed (the server was started again, still fenced)"
                    ),
                    format!("save them (pg_dump {id}), then rebuild it: {by_hand}"),
                );
            }
        }
        progress.say(&format!("step 3/5: pg_rewind {id} onto {writer} ({to}), writing standby.signal and primary_conninfo"));
        // pg_rewind reads the source's timeline from its control file, which a freshly
        // promoted server updates only at its next checkpoint: without one it finds "the
        // same timeline" and rewinds nothing.
        writer_client
            .simple_query("CHECKPOINT")
            .await
            .map_err(|e| plain(&writer, "postgres CHECKPOINT", &e))?;
        let source = format!(
            "host={} port={} user=postgres dbname=postgres",
            to.host, to.port
        );
        run(
            "pg_rewind",
            vec![
                format!("--target-pgdata={}", data.display()),
                format!("--source-server={source}"),
                "-R".into(),
            ],
        )
        .await?;
        // The conf copied from the writer names the writer's own old slot; this one's wins.
        let auto = data.join("postgresql.auto.conf");
        let mut conf = std::fs::read_to_string(&auto).unwrap_or_default();
        conf.push_str(&format!(
            "\nprimary_slot_name = '{slot}'\ndefault_transaction_read_only = 'on'\n"
        ));
        std::fs::write(&auto, conf).map_err(|e| {
            ProviderError::new(
                Some(id),
                call,
                format!("cannot write {}: {e}", auto.display()),
            )
        })?;
        writer_client
            .query("SELECT pg_create_physical_replication_slot($1::text) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1::text)", &[&slot])
            .await
            .map_err(|e| plain(&writer, "postgres create replication slot", &e))?;
        progress.say(&format!("step 4/5: start {id} as a replica of {writer}"));
        let log = data.with_extension("log");
        let start = start_args(&data, &opts);
        run("pg_ctl", start).await?;
        progress.say(&format!(
            "step 5/5: verify {id} streams from {writer} within the lag budget"
        ));
        self.readers.lock().await.remove(id);
        let client = self.connect(id, call).await?;
        let outcome = self
            .verify_follows(
                &client,
                id,
                &writer,
                &writer_client,
                &to,
                fleet.policy.rpo_budget,
            )
            .await;
        progress.say(&format!("{id}: {}", outcome.detail));
        if outcome.needs_attention {
            return refuse(outcome.detail, format!("see {}", log.display()));
        }
        Ok(())
    }

    /// Where the writer's timeline left `parent` (its history file), if it did.
    async fn switch_point_on(&self, writer: &str, parent: i32) -> ProviderResult<Option<String>> {
        let call = "postgres timeline history";
        let client = self.connect(writer, call).await?;
        let row = client
            .query_one("SELECT pg_read_file('pg_wal/' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) || '.history')", &[])
            .await
            .map_err(|e| plain(writer, call, &e).with_hint("reading the timeline history needs a superuser connection"))?;
        let history: String = row.get(0);
        Ok(switch_point(&history, parent))
    }
}

/// Run a server command as the data directory's owner (PostgreSQL refuses root).
async fn run_as_owner(
    region: &str,
    data: &Path,
    program: PathBuf,
    args: Vec<String>,
) -> ProviderResult<String> {
    let call = format!(
        "postgres {}",
        program
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    );
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if root {
        let owner = std::process::Command::new("stat")
            .arg("-c")
            .arg("%U")
            .arg(data)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|_| "postgres".into());
        let mut c = Command::new("runuser");
        c.args(["-u", &owner, "--"]).arg(&program);
        c
    } else {
        Command::new(&program)
    };
    cmd.args(&args).kill_on_drop(true);
    let out = match tokio::time::timeout(COMMAND_LIMIT, cmd.output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            return Err(ProviderError::new(
                Some(region),
                call,
                format!("could not start {}: {e}", program.display()),
            ));
        }
        Err(_) => return Err(ProviderError::timed_out(Some(region), call, COMMAND_LIMIT)),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(
            ProviderError::new(Some(region), call, text.trim().to_string())
                .with_hint("see the output above; nothing after this step was done"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_options_drop_the_binary_and_data_directory() {
        let opts = "/usr/lib/postgresql/15/bin/postgres \"-D\" \"/tmp/pg d\" \"-p\" \"5433\" \"-c\" \"listen_addresses=127.0.0.1\"";
        assert_eq!(
            start_options(opts),
            ["-p", "5433", "-c", "listen_addresses=127.0.0.1"]
        );
        assert_eq!(quoted("/tmp/pg d"), "'/tmp/pg d'");
    }

    #[test]
    fn the_switch_point_is_read_from_the_history_file() {
        let h = "1\t0/3000148\tno recovery target specified\n\n2\t0/5000060\tno recovery target specified\n";
        assert_eq!(switch_point(h, 1).as_deref(), Some("0/3000148"));
        assert_eq!(switch_point(h, 2).as_deref(), Some("0/5000060"));
        assert_eq!(switch_point(h, 3), None);
    }
}
