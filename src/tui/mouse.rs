//! The mouse: click to select a region, tenant cell or phase (or a pane, a tab, a modal's
//! button), wheel to scroll. The views record what they drew where (`HitMap`) as they
//! draw; a mouse event is matched against the last frame and becomes the same command a key
//! would run, so the keyboard's rules (and guards) apply unchanged.

use std::cell::RefCell;

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Constraint, Flex, Layout, Rect};

use super::app::{App, Effect, Pane};
use super::command::Command;
use super::overlay::Overlay;

/// What a spot on the screen stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A pane's frame: focus it, or scroll it with the wheel.
    Pane(Pane),
    /// A tab in a pane's title (tenants and phases share a place on normal terminals).
    Tab(Pane),
    /// A row of the region board (index into the visible regions).
    Region(usize),
    /// A tenant matrix cell (visible tenant row, region column).
    Cell { row: usize, col: usize },
    /// A phase grid cell (visible region row, phase column).
    Phase { row: usize, col: usize },
    /// An overlay's area: clicks there do not reach the panes below.
    Overlay,
    /// A modal's button that runs this command (cancel, confirm).
    Button(Command),
}

/// Where each target was drawn in the last frame; later entries lie on top.
#[derive(Debug, Default)]
pub struct HitMap(RefCell<Vec<(Rect, Target)>>);

impl HitMap {
    /// Forget the previous frame (the start of every draw).
    pub fn clear(&self) {
        self.0.borrow_mut().clear();
    }

    /// Record a target drawn over `area`.
    pub fn add(&self, area: Rect, target: Target) {
        if area.width > 0 && area.height > 0 {
            self.0.borrow_mut().push((area, target));
        }
    }

    /// The topmost target at a cell, if any.
    pub fn at(&self, column: u16, row: u16) -> Option<Target> {
        let p = ratatui::layout::Position::new(column, row);
        self.0
            .borrow()
            .iter()
            .rev()
            .find(|(r, _)| r.contains(p))
            .map(|(_, t)| *t)
    }

    /// Every target drawn in the last frame (what is on screen, for the pace).
    pub fn targets(&self) -> Vec<Target> {
        self.0.borrow().iter().map(|(_, t)| *t).collect()
    }

    /// The topmost target at a cell that is a pane (for the wheel).
    fn pane_at(&self, column: u16, row: u16) -> Option<Target> {
        let p = ratatui::layout::Position::new(column, row);
        self.0
            .borrow()
            .iter()
            .rev()
            .find(|(r, t)| r.contains(p) && matches!(t, Target::Pane(_) | Target::Overlay))
            .map(|(_, t)| *t)
    }
}

/// Rects of a table's columns as ratatui's `Table` lays them out (no selection column),
/// so a click maps to the column that was drawn there.
pub fn table_columns(inner: Rect, widths: &[Constraint], spacing: u16) -> Vec<Rect> {
    Layout::horizontal(widths.to_vec())
        .flex(Flex::Start)
        .spacing(spacing)
        .split(inner)
        .to_vec()
}

impl App {
    /// One mouse event from the terminal.
    pub(super) fn on_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => self.click(ev.column, ev.row),
            MouseEventKind::ScrollUp => self.wheel(ev.column, ev.row, Command::MoveUp),
            MouseEventKind::ScrollDown => self.wheel(ev.column, ev.row, Command::MoveDown),
            _ => Vec::new(),
        }
    }

    fn click(&mut self, column: u16, row: u16) -> Vec<Effect> {
        let Some(target) = self.hits.at(column, row) else {
            return Vec::new();
        };
        self.dirty = true;
        if self.overlay.is_some() {
            // Only an overlay's own buttons act; the board below stays as it was.
            return match target {
                Target::Button(cmd) => self.run(cmd),
                _ => Vec::new(),
            };
        }
        match target {
            Target::Pane(p) | Target::Tab(p) => self.focus_pane(p),
            Target::Region(r) => {
                self.focus_pane(Pane::Regions);
                self.cursor.region = r;
            }
            Target::Cell { row, col } => {
                self.focus_pane(Pane::Tenants);
                self.cursor.tenant = row;
                self.cursor.tenant_col = col;
            }
            Target::Phase { row, col } => {
                self.focus_pane(Pane::Phases);
                self.cursor.phase_row = row;
                self.cursor.phase_col = col;
            }
            Target::Overlay | Target::Button(_) => {}
        }
        self.clamp_cursors();
        Vec::new()
    }

    fn focus_pane(&mut self, pane: Pane) {
        let cmd = match pane {
            Pane::Regions => Command::FocusRegions,
            Pane::Tenants => Command::FocusTenants,
            Pane::Phases => Command::FocusPhases,
            Pane::Log => Command::FocusLog,
        };
        if self.focus != pane {
            self.change_pane(cmd);
        }
    }

    /// The wheel scrolls what is under the pointer (three rows for the log and help).
    fn wheel(&mut self, column: u16, row: u16, cmd: Command) -> Vec<Effect> {
        self.dirty = true;
        if let Some(Overlay::Help { .. }) = &self.overlay {
            for _ in 0..3 {
                self.run(cmd);
            }
            return Vec::new();
        }
        if self.overlay.is_some() {
            return Vec::new();
        }
        match self.hits.pane_at(column, row) {
            Some(Target::Pane(Pane::Log)) => {
                let page = if cmd == Command::MoveUp {
                    Command::PageUp
                } else {
                    Command::PageDown
                };
                self.focus_pane(Pane::Log);
                self.move_selection(page);
            }
            Some(Target::Pane(p)) => {
                self.focus_pane(p);
                self.move_selection(cmd);
            }
            _ => {}
        }
        Vec::new()
    }
}
