//! Files generated from meridian's own definitions: shell completions and man pages from
//! the clap definitions, the fleet file's JSON Schema from the fleet file's types.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::args::Cli;
use super::{Exit, Failure};

/// `meridian completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<Exit, Failure> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "meridian", &mut out);
    emit(&out)
}

/// `meridian man`: the man page on stdout, or every command's page into a directory.
pub fn man(out_dir: Option<&Path>) -> Result<Exit, Failure> {
    let cmd = Cli::command();
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .and_then(|()| clap_mangen::generate_to(cmd, dir))
                .map_err(|e| {
                    Failure::new(
                        Exit::Failed,
                        format!("cannot write man pages into {}: {e}", dir.display()),
                    )
                })?;
            eprintln!("man pages written to {}", dir.display());
            Ok(Exit::Done)
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out).map_err(|e| {
                Failure::new(Exit::Failed, format!("cannot render the man page: {e}"))
            })?;
            emit(&out)
        }
    }
}

/// `meridian config schema`: the fleet file's JSON Schema on stdout.
pub fn schema() -> Result<Exit, Failure> {
    emit(crate::fleet::schema::fleet_schema_text().as_bytes())
}

/// `meridian config reference`: `docs/fleet-reference.md`, written from the schema.
pub fn reference() -> Result<Exit, Failure> {
    emit(crate::fleet::reference::fleet_reference().as_bytes())
}

fn emit(bytes: &[u8]) -> Result<Exit, Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot write to stdout: {e}")))?;
    Ok(Exit::Done)
}
