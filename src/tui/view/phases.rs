//! The phase grid: regions x phases with state and duration; a running phase shows its
//! current step, a failed one its error.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use super::util::fit;
use crate::state::{PhaseState, PhaseStatus, short_age};
use crate::tui::app::{App, Pane};
use crate::tui::mouse::{Target, table_columns};
use crate::tui::symbols;
use crate::tui::theme::Role;

/// Rows the grid needs (two lines per region).
pub fn height(app: &App) -> u16 {
    app.visible_regions().len().max(1) as u16 * 2 + 3
}

/// How long a phase took, or has been running.
pub fn duration(p: &PhaseState, now: i64) -> Option<String> {
    let start = p.started_at?;
    let end = if p.state == PhaseStatus::Running {
        now
    } else {
        p.finished_at?
    };
    Some(short_age(end - start))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, block: Block) {
    let t = &app.theme;
    let phases = &app.fleet.phases;
    let col_w = ((area.width as usize).saturating_sub(18) / phases.len().max(1)).max(6);
    let focused = app.focus == Pane::Phases;
    let visible = app.visible_regions();
    let room = (area.height.saturating_sub(3) / 2) as usize;
    let range = super::util::window(visible.len(), app.cursor.phase_row, room);
    let range_rows = range.clone();
    let rows: Vec<Row> = visible[range.clone()]
        .iter()
        .copied()
        .zip(range)
        .map(|(ri, row_i)| {
            let region = &app.fleet.regions[ri];
            let rs = app.state.region(&region.id);
            let dim = rs.is_some_and(|r| super::util::stale(&r.phases, app.now));
            let mut cells = vec![Cell::from(vec![
                Line::from(Span::styled(
                    region.id.clone(),
                    t.get(Role::Text).add_modifier(Modifier::BOLD),
                )),
                Line::from(Span::styled(
                    format!(
                        "{}/{}{}",
                        rs.map(|r| r.phases_succeeded()).unwrap_or(0),
                        phases.len(),
                        if dim { " ◷" } else { "" }
                    ),
                    t.get(Role::Muted),
                )),
            ])];
            for (pi, phase) in phases.iter().enumerate() {
                let selected =
                    focused && row_i == app.cursor.phase_row && pi == app.cursor.phase_col;
                let ps = rs.and_then(|r| r.phase(&phase.id));
                let state = ps.map(|p| p.state).unwrap_or(PhaseStatus::Pending);
                let look = symbols::phase(state);
                let style = if dim {
                    t.get(Role::Stale)
                } else {
                    t.get(look.role)
                };
                let second = match ps {
                    // Duration first: a step name is long and gets cut, the time does not.
                    Some(p) if p.state == PhaseStatus::Running => format!(
                        "{} {}",
                        duration(p, app.now).unwrap_or_default(),
                        p.current_step.clone().unwrap_or_default()
                    ),
                    Some(p)
                        if matches!(p.state, PhaseStatus::Failed | PhaseStatus::Interrupted) =>
                    {
                        p.current_step
                            .clone()
                            .or(p.error.clone())
                            .unwrap_or_default()
                    }
                    Some(p) => duration(p, app.now).unwrap_or_default(),
                    None => String::new(),
                };
                let marker = if selected { "▸" } else { " " };
                let cell = Cell::from(vec![
                    Line::from(vec![
                        Span::raw(marker),
                        Span::styled(
                            fit(
                                &format!("{} {}", look.symbol, look.word),
                                col_w.saturating_sub(1),
                            ),
                            style,
                        ),
                    ]),
                    Line::from(Span::styled(
                        format!(" {}", fit(&second, col_w.saturating_sub(1))),
                        t.get(Role::Muted),
                    )),
                ]);
                cells.push(if selected {
                    cell.style(t.get(Role::Selected))
                } else {
                    cell
                });
            }
            Row::new(cells).height(2)
        })
        .collect();
    let mut widths = vec![Constraint::Length(16)];
    widths.extend(phases.iter().map(|_| Constraint::Min(6)));
    let mut header = vec![Cell::from("REGION")];
    header.extend(
        phases
            .iter()
            .enumerate()
            .map(|(i, p)| Cell::from(fit(&format!("{} {}", i + 1, p.name), col_w))),
    );
    let inner = block.inner(area);
    app.hits.add(area, Target::Pane(Pane::Phases));
    let columns = table_columns(inner, &widths, 1);
    for (n, row) in range_rows.clone().enumerate() {
        let y = inner.y + 1 + 2 * n as u16;
        let h = 2.min(inner.bottom().saturating_sub(y));
        for (col, rect) in columns.iter().skip(1).enumerate() {
            let cell = Rect::new(rect.x, y, rect.width, h);
            app.hits.add(cell, Target::Phase { row, col });
        }
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.get(Role::Muted).add_modifier(Modifier::BOLD)))
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}
