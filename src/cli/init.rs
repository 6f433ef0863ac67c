//! `meridian init`: a starter fleet file at the default location (or `-c FILE`), never
//! over an existing one, then `config check` on it.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::args::{GlobalArgs, InitFrom};
use super::discover;
use super::{Exit, Failure};
use crate::fleet::schema::fleet_schema_text;
use crate::paths::Paths;

/// The commented example fleet, as shipped in `examples/`.
const EXAMPLE: &str = include_str!("../../examples/fleet.toml");
/// The schema file written beside a fleet file in the config directory.
const SCHEMA_NAME: &str = "fleet.schema.json";

/// What `meridian init` starts from.
pub struct Source {
    pub from: InitFrom,
    pub kubeconfig: Option<PathBuf>,
    pub zone: Option<String>,
    pub record: Option<String>,
    pub endpoint_url: Option<String>,
}

/// `meridian init`: write the starter file (never over one), then check it.
pub async fn run(global: &GlobalArgs, source: Source) -> Result<Exit, Failure> {
    let paths = Paths::discover();
    let in_config_dir = global.config.is_none();
    let target = global
        .config
        .clone()
        .unwrap_or_else(|| paths.default_fleet_file.clone());
    if target.exists() {
        return Err(Failure::new(
            Exit::Usage,
            format!(
                "{} already exists; meridian init never overwrites a fleet file: check it with `meridian config check`, or pass -c NEW_FILE",
                target.display()
            ),
        ));
    }
    let text = starter_text(&source).await?;
    write_new(&target, &text)?;
    eprintln!("wrote {}", target.display());
    // The schema directive points beside the fleet file; write it there only inside the
    // config directory (meridian writes nothing else outside it).
    let schema = target.with_file_name(SCHEMA_NAME);
    if in_config_dir {
        std::fs::write(&schema, fleet_schema_text()).map_err(|e| {
            Failure::new(
                Exit::Failed,
                format!("cannot write {}: {e}", schema.display()),
            )
        })?;
        eprintln!("wrote {} (for editor completion)", schema.display());
    } else {
        eprintln!(
            "for editor completion: meridian config schema > {}",
            schema.display()
        );
    }
    super::commands::config_check(global, Some(target))
}

async fn starter_text(source: &Source) -> Result<String, Failure> {
    let usage = |m: String| Failure::new(Exit::Usage, m);
    match source.from {
        InitFrom::Example => Ok(example_text()),
        InitFrom::Kube => {
            let path = source
                .kubeconfig
                .clone()
                .or_else(discover::default_kubeconfig)
                .ok_or_else(|| usage("no kubeconfig found: pass --kubeconfig FILE".into()))?;
            let regions = discover::from_kubeconfig(&path).map_err(usage)?;
            let what = format!("the contexts of {}", path.display());
            Ok(discover::starter("my-fleet", &what, None, &regions))
        }
        InitFrom::Route53 => {
            let zone = source.zone.as_deref().ok_or_else(|| {
                usage("--from route53 needs --zone ZONE_ID (the hosted zone's id)".into())
            })?;
            let (traffic, regions) =
                discover::from_route53(zone, source.record.as_deref(), source.endpoint_url.clone())
                    .await
                    .map_err(|e| Failure::new(Exit::Failed, format!("init from Route 53: {e}")))?;
            let what = format!(
                "Route 53 zone {zone}, record {} ({})",
                traffic.record_name, traffic.record_type
            );
            Ok(discover::starter(
                "my-fleet",
                &what,
                Some(&traffic),
                &regions,
            ))
        }
    }
}

/// The example with its schema directive pointing beside the written file.
pub fn example_text() -> String {
    let body = EXAMPLE
        .split_once('\n')
        .filter(|(first, _)| first.starts_with("#:schema"))
        .map(|(_, rest)| rest)
        .unwrap_or(EXAMPLE);
    format!("#:schema ./{SCHEMA_NAME}\n{body}")
}

/// Create the file, failing if it appeared meanwhile (never overwrite).
fn write_new(path: &Path, text: &str) -> Result<(), Failure> {
    let fail = |e: std::io::Error| {
        Failure::new(
            Exit::Failed,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Failure::new(
                Exit::Usage,
                format!("{} already exists; not overwritten", path.display()),
            ),
            _ => fail(e),
        })?;
    file.write_all(text.as_bytes()).map_err(fail)
}
