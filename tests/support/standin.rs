//! The vendor stand-ins in `tests/servers/` (Cloudflare, Azure Traffic Manager): started with
//! a seed on a free 127.0.0.1 port, driven through their control API, stopped on drop.
//! They need only python3 (standard library), plus the `openssl` command for Azure's HTTPS.
//!
//! Each checks every API request against the vendor's published API description
//! (`tests/servers/contracts/`) and refuses one that does not match with a 400 naming the
//! field. Dropping a stand-in that saw such a request (or answered off the documented shape)
//! fails the test with the list; a test that sends bad requests on purpose says so with
//! `expect_violations()`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::unavailable;

/// A running stand-in.
pub struct Standin {
    pub port: u16,
    child: Child,
    pub dir: tempfile::TempDir,
    script: String,
    tls: bool,
    expect_violations: AtomicBool,
}

impl Drop for Standin {
    fn drop(&mut self) {
        // Read the violations before stopping it; not while a test is already failing.
        let seen = if std::thread::panicking() || self.expect_violations.load(Ordering::Relaxed) {
            Ok(Vec::new())
        } else {
            self.fetch_violations()
        };
        let _ = self.child.kill();
        let _ = self.child.wait();
        match seen {
            Ok(v) if !v.is_empty() => panic!("{}", violations_report(&self.script, &v)),
            Ok(_) => {}
            Err(e) => eprintln!(
                "{}: could not read its contract violations: {e}",
                self.script
            ),
        }
    }
}

/// One line per violation: the operation, the field, what the document expects, what came.
pub fn violations_report(script: &str, found: &[serde_json::Value]) -> String {
    let text = |v: &serde_json::Value, k: &str| match &v[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".to_string(),
        other => other.to_string(),
    };
    let mut out = format!(
        "{script}: {} request(s) or answer(s) that the vendor's published API description does not allow (tests/servers/contracts/):",
        found.len()
    );
    for v in found {
        let op = match &v["operation"] {
            serde_json::Value::String(s) => s.clone(),
            _ => format!(
                "no documented operation for {} {}",
                text(v, "method"),
                text(v, "path")
            ),
        };
        out.push_str(&format!(
            "\n  - {op}: {} `{}`: expected {}, got {} (request #{})",
            text(v, "where"),
            text(v, "field"),
            text(v, "expected"),
            text(v, "got"),
            text(v, "seq"),
        ));
    }
    out
}

/// Start `tests/servers/{script}` with `--seed` and extra args, or `None` (after
/// `unavailable`) when python3 (or openssl, for TLS) is missing.
pub fn start(script: &str, seed: &serde_json::Value, extra: &[&str], tls: bool) -> Option<Standin> {
    start_with(Path::new("python3"), script, seed, extra, tls)
}

/// `start` with another python (the moto venv's, whose botocore has the AWS service models).
pub fn start_with(
    python: &Path,
    script: &str,
    seed: &serde_json::Value,
    extra: &[&str],
    tls: bool,
) -> Option<Standin> {
    if Command::new(python).arg("--version").output().is_err() {
        unavailable(&python.display().to_string(), "cannot be run");
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
    let mut cmd = Command::new(python);
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
    Some(Standin {
        port,
        child,
        dir,
        script: script.to_string(),
        tls,
        expect_violations: AtomicBool::new(false),
    })
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

    /// Every request (or answer) so far that the vendor's API description does not allow:
    /// `{operation, where, field, expected, got, method, path, seq}` each.
    pub fn violations(&self) -> Vec<serde_json::Value> {
        match self.fetch_violations() {
            Ok(v) => v,
            Err(e) => panic!("{}: cannot read its contract violations: {e}", self.script),
        }
    }

    /// Fail now, naming each field, if meridian sent anything the vendor would reject.
    pub fn assert_no_violations(&self) {
        let found = self.violations();
        assert!(
            found.is_empty(),
            "{}",
            violations_report(&self.script, &found)
        );
    }

    /// Forget the violations so far (after a deliberate bad request).
    pub fn clear_violations(&self) {
        self.call("DELETE", "violations", &serde_json::json!({}));
    }

    /// This test sends requests the document does not allow on purpose: do not fail on drop.
    pub fn expect_violations(&self) {
        self.expect_violations.store(true, Ordering::Relaxed);
    }

    fn call(&self, method: &str, path: &str, body: &serde_json::Value) -> serde_json::Value {
        if self.tls {
            self.control_tls(method, path, body)
        } else {
            self.control(method, path, body)
        }
    }

    /// The violations, without panicking (drop uses it).
    fn fetch_violations(&self) -> Result<Vec<serde_json::Value>, String> {
        let body = serde_json::json!({});
        let answer = if self.tls {
            let script = "import ssl,sys,urllib.request\n\
                ctx=ssl.create_default_context(cafile=sys.argv[1])\n\
                print(urllib.request.urlopen(sys.argv[2],context=ctx,timeout=10).read().decode())\n";
            let url = format!("https://127.0.0.1:{}/__standin/violations", self.port);
            let out = Command::new("python3")
                .args(["-c", script])
                .arg(self.path("tls/ca.pem"))
                .arg(url)
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned());
            }
            serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?
        } else {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port))
                .map_err(|e| e.to_string())?;
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            s.write_all(request("GET", "violations", &body).as_bytes())
                .map_err(|e| e.to_string())?;
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            json_of(&out)
        };
        match answer
            .get("violations")
            .and_then(serde_json::Value::as_array)
        {
            Some(list) => Ok(list.clone()),
            None => Err(format!("unexpected answer {answer}")),
        }
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
