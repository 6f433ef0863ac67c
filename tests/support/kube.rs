//! The Kubernetes API stand-in (`tests/servers/kube_standin`, Python standard library only)
//! with one cluster per name on free loopback ports, a kubeconfig with one context per
//! cluster, its control API (faults, Git pushes, operation outcomes), and kubectl and the
//! helm-compatible command from the venv that `scripts/ci-backends.sh install` makes.
//! Seed helpers are in `kube_seed.rs`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{unavailable, wait_for};

/// The bearer token the kubeconfig carries. The stand-in checks it only when started with
/// `--token` (kubectl 1.37 sends no bearer token over plain HTTP, so its tests cannot).
pub const TOKEN: &str = "meridian-test-token";

/// A running stand-in; the process is killed (by PID) and reaped on drop.
pub struct KubeStandin {
    /// Cluster name -> API port, in the order given to `start`.
    pub clusters: BTreeMap<String, u16>,
    pub control: u16,
    pub kubeconfig: PathBuf,
    dir: tempfile::TempDir,
    child: Child,
}

impl Drop for KubeStandin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv with kubectl and helm-python-sdk: `MERIDIAN_KUBE_VENV` or `~/.cache/meridian/venv-kube`.
pub fn kube_venv() -> PathBuf {
    std::env::var_os("MERIDIAN_KUBE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/meridian/venv-kube")
        })
}

fn servers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/servers")
}

/// kubectl from the venv, or `None` (after `unavailable`).
pub fn kubectl_path() -> Option<PathBuf> {
    let path = kube_venv().join("bin/kubectl");
    if path.exists() {
        return Some(path);
    }
    unavailable("kubectl", &format!("{} not found", path.display()));
    None
}

/// Whether the venv has the Helm SDK the `helm` command needs (else `unavailable`).
pub fn helm_available() -> bool {
    let ok = Command::new(kube_venv().join("bin/python"))
        .args(["-c", "import helm_python"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        unavailable(
            "helm-python-sdk",
            "the venv's python cannot import helm_python",
        );
    }
    ok
}

/// The interpreter for the stand-in: `MERIDIAN_PYTHON`, else the system's python3 (a
/// version-manager shim first on PATH costs up to a second per start on a busy machine),
/// else whatever `python3` is on PATH. The stand-in needs only the standard library.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("MERIDIAN_PYTHON") {
        return PathBuf::from(p);
    }
    let system = PathBuf::from("/usr/bin/python3");
    if system.exists() {
        return system;
    }
    PathBuf::from("python3")
}

/// Start the stand-in with these clusters, or `None` (after `unavailable`) without python3.
/// `extra` goes to the command line (e.g. `["--history", "5"]`).
pub fn start(names: &[&str], extra: &[&str]) -> Option<KubeStandin> {
    let dir = match tempfile::Builder::new().prefix("meridian-kube").tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot make a temp dir for the Kubernetes stand-in: {e}"),
    };
    let ports_file = dir.path().join("ports.json");
    let mut cmd = Command::new(python());
    // -S: standard library only, so skip site-packages (and their start-up cost).
    cmd.current_dir(servers_dir())
        .args(["-S", "-m", "kube_standin", "--ports-file"])
        .arg(&ports_file)
        .args(["--sync-seconds", "0.2", "--health-seconds", "0.2"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for n in names {
        cmd.args(["--cluster", n]);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            unavailable("python3", &e.to_string());
            return None;
        }
    };
    wait_for("the Kubernetes stand-in", Duration::from_secs(20), || {
        ports_file.exists()
            || child
                .try_wait()
                .is_ok_and(|s| s.is_some_and(|s| panic!("kube_standin exited: {s}")))
    });
    let ports: Value = match std::fs::read_to_string(&ports_file).map(|t| serde_json::from_str(&t))
    {
        Ok(Ok(v)) => v,
        other => panic!("unreadable ports file {}: {other:?}", ports_file.display()),
    };
    let port = |v: &Value| v.as_u64().and_then(|p| u16::try_from(p).ok());
    let clusters: BTreeMap<String, u16> = names
        .iter()
        .map(|n| (n.to_string(), port(&ports["clusters"][*n]).unwrap_or(0)))
        .collect();
    let kubeconfig = dir.path().join("kubeconfig");
    if let Err(e) = std::fs::write(&kubeconfig, kubeconfig_yaml(&clusters)) {
        panic!("cannot write {}: {e}", kubeconfig.display());
    }
    Some(KubeStandin {
        clusters,
        control: port(&ports["control"]).unwrap_or(0),
        kubeconfig,
        dir,
        child,
    })
}

/// One context per cluster (named after it), plain HTTP, a token user.
fn kubeconfig_yaml(clusters: &BTreeMap<String, u16>) -> String {
    let mut y = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for (name, port) in clusters {
        y += &format!("- name: {name}\n  cluster:\n    server: http://127.0.0.1:{port}\n");
    }
    y += "contexts:\n";
    for name in clusters.keys() {
        y += &format!("- name: {name}\n  context:\n    cluster: {name}\n    user: meridian\n");
    }
    y += &format!("users:\n- name: meridian\n  user:\n    token: {TOKEN}\n");
    if let Some(first) = clusters.keys().next() {
        y += &format!("current-context: {first}\n");
    }
    y
}

/// A status code and a body from one HTTP/1.1 exchange (`Connection: close`).
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(b"\r\n").ok()?;
    s.write_all(body).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let code = head.split(' ').nth(1)?.parse().ok()?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Some((
        code,
        if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        },
    ))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out += &tail[..n];
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

