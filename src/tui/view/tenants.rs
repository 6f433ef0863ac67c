//! The tenant matrix: tenants x regions; each cell shows Argo sync, health and revision as
//! symbol and word, with auto-sync marked (`⟳`, or `⏸` when meridian paused it), and the
//! Helm release's revision (`⎈3 deployed`) for tenants that have one, and the tenant's home
//! in the routing layer's map (`⌂`; `⌂!` by the name when the home does not fit the fleet).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use super::util::{app_stale, apps_current, fit, stale_mark_as_of};
use crate::tui::app::{App, Pane};
use crate::tui::mouse::{Target, table_columns};
use crate::tui::symbols;
use crate::tui::theme::Role;

/// Rows the matrix needs (two lines per tenant).
pub fn height(app: &App) -> u16 {
    app.visible_tenants().len().max(1) as u16 * 2 + 3
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, block: Block) {
    let t = &app.theme;
    let regions = &app.fleet.regions;
    let focused = app.focus == Pane::Tenants;
    let visible = app.visible_tenants();
    let room = (area.height.saturating_sub(3) / 2) as usize;
    let range = super::util::window(visible.len(), app.cursor.tenant, room);
    // Big fleets scroll sideways: show the columns around the selected region.
    let fit_cols = ((area.width as usize).saturating_sub(19) / 17).max(1);
    let cols = super::util::window(regions.len(), app.cursor.tenant_col, fit_cols);
    let col_w = ((area.width as usize).saturating_sub(19) / cols.len().max(1)).max(8);
    let range_rows = range.clone();
    let rows: Vec<Row> = visible[range.clone()]
        .iter()
        .copied()
        .zip(range)
        .map(|(ti, row_i)| {
            let tenant = &app.fleet.tenants[ti];
            let prod = app.fleet.is_production(&tenant.environment);
            let env_role = if prod { Role::Danger } else { Role::Muted };
            // The routing layer's home, and whether it fits the fleet (`⌂!` when not).
            let home = app.state.homes().and_then(|h| h.home(&tenant.id));
            let home_bad = home.is_some()
                && crate::actions::homes::home_problem(&app.fleet, &app.state, &tenant.id)
                    .is_some();
            let home_role = if home_bad { Role::Danger } else { Role::Info };
            let mut cells = vec![Cell::from(vec![
                Line::from(vec![
                    Span::styled(
                        tenant.id.clone(),
                        t.get(Role::Text).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(if home_bad { " ⌂!" } else { "" }, t.get(Role::Danger)),
                ]),
                Line::from(Span::styled(
                    format!(
                        "{}{}",
                        tenant.environment,
                        if prod { " (production)" } else { "" }
                    ),
                    t.get(env_role),
                )),
            ])];
            for (ci, region) in regions.iter().enumerate().skip(cols.start).take(cols.len()) {
                let selected = focused && row_i == app.cursor.tenant && ci == app.cursor.tenant_col;
                let cell = if !tenant.runs_in(&region.id) {
                    Cell::from(Span::styled("  —", t.get(Role::Muted)))
                } else {
                    let ts = app.state.tenant(&tenant.id);
                    let observed = ts.and_then(|ts| ts.app(&region.id));
                    let observed_release = ts.and_then(|ts| ts.release(&region.id));
                    let release = observed_release
                        .and_then(|r| r.value.as_ref())
                        .and_then(|r| r.latest());
                    let release_stale = observed_release
                        .map(|r| super::util::stale_mark(r, app.now))
                        .unwrap_or_default();
                    let helm = release
                        .map(|r| format!(" ⎈{} {}{release_stale}", r.revision, r.status.as_str()))
                        .unwrap_or_default();
                    let no_app = observed.is_some_and(|o| o.value.is_none() && o.error.is_none());
                    match observed {
                        Some(_) if no_app && tenant.helm.is_some() => {
                            let marker = if selected { "▸" } else { " " };
                            // Never read: say why rather than draw an empty cell.
                            let (helm, chart) = match release {
                                Some(r) => (helm.clone(), r.chart_label()),
                                None => (
                                    " ⎈ ? unknown".to_string(),
                                    observed_release
                                        .and_then(|r| r.error.as_deref())
                                        .unwrap_or("not read yet")
                                        .to_string(),
                                ),
                            };
                            Cell::from(vec![
                                Line::from(vec![
                                    Span::raw(marker),
                                    Span::styled(
                                        fit(helm.trim_start(), col_w.saturating_sub(2)),
                                        t.get(Role::Info),
                                    ),
                                ]),
                                Line::from(Span::styled(
                                    format!(" {}", fit(&chart, col_w)),
                                    t.get(Role::Muted),
                                )),
                            ])
                        }
                        Some(o) => match &o.value {
                            Some(a) => {
                                let sync = symbols::sync(a.sync);
                                let health = symbols::app_health(a.health);
                                let dim = app_stale(app, o, &region.id);
                                let st = |r: Role| if dim { t.get(Role::Stale) } else { t.get(r) };
                                let marker = if selected { "▸" } else { " " };
                                let auto = match (a.auto_sync, &a.detail.paused) {
                                    (true, _) => " ⟳",
                                    (false, Some(_)) => " ⏸",
                                    (false, None) => "",
                                };
                                let rev = a.revision.get(..7).unwrap_or(&a.revision);
                                Cell::from(vec![
                                    Line::from(vec![
                                        Span::raw(marker),
                                        Span::styled(
                                            fit(
                                                &format!("{} {}", sync.symbol, sync.word),
                                                col_w.saturating_sub(4),
                                            ),
                                            st(sync.role),
                                        ),
                                        Span::styled(auto, st(Role::Info)),
                                        Span::styled(
                                            if home == Some(region.id.as_str()) {
                                                " ⌂"
                                            } else {
                                                ""
                                            },
                                            st(home_role),
                                        ),
                                        Span::styled(
                                            stale_mark_as_of(
                                                o,
                                                apps_current(app, &region.id),
                                                app.now,
                                            ),
                                            t.get(Role::Stale),
                                        ),
                                    ]),
                                    match failed_hook(a) {
                                        // The last sync stopped in a hook: that, not the
                                        // health of the old pods still serving, is the news.
                                        Some(hook) => Line::from(vec![
                                            Span::raw(" "),
                                            Span::styled(
                                                fit(&hook, col_w.saturating_sub(1)),
                                                st(Role::Danger),
                                            ),
                                        ]),
                                        None => Line::from(vec![
                                            Span::raw(" "),
                                            Span::styled(
                                                format!("{} {}", health.symbol, health.word),
                                                st(health.role),
                                            ),
                                            Span::styled(format!(" {rev}"), st(Role::Muted)),
                                            Span::styled(helm.clone(), st(Role::Info)),
                                        ]),
                                    },
                                ])
                            }
                            None => Cell::from(vec![
                                Line::from(Span::styled(" ? unknown", t.get(Role::Stale))),
                                Line::from(Span::styled(
                                    format!(
                                        " {}",
                                        fit(o.error.as_deref().unwrap_or("not read yet"), col_w)
                                    ),
                                    t.get(Role::Danger),
                                )),
                            ]),
                        },
                        None => Cell::from(Span::styled(" ? not read yet", t.get(Role::Stale))),
                    }
                };
                cells.push(if selected {
                    cell.style(t.get(Role::Selected))
                } else {
                    cell
                });
            }
            Row::new(cells).height(2)
        })
        .collect();
    let mut widths = vec![Constraint::Length(17)];
    widths.extend(cols.clone().map(|_| Constraint::Min(8)));
    // Say when regions are off screen to either side (← → scroll to them).
    let more = match (cols.start > 0, cols.end < regions.len()) {
        (true, true) => "TENANT    ◀ ▶",
        (true, false) => "TENANT    ◀",
        (false, true) => "TENANT      ▶",
        (false, false) => "TENANT",
    };
    let mut header = vec![Cell::from(more)];
    header.extend(
        regions[cols.clone()]
            .iter()
            .map(|r| Cell::from(r.id.clone())),
    );
    let inner = block.inner(area);
    app.hits.add(area, Target::Pane(Pane::Tenants));
    let columns = table_columns(inner, &widths, 1);
    for (n, row) in range_rows.clone().enumerate() {
        let y = inner.y + 1 + 2 * n as u16;
        let h = 2.min(inner.bottom().saturating_sub(y));
        for (rect, col) in columns.iter().skip(1).zip(cols.clone()) {
            let cell = Rect::new(rect.x, y, rect.width, h);
            app.hits.add(cell, Target::Cell { row, col });
        }
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.get(Role::Muted).add_modifier(Modifier::BOLD)))
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

/// `✗ PreSync hook` (failed: the cross, in red) when the app's last sync failed in a hook and none runs now.
fn failed_hook(a: &crate::state::AppState) -> Option<String> {
    if a.operation_in_progress().is_some() {
        return None;
    }
    let hook = a.detail.operation.as_deref()?.failed_hook()?;
    Some(format!("✗ {} hook", hook.hook_type))
}
