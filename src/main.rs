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

/// `mi_option_purge_delay` in the bundled mimalloc's (v3) `mi_option_e`. libmimalloc-sys
/// names the options on either side of it but not this one; a test below checks that this
/// is the purge delay by its documented default.
#[cfg(feature = "mimalloc")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The dashboard lives for hours and starts with a burst: a big fleet's first readings,
/// allocated and freed on the runtime's worker threads. mimalloc gives freed memory back to
/// the kernel only when the thread that owns it calls into the allocator again after the
/// purge delay (1 s), so an idle dashboard kept the burst resident (about 14 of its 72 MiB
/// on 100 x 1,000). Giving it back at once costs a page fault on reuse, which a dashboard
/// refreshing a few cells at a time can afford and `status --json` cannot (see above), so
/// only the dashboard does it.
fn purge_freed_memory_at_once() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: setting an option is a store mimalloc allows from any thread at any time.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

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
    let result = match cli.command {
        Some(command) => runtime.block_on(cli::run(command, &cli.global)),
        None => {
            purge_freed_memory_at_once();
            runtime.block_on(meridian::tui::run(&meridian::tui::runner::Options {
                session: cli.global.session(),
                theme: cli.global.theme.clone(),
                keymap: cli.global.keymap.clone(),
            }))
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

#[cfg(all(test, feature = "mimalloc"))]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // mimalloc v3 sets the purge delay's default to 1,000 ms; its neighbours default to
        // 1 (a deprecated eager commit delay) and 0 (NUMA nodes), so an enum that moved, or
        // a build of another mimalloc version, shows up here.
        // SAFETY: reading options is allowed from any thread.
        let get = |o| unsafe { libmimalloc_sys::mi_option_get(o) };
        assert_eq!(get(MI_OPTION_PURGE_DELAY), 1000);
        assert_eq!(get(MI_OPTION_PURGE_DELAY - 1), 1);
        assert_eq!(get(MI_OPTION_PURGE_DELAY + 1), 0);
    }
}
