//! The region board: one row per region with role, health, latency, replication lag
//! (sparkline against the RPO budget), weight vs steady, phase progress and Argo summary.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::util::{fit, pane_block, stale_mark, value_style};
use crate::tui::app::{App, Pane};
use crate::tui::mouse::Target;
use crate::tui::symbols;
use crate::tui::theme::Role;

/// Rows the board needs: a header, the visible regions (two lines for a region that is
/// not healthy, so its reason shows) and the border.
pub fn height(app: &App, width: u16) -> u16 {
    let wide = width >= WIDE;
    let lines: u16 = app
        .visible_regions()
        .iter()
        .map(|i| row_height(app, *i, wide))
        .sum();
    lines.max(1) + 3
}

/// From this width the board has a WHY column, so reasons need no second line.
const WIDE: u16 = 130;

/// A fenced former writer still serving traffic: its database takes no writes.
fn fenced_serving(app: &App, i: usize) -> bool {
    app.state.region(&app.fleet.regions[i].id).is_some_and(|s| {
        crate::state::replication::link_word(&s.lag) == Some("fenced")
            && s.weight.value.is_some_and(|w| w.serving())
    })
}

/// What the board says of a fenced writer still serving.
const FENCED_SERVING: &str =
    "fenced former writer still serving: its database takes no writes; drain it";

/// Why a region is not plainly healthy, if it is not: its probes' reason or the read error.
fn trouble(app: &App, i: usize) -> Option<String> {
    if fenced_serving(app, i) {
        return Some(FENCED_SERVING.to_string());
    }
    let s = app.state.region(&app.fleet.regions[i].id)?;
    if let Some(why) = super::stores::split_reason(&app.fleet.regions[i], s) {
        return Some(why);
    }
    if let Some(e) = &s.health.error {
        return Some(format!("health read failed: {e}"));
    }
    let h = s.health.value.as_ref()?;
    (h.status != crate::state::HealthStatus::Healthy).then(|| h.reason.clone())
}

