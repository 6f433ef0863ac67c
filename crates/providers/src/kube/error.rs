//! Kubernetes client errors in an operator's words: which region and call, what the
//! cluster said (never the client's Debug dump, never a token), and what to do about it.

use kube::client::AuthError;
use kube::config::KubeconfigError;

use super::client::Target;
use crate::{ApiMeter, ErrorKind, ProviderError, root_cause};

/// A failed call to a cluster.
pub fn api_error(region: Option<&str>, call: &str, err: &kube::Error) -> ProviderError {
    ApiMeter::global().record("kube", is_throttled(err));
    match err {
        // kube builds this Status itself when an error answer is not a Status: something
        // in front of the API server answered (a proxy's or load balancer's error page).
        kube::Error::Api(status) if status.reason == NOT_A_STATUS => ProviderError::new(
            region,
            call,
            format!(
                "{} {}: the answer is not from the Kubernetes API{}",
                status.code,
                canonical(status.code),
                said(&status.message)
            ),
        )
        .with_hint(PROXY_HINT),
        kube::Error::SerdeError(e) => ProviderError::new(
            region,
            call,
            format!(
                "the answer is not valid JSON ({})",
                first_line(&e.to_string())
            ),
        )
        .with_hint(PROXY_HINT),
        kube::Error::Api(status) => {
            let code = status.code;
            let message = first_line(&status.message);
            let e =
                ProviderError::new(region, call, format!("{code} {}: {message}", status.reason));
            match code {
                401 => e.with_hint(
                    "the cluster refused the credentials: log in again (e.g. `aws sso login --profile X`, `az login`, `gcloud auth login`) or check the context's user",
                ),
                403 => e.with_hint(
                    "the context's user lacks permission for this call: ask for RBAC on Argo CD Applications, Secrets or Leases",
                ),
                404 => e.with_hint("check the namespace and name in the fleet file"),
                409 => e
                    .with_kind(ErrorKind::Conflict)
                    .with_hint("someone else changed it since it was read; nothing was written: read again and re-plan"),
                429 => e
                    .with_kind(ErrorKind::Throttled)
                    .with_hint("the API server is throttling; meridian backs off"),
                500..=599 => e.with_hint(
                    "the API server failed or is overloaded; meridian reads again; check it with `kubectl --context CTX get --raw /readyz`",
                ),
                _ => e,
            }
        }
        kube::Error::Auth(auth) => auth_error(region, call, auth),
        other => ProviderError::new(region, call, describe_kube(other)).with_hint(
            "is the cluster reachable? check the VPN and `kubectl --context CTX get ns`",
        ),
    }
}

/// The reason kube gives a Status it made up from an error answer that was not one.
const NOT_A_STATUS: &str = "Failed to parse error data";

const PROXY_HINT: &str = "something between meridian and the API server (a proxy, load balancer or VPN gateway) answered or cut the answer short: check the cluster's server URL in the kubeconfig; meridian reads again";

/// An HTTP status code's standard words ("Bad Gateway").
fn canonical(code: u16) -> &'static str {
    reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|c| c.canonical_reason())
        .unwrap_or("error")
}

/// A few words of a body that was not a Status: an HTML page's title, else its text
/// without tags, never the markup itself.
fn said(body: &str) -> String {
    let lower = body.to_ascii_lowercase();
    let title = lower
        .find("<title>")
        .map(|at| at + "<title>".len())
        .and_then(|start| {
            lower[start..]
                .find("</title>")
                .and_then(|len| body.get(start..start + len))
        });
    let text = match title {
        Some(t) => t.to_string(),
        None => {
            let mut out = String::new();
            let mut in_tag = false;
            for c in body.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => {
                        in_tag = false;
                        out.push(' ');
                    }
                    _ if !in_tag => out.push(c),
                    _ => {}
                }
            }
            out
        }
    };
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.is_empty() {
        String::new()
    } else {
        format!(": \"{}\"", truncate(&words, 120))
    }
}

