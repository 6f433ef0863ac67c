//! moto on a free loopback port, through `tests/support/moto_launcher.py` (which adds
//! failing health checks). The venv comes from `scripts/ci-backends.sh install`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{free_port, http, unavailable, wait_for};

/// A running moto server; stopped on drop.
pub struct Moto {
    pub port: u16,
    child: Child,
}

impl Moto {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's python: `MERIDIAN_TEST_VENV` or `~/.cache/meridian/venv-aws`.
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("MERIDIAN_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/meridian/venv-aws")
        });
    venv.join("bin/python")
}

/// Start moto, or `None` (after `unavailable`) when it is not installed.
pub fn start() -> Option<Moto> {
    let python = venv_python();
    if !python.exists() {
        unavailable("moto", &format!("{} not found", python.display()));
        return None;
    }
    let launcher = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/moto_launcher.py");
    let port = free_port();
    let child = Command::new(&python)
        .arg(&launcher)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => {
            unavailable("moto", &e.to_string());
            return None;
        }
    };
    let moto = Moto { port, child };
    wait_for("moto", Duration::from_secs(30), || {
        http(port, "GET", "/moto-api/data.json")
            .is_some_and(|r| r.starts_with("HTTP/1.1 200") || r.starts_with("HTTP/1.0 200"))
    });
    Some(moto)
}
