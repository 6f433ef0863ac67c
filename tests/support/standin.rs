//! The vendor stand-ins in `tests/servers/` (Cloudflare, Azure Traffic Manager): started with
//! a seed on a free 127.0.0.1 port, driven through their control API, stopped on drop.
//! They need only python3 (standard library), plus the `openssl` command for Azure's HTTPS.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::unavailable;

/// A running stand-in.
pub struct Standin {
    pub port: u16,
    child: Child,
    pub dir: tempfile::TempDir,
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `tests/servers/{script}` with `--seed` and extra args, or `None` (after
/// `unavailable`) when python3 (or openssl, for TLS) is missing.
pub fn start(script: &str, seed: &serde_json::Value, extra: &[&str], tls: bool) -> Option<Standin> {
    if Command::new("python3").arg("--version").output().is_err() {
        unavailable("python3", "not on PATH");
        return None;
    }
    if tls && Command::new("openssl").arg("version").output().is_err() {
        unavailable("openssl", "not on PATH");
        return None;
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot make a temp dir: {e}"),
    };
    let seed_file = dir.path().join("seed.json");
    if let Err(e) = std::fs::write(&seed_file, seed.to_string()) {
        panic!("cannot write the seed: {e}");
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/servers")
        .join(script);
    let mut cmd = Command::new("python3");
    cmd.arg(&path)
        .args(["--port", "0", "--seed"])
        .arg(&seed_file)
        .args(extra);
    if tls {
        cmd.arg("--tls-dir").arg(dir.path().join("tls"));
    }
    let mut child = match cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn() {
        Ok(c) => c,
        Err(e) => {
            unavailable(script, &e.to_string());
            return None;
        }
    };
    // The stand-in prints "ready PORT" once it listens (after making its certificate).
    let Some(stdout) = child.stdout.take() else {
        panic!("{script}: no stdout");
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(l) => l,
        Err(_) => {
            let _ = child.kill();
            panic!("{script} did not start within 30s");
        }
    };
    let port = match line
        .trim()
        .strip_prefix("ready ")
        .and_then(|p| p.parse().ok())
    {
        Some(p) => p,
        None => {
            let _ = child.kill();
            panic!("{script} did not start: {line:?}");
        }
    };
    Some(Standin { port, child, dir })
}

impl Standin {
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// A file in the stand-in's temp dir (its CA certificate is `tls/ca.pem`).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Call the control API over plain HTTP (Cloudflare) and return the JSON answer.
    pub fn control(&self, method: &str, path: &str, body: &serde_json::Value) -> serde_json::Value {
        control_plain(self.port, method, path, body)
    }

    /// Call the control API over HTTPS (Azure), trusting the stand-in's CA.
    pub fn control_tls(
        &self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> serde_json::Value {
        control_tls(self.port, &self.path("tls/ca.pem"), method, path, body)
    }
}

fn request(method: &str, path: &str, body: &serde_json::Value) -> String {
    let body = body.to_string();
    format!(
        "{method} /__standin/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn json_of(reply: &str) -> serde_json::Value {
    let body = reply.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

fn control_plain(
    port: u16,
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    let mut s = match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) => panic!("control {path}: {e}"),
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    if let Err(e) = s.write_all(request(method, path, body).as_bytes()) {
        panic!("control {path}: {e}");
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    json_of(&out)
}

/// HTTPS from the tests without an HTTP client crate: python3's urllib, trusting the CA.
fn control_tls(
    port: u16,
    ca: &Path,
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    const SCRIPT: &str = "import json,ssl,sys,urllib.request\n\
        ctx=ssl.create_default_context(cafile=sys.argv[1])\n\
        r=urllib.request.Request(sys.argv[2],data=sys.argv[4].encode(),method=sys.argv[3],headers={'Content-Type':'application/json'})\n\
        print(urllib.request.urlopen(r,context=ctx,timeout=10).read().decode())\n";
    let url = format!("https://127.0.0.1:{port}/__standin/{path}");
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(ca)
        .args([url.as_str(), method, &body.to_string()])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
        }
        Ok(o) => panic!("control {path}: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("control {path}: {e}"),
    }
}
