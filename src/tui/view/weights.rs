//! Drawing the weights editor: weight now -> new in the provider's units (and the share
//! asked, when one was), the resulting effective share as a bar, the total.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::util::{centered, overlay_block};
use crate::tui::app::App;
use crate::tui::overlay::WeightsEditor;
use crate::tui::symbols;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, body: Rect, app: &App, e: &WeightsEditor) {
    let t = &app.theme;
    let area = centered(body, 76, e.rows.len() as u16 + 9);
    let block = overlay_block(
        frame,
        area,
        app,
        format!(
            " Set weights ({}): shares update as you type ",
            e.rules.provider
        ),
    );
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<2}{:<16}{:>5}  {:>10}  {:<22}{:>7}",
            "", "REGION", "NOW", "NEW", "SHARE", "STEADY"
        ),
        t.get(Role::Muted),
    ))];
    let after = e.after();
    let rules = e.rules;
    for (i, r) in e.rows.iter().enumerate() {
        let selected = i == e.cursor;
        let share = e.share(i);
        let (fill, empty) = symbols::bar(share.unwrap_or(0.0), 14);
        let w = after.get(i).copied().unwrap_or_default();
        let new = match (&e.typing, selected, r.new) {
            // A share being typed shows the weight it becomes as soon as it is one.
            (Some(buf), true, crate::traffic::Ask::Percent(_)) if buf.ends_with('%') => {
                format!("{buf}={}▏", rules.format_units(w.effective()))
            }
            (Some(buf), true, _) => format!("{buf}▏"),
            (_, _, crate::traffic::Ask::Percent(_)) => {
                format!("{}={}", r.new, rules.format_units(w.effective()))
            }
            _ => short(&rules.format(w)),
        };
        let changed = e.changed(i);
        let out_of_range = !rules.in_range(w.units as u64)
            || matches!(r.new, crate::traffic::Ask::Units(u) if !rules.in_range(u));
        let new_style = if out_of_range {
            t.get(Role::Danger)
        } else if changed {
            t.get(Role::Warn)
        } else {
            t.get(Role::Text)
        };
        let row_style = if selected {
            t.get(Role::Selected)
        } else {
            t.get(Role::Text)
        };
        lines.push(
            Line::from(vec![
                Span::raw(if selected { "▸ " } else { "  " }),
                Span::styled(
                    format!("{:<16}{:>5} ", r.region, short(&rules.format(r.now))),
                    row_style,
                ),
                Span::styled(
                    format!("{:>10}{} ", new, if changed { "*" } else { " " }),
                    new_style,
                ),
                Span::styled(fill, t.get(Role::Bar)),
                Span::styled(empty, t.get(Role::BarEmpty)),
                Span::styled(
                    share
                        .map(|s| format!(" {:>5.1}%", s * 100.0))
                        .unwrap_or_else(|| "     ?%".into()),
                    t.get(Role::Text),
                ),
                Span::styled(
                    format!("{:>7}", rules.format_units(r.steady)),
                    t.get(Role::Muted),
                ),
            ])
            .style(row_style),
        );
    }
    let total = rules.format_units(e.total());
    lines.push(Line::from(Span::styled(
        format!(
            "  total {total}{}",
            if e.unmanaged > 0 {
                format!(" (includes {} unmanaged)", rules.format_units(e.unmanaged))
            } else {
                String::new()
            }
        ),
        t.get(Role::Text),
    )));
    lines.push(match &e.error {
        Some(err) => Line::from(Span::styled(
            format!("  ✗ refused: {err}"),
            t.get(Role::Danger),
        )),
        None => Line::from(Span::styled(
            "  ✓ valid: Enter shows the plan; nothing changes until you confirm it",
            t.get(Role::Ok),
        )),
    });
    lines.push(Line::from(Span::styled(
        "  type a weight, or a share such as 25%; 0 drains; * marks changed rows",
        t.get(Role::Muted),
    )));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// "disabled (700)" does not fit the column: "off(700)".
fn short(text: &str) -> String {
    match text.strip_prefix("disabled (") {
        Some(rest) => format!("off({rest}"),
        None => text.to_string(),
    }
}
