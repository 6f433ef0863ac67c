//! The allocator's settings for the dashboard (the global allocator itself, mimalloc, is
//! chosen in `main.rs`).

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
pub fn purge_freed_memory_at_once() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: setting an option is a store mimalloc allows from any thread at any time.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
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
