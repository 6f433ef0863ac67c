//! The dashboard's state and its pure update function. Only the main loop calls
//! `App::update`; it returns effects (execute a plan, record a decline, quit) for the loop
//! to perform, so everything here is testable without a terminal or a runtime.

pub use super::message::{Effect, Msg};

use super::command::{Command, Mode};
use super::filter::Filter;
use super::keymap::{KeyChord, Keymap, Lookup, PendingKeys};
use super::overlay::Overlay;
use super::theme::Theme;
use crate::actions::{AuditOutcome, LockHolder};
use crate::engine::Merger;
use crate::fleet::Fleet;
use crate::providers::budget::BudgetLine;
use crate::state::{FleetState, Millis};

/// The panes that can take focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Regions,
    Tenants,
    Phases,
    Log,
}

impl Pane {
    pub const ORDER: [Pane; 4] = [Pane::Regions, Pane::Tenants, Pane::Phases, Pane::Log];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Regions => "Regions",
            Pane::Tenants => "Tenants",
            Pane::Phases => "Phases",
            Pane::Log => "Log",
        }
    }
}

/// The status line: what is going on, or what just happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Idle,
    Info(String),
    Running(String),
    Done(String),
    Failed(String),
}

/// Row/column positions of the selection in each pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub region: usize,
    pub tenant: usize,
    pub tenant_col: usize,
    pub phase_row: usize,
    pub phase_col: usize,
}

/// What observations merged since the dashboard last derived its summaries changed.
#[derive(Debug, Default)]
pub(super) struct Unsettled {
    /// Something was merged.
    pub(super) any: bool,
    /// The regions whose apps were read whole or failed (their Argo CD counts are counted
    /// again).
    pub(super) apps_of: Vec<String>,
    /// Watch pushes' changes to a region's counts: the pushed cells' counts before and after.
    pub(super) argo: Vec<(String, crate::state::ArgoSummary, crate::state::ArgoSummary)>,
}

/// Everything the dashboard shows and remembers.
pub struct App {
    pub fleet: Fleet,
    pub state: FleetState,
    /// Merges the engine's observations into `state` (indexes the tenant matrix once).
    pub merger: Merger,
    /// Subjects that have reported at least once, of how many (the header shows the first
    /// readings arriving; a whole snapshot counts as every one).
    pub reported: (std::collections::HashSet<crate::engine::Subject>, usize),
    /// Observations merged but not yet shown (see `App::absorb`).
    pub(super) unsettled: Unsettled,
    /// The newest snapshot held back while frozen.
    pub held: Option<Box<FleetState>>,
    pub frozen: bool,
    pub now: Millis,
    pub read_only: bool,
    pub lock: Option<LockHolder>,
    /// API spending per provider family, for the header's budget line.
    pub budget: Vec<BudgetLine>,
    pub theme: Theme,
    pub keymap: Keymap,
    pub pending: PendingKeys,
    pub focus: Pane,
    pub cursor: Cursor,
    pub zoom: Option<Pane>,
    /// The detail pane fills the body (after Enter on a cell or phase).
    pub detail_zoomed: bool,
    pub log_hidden: bool,
    /// tui-logger's scroll position for the log pane (only the main loop touches it).
    pub log_view: tui_logger::TuiWidgetState,
    /// The log pane shows older lines rather than following new ones.
    pub log_scrolled: bool,
    pub overlay: Option<Overlay>,
    pub filter: Filter,
    pub status: Status,
    /// The action being executed, if any (one at a time).
    pub running: Option<String>,
    /// Argo summary per region, in fleet order; derived from `state` as it changes (pushes
    /// counted in and out, whole reads recounted) so drawing stays cheap on big fleets.
    pub argo: Vec<crate::state::ArgoSummary>,
    /// The rows the filter leaves (regions, tenants), kept current by `refilter`.
    pub visible: (Vec<usize>, Vec<usize>),
    /// The phase the cancel key was pressed on once (a second press stops it).
    pub cancel_armed: Option<(String, String)>,
    /// The latest output of the selected phase's run.
    pub evidence: Option<super::evidence::EvidenceTail>,
    /// The fleet's rollout, as its state file last read.
    pub rollout: Option<Box<crate::actions::rollout::Rollout>>,
    /// Plans waiting for a second person's approval, as the shared store last said.
    pub approvals: Vec<crate::actions::approvals::ApprovalRequest>,
    /// Recovery clocks still running, measured live against the state on every draw.
    pub clocks: Vec<crate::actions::recovery_open::OpenClock>,
    /// Set whenever something visible changed; the loop redraws and clears it.
    pub dirty: bool,
    /// When the clock redraws the whole board and when only the header.
    pub cadence: super::cadence::Cadence,
    pub quit: bool,
    /// What the last frame drew where, for the mouse (written while drawing).
    pub hits: super::mouse::HitMap,
    /// Where the weights stand against steady and intent (temporary, expired, drift);
    /// read by the loop each second, None until then.
    pub weights: Option<crate::actions::temporary::Standing>,
    /// Findings judged from what is shown, and since when their conditions have held.
    pub attention: super::findings::Attention,
    /// `meridian replay`: the recording and the moment shown instead of live readings.
    pub replay: Option<Box<super::replay::Replay>>,
    /// Preflight of the failover templates, run in the background every 30 minutes.
    pub preflight: super::preflight::Preflights,
    /// The tenant cells merged since the recorder last compared (`record.rs`): it compares
    /// only those. Everything at first, and after a whole new snapshot.
    pub touched: crate::recording::Touched,
}