fn row_height(app: &App, i: usize, wide: bool) -> u16 {
    if !wide && trouble(app, i).is_some() {
        2
    } else {
        1
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    app.hits.add(area, Target::Pane(Pane::Regions));
    let wide = area.width >= WIDE;
    let rpo = app.fleet.policy.rpo_budget.as_secs_f64().max(1.0);
    // Below 100 columns the board keeps every column but shortens them.
    let narrow = area.width < 98;
    let spark_w = if wide {
        16
    } else if narrow {
        4
    } else {
        8
    };
    let mut header = vec![
        "  REGION",
        if narrow { "ROL" } else { "ROLE" },
        "HEALTH",
        "PROBE",
    ];
    let lag_title = if narrow {
        format!("LAG ≤{}s", rpo as u64)
    } else {
        format!("LAG ▕RPO {}s", rpo as u64)
    };
    header.push(&lag_title);
    // Under latency, failover or geo routing there are no weights to show, only rotation.
    let steered = app
        .fleet
        .regions
        .iter()
        .any(|r| app.state.traffic_text(&r.id).is_some());
    header.extend([
        match (steered, narrow) {
            (true, _) => "TRAFFIC",
            (false, true) => "WEIGHT now/std",
            (false, false) => "WEIGHT now/std  %",
        },
        if narrow { "PH" } else { "PHASES" },
        "ARGO",
    ]);
    if wide {
        header.push("WHY");
    }
    let selected_row = app.cursor.region;
    let visible = app.visible_regions();
    let heights: Vec<u16> = visible.iter().map(|i| row_height(app, *i, wide)).collect();
    let room = area.height.saturating_sub(3);
    let range = super::util::window_lines(&heights, selected_row, room);
    let inner = area.inner(ratatui::layout::Margin::new(1, 1));
    let mut y = inner.y + 1;
    for (row_i, h) in heights
        .iter()
        .enumerate()
        .skip(range.start)
        .take(range.len())
    {
        let h = (*h).min(inner.bottom().saturating_sub(y));
        app.hits
            .add(Rect::new(inner.x, y, inner.width, h), Target::Region(row_i));
        y += h;
    }
    // Second lines (the reason a region is not healthy) are written over the table after
    // it is drawn, across the columns right of the region name.
    let mut reasons: Vec<(u16, String)> = Vec::new();
    let mut line = 0u16;
    let rows: Vec<Row> = visible[range.clone()]
        .iter()
        .copied()
        .zip(range)
        .map(|(i, row_i)| {
            let r = &app.fleet.regions[i];
            let s = app.state.region(&r.id);
            let selected = row_i == selected_row && app.focus == Pane::Regions;
            let marker = if selected { "▸ " } else { "  " };
            let mut cells: Vec<Cell> = Vec::new();
            cells.push(Cell::from(Span::styled(
                format!("{marker}{}", r.id),
                t.get(Role::Text).add_modifier(Modifier::BOLD),
            )));
            let split = s.and_then(|s| super::stores::split_role(r, s));
            let (role, role_style) = match (split, s.and_then(|s| s.role.value)) {
                // A failover stopped part-way: each store's role, in order.
                (Some(split), _) => (split, t.get(Role::Danger)),
                (None, Some(role)) if role != r.role => {
                    (format!("{}≠cfg", role.as_str()), t.get(Role::Warn))
                }
                (None, Some(role)) if narrow => (role.as_str()[..3].to_string(), t.get(Role::Text)),
                (None, Some(role)) => (role.as_str().to_string(), t.get(Role::Text)),
                (None, None) => (format!("{}?", r.role.as_str()), t.get(Role::Stale)),
            };
            cells.push(Cell::from(Span::styled(role, role_style)));
            let (health_cell, reason) = match s {
                Some(s) => {
                    let look = symbols::health(s.health_status());
                    let text = format!(
                        "{} {}{}",
                        look.symbol,
                        look.word,
                        stale_mark(&s.health, app.now)
                    );
                    let reason = s
                        .health
                        .value
                        .as_ref()
                        .map(|h| h.reason.clone())
                        .unwrap_or_default();
                    let reason = match &s.health.error {
                        Some(e) => format!("read failed: {e}"),
                        None => reason,
                    };
                    (
                        Span::styled(text, value_style(app, &s.health, look.role)),
                        reason,
                    )
                }
                None => (
                    Span::styled("? unknown", t.get(Role::Stale)),
                    "not read yet".into(),
                ),
            };
            cells.push(Cell::from(health_cell));
            let latency = s
                .and_then(|s| s.health.value.as_ref())
                .and_then(|h| h.latency_ms);
            cells.push(Cell::from(Span::styled(
                latency
                    .map(|l| format!("{l:>4.0}ms"))
                    .unwrap_or_else(|| "    -".into()),
                s.map(|s| value_style(app, &s.health, Role::Text))
                    .unwrap_or_default(),
            )));
            cells.push(Cell::from(lag_line(app, i, rpo, spark_w)));
            cells.push(Cell::from(weight_line(app, i, narrow)));
            let done = s.map(|s| s.phases_succeeded()).unwrap_or(0);
            let total = app.fleet.phases.len();
            let (fill, empty) = symbols::bar(
                done as f64 / total.max(1) as f64,
                if narrow { 0 } else { 4 },
            );
            let phase_role = if done == total { Role::Ok } else { Role::Info };
            cells.push(Cell::from(Line::from(vec![
                Span::styled(format!("{done}/{total} "), t.get(phase_role)),
                Span::styled(fill, t.get(Role::Bar)),
                Span::styled(empty, t.get(Role::BarEmpty)),
            ])));
            let a = app.argo.get(i).copied().unwrap_or_default();
            let argo_role = if a.failed > 0 || a.known == 0 {
                Role::Stale
            } else if a.drifted() {
                Role::Warn
            } else if a.synced == a.total {
                Role::Ok
            } else {
                Role::Muted
            };
            cells.push(Cell::from(Span::styled(a.text("◷"), t.get(argo_role))));
            if wide {
                let (reason, role) = match fenced_serving(app, i) {
                    true => (FENCED_SERVING.to_string(), Role::Danger),
                    false => (reason, Role::Muted),
                };
                cells.push(Cell::from(Span::styled(reason, t.get(role))));
            }
            let mut row = Row::new(cells);
            if heights[row_i] == 2 {
                row = row.height(2);
                reasons.push((line + 1, trouble(app, i).unwrap_or_default()));
            }
            line += heights[row_i];
            if selected {
                row.style(t.get(Role::Selected))
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(16),
        Constraint::Length(if narrow { 3 } else { 9 }),
        Constraint::Length(if narrow { 12 } else { 15 }),
        Constraint::Length(6),
        Constraint::Length(6 + spark_w as u16),
        Constraint::Length(if narrow { 15 } else { 18 }),
        Constraint::Length(if narrow { 4 } else { 8 }),
        // "synced/all ≠" as wide as the biggest region needs (1000/1000 ≠ on a big fleet).
        Constraint::Length(argo_width(app)),
    ];
    if wide {
        widths.push(Constraint::Min(10));
    }
    let title = match app.filter.regex {
        Some(_) => format!(
            " Regions ({} of {}) ",
            app.visible_regions().len(),
            app.fleet.regions.len()
        ),
        None => " Regions ".to_string(),
    };
    let table = Table::new(rows, widths)
        .header(
            Row::new(header.into_iter().map(|h| Cell::from(fit(h, 30))))
                .style(t.get(Role::Muted).add_modifier(Modifier::BOLD)),
        )
        .column_spacing(1)
        .block(pane_block(app, title, Some(Pane::Regions)));
    frame.render_widget(table, area);
    for (dy, reason) in reasons {
        let y = inner.y + 1 + dy;
        if y < inner.bottom() && inner.width > 20 {
            let text = format!("└ why: {reason}");
            let width = (inner.width - 17) as usize;
            frame.buffer_mut().set_stringn(
                inner.x + 17,
                y,
                fit(&text, width),
                width,
                t.get(Role::Warn),
            );
        }
    }
}

fn lag_line(app: &App, i: usize, rpo: f64, spark_w: usize) -> Line<'static> {
    let t = &app.theme;
    let r = &app.fleet.regions[i];
    let Some(s) = app.state.region(&r.id) else {
        return Line::from("    -");
    };
    let over = s.lag.value.is_some_and(|v| v >= rpo);
    let role = if over { Role::Danger } else { Role::Text };
    let link = crate::state::replication::link_word(&s.lag);
    let value = match (link, s.lag.value, &s.lag.error) {
        (Some(word), ..) => format!("{word:>5}"),
        // Kept from before a failed or old read: a mark as well as the stale colour.
        (None, Some(v), _) if super::util::stale(&s.lag, app.now) => {
            format!("◷{:>4}", fmt_secs(v))
        }
        (None, Some(v), _) => format!("{:>5}", fmt_secs(v)),
        (None, None, Some(_)) => "  err".to_string(),
        (None, None, None) => "    -".to_string(),
    };
    let mut spans = vec![
        Span::styled(value, value_style(app, &s.lag, role)),
        Span::raw(" "),
    ];
    if s.role.value != Some(crate::fleet::Role::Primary) {
        for (c, breach) in symbols::sparkline(&s.lag_history, rpo, spark_w) {
            let style = if breach {
                t.get(Role::Danger)
            } else {
                t.get(Role::Bar)
            };
            spans.push(Span::styled(c.to_string(), style));
        }
        spans.push(Span::styled("▕", t.get(Role::Muted)));
    } else {
        spans.push(Span::styled(
            if spark_w >= 6 { "writer" } else { "" },
            t.get(Role::Muted),
        ));
    }
    Line::from(spans)
}

fn weight_line(app: &App, i: usize, narrow: bool) -> Line<'static> {
    let t = &app.theme;
    let r = &app.fleet.regions[i];
    let s = app.state.region(&r.id);
    let now = s.and_then(|s| s.weight.value);
    // The rotation is worked out (over every region) only for a region without a share:
    // asked for every row of a weighted fleet, it was half of drawing the board.
    if let Some(w) = now.filter(|w| !w.has_share())
        && let Some(rotation) = app.state.rotation(&r.id)
    {
        return steered_line(app, i, w, rotation, narrow);
    }
    let share = app.state.traffic_share(&r.id).unwrap_or(0.0);
    let (fill, empty) = symbols::bar(share, if narrow { 2 } else { 5 });
    let rules = app.fleet.traffic.provider.traffic_rules();
    let off_steady = now.is_some_and(|w| w.effective() != r.steady_weight);
    // Drained shows as 0 whatever the provider keeps (Azure keeps a disabled weight).
    let now_text = now
        .map(|w| rules.format_units(w.effective()))
        .unwrap_or_else(|| "?".into());
    let stale_mark = match s.is_some_and(|s| super::util::stale(&s.weight, app.now)) {
        true => "◷",
        false => " ",
    };
    let text = format!(
        "{stale_mark}{now_text:>3}/{:<3}{}{:>3.0}%",
        rules.format_units(r.steady_weight),
        if off_steady { "≠" } else { " " },
        share * 100.0
    );
    let role = if off_steady { Role::Warn } else { Role::Text };
    let style = s
        .map(|s| value_style(app, &s.weight, role))
        .unwrap_or_default();
    // Traffic on a database that takes no writes: a mark as well as a colour.
    let (bar, fill_role) = match fenced_serving(app, i) {
        true => (fill.replace('█', "▓"), Role::Danger),
        false => (fill, Role::Bar),
    };
    Line::from(vec![
        Span::styled(bar, t.get(fill_role)),
        Span::styled(empty, t.get(Role::BarEmpty)),
        Span::styled(text, style),
    ])
}

/// A region without a share of traffic: its policy and rotation (`failover · standby`),
/// in the warning style when it is out of rotation against its steady state.
fn steered_line(
    app: &App,
    i: usize,
    w: crate::traffic::Weight,
    rotation: crate::traffic::Rotation,
    narrow: bool,
) -> Line<'static> {
    use crate::traffic::Rotation as R;
    let r = &app.fleet.regions[i];
    let s = app.state.region(&r.id);
    let stale_mark = match s.is_some_and(|s| super::util::stale(&s.weight, app.now)) {
        true => "◷",
        false => " ",
    };
    let text = if narrow {
        rotation.name().to_string()
    } else {
        crate::traffic::steering::describe_short(w, rotation)
    };
    let off_steady = (rotation == R::Drained) != (r.steady_weight == 0);
    let role = match rotation {
        _ if fenced_serving(app, i) => Role::Danger,
        _ if off_steady => Role::Warn,
        R::Standby => Role::Muted,
        _ => Role::Text,
    };
    let style = s
        .map(|s| value_style(app, &s.weight, role))
        .unwrap_or_default();
    Line::from(Span::styled(format!("{stale_mark}{text}"), style))
}

/// `1.3s`, `45s`, `3m`.
pub fn fmt_secs(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.1}s")
    } else if v < 100.0 {
        format!("{v:.0}s")
    } else {
        format!("{:.0}m", v / 60.0)
    }
}

/// Width of the ARGO column: room for "◷N/N ≠" at the fleet's largest app count.
fn argo_width(app: &App) -> u16 {
    let most = app.argo.iter().map(|a| a.total).max().unwrap_or(0);
    (2 * most.to_string().len() + 4).max(5) as u16
}
