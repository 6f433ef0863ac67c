//! HTTP health probes as the fleet file describes them: a region's `probes` (or its
//! `endpoints`), each a URL or a table, over the fleet's `[probe_defaults]`. Parsed the same
//! way for validation and for the provider, so what `config check` accepts is what runs.

use std::time::Duration;

/// How long a probe may take when nothing says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// One HTTP probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    pub url: String,
    pub expect_status: u16,
    /// A regular expression the body must match.
    pub expect_body: Option<String>,
    pub timeout: Duration,
    pub headers: Vec<(String, String)>,
    /// Sent as the `Host` header (probing a load balancer by address).
    pub host: Option<String>,
}

/// Every probe of one region and how to trust its TLS.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpHealthConfig {
    pub probes: Vec<ProbeSpec>,
    /// A PEM file of extra CA certificates (relative to the fleet file).
    pub ca_file: Option<String>,
    /// Skip certificate checks: never silent, the reason says so on screen.
    pub insecure: bool,
}

/// Problems as (key, message), like `settings::check`.
pub type Problems = Vec<(String, String)>;

/// Keys a probe table (and `[probe_defaults]`) may hold.
pub const PROBE_KEYS: &[&str] = &[
    "url",
    "expect_status",
    "expect_body",
    "timeout",
    "headers",
    "host",
];
/// Keys of `[probe_defaults]`.
pub const DEFAULT_KEYS: &[&str] = &[
    "timeout",
    "expect_status",
    "expect_body",
    "headers",
    "ca_file",
    "insecure",
];

/// Build a region's probes from its `health` settings, its endpoints and the fleet defaults.
pub fn http_config(
    defaults: &toml::Table,
    health: &crate::fleet::settings::HttpHealth,
    endpoints: &[String],
) -> Result<HttpHealthConfig, Problems> {
    // The region's keys, as a table over the defaults (probes are read apart).
    let mut settings = toml::Table::try_from(health).unwrap_or_default();
    if let Some(probes) = &health.probes {
        settings.insert("probes".into(), toml::Value::Array(probes.clone()));
    }
    let settings = &settings;
    let mut problems = Problems::new();
    let base = ProbeSpec {
        url: String::new(),
        expect_status: 200,
        expect_body: None,
        timeout: DEFAULT_TIMEOUT,
        headers: Vec::new(),
        host: None,
    };
    let base = overlay(base, defaults, "probe_defaults", &mut problems);
    // Region-level keys (other than probes) refine the fleet defaults.
    let base = overlay(base, settings, "health", &mut problems);
    let mut probes = Vec::new();
    match settings.get("probes") {
        Some(toml::Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let key = format!("health.probes[{i}]");
                match item {
                    toml::Value::String(url) => probes.push(ProbeSpec {
                        url: url.clone(),
                        ..base.clone()
                    }),
                    toml::Value::Table(t) => {
                        for k in t.keys().filter(|k| !PROBE_KEYS.contains(&k.as_str())) {
                            problems.push((
                                key.clone(),
                                format!(
                                    "unknown key \"{k}\"; valid keys: {}",
                                    PROBE_KEYS.join(", ")
                                ),
                            ));
                        }
                        let mut p = overlay(base.clone(), t, &key, &mut problems);
                        match t.get("url").and_then(|u| u.as_str()) {
                            Some(u) => p.url = u.to_string(),
                            None => problems.push((key.clone(), "a probe needs \"url\"".into())),
                        }
                        probes.push(p);
                    }
                    _ => problems.push((
                        key,
                        "a probe is a URL or a table { url = \"...\", ... }".into(),
                    )),
                }
            }
        }
        Some(_) => problems.push((
            "health.probes".into(),
            "must be a list of URLs or tables".into(),
        )),
        None => probes.extend(endpoints.iter().map(|url| ProbeSpec {
            url: url.clone(),
            ..base.clone()
        })),
    }
    if probes.is_empty() {
        problems.push((
            "health.probes".into(),
            "no probes: give the region `endpoints` or `health.probes`".into(),
        ));
    }
    for p in &probes {
        if let Err(e) = url::Url::parse(&p.url) {
            problems.push((
                "health.probes".into(),
                format!("\"{}\" is not a URL: {e}", p.url),
            ));
        } else if !(p.url.starts_with("http://") || p.url.starts_with("https://")) {
            problems.push((
                "health.probes".into(),
                format!("\"{}\": probes are http:// or https:// URLs", p.url),
            ));
        }
    }
    let ca_file = string(settings, "ca_file").or_else(|| string(defaults, "ca_file"));
    let insecure = bool_key(settings, "insecure", &mut problems)
        .or_else(|| bool_key(defaults, "insecure", &mut problems))
        .unwrap_or(false);
    if problems.is_empty() {
        Ok(HttpHealthConfig {
            probes,
            ca_file,
            insecure,
        })
    } else {
        Err(problems)
    }
}