fn json_of(code: u16, text: &str, what: &str) -> (u16, Value) {
    match serde_json::from_str(text) {
        Ok(v) => (code, v),
        Err(e) => panic!("{what}: answer {code} is not JSON ({e}): {text}"),
    }
}

impl KubeStandin {
    /// The API port of a cluster.
    pub fn port(&self, cluster: &str) -> u16 {
        match self.clusters.get(cluster) {
            Some(p) => *p,
            None => panic!("no cluster {cluster} in this stand-in"),
        }
    }

    pub fn url(&self, cluster: &str) -> String {
        format!("http://127.0.0.1:{}", self.port(cluster))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A Kubernetes API call as the kubeconfig's user; JSON bodies unless `content_type` says.
    pub fn api(
        &self,
        cluster: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        content_type: &str,
    ) -> (u16, Value) {
        let auth = format!("Bearer {TOKEN}");
        let data = body.map(|b| b.to_string()).unwrap_or_default();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", content_type),
        ];
        match request(self.port(cluster), method, path, &headers, data.as_bytes()) {
            Some((code, text)) => json_of(code, &text, &format!("{method} {path}")),
            None => panic!("{method} {path} on {cluster}: no answer"),
        }
    }

    /// Create an object (POST to `collection`), panicking with the server's message on failure.
    pub fn create(&self, cluster: &str, collection: &str, obj: &Value) -> Value {
        let (code, v) = self.api(cluster, "POST", collection, Some(obj), "application/json");
        assert_eq!(code, 201, "create in {collection} on {cluster}: {v}");
        v
    }

    /// GET an object, `None` on 404.
    pub fn get(&self, cluster: &str, path: &str) -> Option<Value> {
        match self.api(cluster, "GET", path, None, "application/json") {
            (200, v) => Some(v),
            (404, _) => None,
            (code, v) => panic!("GET {path} on {cluster}: {code} {v}"),
        }
    }

    /// An Application of `argocd`, or `None`.
    pub fn app(&self, cluster: &str, name: &str) -> Option<Value> {
        self.get(
            cluster,
            &format!("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/{name}"),
        )
    }

    /// Poll an `argocd` Application until `done` holds (bounded so a broken controller fails).
    pub fn wait_app(&self, cluster: &str, name: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let app = self.app(cluster, name).unwrap_or(Value::Null);
            if done(&app) {
                return app;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("application {name} on {cluster} never reached the expected state: {app}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// A control API call (see tests/servers/kube_standin/README.md).
    pub fn control(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let data = body.to_string();
        let headers = [("Content-Type", "application/json")];
        match request(self.control, method, path, &headers, data.as_bytes()) {
            Some((code, text)) => json_of(code, &text, &format!("control {method} {path}")),
            None => panic!("control {method} {path}: no answer"),
        }
    }

    fn control_ok(&self, path: &str, body: Value) -> Value {
        let (code, v) = self.control("POST", path, &body);
        assert_eq!(code, 200, "control POST {path}: {v}");
        v
    }

    /// Inject a fault: `json!({"mode": "status", "code": 500})`, blackhole, slow, stop.
    pub fn fault(&self, cluster: &str, spec: Value) {
        self.control_ok(&format!("/_standin/clusters/{cluster}/fault"), spec);
    }

    /// Close the cluster's listener and connections (connection refused).
    pub fn stop(&self, cluster: &str) {
        self.control_ok(&format!("/_standin/clusters/{cluster}/stop"), json!({}));
    }

    /// Clear faults and listen again.
    pub fn resume(&self, cluster: &str) {
        self.control_ok(&format!("/_standin/clusters/{cluster}/resume"), json!({}));
    }

    /// A push to Git: the branch head of one `argocd` Application.
    pub fn push(&self, cluster: &str, app: &str, revision: &str) {
        let path = format!("/_standin/clusters/{cluster}/apps/argocd/{app}/head");
        self.control_ok(&path, json!({ "revision": revision }));
    }

    /// How the next operation of an `argocd` Application ends: succeed, fail, error or hang.
    pub fn next_operation(&self, cluster: &str, app: &str, outcome: &str) {
        let path = format!("/_standin/clusters/{cluster}/apps/argocd/{app}/next-operation");
        self.control_ok(&path, json!({ "outcome": outcome }));
    }

    /// Report this health for an `argocd` Application (`None`: stop overriding).
    pub fn set_health(&self, cluster: &str, app: &str, status: Option<&str>) {
        let path = format!("/_standin/clusters/{cluster}/apps/argocd/{app}/health");
        self.control_ok(&path, json!({ "status": status }));
    }

    /// The cluster's request log, oldest first.
    pub fn requests(&self, cluster: &str) -> Vec<Value> {
        let path = format!("/_standin/clusters/{cluster}/requests");
        let (_, v) = self.control("GET", &path, &json!({}));
        v["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Run the venv's kubectl against one cluster's context.
    pub fn kubectl(&self, kubectl: &Path, cluster: &str, args: &[&str]) -> Output {
        let out = Command::new(kubectl)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path()) // kubectl caches discovery under $HOME
            .args(["--context", cluster])
            .args(args)
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) => o,
            Err(e) => panic!("cannot run {}: {e}", kubectl.display()),
        }
    }

    /// Run the helm-compatible command (tests/servers/helm) against one cluster's context.
    pub fn helm(&self, cluster: &str, args: &[&str]) -> Output {
        let out = Command::new(servers_dir().join("helm"))
            .env("MERIDIAN_KUBE_VENV", kube_venv())
            .args(args)
            .args(["--kube-context", cluster, "--kubeconfig"])
            .arg(&self.kubeconfig)
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) => o,
            Err(e) => panic!("cannot run tests/servers/helm: {e}"),
        }
    }
}
