//! Rolling a Helm release back with the real `helm` command: `helm rollback NAME REV
//! --namespace NS --kube-context CTX --wait --timeout D`, its output streamed to the log
//! pane or stderr line by line. Helm itself waits for the resources; meridian bounds the
//! whole run a little past Helm's own timeout and kills it (by its PID) if it overruns.

use meridian_model::fleet::settings::Dur;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::client::Target;
use crate::{ErrorKind, Progress, ProviderError, ProviderResult};
use meridian_model::fleet::Tenant;

/// Helm's `--timeout` when the tenant sets none (Helm's own default).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Extra time past Helm's timeout before meridian stops waiting for it.
const GRACE: Duration = Duration::from_secs(30);

/// The command line, without the program (shown in progress and errors).
pub fn args(t: &Tenant, target: &Target, revision: u32, timeout: Duration) -> Vec<String> {
    let mut a = vec![
        "rollback".to_string(),
        t.helm_release_name().to_string(),
        revision.to_string(),
        "--namespace".into(),
        t.helm_namespace().to_string(),
        "--kube-context".into(),
        target.context.clone(),
        "--wait".into(),
        "--timeout".into(),
        format!("{}s", timeout.as_secs().max(1)),
    ];
    if let Some(k) = &target.kubeconfig {
        a.push("--kubeconfig".into());
        a.push(k.display().to_string());
    }
    a
}

/// Run `helm rollback` and stream what it says.
pub async fn run(
    t: &Tenant,
    target: &Target,
    region: &str,
    revision: u32,
    progress: &Progress,
) -> ProviderResult<()> {
    let binary = t.helm_binary();
    let timeout = t
        .helm_settings()
        .and_then(|h| h.rollback_timeout)
        .map_or(DEFAULT_TIMEOUT, Dur::get);
    let args = args(t, target, revision, timeout);
    let call = format!("helm rollback {} {revision}", t.helm_release_name());
    let pending = "helm was stopped; the release may be pending-rollback: check `helm history`";
    stream(&binary, &args, &call, timeout, region, progress, pending).await
}

/// Run a helm command that changes a release, stream what it says, and bound it a little
/// past Helm's own `--timeout`; `pending` is the hint when meridian had to stop it.
pub(super) async fn stream(
    binary: &str,
    args: &[String],
    call: &str,
    timeout: Duration,
    region: &str,
    progress: &Progress,
    pending: &str,
) -> ProviderResult<()> {
    progress.say(&format!("{region}: {binary} {}", args.join(" ")));
    let mut child = Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            ProviderError::new(Some(region), call, format!("cannot run {binary}: {e}"))
                .with_hint("install helm, or set binary = \"PATH\" in the tenant's helm table")
        })?;
    let out = child.stdout.take();
    let err = child.stderr.take();
    let say = |line: String| progress.say(&format!("{region}: helm: {line}"));
    let mut last_err = String::new();
    let streaming = async {
        let mut out = out.map(|o| BufReader::new(o).lines());
        let mut err = err.map(|e| BufReader::new(e).lines());
        loop {
            tokio::select! {
                line = async { match out.as_mut() { Some(o) => o.next_line().await, None => std::future::pending().await } } => match line {
                    Ok(Some(l)) => say(l),
                    _ => out = None,
                },
                line = async { match err.as_mut() { Some(e) => e.next_line().await, None => std::future::pending().await } } => match line {
                    Ok(Some(l)) => {
                        if !l.trim().is_empty() {
                            last_err = l.clone();
                        }
                        say(l)
                    }
                    _ => err = None,
                },
            }
            if out.is_none() && err.is_none() {
                break;
            }
        }
    };
    let finished = tokio::time::timeout(timeout + GRACE, async {
        streaming.await;
        child.wait().await
    })
    .await;
    match finished {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(ProviderError::new(
            Some(region),
            call,
            format!(
                "helm exited with {}{}",
                status
                    .code()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "a signal".into()),
                if last_err.is_empty() {
                    String::new()
                } else {
                    format!(": {}", last_err.trim())
                }
            ),
        )
        .with_hint("see the helm output above; `helm history` shows the release's state")),
        Ok(Err(e)) => Err(ProviderError::new(
            Some(region),
            call,
            format!("waiting for helm failed: {e}"),
        )),
        Err(_) => Err(ProviderError::new(
            Some(region),
            call,
            format!(
                "helm did not finish within {}",
                humantime::format_duration(timeout + GRACE)
            ),
        )
        .with_kind(ErrorKind::Timeout)
        .with_hint(pending)),
    }
}