fn string(t: &toml::Table, key: &str) -> Option<String> {
    t.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

fn bool_key(t: &toml::Table, key: &str, problems: &mut Problems) -> Option<bool> {
    match t.get(key)? {
        toml::Value::Boolean(b) => Some(*b),
        _ => {
            problems.push((key.into(), "must be true or false".into()));
            None
        }
    }
}

/// Apply the probe keys found in `t` over `p`.
fn overlay(mut p: ProbeSpec, t: &toml::Table, at: &str, problems: &mut Problems) -> ProbeSpec {
    let mut bad = |k: &str, msg: String| problems.push((format!("{at}.{k}"), msg));
    if let Some(v) = t.get("expect_status") {
        match v
            .as_integer()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| (100..600).contains(n))
        {
            Some(n) => p.expect_status = n,
            None => bad(
                "expect_status",
                "must be an HTTP status code such as 200".into(),
            ),
        }
    }
    if let Some(v) = t.get("expect_body") {
        match v.as_str() {
            Some(re) => match regex::Regex::new(re) {
                Ok(_) => p.expect_body = Some(re.to_string()),
                Err(e) => bad(
                    "expect_body",
                    format!("not a valid regular expression: {e}"),
                ),
            },
            None => bad(
                "expect_body",
                "must be a string (a regular expression)".into(),
            ),
        }
    }
    if let Some(v) = t.get("timeout") {
        match v.as_str().map(humantime::parse_duration) {
            Some(Ok(d)) if !d.is_zero() => p.timeout = d,
            _ => bad(
                "timeout",
                "write a duration such as \"2s\" or \"500ms\"".into(),
            ),
        }
    }
    if let Some(v) = t.get("headers") {
        match v.as_table() {
            Some(h) => {
                for (name, value) in h {
                    match value.as_str() {
                        Some(s) => {
                            p.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                            p.headers.push((name.clone(), s.to_string()));
                        }
                        None => bad("headers", format!("header \"{name}\" must be a string")),
                    }
                }
            }
            None => bad("headers", "must be a table of header = \"value\"".into()),
        }
    }
    if let Some(v) = t.get("host") {
        match v.as_str() {
            Some(h) => p.host = Some(h.to_string()),
            None => bad("host", "must be a string".into()),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(src: &str) -> toml::Table {
        toml::from_str(src).unwrap_or_default()
    }

    fn health(src: &str) -> crate::fleet::settings::HttpHealth {
        toml::from_str(src).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn endpoints_become_probes_with_defaults_and_tables_override() {
        let defaults = table("timeout = \"3s\"\nheaders = { X-Probe = \"meridian\" }");
        let c = http_config(&defaults, &health(""), &["https://a/healthz".into()]);
        let c = c.unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(c.probes[0].timeout, Duration::from_secs(3));
        assert_eq!(
            c.probes[0].headers,
            vec![("X-Probe".into(), "meridian".into())]
        );
        let settings = health(
            "probes = [\"http://a/live\", { url = \"http://a/ready\", expect_status = 204, expect_body = \"ok\", timeout = \"1s\" }]",
        );
        let c = http_config(&defaults, &settings, &[]).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(c.probes.len(), 2);
        assert_eq!(c.probes[1].expect_status, 204);
        assert_eq!(c.probes[1].timeout, Duration::from_secs(1));
        assert_eq!(c.probes[0].timeout, Duration::from_secs(3));
    }

    #[test]
    fn mistakes_are_named() {
        let settings =
            health("probes = [{ url = \"ftp://x\", expect_body = \"(\", tmeout = \"1s\" }, 5]");
        let problems = http_config(&table(""), &settings, &[])
            .err()
            .unwrap_or_default();
        let text = format!("{problems:?}");
        assert!(text.contains("unknown key \\\"tmeout\\\""), "{text}");
        assert!(text.contains("regular expression"), "{text}");
        assert!(text.contains("http:// or https://"), "{text}");
        assert!(text.contains("a probe is a URL or a table"), "{text}");
        let none = http_config(&table(""), &health(""), &[])
            .err()
            .unwrap_or_default();
        assert!(format!("{none:?}").contains("no probes"));
    }
}
