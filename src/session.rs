//! What both front ends start from: which fleet, where its state lives, its providers and
//! the executor that is the only door to it; and how a run ends (an exit code, a message).
//! The CLI and the dashboard build a `Context` from the same `Options`.

use std::path::PathBuf;

use crate::actions::{AuditLog, Executor, FleetLock};
use crate::fleet::{self, Fleet, LoadError};
use crate::paths::{FleetPaths, Paths};
use crate::providers::sim::SimOptions;
use crate::providers::{ProviderOptions, Providers};

/// What a run was asked, of the things both front ends need: which fleet, read-only, and
/// how the simulated world runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// `-c FILE` / `MERIDIAN_CONFIG`.
    pub config: Option<PathBuf>,
    /// `--demo`: the embedded demo fleet whatever is configured.
    pub demo: bool,
    pub read_only: bool,
    /// Simulated seconds per real second.
    pub sim_speed: f64,
    pub seed: Option<u64>,
    /// `--practice`: the practice copy of the fleet (`crate::practice`).
    pub practice: bool,
}

/// Exit codes, as documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Done = 0,
    Failed = 1,
    Usage = 2,
    Refused = 3,
    LockHeld = 4,
}

/// What could not be done, with the exit code that says why (both front ends end with one).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(code: Exit, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// A line on stderr, simply lost when the terminal has gone (a closed SSH session), where
/// `eprintln!` would panic.
pub fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A line on stdout, lost (not a panic) when the terminal has gone.
pub fn out(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

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
    /// A practice run's simulated copy of the fleet (`rollout ... --practice`): every
    /// audit record it writes is marked as practice.
    pub practice: bool,
}

/// Decide which fleet to use: `--demo`, `-c`/`MERIDIAN_CONFIG`, the default file, the demo.
pub fn choose_fleet(opts: &Options, paths: &Paths) -> FleetChoice {
    if opts.demo {
        FleetChoice::Demo { because: "--demo" }
    } else if let Some(c) = &opts.config {
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
pub fn load_fleet(choice: &FleetChoice) -> Result<Fleet, Failure> {
    match choice {
        FleetChoice::Demo { .. } => Ok(fleet::demo()),
        FleetChoice::File(path) => fleet::load_file(path).map_err(|e| match e {
            LoadError::Read { .. } => Failure::new(Exit::Usage, e.to_string()),
            LoadError::Invalid(errors) => Failure::new(Exit::Usage, errors.to_string()),
        }),
    }
}

impl Context {
    pub fn load(opts: &Options) -> Result<Context, Failure> {
        if opts.practice {
            return Context::practice(opts);
        }
        let paths = Paths::discover();
        let choice = choose_fleet(opts, &paths);
        let fleet = load_fleet(&choice)?;
        // Parsing checks it too; GlobalArgs may also be built in code.
        crate::providers::sim::check_speed(opts.sim_speed).map_err(|e| {
            Failure::new(
                Exit::Usage,
                format!("--sim-speed {:e} is {e}", opts.sim_speed),
            )
        })?;
        let sim = SimOptions {
            speed: opts.sim_speed,
            seed: opts.seed,
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
        .map_err(|e| Failure::new(Exit::Failed, e.to_string()))?;
        let ctx = Context {
            fleet,
            choice,
            paths,
            fleet_paths,
            providers,
            sim,
            read_only: opts.read_only,
            practice: false,
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
        match crate::actions::settle_orphans(&log, &lock) {
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
        Executor::new(
            self.fleet.clone(),
            self.providers.clone(),
            AuditLog::new(&self.fleet_paths.audit_log).practice(self.practice),
            self.lock(),
            self.read_only,
        )
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
    pub fn sim(&self) -> Result<crate::providers::sim::SimProvider, Failure> {
        if !self.fleet.is_simulated() {
            return Err(Failure::new(
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
