//! The practice copy of a fleet as a `Context`: the simulated copy that
//! `actions::practice` makes, in a state directory of its own (`<fleet dir>/practice/`:
//! its world file, rollout, lock, shared records and audit log), so a rehearsal uses the
//! same library, plans, gates and approvals and never reaches the live fleet's backends
//! or files. The seed it was made from is kept there, so every later `--practice`
//! command rebuilds the same copy.

use std::path::PathBuf;

use crate::actions::practice::{self, Seed};
use crate::paths::FleetPaths;
use crate::providers::sim::Fault;
use crate::providers::{ProviderOptions, Providers};
use crate::session::{Context, Exit, Failure, Options};

const SEED_FILE: &str = "practice-seed.json";

impl Context {
    /// Where this fleet's practice lives.
    pub fn practice_dir(&self) -> PathBuf {
        self.fleet_paths.dir.join("practice")
    }

    /// The practice under way (started with `rollout start ... --practice`).
    pub fn practice(opts: &Options) -> Result<Context, Failure> {
        let live = Context::load(&Options {
            practice: false,
            ..opts.clone()
        })?;
        let Some(seed) = live.practice_seed()? else {
            return Err(Failure::new(
                Exit::Usage,
                format!(
                    "fleet {} has no practice: start one with `meridian rollout start TEMPLATE --practice --reason TEXT`",
                    live.fleet.name
                ),
            ));
        };
        let ctx = live.practice_from(&seed)?;
        // Every command on the copy says so first (stderr: `--json` stays clean).
        crate::session::note(&ctx.practice_banner());
        Ok(ctx)
    }

    /// Start a practice: the live fleet read once (reading only), and a fresh simulated
    /// world seeded from what was read. Refused while a practice rollout is unfinished.
    pub async fn start_practice(&self) -> Result<Context, Failure> {
        if let Some(old) = self.practice_seed()? {
            let ctx = self.practice_from(&old)?;
            if let Ok(Some(r)) = ctx.executor().rollouts().load()
                && !r.status.finished()
            {
                return Err(Failure::new(
                    Exit::Refused,
                    format!(
                        "practice rollout {} is {} (started by {}): finish it, or `meridian rollout abort --practice`, before starting another",
                        r.id,
                        r.status.as_str(),
                        r.started_by
                    ),
                ));
            }
        }
        let state = crate::engine::poll(&self.fleet, &self.providers, None).await;
        let seed = practice::seed(&self.fleet, &state);
        let dir = self.practice_dir();
        let io = |e: std::io::Error| {
            Failure::new(
                Exit::Failed,
                format!("cannot write the practice in {}: {e}", dir.display()),
            )
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let text = serde_json::to_string_pretty(&seed).unwrap_or_default();
        std::fs::write(dir.join(SEED_FILE), text).map_err(io)?;
        let ctx = self.practice_from(&seed)?;
        let sim = ctx.sim()?;
        sim.reset()
            .map_err(|e| Failure::new(Exit::Failed, format!("practice world: {e}")))?;
        for region in practice::down(&seed) {
            sim.set_fault(region, Fault::Down)
                .map_err(|e| Failure::new(Exit::Failed, format!("practice world: {e}")))?;
        }
        Ok(ctx)
    }

    /// The seed of the practice in the state directory, if one was started.
    fn practice_seed(&self) -> Result<Option<Seed>, Failure> {
        let path = self.practice_dir().join(SEED_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Failure::new(
                    Exit::Failed,
                    format!("{}: {e}", path.display()),
                ));
            }
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Failure::new(
                Exit::Failed,
                format!(
                    "{}: not a practice seed ({e}); start the practice again",
                    path.display()
                ),
            )
        })
    }

    fn practice_from(&self, seed: &Seed) -> Result<Context, Failure> {
        let fleet = practice::fleet(&self.fleet, seed);
        let fleet_paths = FleetPaths::new(&self.practice_dir());
        let providers = Providers::build(
            &fleet,
            &fleet_paths.dir,
            &ProviderOptions {
                sim: self.sim.clone(),
                health_paces: crate::engine::schedule::health_source_intervals(&fleet),
            },
        )
        .map_err(|e| Failure::new(Exit::Failed, e.to_string()))?;
        Ok(Context {
            fleet,
            choice: self.choice.clone(),
            paths: self.paths.clone(),
            fleet_paths,
            providers,
            sim: self.sim.clone(),
            read_only: self.read_only,
            practice: true,
        })
    }

    /// The banner every practice command prints first.
    pub fn practice_banner(&self) -> String {
        format!(
            "{} (state in {})",
            self.fleet
                .description
                .as_deref()
                .unwrap_or("PRACTICE: a simulated copy of the fleet; nothing real changes"),
            self.fleet_paths.dir.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::tui::fixture::{app_for, demo_state, render, text};

    /// The dashboard on a practice copy, or showing a practice rollout, says PRACTICE in
    /// its header; on the live fleet it does not.
    #[test]
    fn the_dashboard_header_says_practice() {
        let (fleet, state) = demo_state(42).expect("demo");
        let live = app_for(fleet.clone(), state.clone(), "dark", "default", false).expect("app");
        let header = |app: &crate::tui::App| {
            text(&render(app, 150, 40))
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()
        };
        assert!(!header(&live).contains("PRACTICE"), "{}", header(&live));

        let seed = crate::actions::practice::seed(&fleet, &state);
        let copy = crate::actions::practice::fleet(&fleet, &seed);
        let practice = app_for(copy, state.clone(), "dark", "default", false).expect("app");
        assert!(
            header(&practice).contains(" PRACTICE "),
            "{}",
            header(&practice)
        );

        let mut shown = live;
        let mut r = crate::actions::rollout::Rollout::start(
            &fleet,
            "failover-eu-west-1",
            Default::default(),
            "DRILL-1",
            "alice@a",
            shown.now,
        )
        .expect("rollout");
        r.practice = true;
        shown.rollout = Some(Box::new(r));
        assert!(header(&shown).contains(" PRACTICE "), "{}", header(&shown));
    }
}
