//! Everything a command needs: the fleet, its state paths, its providers.

use std::path::PathBuf;

use super::args::GlobalArgs;
use super::{CliError, Exit};
use crate::actions::{AuditLog, Executor, FleetLock};
use crate::fleet::{self, Fleet, LoadError};
use crate::paths::{FleetPaths, Paths};
use crate::providers::sim::SimOptions;
use crate::providers::{ProviderOptions, Providers};

/// Which fleet is in use and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetChoice {
    /// `--demo`, or nothing configured.
    Demo {
        because: &'static str,
    },
    File(PathBuf),
}

/// A loaded fleet with everything needed to read and change it.
pub struct Context {
    pub fleet: Fleet,
    pub choice: FleetChoice,
    pub paths: Paths,
    pub fleet_paths: FleetPaths,
    pub providers: Providers,
    pub sim: SimOptions,
    pub read_only: bool,
}

/// Decide which fleet to use: `--demo`, `-c`/`MERIDIAN_CONFIG`, the default file, the demo.
pub fn choose_fleet(global: &GlobalArgs, paths: &Paths) -> FleetChoice {
    if global.demo {
        FleetChoice::Demo { because: "--demo" }
    } else if let Some(c) = &global.config {
        FleetChoice::File(c.clone())
    } else if paths.default_fleet_file.exists() {
        FleetChoice::File(paths.default_fleet_file.clone())
    } else {
        FleetChoice::Demo {
            because: "no fleet file is configured",
        }
    }
}

/// Load a fleet file, turning problems into usage errors (exit 2).
pub fn load_fleet(choice: &FleetChoice) -> Result<Fleet, CliError> {
    match choice {
        FleetChoice::Demo { .. } => Ok(fleet::demo()),
        FleetChoice::File(path) => fleet::load_file(path).map_err(|e| match e {
            LoadError::Read { .. } => CliError::new(Exit::Usage, e.to_string()),
            LoadError::Invalid(errors) => CliError::new(Exit::Usage, errors.to_string()),
        }),
    }
}

impl Context {
    pub fn load(global: &GlobalArgs) -> Result<Context, CliError> {
        let paths = Paths::discover();
        let choice = choose_fleet(global, &paths);
        let fleet = load_fleet(&choice)?;
        // Parsing checks it too; GlobalArgs may also be built in code.
        crate::providers::sim::check_speed(global.sim_speed).map_err(|e| {
            CliError::new(
                Exit::Usage,
                format!("--sim-speed {:e} is {e}", global.sim_speed),
            )
        })?;
        let sim = SimOptions {
            speed: global.sim_speed,
            seed: global.seed,
        };
        let fleet_paths = paths.fleet(&fleet.name);
        let providers = Providers::build(
            &fleet,
            &fleet_paths.dir,
            &ProviderOptions {
                sim: sim.clone(),
                health_paces: crate::engine::schedule::health_source_intervals(&fleet),
            },
        )
        .map_err(|e| CliError::new(Exit::Failed, e.to_string()))?;
        let ctx = Context {
            fleet,
            choice,
            paths,
            fleet_paths,
            providers,
            sim,
            read_only: global.read_only,
        };
        if !ctx.read_only {
            ctx.settle_orphans();
        }
        Ok(ctx)
    }

    /// Make the audit log honest about actions whose process died mid-way (kill -9, power
    /// loss) before this start; a problem doing so is a warning, not a reason to stop.
    fn settle_orphans(&self) {
        let log = AuditLog::new(&self.fleet_paths.audit_log);
        let lock = FleetLock::new(&self.fleet_paths.lock_file);
        match crate::actions::recover::settle_orphans(&log, &lock) {
            Ok(settled) => {
                for r in settled {
                    eprintln!(
                        "meridian: an earlier {} {} never finished (its process died); recorded as interrupted: `meridian audit` shows it",
                        r.action, r.target
                    );
                }
            }
            Err(e) => eprintln!("meridian: warning: {e}"),
        }
    }

    /// The executor for this fleet.
    pub fn executor(&self) -> Executor {
        Executor {
            fleet: self.fleet.clone(),
            providers: self.providers.clone(),
            audit: AuditLog::new(&self.fleet_paths.audit_log),
            lock: self.lock(),
            read_only: self.read_only,
        }
    }

    /// The fleet lock: the lock file, or the Kubernetes Lease when `[lock] provider = "kube"`.
    pub fn lock(&self) -> FleetLock {
        let lock = FleetLock::new(&self.fleet_paths.lock_file);
        match crate::providers::kube::LeaseLock::from_fleet(
            &self.fleet,
            self.providers.kube.clone(),
        ) {
            Some(lease) => lock.with_remote(std::sync::Arc::new(lease)),
            None => lock,
        }
    }

    /// A direct handle on the simulated world, for `meridian demo`.
    pub fn sim(&self) -> Result<crate::providers::sim::SimProvider, CliError> {
        if !self.fleet.is_simulated() {
            return Err(CliError::new(
                Exit::Usage,
                format!(
                    "fleet {} has no simulated parts; `meridian demo` works on simulated fleets (try --demo)",
                    self.fleet.name
                ),
            ));
        }
        Ok(crate::providers::sim::SimProvider::new(
            &self.fleet,
            &self.fleet_paths.dir,
            self.sim.clone(),
        ))
    }
}
