//! The main loop: the only place UI state changes. It draws when something changed, waits
//! for keys, poller snapshots, action progress and the clock, hands each to
//! `App::update`, and performs the effects that come back.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::app::{App, Effect, Msg};
use super::{keymap, terminal, theme, view};
use crate::actions::{Executor, FleetLock};
use crate::cli::context::Context;
use crate::cli::{CliError, Exit, GlobalArgs};
use crate::engine::LivePoller;
use crate::providers::Progress;
use crate::state::{FleetState, now_ms};

/// How often the live poller refreshes the fleet.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Everything the dashboard needs before the terminal is touched, so configuration errors
/// are printed plainly and start-up stops.
pub struct Prepared {
    pub ctx: Context,
    pub app: App,
}

/// Load the fleet, theme and keymap; build the app.
pub fn prepare(global: &GlobalArgs) -> Result<Prepared, CliError> {
    let ctx = Context::load(global)?;
    let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let usage = |e: super::config_error::ConfigError| CliError::new(Exit::Usage, e.to_string());
    let theme =
        theme::load(&global.theme, Some(&ctx.paths.themes_dir), no_colour).map_err(usage)?;
    let keymap = keymap::load(&global.keymap, Some(&ctx.paths.keymap_file)).map_err(usage)?;
    let app = App::new(
        ctx.fleet.clone(),
        FleetState::default(),
        theme,
        keymap,
        ctx.read_only,
    );
    Ok(Prepared { ctx, app })
}

/// Open the dashboard and run it until the operator quits.
pub async fn run(global: &GlobalArgs) -> Result<Exit, CliError> {
    let started = Instant::now();
    let Prepared { ctx, mut app } = prepare(global)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            Exit::Usage,
            "the dashboard needs a terminal; for scripts use a command such as `meridian status --json`",
        ));
    }
    let _ = tui_logger::init_logger(log::LevelFilter::Info);
    tui_logger::set_default_level(log::LevelFilter::Info);
    let executor = Arc::new(ctx.executor());
    let mut guard = terminal::enter()
        .map_err(|e| CliError::new(Exit::Failed, format!("cannot set up the terminal: {e}")))?;
    let result = event_loop(&mut guard, &mut app, &ctx, executor, started).await;
    drop(guard);
    result.map(|_| Exit::Done)
}

async fn event_loop(
    guard: &mut terminal::TerminalGuard,
    app: &mut App,
    ctx: &Context,
    executor: Arc<Executor>,
    started: Instant,
) -> Result<(), CliError> {
    let draw_failed =
        |e: std::io::Error| CliError::new(Exit::Failed, format!("drawing failed: {e}"));
    app.now = now_ms();
    guard
        .terminal
        .draw(|f| view::draw(f, app))
        .map_err(draw_failed)?;
    app.dirty = false;
    // Two short lines so they read in a narrow log pane (and scripts can grep them).
    log::info!("first frame in {} ms", started.elapsed().as_millis());
    log::info!(
        "fleet {}: polling every {}s",
        ctx.fleet.name,
        POLL_INTERVAL.as_secs()
    );

    let (fleet_tx, mut fleet_rx) = mpsc::channel::<Msg>(2);
    let lock_path = ctx.fleet_paths.lock_file.clone();
    let mut poller = LivePoller::spawn(
        ctx.fleet.clone(),
        ctx.providers.clone(),
        POLL_INTERVAL,
        fleet_tx,
        move |state| {
            let lock = FleetLock::new(&lock_path).holder();
            Msg::Fleet(Box::new(state), lock)
        },
    );
    let (action_tx, mut action_rx) = mpsc::unbounded_channel::<Msg>();
    let mut events = EventStream::new();
    // SIGTERM (e.g. `kill`) should leave the terminal usable too; SIGINT is a key in raw mode.
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    loop {
        if app.dirty {
            guard
                .terminal
                .draw(|f| view::draw(f, app))
                .map_err(draw_failed)?;
            app.dirty = false;
        }
        if app.quit {
            break;
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    // Time reaches the app only in messages: tell it when the key came.
                    app.update(Msg::Tick(now_ms()));
                    Msg::Key(k)
                }
                Some(Ok(Event::Resize(..))) => {
                    let _ = guard.terminal.autoresize();
                    Msg::Resize
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(CliError::new(Exit::Failed, format!("reading the terminal failed: {e}"))),
                None => break,
            },
            Some(m) = fleet_rx.recv() => m,
            Some(m) = action_rx.recv() => m,
            _ = clock.tick() => Msg::Tick(now_ms()),
            _ = tokio::signal::ctrl_c() => break,
            Some(_) = async {
                match terminate.as_mut() {
                    Some(t) => t.recv().await,
                    None => std::future::pending().await,
                }
            } => break,
        };
        let mut effects = app.update(msg);
        // Apply whatever else already arrived before drawing once.
        while let Ok(m) = action_rx.try_recv() {
            effects.extend(app.update(m));
        }
        for effect in effects {
            perform(effect, app, &executor, &poller, &action_tx);
        }
    }
    poller.stop();
    Ok(())
}

fn perform(
    effect: Effect,
    app: &mut App,
    executor: &Arc<Executor>,
    poller: &LivePoller,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    match effect {
        Effect::Execute(request, plan) => {
            let executor = Arc::clone(executor);
            let tx = tx.clone();
            let label = plan.button_label();
            tokio::spawn(async move {
                let progress_tx = tx.clone();
                // Progress::say also logs each line, which puts it in the log pane.
                let progress = Progress::new(move |m| {
                    let _ = progress_tx.send(Msg::Progress(m.to_string()));
                });
                let done = executor.execute(&request, &plan, &progress).await;
                let _ = tx.send(Msg::Finished {
                    label,
                    outcome: done.outcome,
                    detail: done.detail,
                });
            });
        }
        Effect::Decline(plan) => {
            let executor = Arc::clone(executor);
            tokio::task::spawn_blocking(move || {
                executor.record_declined(&plan);
            });
        }
        Effect::DescribePlan(plan) => {
            let executor = Arc::clone(executor);
            let tx = tx.clone();
            tokio::spawn(async move {
                let notes =
                    crate::providers::plan_notes(&executor.providers, &executor.fleet, &plan).await;
                if let Some(operation) = plan.operation.clone() {
                    let _ = tx.send(Msg::PlanNotes(Box::new(operation), notes));
                }
            });
        }
        Effect::LoadEvidence {
            region,
            phase,
            dir,
            key,
        } => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let tail = super::evidence::load_tail(&region, &phase, &dir, key);
                let _ = tx.send(Msg::Evidence(Box::new(tail)));
            });
        }
        Effect::CancelPhase { region, phase } => {
            let executor = Arc::clone(executor);
            let tx = tx.clone();
            tokio::spawn(async move {
                let progress_tx = tx.clone();
                let progress = Progress::new(move |m| {
                    let _ = progress_tx.send(Msg::Progress(m.to_string()));
                });
                let said = executor
                    .providers
                    .runner
                    .cancel(&executor.fleet, &region, &phase, &progress)
                    .await;
                match said {
                    Ok(m) => log::info!("{m}"),
                    Err(e) => log::warn!("{e}"),
                }
            });
            poller.refresh_now();
        }
        Effect::Refresh => poller.refresh_now(),
        Effect::Log(level, text) => log::log!(level, "{text}"),
        Effect::Quit => app.quit = true,
    }
}