/// Is this the server asking us to slow down?
pub fn is_throttled(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 429)
}

/// A client that could not be built (exec plugins may run here already).
pub fn client_error(call: &str, err: &kube::Error) -> ProviderError {
    match err {
        kube::Error::Auth(auth) => auth_error(None, call, auth),
        other => ProviderError::new(None, call, describe_kube(other))
            .with_hint("check the cluster's server URL and certificates in the kubeconfig"),
    }
}

/// A kube error's root cause in a few words.
pub fn describe_kube(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(s) => format!("{} {}: {}", s.code, s.reason, first_line(&s.message)),
        kube::Error::Auth(a) => auth_text(a),
        kube::Error::InferKubeconfig(k) => kubeconfig_text(k),
        other => root_cause(other),
    }
}

fn auth_error(region: Option<&str>, call: &str, err: &AuthError) -> ProviderError {
    let e = ProviderError::new(region, call, auth_text(err));
    match err {
        AuthError::AuthExecRun { cmd, .. } | AuthError::AuthExec(cmd) => {
            e.with_hint(login_hint_for(cmd))
        }
        AuthError::AuthExecStart(_) => e.with_hint(
            "the kubeconfig's exec plugin could not be started: install it or put it on PATH",
        ),
        _ => e.with_hint("check the kubeconfig user of this context"),
    }
}

/// An auth failure without the plugin's stdout (it may hold a token).
fn auth_text(err: &AuthError) -> String {
    match err {
        AuthError::AuthExecRun { cmd, out } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let said = stderr
                .lines()
                .map(str::trim)
                .rfind(|l| !l.is_empty())
                .map(|l| format!(": {}", truncate(l, 200)))
                .unwrap_or_default();
            format!(
                "exec auth plugin `{}` failed ({}){said}",
                program(cmd),
                out.status
            )
        }
        AuthError::AuthExecStart(e) => format!("cannot run the exec auth plugin: {e}"),
        other => first_line(&other.to_string()),
    }
}

/// The plugin's program name from kube's rendering of the command: environment
/// assignments (`KEY="..."`), then `"prog" "arg" ...`.
fn program(cmd: &str) -> String {
    let first = cmd
        .split_whitespace()
        .find(|t| t.starts_with('"'))
        .unwrap_or(cmd)
        .trim_matches('"');
    first.rsplit('/').next().unwrap_or(first).to_string()
}

/// The value after `--profile` in the plugin's arguments, if any.
fn profile(cmd: &str) -> Option<String> {
    let words: Vec<&str> = cmd
        .split_whitespace()
        .map(|t| t.trim_matches('"'))
        .collect();
    let at = words.iter().position(|w| *w == "--profile")?;
    words.get(at + 1).map(|p| p.to_string())
}

/// How to get fresh credentials for a plugin, from its command line.
fn login_hint_for(cmd: &str) -> String {
    let prog = program(cmd);
    match (prog.as_str(), profile(cmd)) {
        ("aws", Some(p)) => {
            format!("log in to AWS again: `aws sso login --profile {p}`, then retry")
        }
        _ => login_hint(&prog),
    }
}

/// How to get fresh credentials for a known plugin.
fn login_hint(program: &str) -> String {
    match program {
        "aws" | "aws-iam-authenticator" => {
            "log in to AWS again: `aws sso login --profile X` (the profile of this context's user), then retry".into()
        }
        "kubelogin" => "log in to Azure again: `az login` (or `kubelogin convert-kubeconfig`), then retry".into(),
        "gke-gcloud-auth-plugin" | "gcloud" => {
            "log in to Google Cloud again: `gcloud auth login`, then retry".into()
        }
        "doctl" => "log in to DigitalOcean again: `doctl auth init`, then retry".into(),
        other => format!(
            "run `{other}` by hand to see why it fails, or pick another context with `kubectl config use-context`"
        ),
    }
}

