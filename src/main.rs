//! The `meridian` binary: the dashboard when no command is given, a headless command
//! otherwise.

use std::process::ExitCode;

use clap::Parser;
use meridian::cli::{self, Cli, Exit};

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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("meridian: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Failed as u8);
        }
    };
    let dashboard = meridian::tui::runner::Options {
        session: cli.global.session(),
        theme: cli.global.theme.clone(),
        keymap: cli.global.keymap.clone(),
    };
    let result = match cli.command {
        // The replay is the dashboard's screen: the binary opens it, as it does the board.
        Some(cli::args::Command::Replay { at, from, to }) => {
            runtime.block_on(meridian::tui::replay_window::run(&dashboard, at, from, to))
        }
        Some(command) => runtime.block_on(cli::run(command, &cli.global)),
        None => {
            meridian::alloc::purge_freed_memory_at_once();
            runtime.block_on(meridian::tui::run(&dashboard))
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
