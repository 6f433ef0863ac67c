//! The main loop: the only place UI state changes. It draws when something changed, waits
//! for keys, poller snapshots, action progress and the clock, hands each to
//! `App::update`, and performs the effects that come back.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::app::{App, Msg};
use super::effects::{Effects, Running};
use super::{keymap, terminal, theme, view};
use crate::actions::Executor;
use crate::engine::{Engine, Observation};
use crate::providers::ApiMeter;
use crate::session::{self, Context, Exit, Failure};
use crate::state::{FleetState, now_ms};

/// While the first readings arrive, what was merged is shown (derived and drawn) at most
/// this often. After that, readings are shown at the clock's next second, which draws
/// anyway as ages move: a 100-region fleet's 400 subjects push all the time, and drawing
/// each quarter second was most of an idle dashboard's work. Keys and action results are
/// drawn at once, whatever this is.
const MERGE_EVERY: Duration = Duration::from_millis(250);

/// The terminal's events, read in a task of their own. Polled in the loop's `select!`, the
/// event stream asked crossterm (a lock and a read that must not block) every time a
/// reading woke the loop: 200 times a second on a 100-region fleet. In its own task it is
/// polled only when input arrives.
pub(super) struct TerminalEvents {
    pub(super) rx: mpsc::UnboundedReceiver<std::io::Result<Event>>,
    task: tokio::task::JoinHandle<()>,
}

impl TerminalEvents {
    pub(super) fn spawn() -> TerminalEvents {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut events = EventStream::new();
            while let Some(ev) = events.next().await {
                let failed = ev.is_err();
                if tx.send(ev).is_err() || failed {
                    return;
                }
            }
        });
        TerminalEvents { rx, task }
    }
}

impl Drop for TerminalEvents {
    /// Stop reading the terminal with the loop: what is typed after it is the shell's.
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Everything the dashboard needs before the terminal is touched, so configuration errors
/// are printed plainly and start-up stops.
pub struct Prepared {
    pub ctx: Context,
    pub app: App,
}

/// What the dashboard is asked to show, and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub session: session::Options,
    /// A theme's name: embedded (dark, light, high-contrast, colour-blind) or the user's.
    pub theme: String,
    /// A keymap's name: default or vim (the user's keymap.toml merges over it).
    pub keymap: String,
}

/// Load the fleet, theme and keymap; build the app.
pub fn prepare(global: &Options) -> Result<Prepared, Failure> {
    let ctx = Context::load(&global.session)?;
    let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let usage = |e: super::config_error::ConfigError| Failure::new(Exit::Usage, e.to_string());
    let theme =
        theme::load(&global.theme, Some(&ctx.paths.themes_dir), no_colour).map_err(usage)?;
    let keymap = keymap::load(&global.keymap, Some(&ctx.paths.keymap_file)).map_err(usage)?;
    let app = App::new(
        ctx.fleet.clone(),
        FleetState::skeleton(&ctx.fleet, now_ms()),
        theme,
        keymap,
        ctx.read_only,
    );
    Ok(Prepared { ctx, app })
}

/// Open the dashboard and run it until the operator quits.
pub async fn run(global: &Options) -> Result<Exit, Failure> {
    let started = Instant::now();
    let Prepared { ctx, mut app } = prepare(global)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            Exit::Usage,
            "the dashboard needs a terminal; for scripts use a command such as `meridian status --json`",
        ));
    }
    super::logging::install();
    let executor = Arc::new(ctx.executor());
    let mut running = Running::default();
    let mut guard = terminal::enter()
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot set up the terminal: {e}")))?;
    let end = event_loop(&mut guard, &mut app, &ctx, executor, started, &mut running).await;
    // The terminal goes back first; an action still running then records its outcome.
    drop(guard);
    let why = match &end {
        Ok(End::Quit) => "closing the dashboard".to_string(),
        Ok(End::Signal(name)) => name.to_string(),
        Ok(End::Panic) => "a panic in meridian".to_string(),
        Err(e) => e.message.clone(),
    };
    let interrupted = running.finish(&why).await;
    match end {
        Ok(End::Panic) => Err(Failure::new(
            Exit::Failed,
            "the dashboard stopped after a panic (a bug in meridian; its message is above)",
        )),
        Ok(_) if interrupted => Ok(Exit::Failed),
        Ok(_) => Ok(Exit::Done),
        Err(e) => Err(e),
    }
}

