//! Moving around: panes, rows and columns, drilling down and going back. The selection is
//! kept as indices into the rows the filter leaves visible.

use super::app::{App, Pane, Status};
use super::command::Command;

/// What is selected, in the fleet's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Region(String),
    Cell { tenant: String, region: String },
    Phase { region: String, phase: String },
}

impl App {
    /// Indices (into `fleet.regions`) of the regions the filter shows.
    pub fn visible_regions(&self) -> &[usize] {
        &self.visible.0
    }

    /// Indices (into `fleet.tenants`) of the tenants the filter shows.
    pub fn visible_tenants(&self) -> &[usize] {
        &self.visible.1
    }

    /// Work out the visible rows again (the filter or the state changed).
    pub fn refilter(&mut self) {
        self.visible = self.filter.apply(&self.fleet, &self.state);
        self.clamp_cursors();
    }

    /// The region the selection is about, whichever pane has focus.
    pub fn selected_region(&self) -> Option<String> {
        match self.selection()? {
            Selection::Region(r) => Some(r),
            Selection::Cell { region, .. } => Some(region),
            Selection::Phase { region, .. } => Some(region),
        }
    }

    /// The selection of the focused pane (the log pane reports the region's).
    pub fn selection(&self) -> Option<Selection> {
        match self.focus {
            Pane::Regions | Pane::Log => {
                let i = *self.visible_regions().get(self.cursor.region)?;
                Some(Selection::Region(self.fleet.regions[i].id.clone()))
            }
            Pane::Tenants => {
                let t = &self.fleet.tenants[*self.visible_tenants().get(self.cursor.tenant)?];
                let region = self.fleet.regions.get(self.cursor.tenant_col)?;
                Some(Selection::Cell {
                    tenant: t.id.clone(),
                    region: region.id.clone(),
                })
            }
            Pane::Phases => {
                let i = *self.visible_regions().get(self.cursor.phase_row)?;
                let phase = self.fleet.phases.get(self.cursor.phase_col)?;
                Some(Selection::Phase {
                    region: self.fleet.regions[i].id.clone(),
                    phase: phase.id.clone(),
                })
            }
        }
    }

    /// Keep every cursor inside its (possibly filtered) pane.
    pub fn clamp_cursors(&mut self) {
        let regions = self.visible_regions().len();
        let tenants = self.visible_tenants().len();
        let c = &mut self.cursor;
        c.region = c.region.min(regions.saturating_sub(1));
        c.phase_row = c.phase_row.min(regions.saturating_sub(1));
        c.tenant = c.tenant.min(tenants.saturating_sub(1));
        c.tenant_col = c.tenant_col.min(self.fleet.regions.len().saturating_sub(1));
        c.phase_col = c.phase_col.min(self.fleet.phases.len().saturating_sub(1));
    }

    pub(super) fn move_selection(&mut self, cmd: Command) {
        if self.focus == Pane::Log {
            self.scroll_log(cmd);
            return;
        }
        let rows = match self.focus {
            Pane::Regions | Pane::Phases | Pane::Log => self.visible_regions().len(),
            Pane::Tenants => self.visible_tenants().len(),
        };
        let cols = match self.focus {
            Pane::Tenants => self.fleet.regions.len(),
            Pane::Phases => self.fleet.phases.len(),
            _ => 1,
        };
        let last_row = rows.saturating_sub(1);
        let last_col = cols.saturating_sub(1);
        let c = &mut self.cursor;
        let (row, col): (&mut usize, Option<&mut usize>) = match self.focus {
            // The log scrolls itself (above); the arm keeps the match total.
            Pane::Regions | Pane::Log => (&mut c.region, None),
            Pane::Tenants => (&mut c.tenant, Some(&mut c.tenant_col)),
            Pane::Phases => (&mut c.phase_row, Some(&mut c.phase_col)),
        };
        match cmd {
            Command::MoveUp => *row = row.saturating_sub(1),
            Command::MoveDown => *row = (*row + 1).min(last_row),
            Command::GoTop => *row = 0,
            Command::GoBottom => *row = last_row,
            Command::PageUp => *row = row.saturating_sub(10),
            Command::PageDown => *row = (*row + 10).min(last_row),
            Command::MoveLeft => {
                if let Some(col) = col {
                    *col = col.saturating_sub(1);
                }
            }
            Command::MoveRight => {
                if let Some(col) = col {
                    *col = (*col + 1).min(last_col);
                }
            }
            _ => {}
        }
        // In the tenant matrix, skip to a region the tenant actually runs in.
        if self.focus == Pane::Tenants {
            self.snap_tenant_column(cmd == Command::MoveLeft);
        }
    }

