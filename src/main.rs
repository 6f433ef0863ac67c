//! The `meridian` binary: the dashboard when no command is given, a headless command
//! otherwise.

use std::process::ExitCode;

use clap::Parser;
use meridian::cli::{self, Cli, Exit};
use meridian::session::Failure;

/// A big fleet's refresh builds and drops a hundred thousand app readings at a time; glibc's
/// allocator hands the freed memory back to the kernel and faults it in again on the next
/// refresh (a third of `status --json`'s time on 100 x 1,000), mimalloc keeps and reuses it.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // `meridian status | head` should end quietly when head stops reading, as other
    // command-line tools do, instead of panicking on a broken pipe.
    // SAFETY: setting a signal's disposition to the default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let dashboard = meridian::tui::runner::Options {
        session: cli.global.session(),
        theme: cli.global.theme.clone(),
        keymap: cli.global.keymap.clone(),
    };
    let screen = matches!(cli.command, None | Some(cli::args::Command::Replay { .. }));
    let runtime = match runtime(screen) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("meridian: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Failed as u8);
        }
    };
    let result = match cli.command {
        // The replay is the dashboard's screen: the binary opens it, as it does the board.
        Some(cli::args::Command::Replay { at, from, to }) => {
            runtime.block_on(on_worker(async move {
                meridian::tui::replay_window::run(&dashboard, at, from, to).await
            }))
        }
        Some(command) => runtime.block_on(cli::run(command, &cli.global)),
        None => {
            meridian::alloc::purge_freed_memory_at_once();
            runtime.block_on(on_worker(
                async move { meridian::tui::run(&dashboard).await },
            ))
        }
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            cli::note(&format!("meridian: {}", e.message));
            ExitCode::from(e.code as u8)
        }
    }
}

/// The runtime. A headless command gets two workers (`status --json` serialises a big
/// fleet's matrix on both cores). A screen gets one, and its main loop runs on it as a task
/// (`on_worker`): the loop, the readers and their sockets then share one thread, where two
/// workers and a loop on the main thread handed every reading across threads (a futex
/// wake and a context switch each, 40 a second on 100 regions: a sixth of an idle
/// dashboard's CPU). Nothing the dashboard runs blocks a worker while waiting for another
/// task: the shared stores' calls run on a runtime of their own and wait in
/// `block_in_place`, which hands the worker on.
fn runtime(screen: bool) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(if screen { 1 } else { 2 })
        .enable_all()
        .build()
}

/// Run a screen's loop as a task on the runtime's worker; a panic in it (the hook has
/// already given the terminal back and printed the message) ends as a failure.
async fn on_worker<F>(screen: F) -> Result<Exit, Failure>
where
    F: Future<Output = Result<Exit, Failure>> + Send + 'static,
{
    match tokio::spawn(screen).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => Err(Failure::new(
            Exit::Failed,
            "the dashboard stopped after a panic (a bug in meridian; its message is above)",
        )),
        Err(_) => Err(Failure::new(
            Exit::Failed,
            "the dashboard's task was stopped",
        )),
    }
}