/// A kubeconfig that cannot be used for this context.
pub fn kubeconfig_error(
    region: Option<&str>,
    call: &str,
    target: &Target,
    err: KubeconfigError,
) -> ProviderError {
    let file = target
        .kubeconfig
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the default kubeconfig ($KUBECONFIG or ~/.kube/config)".into());
    let hint = match &err {
        KubeconfigError::LoadContext(_) | KubeconfigError::LoadClusterOfContext(_) => {
            match super::client::contexts(target.kubeconfig.as_ref()) {
                Ok(names) if !names.is_empty() => format!(
                    "no context \"{}\" in {file}; it has: {} (see `kubectl config get-contexts`)",
                    target.context,
                    names.join(", ")
                ),
                _ => format!("add context \"{}\" to {file}", target.context),
            }
        }
        KubeconfigError::FindPath | KubeconfigError::ReadConfig(..) => {
            format!(
                "{file} cannot be read: set kubeconfig = \"PATH\" on the cluster or $KUBECONFIG"
            )
        }
        _ => format!("check {file}"),
    };
    ProviderError::new(region, call, kubeconfig_text(&err)).with_hint(hint)
}

/// A kubeconfig problem in a few words.
pub fn kubeconfig_text(err: &KubeconfigError) -> String {
    match err {
        KubeconfigError::ReadConfig(e, path) => {
            format!("cannot read {}: {}", path.display(), root_cause(e))
        }
        other => first_line(&other.to_string()),
    }
}

fn first_line(s: &str) -> String {
    truncate(s.lines().next().unwrap_or(""), 300)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_is_found_behind_its_environment() {
        let cmd = r#"KUBERNETES_EXEC_INFO="{\"spec\":{}}" "/home/a/bin/aws" "--region" "eu-west-1" "eks" "get-token" "--profile" "prod-sso""#;
        assert_eq!(program(cmd), "aws");
        assert_eq!(
            login_hint_for(cmd),
            "log in to AWS again: `aws sso login --profile prod-sso`, then retry"
        );
    }

    #[test]
    fn known_plugins_get_their_login_command() {
        assert!(login_hint(&program("\"aws\" \"eks\" \"get-token\"")).contains("aws sso login"));
        assert!(login_hint(&program("\"/usr/bin/kubelogin\" \"get-token\"")).contains("az login"));
        assert!(login_hint("gke-gcloud-auth-plugin").contains("gcloud auth login"));
        assert!(login_hint("mytool").contains("kubectl config use-context"));
    }

    #[test]
    fn a_proxy_page_is_named_as_such_without_its_markup() {
        let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";
        let status = kube::core::Status::failure(page, NOT_A_STATUS).with_code(502);
        let e = api_error(
            Some("eu-west-1"),
            "argocd list applications",
            &kube::Error::Api(Box::new(status)),
        );
        let text = e.to_string();
        assert!(
            text.starts_with("eu-west-1: argocd list applications: 502 Bad Gateway: the answer is not from the Kubernetes API: \"502 Bad Gateway\""),
            "{text}"
        );
        assert!(!text.contains('<'), "{text}");
        assert_eq!(
            said("upstream connect error"),
            ": \"upstream connect error\""
        );
        assert_eq!(
            said("<p>no <b>healthy</b> upstream</p>"),
            ": \"no healthy upstream\""
        );
    }

    #[test]
    fn api_errors_say_code_reason_and_what_to_do() {
        let status =
            kube::core::Status::failure("applications.argoproj.io \"x\" is forbidden", "Forbidden")
                .with_code(403);
        let e = api_error(
            Some("eu-west-1"),
            "argocd list applications",
            &kube::Error::Api(Box::new(status)),
        );
        let text = e.to_string();
        assert!(
            text.starts_with("eu-west-1: argocd list applications: 403 Forbidden: applications"),
            "{text}"
        );
        assert!(text.contains("RBAC"), "{text}");
        assert!(!text.contains("Status {"), "no Debug dump: {text}");
    }
}
