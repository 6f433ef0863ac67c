//! Facts about the machine meridian runs on: its name, who runs meridian, and whether a
//! process on it still exists. Audit records, the fleet lock and phase owners all ask
//! these the same way.

/// Linux's ceiling on process ids (`PID_MAX_LIMIT` on 64-bit); other systems stay below it.
pub const PID_MAX_LIMIT: u32 = 4_194_304;

/// `user@host`: who is acting, for audit records, locks and approvals.
pub fn whoami() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(login_name)
        .unwrap_or_else(|| "unknown".into());
    format!("{user}@{}", hostname())
}

/// The login name of the process's user, from the password database.
fn login_name() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; we copy the name out
    // immediately and never hold the pointer.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr((*pw).pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// This machine's name.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr() as *mut libc::c_char, buf.len()) };
    if rc != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Does a process with this id exist on this host? An id no process can have (0, which
/// `kill` would take for the caller's own process group, or one past the kernel's
/// ceiling; read from a damaged file) does not.
pub fn process_alive(pid: u32) -> bool {
    if pid == 0 || pid > PID_MAX_LIMIT {
        return false;
    }
    // SAFETY: kill with signal 0 only checks whether the process exists; pid is positive,
    // so it never addresses a process group.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_process_ids_are_never_alive() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(0), "0 would ask about our own process group");
        assert!(!process_alive(PID_MAX_LIMIT + 1));
        assert!(
            !process_alive(u32::MAX),
            "would be -1 as a pid_t: every process"
        );
    }
}
