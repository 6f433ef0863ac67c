//! The log pane's logger. tui-logger's own `init_logger` starts a thread that wakes 100
//! times a second to move new lines into the pane's buffer: an eighth of an idle
//! dashboard's CPU on a big fleet. Lines are instead moved by the event loop just before
//! it draws, the only moment they can be seen.

use log::{Level, LevelFilter, Log, Metadata, Record};

/// kube's HTTP layer logs every failed request as "failed with error client error
/// (SendRequest)"; the Kubernetes provider reports the same failure itself, in words, with
/// its region and call.
const QUIET_TARGETS: &[&str] = &["kube_client::client::builder"];

struct PaneLogger;

impl Log for PaneLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= Level::Info && !QUIET_TARGETS.contains(&metadata.target())
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            tui_logger::Drain::new().log(record);
        }
    }

    fn flush(&self) {}
}

static LOGGER: PaneLogger = PaneLogger;

/// Lines the pane keeps for scrolling back. tui-logger's default of 10,000 held 1.5 MB of
/// records whether or not anything was logged; the audit log, not this pane, is the record.
const PANE_LINES: usize = 1000;

/// Send `log` records to the log pane (once per process; later calls change nothing).
pub fn install() {
    tui_logger::set_buffer_depth(PANE_LINES);
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}

/// Move the lines logged since the last frame into the pane's buffer.
pub fn before_draw() {
    tui_logger::move_events();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_and_worse_reach_the_pane_but_not_kube_request_noise() {
        let meta = |level, target| Metadata::builder().level(level).target(target).build();
        assert!(PaneLogger.enabled(&meta(Level::Warn, "meridian")));
        assert!(PaneLogger.enabled(&meta(Level::Info, "meridian::engine")));
        assert!(!PaneLogger.enabled(&meta(Level::Debug, "meridian")));
        assert!(!PaneLogger.enabled(&meta(Level::Error, "kube_client::client::builder")));
    }
}