impl App {
    pub fn new(
        fleet: Fleet,
        state: FleetState,
        theme: Theme,
        keymap: Keymap,
        read_only: bool,
    ) -> App {
        let now = state.observed_at;
        let mut app = App {
            merger: Merger::new(&fleet),
            reported: (
                Default::default(),
                crate::engine::Subject::all(&fleet).len(),
            ),
            fleet,
            state,
            unsettled: Unsettled::default(),
            held: None,
            frozen: false,
            now,
            read_only,
            lock: None,
            budget: Vec::new(),
            theme,
            keymap,
            pending: PendingKeys::default(),
            focus: Pane::Regions,
            cursor: Cursor::default(),
            zoom: None,
            detail_zoomed: false,
            log_hidden: false,
            log_view: tui_logger::TuiWidgetState::new(),
            log_scrolled: false,
            overlay: None,
            filter: Filter::default(),
            status: Status::Idle,
            running: None,
            argo: Vec::new(),
            visible: (Vec::new(), Vec::new()),
            cancel_armed: None,
            evidence: None,
            rollout: None,
            clocks: Vec::new(),
            approvals: Vec::new(),
            dirty: true,
            cadence: Default::default(),
            quit: false,
            hits: super::mouse::HitMap::default(),
            weights: None,
            attention: Default::default(),
            replay: None,
            preflight: Default::default(),
            touched: crate::recording::Touched::everything(),
        };
        // Every row shows from the start: before the first reading nothing is filtered out.
        app.refilter();
        app
    }

    /// The input mode in effect (decides which keymap section applies).
    pub fn mode(&self) -> Mode {
        match &self.overlay {
            Some(o) => o.mode(),
            None if self.filter.editing => Mode::Filter,
            None => Mode::Normal,
        }
    }