/// How the main loop ended.
enum End {
    Quit,
    Signal(&'static str),
    /// Something panicked; the terminal has already been given back.
    Panic,
}

async fn event_loop(
    guard: &mut terminal::TerminalGuard,
    app: &mut App,
    ctx: &Context,
    executor: Arc<Executor>,
    started: Instant,
    running: &mut Running,
) -> Result<End, Failure> {
    let draw_failed =
        |e: std::io::Error| Failure::new(Exit::Failed, format!("drawing failed: {e}"));
    app.now = now_ms();
    super::logging::before_draw();
    guard.draw(|f| view::draw(f, app)).map_err(draw_failed)?;
    app.drawn_whole();
    // Two short lines so they read in a narrow log pane (and scripts can grep them).
    log::info!("first frame in {} ms", started.elapsed().as_millis());
    log::info!(
        "fleet {}: each region and capability refreshes on its own",
        ctx.fleet.name
    );

    let (fleet_tx, mut fleet_rx) = mpsc::channel::<Observation>(1024);
    let engine = Engine::spawn(ctx.fleet.clone(), ctx.providers.clone(), fleet_tx, |o| o);
    let (action_tx, mut action_rx) = mpsc::unbounded_channel::<Msg>();
    let lock = ctx.lock();
    let remote_lock = lock.remote.is_some();
    if remote_lock {
        // A Lease lives in a cluster: read it now and then in the background, never in
        // the loop (a slow cluster must not stall the screen).
        let lock = lock.clone();
        let tx = action_tx.clone();
        tokio::spawn(async move {
            loop {
                if tx.send(Msg::Lock(lock.current_holder().await)).is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
    } else {
        app.update(Msg::Lock(lock.holder()));
    }
    // The rollout and the weights' records, read in a task; the loop tells it the weights.
    let (weights_tx, weights_rx) =
        tokio::sync::watch::channel(crate::actions::temporary::current(&app.fleet, &app.state));
    super::records::watch_records(
        ctx.fleet.clone(),
        executor.rollouts(),
        ctx.executor().shared_store(),
        weights_rx,
        action_tx.clone(),
        ctx.read_only,
    );
    let mut events = TerminalEvents::spawn();
    // Ctrl-C is a key in raw mode; these are `kill`, a closed terminal or SSH session, Ctrl-\.
    let mut endings = crate::signals::Endings::listen();
    // On the process's grid, so the clock's second wakes with the readings' slots.
    let mut clock = crate::engine::schedule::grid_clock(Duration::from_secs(1));

    let started = tokio::time::Instant::now();
    let mut last_merge = started.checked_sub(MERGE_EVERY).unwrap_or(started);
    let flush = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(flush);

    let mut fx = Effects::new(executor, engine, action_tx.clone(), running);
    let mut recorder = super::record::BoardRecorder::new(ctx);
    let end = loop {
        if terminal::panicked() {
            break End::Panic;
        }
        if app.dirty && app.unsettled() {
            // What is drawn agrees with itself: counts and filtered rows from the cells shown.
            last_merge = tokio::time::Instant::now();
            let effects = app.update(Msg::Settle);
            fx.perform_all(effects);
        }
        if app.dirty {
            super::logging::before_draw();
            guard.draw(|f| view::draw(f, app)).map_err(draw_failed)?;
            app.drawn_whole();
            // Pace follows attention: what was just drawn, what has a finding, what an
            // action touches (the engine wakes its tasks only when the set changes).
            let mut attended = app.attended_regions();
            attended.extend(fx.acting.iter().cloned());
            fx.engine.attend(attended);
        } else if app.cadence.header_due {
            // Only the clock moved: the header over the last frame (see `cadence`).
            guard
                .draw_top(
                    view::HEADER_LINES,
                    |f| view::draw_header(f, app),
                    |f| view::draw(f, app),
                )
                .map_err(draw_failed)?;
            app.cadence.header_due = false;
        }
        if app.quit {
            break End::Quit;
        }
        let msg = tokio::select! {
            ev = events.rx.recv() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    // Time reaches the app only in messages: tell it when the key came.
                    app.update(Msg::Tick(now_ms()));
                    Msg::Key(k)
                }
                Some(Ok(Event::Mouse(m))) => Msg::Mouse(m),
                Some(Ok(Event::Resize(..))) => {
                    let _ = guard.autoresize();
                    Msg::Resize
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(Failure::new(Exit::Failed, format!("reading the terminal failed: {e}"))),
                None => break End::Quit,
            },
            Some(first) = fleet_rx.recv() => {
                // Each reading is merged the moment it arrives (so it is freed at once);
                // what was merged is shown at most once per MERGE_EVERY while the first
                // readings arrive, then at the clock's ticks, or a big fleet's 400
                // subjects, each on its own clock, would redraw it many times a second.
                let starting = !app.all_reported();
                let mut effects = app.update(Msg::Arrived(Box::new(first)));
                while let Ok(next) = fleet_rx.try_recv() {
                    effects.extend(app.update(Msg::Arrived(Box::new(next))));
                }
                fx.perform_all(effects);
                if !starting {
                    continue;
                }
                // The last of the first readings is shown at once: the board is live.
                if !app.all_reported() && last_merge.elapsed() < MERGE_EVERY {
                    flush.as_mut().reset(last_merge + MERGE_EVERY);
                    continue;
                }
                last_merge = tokio::time::Instant::now();
                Msg::Settle
            }
            // Only while the first readings arrive: a finished sleep is ready at once.
            _ = &mut flush, if app.unsettled() && !app.all_reported() => {
                last_merge = tokio::time::Instant::now();
                Msg::Settle
            }
            Some(m) = action_rx.recv() => m,
            _ = clock.tick() => {
                let now = now_ms();
                if !remote_lock {
                    app.update(Msg::Lock(lock.holder()));
                }
                app.update(Msg::Budget(ApiMeter::global().lines(now, ApiMeter::started())));
                let weights = crate::actions::temporary::current(&app.fleet, &app.state);
                weights_tx.send_if_modified(|w| {
                    let changed = *w != weights;
                    *w = weights;
                    changed
                });
                recorder.tick(app, now);
                Msg::Tick(now)
            }
            name = endings.next() => break End::Signal(name),
            _ = terminal::panic_notice() => break End::Panic,
        };
        let mut effects = app.update(msg);
        // Apply whatever else already arrived before drawing once.
        while let Ok(m) = action_rx.try_recv() {
            effects.extend(app.update(m));
        }
        fx.perform_all(effects);
    };
    fx.engine.stop();
    Ok(end)
}