    /// Page through the log; End (or go-bottom) follows new lines again.
    fn scroll_log(&mut self, cmd: Command) {
        use tui_logger::TuiWidgetEvent;
        let event = match cmd {
            Command::MoveUp | Command::PageUp | Command::GoTop => TuiWidgetEvent::PrevPageKey,
            Command::MoveDown | Command::PageDown => TuiWidgetEvent::NextPageKey,
            Command::GoBottom => TuiWidgetEvent::EscapeKey,
            _ => return,
        };
        self.log_scrolled = event != TuiWidgetEvent::EscapeKey;
        self.log_view.transition(event);
    }

    fn snap_tenant_column(&mut self, leftwards: bool) {
        let Some(&ti) = self.visible_tenants().get(self.cursor.tenant) else {
            return;
        };
        let t = &self.fleet.tenants[ti];
        let runs = |col: usize| {
            self.fleet
                .regions
                .get(col)
                .is_some_and(|r| t.runs_in(&r.id))
        };
        if runs(self.cursor.tenant_col) {
            return;
        }
        let n = self.fleet.regions.len();
        let order: Vec<usize> = if leftwards {
            (0..self.cursor.tenant_col)
                .rev()
                .chain(self.cursor.tenant_col..n)
                .collect()
        } else {
            (self.cursor.tenant_col..n)
                .chain((0..self.cursor.tenant_col).rev())
                .collect()
        };
        if let Some(col) = order.into_iter().find(|c| runs(*c)) {
            self.cursor.tenant_col = col;
        }
    }

    pub(super) fn change_pane(&mut self, cmd: Command) {
        let panes: Vec<Pane> = Pane::ORDER
            .iter()
            .copied()
            .filter(|p| *p != Pane::Log || !self.log_hidden)
            .collect();
        let at = panes.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = match cmd {
            Command::NextPane => panes[(at + 1) % panes.len()],
            Command::PrevPane => panes[(at + panes.len() - 1) % panes.len()],
            Command::FocusRegions => Pane::Regions,
            Command::FocusTenants => Pane::Tenants,
            Command::FocusPhases => Pane::Phases,
            Command::FocusLog => {
                self.log_hidden = false;
                Pane::Log
            }
            _ => self.focus,
        };
        if self.zoom.is_some() {
            self.zoom = Some(self.focus);
        }
        if self.focus == Pane::Tenants {
            self.snap_tenant_column(false);
        }
    }

    /// Enter: region -> its column in the tenant matrix; a cell or phase -> zoomed detail.
    pub(super) fn drill_down(&mut self) {
        match self.focus {
            Pane::Regions => {
                if let Some(&i) = self.visible_regions().get(self.cursor.region) {
                    self.cursor.tenant_col = i;
                    self.cursor.phase_row = self.cursor.region;
                    self.focus = Pane::Tenants;
                    // Land on the first tenant that runs in the region, keeping its column.
                    let region = &self.fleet.regions[i].id;
                    if let Some(row) = self
                        .visible_tenants()
                        .iter()
                        .position(|t| self.fleet.tenants[*t].runs_in(region))
                    {
                        self.cursor.tenant = row;
                    }
                    self.snap_tenant_column(false);
                    self.status = Status::Info(format!(
                        "{}: tenants in this region; Enter again shows a cell's detail, Esc goes back",
                        self.fleet.regions[i].id
                    ));
                }
            }
            Pane::Tenants | Pane::Phases => self.detail_zoomed = true,
            Pane::Log => self.zoom = Some(Pane::Log),
        }
    }

    /// Esc: unzoom, else clear the filter, else back to the region board.
    pub(super) fn back(&mut self) {
        self.pending.clear();
        if self.zoom.is_some() || self.detail_zoomed {
            self.zoom = None;
            self.detail_zoomed = false;
        } else if self.filter.is_active() {
            self.filter.clear();
            self.refilter();
        } else if self.focus != Pane::Regions {
            self.focus = Pane::Regions;
        } else {
            self.status = crate::tui::app::Status::Idle;
        }
    }
}