    /// Apply one message. Pure: no I/O, no clock; effects are returned.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(ev) => {
                self.dirty = true;
                let mut effects = match KeyChord::from_event(&ev) {
                    Some(chord) => self.on_key(chord),
                    None => Vec::new(),
                };
                effects.extend(self.evidence_effects());
                effects
            }
            Msg::Mouse(ev) => self.on_mouse(ev),
            Msg::Fleet(state, lock) => {
                self.lock = lock;
                self.reported.0 = crate::engine::Subject::all(&self.fleet)
                    .into_iter()
                    .collect();
                let mut effects = self.new_errors(&state);
                if self.frozen {
                    self.held = Some(state);
                } else {
                    self.set_state(*state);
                }
                self.now = self.now.max(self.state.observed_at);
                self.assess_findings();
                self.dirty = true;
                effects.extend(self.evidence_effects());
                effects
            }
            Msg::Evidence(tail) => {
                self.evidence = Some(*tail);
                self.dirty = true;
                Vec::new()
            }
            Msg::Observed(batch) => {
                let mut effects = self.observe(batch);
                effects.extend(self.evidence_effects());
                effects
            }
            Msg::Arrived(obs) => self.absorb(*obs),
            Msg::Settle => {
                self.settle();
                self.evidence_effects()
            }
            Msg::Budget(lines) => {
                // Read just before each tick, and in the header: drawn with the clock.
                if self.budget != lines {
                    self.budget = lines;
                    self.cadence.header_due = true;
                }
                Vec::new()
            }
            Msg::Lock(lock) => {
                if self.lock != lock {
                    self.lock = lock;
                    self.dirty = true;
                }
                Vec::new()
            }
            Msg::Tick(now) => {
                self.now = now;
                // A key sequence that timed out leaves the footer: draw that at once.
                let urgent = self.pending.expire(now) || self.attention.due;
                self.assess_on_tick();
                self.tick_frame(urgent);
                self.preflight_on_tick()
            }
            Msg::Rollout(r) => {
                if self.rollout != r {
                    self.rollout = r;
                    self.record_changed();
                }
                Vec::new()
            }
            Msg::CommandGate(index, verdict) => self.command_gate_done(index, verdict),
            Msg::Pending(pending) => {
                if self.approvals != pending {
                    self.approvals = pending;
                    self.record_changed();
                }
                Vec::new()
            }
            Msg::DeployRendered(request, rendered) => {
                self.status = match rendered {
                    Ok(()) => {
                        Status::Info("rendered: the whole diff is in the plan (↑↓ scroll)".into())
                    }
                    Err(why) => Status::Failed(why),
                };
                self.dirty = true;
                self.open_plan_now(*request)
            }
            Msg::Approved(result) => {
                self.status = match result {
                    Ok(text) => Status::Done(text),
                    Err(why) => Status::Failed(format!("not approved: {why}")),
                };
                self.dirty = true;
                Vec::new()
            }
            Msg::RolloutSaid(said) => {
                self.rollout_said(said);
                Vec::new()
            }
            Msg::Freeze(f) => {
                // Read each second: only a change (not the read's time) redraws.
                if self.state.freeze.value != f.value || self.state.freeze.error != f.error {
                    self.dirty = true;
                }
                self.state.freeze = f;
                Vec::new()
            }
            Msg::Preflight(reports) => self.preflight_done(reports),
            Msg::Clocks(clocks) => {
                if self.clocks != clocks {
                    self.clocks = clocks;
                    self.record_changed();
                }
                // A read-only view shows the clock; it never stops one.
                let recovered: Vec<_> = self
                    .recovery_readings()
                    .into_iter()
                    .filter(|r| r.recovery.recovered)
                    .collect();
                match self.read_only || recovered.is_empty() {
                    true => Vec::new(),
                    false => vec![Effect::StopRecovery(recovered)],
                }
            }
            Msg::Weights(w) => {
                if self.weights != w {
                    self.weights = w;
                    self.record_changed();
                }
                Vec::new()
            }
            Msg::Resize => {
                self.dirty = true;
                Vec::new()
            }
            Msg::PlanNotes(operation, notes) => {
                self.plan_notes(&operation, notes);
                self.dirty = true;
                Vec::new()
            }
            Msg::Progress(line) => {
                if let Some(label) = &self.running {
                    self.status = Status::Running(format!("{label}: {line}"));
                }
                self.dirty = true;
                Vec::new()
            }
            Msg::Finished {
                label,
                outcome,
                detail,
                recovery,
            } => {
                self.running = None;
                self.attention.due = true;
                let mut text = match &detail {
                    Some(d) => format!("{label}: {} ({d})", outcome.as_str()),
                    None => format!("{label}: {} and verified", outcome.as_str()),
                };
                if let Some(r) = &recovery {
                    text.push_str("; ");
                    text.push_str(r);
                }
                let level = if outcome == AuditOutcome::Succeeded {
                    log::Level::Info
                } else {
                    log::Level::Warn
                };
                self.status = if outcome == AuditOutcome::Succeeded {
                    Status::Done(text.clone())
                } else {
                    Status::Failed(text.clone())
                };
                self.dirty = true;
                vec![Effect::Log(level, text), Effect::Refresh]
            }
        }
    }

    fn on_key(&mut self, chord: KeyChord) -> Vec<Effect> {
        let mode = self.mode();
        // Text fields take typed characters before the keymap sees them.
        if let Some(c) = chord.typed_char() {
            if mode == Mode::Filter {
                self.filter.push(c);
                self.refilter();
                return Vec::new();
            }
            if let Some(o) = &mut self.overlay
                && o.takes_char(c)
            {
                let outcome = o.type_char(c);
                return self.on_overlay_outcome(outcome);
            }
        }
        match self
            .keymap
            .resolve(mode, &mut self.pending, chord, self.now)
        {
            Lookup::Command(cmd) => self.run(cmd),
            Lookup::Pending => Vec::new(),
            Lookup::Unbound => {
                if mode == Mode::Normal {
                    let help = self
                        .keymap
                        .key_for(Mode::Normal, Command::Help)
                        .unwrap_or_else(|| "?".into());
                    self.status = Status::Info(format!(
                        "{} is not bound here; {help} lists the keys",
                        chord.label()
                    ));
                }
                Vec::new()
            }
        }
    }

    /// Run a command in the current mode.
    pub fn run(&mut self, cmd: Command) -> Vec<Effect> {
        self.dirty = true;
        if cmd == Command::Quit {
            // Quitting with a plan on screen is declining it.
            let mut effects = Vec::new();
            if let Some(Overlay::Confirm(m)) = &self.overlay
                && !m.plan.read_only
            {
                effects.push(Effect::Decline(Box::new(m.plan.clone())));
            }
            self.overlay = None;
            self.quit = true;
            effects.push(Effect::Quit);
            return effects;
        }
        if let Some(overlay) = &mut self.overlay {
            let outcome = overlay.command(cmd);
            return self.on_overlay_outcome(outcome);
        }
        if self.filter.editing {
            match cmd {
                Command::Accept => self.filter.editing = false,
                Command::Cancel => self.filter.clear(),
                Command::DeleteChar => self.filter.pop(),
                _ => {}
            }
            self.refilter();
            return Vec::new();
        }
        self.normal(cmd)
    }

    /// Commands of the board itself (normal mode).
    fn normal(&mut self, cmd: Command) -> Vec<Effect> {
        use Command::*;
        if self.replay_key(cmd) {
            return Vec::new();
        }
        match cmd {
            MoveUp | MoveDown | MoveLeft | MoveRight | GoTop | GoBottom | PageUp | PageDown => {
                self.move_selection(cmd)
            }
            NextPane | PrevPane | FocusRegions | FocusTenants | FocusPhases | FocusLog => {
                self.change_pane(cmd)
            }
            DrillDown => self.drill_down(),
            Back => self.back(),
            Filter => self.filter.start(),
            Palette => self.overlay = Some(Overlay::palette()),
            Help => self.overlay = Some(Overlay::help()),
            Freeze => self.toggle_freeze(),
            Zoom => {
                self.zoom = if self.zoom.is_some() {
                    None
                } else {
                    Some(self.focus)
                }
            }
            ToggleLog => {
                self.log_hidden = !self.log_hidden;
                if self.log_hidden && self.focus == Pane::Log {
                    self.focus = Pane::Regions;
                }
            }
            Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            CancelPhase => return self.cancel_phase(),
            Rollout => self.overlay = Some(Overlay::Rollout),
            Approvals => {
                self.overlay = Some(Overlay::Approvals {
                    selected: 0,
                    scroll: 0,
                })
            }
            RolloutNext => return self.rollout_next(),
            RolloutStart | RolloutPause | RolloutResume | RolloutRetry | RolloutSkip
            | RolloutTake | RolloutUngraceful => return self.rollout_key(cmd),
            Findings => self.open_findings(),
            PrevChange | NextChange => {
                self.status = Status::Info(
                    "[ and ] step through a recording: `meridian replay` opens one".into(),
                )
            }
            c if c.is_fleet_action() => return self.fleet_action(c),
            _ => {}
        }
        Vec::new()
    }

    fn toggle_freeze(&mut self) {
        if !self.frozen {
            // What was merged but not yet shown is part of the frozen picture: derive it now,
            // or the held board would show cells whose counts never catch up.
            self.settle();
        }
        self.frozen = !self.frozen;
        if self.frozen {
            self.status = Status::Info("frozen: live data is held back while you read; press the freeze key again to resume".into());
        } else {
            if let Some(s) = self.held.take() {
                self.set_state(*s);
            }
            self.status = Status::Info("live data resumed".into());
        }
    }
}
