//! One command of a step as a real process: its own process group (so a cancel or timeout
//! stops everything it started), killed with meridian if meridian dies, output streamed to
//! the evidence file and the screen, bounded by a timeout.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::mpsc;

use super::output::{Line, Sink, Stream, read_lines};

/// What to run and how.
pub struct Spec {
    pub argv: Vec<String>,
    pub workdir: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub grace: Duration,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    Exited(i32),
    /// Killed by a signal nobody here sent.
    Signalled(i32),
    TimedOut,
    /// Stopped on request (SIGTERM to its group, SIGKILL after the grace period).
    Cancelled,
    /// It could not be started at all.
    NotStarted(String),
}

/// Run `spec`; `started` gets the process group id once it runs; `cancelled` resolves when
/// someone asks the command to stop.
pub async fn run(
    spec: &Spec,
    sink: &mut Sink,
    started: impl FnOnce(i32),
    cancelled: impl std::future::Future<Output = ()>,
) -> End {
    let Some((program, args)) = spec.argv.split_first() else {
        return End::NotStarted("empty command".into());
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    if let Some(dir) = &spec.workdir {
        cmd.current_dir(dir);
    }
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to send SIGTERM to the
    // child when meridian dies, so a lost SSH session does not leave a step running alone.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let where_ = spec
                .workdir
                .as_ref()
                .map(|d| format!(" in {}", d.display()))
                .unwrap_or_default();
            return End::NotStarted(format!("cannot start {program}{where_}: {e}"));
        }
    };
    let pgid = child.id().map(|p| p as i32).unwrap_or(0);
    started(pgid);
    let (tx, mut rx) = mpsc::channel::<Line>(256);
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(tokio::spawn(read_lines(out, Stream::Out, tx.clone())));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(tokio::spawn(read_lines(err, Stream::Err, tx.clone())));
    }
    drop(tx);

    let deadline = tokio::time::sleep(spec.timeout);
    tokio::pin!(deadline);
    tokio::pin!(cancelled);
    let mut stop: Option<End> = None;
    let mut write_failed = false;
    let status = loop {
        tokio::select! {
            line = rx.recv() => match line {
                Some(l) => {
                    if !write_failed && let Err(e) = sink.line(&l) {
                        // Keep running the step; say once that its evidence is incomplete.
                        write_failed = true;
                        log::warn!("cannot save step output: {e}");
                    }
                }
                // Both pipes closed: only the exit status is left to wait for.
                None => break child.wait().await,
            },
            status = child.wait() => break status,
            _ = &mut deadline, if stop.is_none() => {
                stop = Some(End::TimedOut);
                stop_group(pgid, spec.grace, Some(&mut child)).await;
            }
            _ = &mut cancelled, if stop.is_none() => {
                stop = Some(End::Cancelled);
                stop_group(pgid, spec.grace, Some(&mut child)).await;
            }
        }
    };
    // Drain what is left; background processes that still hold the pipes are not waited
    // for long (their later output is not the step's).
    let drain = async {
        while let Some(l) = rx.recv().await {
            if !write_failed {
                let _ = sink.line(&l);
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(2), drain)
        .await
        .is_err()
    {
        let _ = sink.note(
            "the step's background processes still hold its output; later output is not captured",
        );
    }
    for r in readers {
        r.abort();
    }
    if let Some(end) = stop {
        return end;
    }
    match status {
        Ok(s) => match (s.code(), std::os::unix::process::ExitStatusExt::signal(&s)) {
            (Some(code), _) => End::Exited(code),
            (None, Some(sig)) => End::Signalled(sig),
            (None, None) => End::Signalled(0),
        },
        Err(e) => End::NotStarted(format!("lost track of the process: {e}")),
    }
}

/// SIGTERM to the whole group, then SIGKILL if anything is left after `grace`. The
/// process that owns the step passes its child so it is reaped (a zombie counts as alive).
pub async fn stop_group(pgid: i32, grace: Duration, mut child: Option<&mut tokio::process::Child>) {
    if pgid <= 0 {
        return;
    }
    signal_group(pgid, libc::SIGTERM);
    let step = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    loop {
        if let Some(c) = child.as_mut() {
            let _ = c.try_wait();
        }
        if waited >= grace || !group_alive(pgid) {
            break;
        }
        tokio::time::sleep(step).await;
        waited += step;
    }
    if group_alive(pgid) {
        signal_group(pgid, libc::SIGKILL);
    }
}

fn signal_group(pgid: i32, sig: i32) {
    // SAFETY: a negative pid addresses the process group; only our steps' groups are passed.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

/// Does any process of the group still exist (zombies count until reaped)?
pub fn group_alive(pgid: i32) -> bool {
    if pgid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks for existence.
    let rc = unsafe { libc::kill(-pgid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
